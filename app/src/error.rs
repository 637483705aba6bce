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

#[cfg(feature = "ssr")]
impl From<provisioner::Error> for AppError {
    fn from(err: provisioner::Error) -> Self {
        use provisioner::Error as E;
        match err {
            E::Invalid(m) => AppError::Invalid(m),
            E::Unauthorized(m) => AppError::Unauthorized(m),
            E::Forbidden(m) => AppError::Forbidden(m),
            E::NotFound(m) => AppError::NotFound(m),
            E::Conflict(m) | E::QuotaExceeded(m) => AppError::Conflict(m),
            err @ E::TooManyAttempts { .. } => AppError::TooManyRequests(err.to_string()),
            internal => {
                tracing::error!(error = %internal, "internal error in a server function");
                AppError::Internal
            }
        }
    }
}
