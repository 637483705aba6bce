//! The provisioner's error type: what went wrong, in terms a caller can act on.

use std::time::Duration;

/// Everything a provisioner operation can fail with.
///
/// The variants a user can cause carry a message meant for that user; `Storage` and
/// `Internal` carry details meant for the log only (the panel shows a generic message).
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
    /// Something on our side failed; the detail is for the log.
    #[error("internal: {0}")]
    Internal(String),
}

impl Error {
    /// Whether the message is safe and useful to show to the user who caused it.
    pub fn is_user_facing(&self) -> bool {
        !matches!(self, Error::Storage(_) | Error::Migrate(_) | Error::SecretKey(_) | Error::Internal(_))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_details_never_reach_users() {
        let err = Error::Internal("dockerd at /var/lib/x/run/docker.sock did not answer".into());
        assert!(!err.user_message().contains("/var/lib"));
        assert_eq!(Error::Conflict("taken".into()).user_message(), "taken");
    }
}

/// Shorthand for results of provisioner operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;
