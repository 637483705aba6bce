//! The provisioner's error type: what went wrong, in terms a caller can act on, and the
//! one mapping from it to an HTTP status that the panel and the JSON API both answer with.

use std::time::Duration;

use http::StatusCode;

/// Everything a provisioner operation can fail with.
///
/// The variants a user can cause carry a message meant for that user; the others keep
/// their cause for the log only (users read a generic message, see [`Error::user_message`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not acceptable; the message says which field and why.
    #[error("{0}")]
    Invalid(String),
    /// No valid session or API key, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// The thing does not exist (or belongs to someone else: we do not say which).
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with the current state (a taken name, a busy cluster...).
    #[error("{0}")]
    Conflict(String),
    /// A quota would be exceeded.
    #[error("{0}")]
    QuotaExceeded(String),
    /// Too many attempts; try again after the given time.
    #[error("Too many attempts. Try again in {} seconds.", retry_after.as_secs().max(1))]
    TooManyAttempts { retry_after: Duration },
    /// The database failed.
    #[error("storage: {0}")]
    Storage(#[from] sqlx::Error),
    /// Applying the embedded migrations failed.
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The secret key file, or a value sealed with it, could not be used (operators fix
    /// this; the message says how).
    #[error("secret key: {0}")]
    SecretKey(#[from] crate::secret_key::SecretKeyError),
    /// A segment could not be created, inspected or removed (libvirt, the host).
    #[error("segment: {0}")]
    Segment(#[from] segments::SegmentError),
    /// A segment's dockerd did not answer, or refused an operation.
    #[error("docker: {0}")]
    Docker(#[from] segments::EngineError),
    /// A certificate or key could not be made.
    #[error("certificates: {0}")]
    Pki(#[from] pki::PkiError),
    /// A credentials zip could not be built.
    #[error("credentials zip: {0}")]
    Bundle(#[from] bundle::BundleError),
    /// Something else on our side failed; the detail is for the log.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// Whether the message is safe and useful to show to the user who caused it.
    pub fn is_user_facing(&self) -> bool {
        !self.status().is_server_error()
    }

    /// The HTTP status the panel and the JSON API answer this error with.
    ///
    /// Invalid input is 422 and a quota refusal 403, as Kubernetes answers a failed
    /// validation and an exceeded quota: the request was well formed (a body that is not
    /// is the API's own 400), and a quota is a limit of the account, not a clash with the
    /// cluster's state (409).
    pub fn status(&self) -> StatusCode {
        match self {
            Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Error::Forbidden(_) | Error::QuotaExceeded(_) => StatusCode::FORBIDDEN,
            Error::NotFound(_) => StatusCode::NOT_FOUND,
            Error::Conflict(_) => StatusCode::CONFLICT,
            Error::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            Error::Storage(_)
            | Error::Migrate(_)
            | Error::SecretKey(_)
            | Error::Segment(_)
            | Error::Docker(_)
            | Error::Pki(_)
            | Error::Bundle(_)
            | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// What a user may read of this error: the message itself when it is meant for users,
    /// otherwise a line that reveals nothing of the host (the detail goes to the log).
    pub fn user_message(&self) -> String {
        if self.is_user_facing() {
            self.to_string()
        } else {
            "a step failed on the server; the operator's log has the details".into()
        }
    }
}

/// Shorthand for results of provisioner operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_users() {
        let err = Error::Internal("dockerd at /var/lib/x/run/docker.sock did not answer".into());
        assert!(!err.user_message().contains("/var/lib"));
        assert_eq!(Error::Conflict("taken".into()).user_message(), "taken");
        let docker = Error::from(segments::EngineError::Unexpected {
            at: "unix://run/docker.sock".into(),
            detail: "internal-detail-7f3a".into(),
        });
        assert!(!docker.user_message().contains("internal-detail"));
        assert!(docker.to_string().contains("internal-detail"), "the cause is kept for the log");
        assert_eq!(docker.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn statuses_per_case() {
        assert_eq!(Error::Invalid("x".into()).status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(Error::QuotaExceeded("x".into()).status(), StatusCode::FORBIDDEN);
        assert_eq!(Error::Conflict("x".into()).status(), StatusCode::CONFLICT);
        let wait = Error::TooManyAttempts { retry_after: Duration::from_secs(3) };
        assert_eq!(wait.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!(wait.is_user_facing());
    }
}
