//! Checks on the names that go into certificates, so that a bad name fails here with a
//! clear error rather than later in a TLS handshake.

use crate::PkiError;

/// A subject name part (common name, cluster id): non-empty, no control characters.
pub(crate) fn check_text(what: &'static str, value: &str) -> Result<(), PkiError> {
    let reject = |reason| Err(PkiError::InvalidName { what, value: value.to_string(), reason });
    if value.trim().is_empty() {
        return reject("must not be empty");
    }
    if value.chars().any(char::is_control) {
        return reject("must not contain control characters");
    }
    Ok(())
}

/// A DNS name for a subjectAltName: ASCII letters, digits and hyphens in dot-separated
/// labels, optionally with a leading `*.` wildcard label; no trailing dot.
pub(crate) fn check_dns_name(value: &str) -> Result<(), PkiError> {
    let reject = |reason| Err(PkiError::InvalidName { what: "DNS name", value: value.to_string(), reason });
    if value.is_empty() || value.len() > 253 {
        return reject("must be 1 to 253 characters");
    }
    let rest = value.strip_prefix("*.").unwrap_or(value);
    for label in rest.split('.') {
        if label.is_empty() || label.len() > 63 {
            return reject("every label must be 1 to 63 characters");
        }
        if !label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return reject("only ASCII letters, digits, '-' and '.' are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return reject("a label must not start or end with '-'");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_rules() {
        assert!(check_text("common name", "bundle 1").is_ok());
        assert!(check_text("common name", "").is_err());
        assert!(check_text("common name", "  ").is_err());
        assert!(check_text("common name", "a\nb").is_err());
    }

    #[test]
    fn dns_rules() {
        for ok in ["localhost", "seg-1.cluster.example", "*.example.org", "a1"] {
            assert!(check_dns_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a..b", "example.", "-a.b", "a-.b", "exa mple", "ex_ample", "*", "a.*.b", "ünï.example"] {
            assert!(check_dns_name(bad).is_err(), "{bad}");
        }
    }
}
