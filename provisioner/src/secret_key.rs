//! The secret key that seals private keys at rest: cluster CA keys are stored encrypted
//! (ChaCha20-Poly1305) under a key that lives in a file outside the database, so a copy of
//! the database alone mints no certificate.
//!
//! A sealed value is `sealed:v1:<key id>:<base64url(nonce | ciphertext | tag)>`. The key
//! id (a hash prefix of the key, which reveals nothing of it) lets a wrong key file be
//! told apart from damaged data. Each value is bound to where it is stored (the
//! "context", e.g. the cluster id) as associated data: a sealed CA key copied into another
//! cluster's row does not open there.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use sha2::{Digest, Sha256};

/// What every sealed value starts with.
const PREFIX: &str = "sealed:v1:";

/// Bytes in a key.
const KEY_LEN: usize = 32;

/// Why a key file or a sealed value could not be used. The messages are for operators.
#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    /// The key file could not be read.
    #[error("reading the secret key file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The key file could not be created.
    #[error("creating the secret key file {path}: {source}")]
    Create { path: PathBuf, source: std::io::Error },
    /// The key file does not hold a key.
    #[error("the secret key file {path} must hold one line of 64 hex digits (a 32-byte key)")]
    Format { path: PathBuf },
    /// The key file may be read by other users.
    #[error("the secret key file {path} is readable by other users (mode {mode:o}): run `chmod 600` on it")]
    Permissions { path: PathBuf, mode: u32 },
    /// The database holds sealed values but there is no key file to open them.
    #[error(
        "the database holds sealed CA keys but the secret key file {path} does not exist: restore it from \
         your backup or point --secret-key-file at it (a new key could not open them)"
    )]
    Missing { path: PathBuf },
    /// The value was sealed with another key.
    #[error(
        "a CA key in the database is sealed with secret key {sealed_with}, but the key in use is {in_use}: \
         start with the key file the database was sealed with (--secret-key-file)"
    )]
    WrongKey { sealed_with: String, in_use: String },
    /// The value was sealed with this key but does not decrypt: altered, or moved.
    #[error("a sealed value ({context}) does not decrypt with secret key {in_use}: it was altered or moved")]
    Corrupt { context: String, in_use: String },
    /// The value is not in the sealed format at all.
    #[error("a value ({context}) is not sealed")]
    NotSealed { context: String },
}

/// A 32-byte key for sealing values at rest.
pub struct SecretKey {
    key: LessSafeKey,
    id: String,
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl SecretKey {
    /// A new random key, in memory only (tests, or before writing it with [`Self::create`]).
    pub fn generate() -> SecretKey {
        let mut bytes = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        SecretKey::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8; KEY_LEN]) -> SecretKey {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, bytes).expect("a 32-byte key fits ChaCha20-Poly1305");
        let digest = Sha256::new().chain_update(b"carina secret key id\0").chain_update(bytes).finalize();
        SecretKey { key: LessSafeKey::new(unbound), id: hex::encode(&digest[..4]) }
    }

    /// Reads a key file: 64 hex digits, readable by its owner only.
    pub fn load(path: &Path) -> Result<SecretKey, SecretKeyError> {
        let read = |source| SecretKeyError::Read { path: path.to_owned(), source };
        let meta = std::fs::metadata(path).map_err(read)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(SecretKeyError::Permissions { path: path.to_owned(), mode });
            }
        }
        #[cfg(not(unix))]
        let _ = meta;
        let text = std::fs::read_to_string(path).map_err(read)?;
        let mut bytes = [0u8; KEY_LEN];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| SecretKeyError::Format { path: path.to_owned() })?;
        Ok(SecretKey::from_bytes(&bytes))
    }

    /// Makes a new key and writes it to a new file (mode 0600); refuses to overwrite one.
    pub fn create(path: &Path) -> Result<SecretKey, SecretKeyError> {
        let create = |source| SecretKeyError::Create { path: path.to_owned(), source };
        let mut bytes = [0u8; KEY_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(create)?;
        file.write_all(format!("{}\n", hex::encode(bytes)).as_bytes()).map_err(create)?;
        // On disk before anything is sealed with it.
        file.sync_all().map_err(create)?;
        Ok(SecretKey::from_bytes(&bytes))
    }

    /// Reads the key file, or creates it if it does not exist.
    pub fn load_or_create(path: &Path) -> Result<SecretKey, SecretKeyError> {
        match SecretKey::create(path) {
            Err(SecretKeyError::Create { source, .. }) if source.kind() == std::io::ErrorKind::AlreadyExists => {
                SecretKey::load(path)
            }
            other => other,
        }
    }

    /// A short public name of the key (8 hex digits), shown in errors and logs.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Encrypts `plaintext`, bound to `context` (where the value is stored).
    pub fn seal(&self, plaintext: &str, context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        // Random nonces: 96 bits leave no realistic chance of a repeat for the few
        // thousand values one installation seals.
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let mut in_out = plaintext.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut in_out)
            .expect("sealing fails only for inputs of gigabytes");
        let mut blob = nonce.to_vec();
        blob.extend_from_slice(&in_out);
        format!("{PREFIX}{}:{}", self.id, URL_SAFE_NO_PAD.encode(blob))
    }

    /// Decrypts a value sealed with this key under the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, SecretKeyError> {
        let not_sealed = || SecretKeyError::NotSealed { context: context.to_owned() };
        let corrupt = || SecretKeyError::Corrupt { context: context.to_owned(), in_use: self.id.clone() };
        let key_id = sealed_key_id(sealed).ok_or_else(not_sealed)?;
        if key_id != self.id {
            return Err(SecretKeyError::WrongKey { sealed_with: key_id.to_owned(), in_use: self.id.clone() });
        }
        let body = &sealed[PREFIX.len() + key_id.len() + 1..];
        let mut blob = URL_SAFE_NO_PAD.decode(body).map_err(|_| corrupt())?;
        if blob.len() < NONCE_LEN {
            return Err(corrupt());
        }
        let mut in_out = blob.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&blob).map_err(|_| corrupt())?;
        let plain = self.key.open_in_place(nonce, Aad::from(context.as_bytes()), &mut in_out).map_err(|_| corrupt())?;
        String::from_utf8(plain.to_vec()).map_err(|_| corrupt())
    }
}

