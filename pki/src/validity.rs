//! How long certificates live, and the window computations they share.

use time::{Duration, OffsetDateTime};

/// Lifetime of a cluster CA: long enough that a cluster never outlives its CA in practice.
pub const CA_VALIDITY: Duration = Duration::days(3650);

/// Lifetime of server and client certificates, capped at the CA's own expiry. Long-lived
/// on purpose: a client certificate is revoked by the cluster endpoint (by fingerprint),
/// not by expiry, and users should not have to re-download bundles.
pub const LEAF_VALIDITY: Duration = Duration::days(5 * 365);

/// How far into the past `notBefore` is set, so that a client or segment whose clock lags
/// the host's a little still accepts a certificate issued a moment ago.
pub const CLOCK_SKEW_ALLOWANCE: Duration = Duration::hours(1);

/// `(not_before, not_after)` for a certificate made now, living `lifetime`, never past
/// `cap` (the issuer's own `notAfter`), with seconds truncated away as X.509 time allows.
pub(crate) fn window(lifetime: Duration, cap: Option<OffsetDateTime>) -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).expect("zero nanoseconds is always valid");
    let not_after = now + lifetime;
    let not_after = match cap {
        Some(cap) if cap < not_after => cap,
        _ => not_after,
    };
    (now - CLOCK_SKEW_ALLOWANCE, not_after)
}
