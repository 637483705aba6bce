//! Which request bodies may reach dockerd, decided on the raw `Content-Type` bytes.
//!
//! Go's `net/http` parses a POST or PUT body as form values when its media type is
//! `application/x-www-form-urlencoded` (`Request.ParseForm`) or `multipart/form-data`
//! (`Request.FormValue`, which dockerd's handlers call for their options), and those
//! values take precedence over the query string. A form body would therefore supply
//! options (`/build?cgroupparent=`...) the policy never saw. Go takes the first
//! `Content-Type` header, lowercases the part before `;` and trims it; deciding on a
//! lossy reading of the bytes would open a side door, so anything that is not plainly
//! one of the types the docker CLIs and docker-py send is refused.

/// Media types accepted on every route: JSON, the CLIs' `text/plain` for raw uploads,
/// and tar archives (`docker load`, `cp`, `import`; docker-py says `application/tar`).
const ACCEPTED: [&str; 5] =
    ["application/json", "text/plain", "application/x-tar", "application/tar", "application/octet-stream"];

/// What `POST /build` accepts: only a tar archive, or no type at all.
const ACCEPTED_BY_BUILD: [&str; 2] = ["application/x-tar", "application/tar"];

/// Why a request's content type is refused; the `Display` is the message for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContentTypeError {
    /// `application/x-www-form-urlencoded` or `multipart/*`.
    #[error("form-encoded request bodies are not supported by the Carina cluster endpoint")]
    Form,
    /// More than one `Content-Type` header.
    #[error("more than one Content-Type header")]
    Repeated,
    /// Bytes outside printable ASCII.
    #[error("the Content-Type header must be printable ASCII")]
    NotAscii,
    /// Any other type, or a type this route does not take.
    #[error("unsupported Content-Type {0:?} for this request")]
    Unsupported(String),
}

/// Checks the raw values of every `Content-Type` header of a request to `path` (API
/// version prefix stripped, as for [`crate::check`]).
pub fn check(method: &str, path: &str, values: &[&[u8]]) -> Result<(), ContentTypeError> {
    check_endpoint(crate::route::classify(method, path), values)
}

/// [`check`] for a request already classified.
pub fn check_endpoint(endpoint: crate::Endpoint, values: &[&[u8]]) -> Result<(), ContentTypeError> {
    let build = endpoint == crate::Endpoint::Build;
    let value = match values {
        [] => return Ok(()),
        [value] => *value,
        _ => return Err(ContentTypeError::Repeated),
    };
    if !value.iter().all(|&b| b == b'\t' || (b' '..=b'~').contains(&b)) {
        return Err(ContentTypeError::NotAscii);
    }
    // Checked as ASCII above.
    let text = String::from_utf8_lossy(value);
    let media_type = text.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media_type.contains("form") {
        return Err(ContentTypeError::Form);
    }
    let accepted: &[&str] = if build { &ACCEPTED_BY_BUILD } else { &ACCEPTED };
    if media_type.is_empty() && !build {
        // Go reads an empty type as application/octet-stream.
        return Ok(());
    }
    if accepted.contains(&media_type.as_str()) {
        Ok(())
    } else {
        Err(ContentTypeError::Unsupported(media_type))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on(path: &str, value: &[u8]) -> Result<(), ContentTypeError> {
        check("POST", path, &[value])
    }

    #[test]
    fn what_clients_send_passes() {
        assert_eq!(check("POST", "/containers/create", &[]), Ok(()));
        assert_eq!(on("/containers/create", b"application/json"), Ok(()));
        assert_eq!(on("/containers/create", b"application/json; charset=utf-8"), Ok(()));
        assert_eq!(on("/images/load", b"application/x-tar"), Ok(()));
        assert_eq!(on("/images/create", b"text/plain"), Ok(()));
        assert_eq!(on("/build", b"application/x-tar"), Ok(()));
        assert_eq!(on("/build", b"application/tar"), Ok(()));
        assert_eq!(check("POST", "/build", &[]), Ok(()));
    }

    #[test]
    fn forms_and_side_doors_are_refused() {
        for value in [
            &b"application/x-www-form-urlencoded"[..],
            b"APPLICATION/X-WWW-FORM-URLENCODED",
            b" application/x-www-form-urlencoded ; charset=x",
            b"multipart/form-data; boundary=x",
            b"Multipart/Form-Data",
        ] {
            assert_eq!(on("/build", value), Err(ContentTypeError::Form), "{}", String::from_utf8_lossy(value));
            assert_eq!(on("/containers/x/kill", value), Err(ContentTypeError::Form));
        }
        // Bytes a lossy reader would skip over.
        assert_eq!(on("/build", b"application/x-www-form-urlencoded; charset=\xff"), Err(ContentTypeError::NotAscii));
        assert_eq!(on("/build", b"application/x-tar\x00"), Err(ContentTypeError::NotAscii));
        assert_eq!(on("/images/load", b"\xefapplication/x-tar"), Err(ContentTypeError::NotAscii));
        assert_eq!(
            check("POST", "/build", &[b"application/x-tar", b"application/x-www-form-urlencoded"]),
            Err(ContentTypeError::Repeated)
        );
        assert_eq!(on("/build", b"text/plain"), Err(ContentTypeError::Unsupported("text/plain".into())));
        assert_eq!(on("/build", b""), Err(ContentTypeError::Unsupported(String::new())));
        assert!(on("/containers/create", b"application/json, multipart/form-data").is_err());
        assert!(matches!(on("/containers/create", b"text/html"), Err(ContentTypeError::Unsupported(_))));
        assert_eq!(on("/v1.41/build", b"text/plain"), Err(ContentTypeError::Unsupported("text/plain".into())));
    }
}
