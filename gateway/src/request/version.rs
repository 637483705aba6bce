//! The API version prefix (`/v1.41/…`): which versions the endpoint speaks.

use crate::error::ApiError;

/// The API version every segment speaks (dockerd 20.10); higher client versions are refused.
pub(crate) const MAX_API_VERSION: (u32, u32) = (1, 41);
/// Older versions carry legacy semantics (HostConfig on start, top-level host fields) that
/// the policy does not model, so they are refused outright.
pub(crate) const MIN_API_VERSION: (u32, u32) = (1, 24);

/// Splits `/v1.41/x` into `(Some("1.41"), "/x")`.
pub(crate) fn split_version(path: &str) -> (Option<&str>, &str) {
    if let Some(rest) = path.strip_prefix("/v") {
        let end = rest.find('/').unwrap_or(rest.len());
        let candidate = &rest[..end];
        if parse_version(candidate).is_some() {
            let tail = &rest[end..];
            return (Some(candidate), if tail.is_empty() { "/" } else { tail });
        }
    }
    (None, path)
}

/// `1.41` as `(1, 41)`.
pub(crate) fn parse_version(v: &str) -> Option<(u32, u32)> {
    let (major, minor) = v.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Refuses a version the segments do not speak, with dockerd's own wording.
pub(crate) fn check_version(v: &str) -> Result<(), ApiError> {
    let parsed = parse_version(v).ok_or_else(|| ApiError::bad_request("invalid API version"))?;
    if parsed > MAX_API_VERSION {
        return Err(ApiError::bad_request(format!(
            "client version {v} is too new. Maximum supported API version is {}.{}",
            MAX_API_VERSION.0, MAX_API_VERSION.1
        )));
    }
    if parsed < MIN_API_VERSION {
        return Err(ApiError::bad_request(format!(
            "client version {v} is too old. Minimum supported API version is {}.{}, please upgrade your client to a newer version",
            MIN_API_VERSION.0, MIN_API_VERSION.1
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_prefix() {
        assert_eq!(split_version("/v1.41/containers/json"), (Some("1.41"), "/containers/json"));
        assert_eq!(split_version("/_ping"), (None, "/_ping"));
        assert_eq!(split_version("/v1.24"), (Some("1.24"), "/"));
        assert_eq!(split_version("/volumes"), (None, "/volumes"));
        assert!(check_version("1.50").unwrap_err().message.contains("too new"));
        assert!(check_version("1.20").is_err());
        assert!(check_version("1.41").is_ok());
    }
}