/// The id of the key a value was sealed with; `None` if it is not a sealed value.
pub fn sealed_key_id(value: &str) -> Option<&str> {
    let rest = value.strip_prefix(PREFIX)?;
    let (id, _) = rest.split_once(':')?;
    (id.len() == 8 && id.bytes().all(|b| b.is_ascii_hexdigit())).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEM: &str = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMG\n-----END PRIVATE KEY-----\n";

    #[test]
    fn a_sealed_value_opens_with_its_key_and_context_only() {
        let key = SecretKey::generate();
        let sealed = key.seal(PEM, "cluster-a");
        assert!(sealed.starts_with(&format!("sealed:v1:{}:", key.id())));
        assert!(!sealed.contains("PRIVATE KEY"));
        assert_ne!(sealed, key.seal(PEM, "cluster-a"), "a fresh nonce every time");
        assert_eq!(key.open(&sealed, "cluster-a").unwrap(), PEM);
        assert!(matches!(key.open(&sealed, "cluster-b"), Err(SecretKeyError::Corrupt { .. })));
        let other = SecretKey::generate();
        let err = other.open(&sealed, "cluster-a").unwrap_err();
        assert!(matches!(err, SecretKeyError::WrongKey { .. }));
        assert!(err.to_string().contains(key.id()) && err.to_string().contains(other.id()), "{err}");
        assert!(matches!(key.open(PEM, "cluster-a"), Err(SecretKeyError::NotSealed { .. })));
    }

    #[test]
    fn tampering_is_detected() {
        let key = SecretKey::generate();
        let sealed = key.seal(PEM, "c");
        let mut bytes = sealed.into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(matches!(key.open(&tampered, "c"), Err(SecretKeyError::Corrupt { .. })));
        let cut = format!("sealed:v1:{}:AAAA", key.id());
        assert!(matches!(key.open(&cut, "c"), Err(SecretKeyError::Corrupt { .. })));
    }

    #[test]
    fn key_files_are_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let created = SecretKey::load_or_create(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let again = SecretKey::load_or_create(&path).unwrap();
        assert_eq!(created.id(), again.id());
        assert_eq!(again.open(&created.seal(PEM, "c"), "c").unwrap(), PEM);
        assert!(matches!(SecretKey::create(&path), Err(SecretKeyError::Create { .. })), "never overwritten");
    }

    #[test]
    fn bad_key_files_are_refused_clearly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        assert!(matches!(SecretKey::load(&path), Err(SecretKeyError::Read { .. })));
        std::fs::write(&path, "not hex\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            assert!(matches!(SecretKey::load(&path), Err(SecretKeyError::Format { .. })));
            std::fs::write(&path, format!("{}\n", "ab".repeat(32))).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = SecretKey::load(&path).unwrap_err();
            assert!(err.to_string().contains("chmod 600"), "{err}");
        }
    }
}
