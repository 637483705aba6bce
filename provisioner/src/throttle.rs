//! Slowing down password guessing.
//!
//! Every sign-in attempt counts against two buckets before the password is even looked
//! at: one for the email *from this client address*, one for the client address alone.
//! A few attempts in a bucket are free; after that each further attempt must wait, twice
//! as long each time, up to a ceiling. Keying the email's bucket by address means that a
//! stranger guessing at someone's password slows down only themselves: the owner, from
//! another address, signs in as usual. The address's own bucket stops one address from
//! trying many emails (or the same email, in many spellings) quickly.

use std::net::IpAddr;
use std::time::Duration;

/// The longest wait imposed.
pub const MAX_WAIT: Duration = Duration::from_secs(15 * 60);

/// A bucket without attempts for this long is forgotten: it starts again with its free
/// attempts. Keeps the table small whatever number of addresses guesses.
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 3600);

/// How many attempts a bucket allows before they are slowed down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Attempts (not yet forgiven by a success) allowed without waiting.
    pub free_attempts: i64,
}

/// One email from one client address: a handful of mistyped passwords.
pub const PER_EMAIL_AND_ADDRESS: Limit = Limit { free_attempts: 5 };

/// One client address, whatever the email: room for a shared office address, not for a
/// dictionary.
pub const PER_ADDRESS: Limit = Limit { free_attempts: 30 };

/// A counter of attempts: what it counts, and its limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// `email+address` or `address`.
    pub scope: &'static str,
    /// The email and address, or the address.
    pub key: String,
    pub limit: Limit,
}

/// The buckets one sign-in attempt counts against.
pub fn buckets_for(email: &str, client: IpAddr) -> [Bucket; 2] {
    let address = address_key(client);
    [
        Bucket { scope: "email+address", key: format!("{email} {address}"), limit: PER_EMAIL_AND_ADDRESS },
        Bucket { scope: "address", key: address, limit: PER_ADDRESS },
    ]
}

/// The client as a throttling key. An IPv6 client usually owns a whole /64, so the /64 is
/// the key (otherwise each guess could come from a new address); an IPv4 client seen
/// through an IPv6 socket is keyed as IPv4.
pub fn address_key(client: IpAddr) -> String {
    match client {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

impl Limit {
    /// How long to wait before the next attempt may be made, given the attempts counted
    /// so far and the time since the last one; `None` when an attempt may be made now.
    pub fn wait_before_attempt(self, attempts: i64, since_last_attempt: Duration) -> Option<Duration> {
        if attempts < self.free_attempts {
            return None;
        }
        let doublings = (attempts - self.free_attempts).min(20) as u32;
        let required = Duration::from_secs(1u64 << doublings).min(MAX_WAIT);
        required.checked_sub(since_last_attempt).filter(|left| !left.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIVE: Limit = Limit { free_attempts: 5 };

    #[test]
    fn first_attempts_are_free() {
        assert_eq!(FIVE.wait_before_attempt(4, Duration::ZERO), None);
    }

    #[test]
    fn waits_double_and_are_capped() {
        assert_eq!(FIVE.wait_before_attempt(5, Duration::ZERO), Some(Duration::from_secs(1)));
        assert_eq!(FIVE.wait_before_attempt(7, Duration::ZERO), Some(Duration::from_secs(4)));
        assert_eq!(FIVE.wait_before_attempt(7, Duration::from_secs(3)), Some(Duration::from_secs(1)));
        assert_eq!(FIVE.wait_before_attempt(7, Duration::from_secs(4)), None);
        assert_eq!(FIVE.wait_before_attempt(60, Duration::ZERO), Some(MAX_WAIT));
    }

    #[test]
    fn addresses_are_keyed_by_host_or_ipv6_network() {
        assert_eq!(address_key("203.0.113.7".parse().unwrap()), "203.0.113.7");
        assert_eq!(address_key("::ffff:203.0.113.7".parse().unwrap()), "203.0.113.7");
        let a = address_key("2001:db8:1:2::1".parse().unwrap());
        let b = address_key("2001:db8:1:2:ffff::9".parse().unwrap());
        assert_eq!(a, "2001:db8:1:2::/64");
        assert_eq!(a, b, "one /64, one bucket");
        assert_ne!(a, address_key("2001:db8:1:3::1".parse().unwrap()));
    }

    #[test]
    fn an_email_is_throttled_per_address() {
        let [mine, _] = buckets_for("ada@example.com", "198.51.100.1".parse().unwrap());
        let [theirs, address] = buckets_for("ada@example.com", "203.0.113.7".parse().unwrap());
        assert_ne!(mine.key, theirs.key);
        assert_eq!(address.key, "203.0.113.7");
        assert_eq!(address.limit, PER_ADDRESS);
    }
}
