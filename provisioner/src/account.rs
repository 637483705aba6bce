//! Accounts: who may sign in, with which quotas, and the rules for emails and passwords.

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::error::{Error, Result};
use crate::quota::Quotas;
use crate::storage::AccountRow;

/// A signed-up user of the panel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub is_operator: bool,
    pub quotas: Quotas,
    pub created_at: i64,
}

impl From<AccountRow> for Account {
    fn from(row: AccountRow) -> Self {
        Account {
            id: row.id,
            email: row.email,
            is_operator: row.is_operator,
            quotas: Quotas {
                max_clusters: row.max_clusters as u32,
                max_segments_per_cluster: row.max_segments_per_cluster as u32,
            },
            created_at: row.created_at,
        }
    }
}

/// Shortest password we accept. Length matters more than character classes.
pub const MIN_PASSWORD_LEN: usize = 10;
/// Longest password we accept: bounds the work of hashing an attacker's input.
pub const MAX_PASSWORD_LEN: usize = 256;

/// Checks and normalises an email address: trimmed, lower-cased, `local@domain.tld`.
pub fn normalize_email(raw: &str) -> Result<String> {
    let email = raw.trim().to_lowercase();
    let invalid = || Error::Invalid("Enter a valid email address, like name@example.com.".into());
    if email.is_empty() || email.len() > 254 || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..");
    if local.is_empty() || local.len() > 64 || !domain_ok {
        return Err(invalid());
    }
    Ok(email)
}

/// Refuses passwords that are too short, too long, or trivially guessable.
pub fn check_password_strength(password: &str, email: &str) -> Result<()> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_LEN {
        return Err(Error::Invalid(format!("This password is too weak: use at least {MIN_PASSWORD_LEN} characters.")));
    }
    if chars > MAX_PASSWORD_LEN {
        return Err(Error::Invalid(format!("This password is too long: use at most {MAX_PASSWORD_LEN} characters.")));
    }
    let lowered = password.to_lowercase();
    let distinct = {
        let mut seen: Vec<char> = lowered.chars().collect();
        seen.sort_unstable();
        seen.dedup();
        seen.len()
    };
    let local_part = email.split('@').next().unwrap_or_default();
    let guessable = distinct < 4
        || COMMON_PASSWORDS.contains(&lowered.as_str())
        || (!local_part.is_empty() && lowered.contains(local_part) && local_part.len() * 2 >= chars)
        || is_sequence(&lowered);
    if guessable {
        return Err(Error::Invalid(
            "This password is too weak: it is easy to guess. Try a few unrelated words.".into(),
        ));
    }
    Ok(())
}

/// Passwords that pass the length rule but are among the first an attacker tries.
const COMMON_PASSWORDS: &[&str] = &[
    "1234567890",
    "0987654321",
    "password12",
    "password123",
    "password1234",
    "qwertyuiop",
    "1q2w3e4r5t",
    "iloveyou12",
    "letmein123",
    "welcome123",
    "administrator",
    "passw0rd123",
    "qwerty1234",
    "asdfghjkl1",
];

/// Whether the password is a run like "1234567890" or "abcdefghij".
fn is_sequence(password: &str) -> bool {
    let bytes = password.as_bytes();
    bytes.windows(2).all(|w| w[1] == w[0].wrapping_add(1)) || bytes.windows(2).all(|w| w[1] == w[0].wrapping_sub(1))
}

/// Hashes a password with argon2id. CPU-heavy: runs off the async executor.
pub async fn hash_password(password: String) -> Result<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|err| Error::Internal(format!("hashing a password: {err}")))
    })
    .await
    .map_err(|err| Error::Internal(format!("password hashing task: {err}")))?
}

/// Checks a password against a stored argon2 hash, off the async executor.
pub async fn verify_password(password: String, hash: String) -> Result<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|err| Error::Internal(format!("stored password hash: {err}")))?;
        Ok(Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .map_err(|err| Error::Internal(format!("password verification task: {err}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        assert_eq!(normalize_email("  Ada@Example.COM ").unwrap(), "ada@example.com");
    }

    #[test]
    fn malformed_emails_are_refused() {
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "a da@example.com",
            "ada@.com",
            "ada@example..com",
        ] {
            assert!(matches!(normalize_email(bad), Err(Error::Invalid(_))), "{bad:?} accepted");
        }
    }

    #[test]
    fn weak_passwords_are_refused_with_a_reason() {
        let email = "ada@example.com";
        for weak in ["short", "aaaaaaaaaaaa", "1234567890", "password123", "adaada1", "ababababab"] {
            let err = check_password_strength(weak, email).unwrap_err();
            assert!(err.to_string().contains("too weak"), "{weak:?}: {err}");
        }
        assert!(check_password_strength(&"x".repeat(300), email).unwrap_err().to_string().contains("too long"));
    }

    #[test]
    fn reasonable_passwords_pass() {
        for ok in ["correct horse battery", "Tr0ub4dor&3x", "blue-kettle-morning"] {
            check_password_strength(ok, "ada@example.com").unwrap();
        }
    }

    #[tokio::test]
    async fn hashes_verify_only_the_right_password() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery".into(), hash.clone()).await.unwrap());
        assert!(!verify_password("wrong horse battery".into(), hash).await.unwrap());
    }
}
