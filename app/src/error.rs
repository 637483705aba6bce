//! The error every server function returns: serialisable, with an HTTP status, and with
//! a message that is always safe to show (internal details stay in the server's log).

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// An error as the browser sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The input is not acceptable; the message says what to change.
    #[error("{0}")]
    Invalid(String),
    /// Not signed in, or wrong credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// Signed in but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing (or not yours).
    #[error("{0}")]
    NotFound(String),
    /// Clashes with the current state, e.g. a taken name.
    #[error("{0}")]
    Conflict(String),
    /// Slow down.
    #[error("{0}")]
    TooManyRequests(String),
    /// Something failed on our side; deliberately vague.
    #[error("Something went wrong on our side. Please try again in a moment.")]
    Internal,
    /// The request did not reach the server function, or its answer did not come back.
    #[error("Could not reach the server: {0}")]
    Transport(String),
}

impl AppError {
    /// The HTTP status this error is sent with.
    pub fn status(&self) -> http::StatusCode {
        use http::StatusCode as S;
        match self {
            AppError::Invalid(_) => S::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized(_) => S::UNAUTHORIZED,
            AppError::Forbidden(_) => S::FORBIDDEN,
            AppError::NotFound(_) => S::NOT_FOUND,
            AppError::Conflict(_) => S::CONFLICT,
            AppError::TooManyRequests(_) => S::TOO_MANY_REQUESTS,
            AppError::Internal => S::INTERNAL_SERVER_ERROR,
            AppError::Transport(_) => S::BAD_GATEWAY,
        }
    }

    /// The error for "sign in first".
    pub fn sign_in_required() -> Self {
        AppError::Unauthorized("Please sign in to continue.".into())
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Arguments that do not parse are the client's mistake, e.g. a missing field.
            ServerFnErrorErr::Args(msg) => AppError::Invalid(format!("The form is incomplete: {msg}")),
            other => AppError::Transport(other.to_string()),
        }
    }
}

/// By the domain's own status ([`provisioner::Error::status`]), so that the panel answers
/// each error as the JSON API does; the variant then carries that status to the browser.
#[cfg(feature = "ssr")]
impl From<provisioner::Error> for AppError {
    fn from(err: provisioner::Error) -> Self {
        use http::StatusCode as S;
        if !err.is_user_facing() {
            tracing::error!(error = %err, "internal error in a server function");
            return AppError::Internal;
        }
        let message = err.to_string();
        match err.status() {
            S::UNPROCESSABLE_ENTITY => AppError::Invalid(message),
            S::UNAUTHORIZED => AppError::Unauthorized(message),
            S::FORBIDDEN => AppError::Forbidden(message),
            S::NOT_FOUND => AppError::NotFound(message),
            S::CONFLICT => AppError::Conflict(message),
            S::TOO_MANY_REQUESTS => AppError::TooManyRequests(message),
            other => {
                tracing::error!(error = %err, status = %other, "a domain error without a panel variant");
                AppError::Internal
            }
        }
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_panel_answers_each_domain_error_with_the_domain_status() {
        use provisioner::Error as E;
        let errors = [
            E::Invalid("bad name".into()),
            E::Unauthorized("sign in".into()),
            E::Forbidden("no".into()),
            E::NotFound("none".into()),
            E::Conflict("busy".into()),
            E::QuotaExceeded("3 of 3 clusters".into()),
            E::TooManyAttempts { retry_after: Duration::from_secs(5) },
            E::Internal("internal-detail-7f3a".into()),
        ];
        for err in errors {
            let (status, user_message) = (err.status(), err.user_message());
            let app = AppError::from(err);
            assert_eq!(app.status(), status, "{app:?}");
            if status.is_client_error() {
                assert_eq!(app.to_string(), user_message);
            }
            assert!(!app.to_string().contains("internal-detail"));
        }
    }
}
