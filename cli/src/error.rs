//! The one error type of the command: a sentence for people and an exit code.

use std::fmt;
use std::path::Path;

/// An error `carina` reports on one line of stderr before exiting non-zero.
#[derive(Debug)]
pub struct CliError {
    pub message: String,
    pub code: u8,
    /// The HTTP status of a request the service refused.
    pub status: Option<u16>,
}

/// Exit codes: 1 for what the service refused or reported, 2 for wrong usage or local
/// trouble (no key, files), 3 when the service cannot be reached.
impl CliError {
    pub fn service(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: 1, status: None }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: 2, status: None }
    }

    pub fn unreachable(message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: 3, status: None }
    }

    /// A request the service answered with `status` (400 or more).
    pub fn refused(status: u16, message: impl Into<String>) -> Self {
        CliError { message: message.into(), code: 1, status: Some(status) }
    }

    pub fn io(path: &Path, err: std::io::Error) -> Self {
        CliError::usage(format!("{}: {err}", path.display()))
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
