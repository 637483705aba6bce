//! Server functions: thin shims from the browser to the provisioner.

pub mod account;
pub mod audit;
pub mod auth;
pub mod clusters;
pub mod operator;
pub mod password;

use crate::error::AppError;

/// What the confirmed submit of a destructive action (rebuild, revoke) sends as `confirm`.
/// Its first submit only shows what would be lost, so a forged or stale single POST,
/// which lacks this, does nothing.
pub const CONFIRMED: &str = "yes";

/// Lets a destructive action go ahead only from its confirmation step; `nothing_done`
/// says what did not happen.
pub fn require_confirmation(confirm: &str, nothing_done: &str) -> Result<(), AppError> {
    if confirm == CONFIRMED {
        Ok(())
    } else {
        Err(AppError::Invalid(format!("{nothing_done} Confirm it first: the action asks before it goes ahead.")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destructive_actions_need_the_confirmed_submit() {
        assert!(require_confirmation(CONFIRMED, "Nothing was rebuilt.").is_ok());
        for stale in ["", "no", "YES", " yes"] {
            let err = require_confirmation(stale, "Nothing was rebuilt.").unwrap_err();
            assert!(err.to_string().starts_with("Nothing was rebuilt. Confirm it first"), "{stale:?}");
        }
    }
}
