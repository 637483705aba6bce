//! Checks on [`BundleInput`]: the values end up in file names and in four shell languages,
//! so only plain characters are allowed, and a private key must never pass for a
//! certificate.

use crate::{BundleError, BundleInput};

/// Device names Windows refuses as file or folder names, whatever the extension.
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8", "com9", "lpt1", "lpt2",
    "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

fn invalid(field: &'static str, value: &str, reason: &'static str) -> BundleError {
    BundleError::Invalid { field, value: value.to_string(), reason }
}

/// Checks that a cluster name is safe as a folder name on Linux, macOS and Windows, and
/// inside double quotes in every shell file: 1 to 64 ASCII letters, digits, `-`, `_` or
/// `.`, starting and ending with a letter or digit, and not a Windows device name.
pub fn check_cluster_name(name: &str) -> Result<(), BundleError> {
    let field = "cluster_name";
    if name.is_empty() || name.len() > 64 {
        return Err(invalid(field, name, "must be 1 to 64 characters"));
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')) {
        return Err(invalid(field, name, "only ASCII letters, digits, '-', '_' and '.' are allowed"));
    }
    let edge_ok = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    if !edge_ok(name.as_bytes().first()) || !edge_ok(name.as_bytes().last()) {
        return Err(invalid(field, name, "must start and end with a letter or digit"));
    }
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    if WINDOWS_RESERVED.contains(&stem.as_str()) {
        return Err(invalid(field, name, "is a reserved device name on Windows"));
    }
    Ok(())
}

/// `tcp://host:port`, with a host of letters, digits, `.`, `-` or a bracketed IPv6 address.
fn check_docker_host(host: &str) -> Result<(), BundleError> {
    let field = "docker_host";
    let Some(rest) = host.strip_prefix("tcp://") else {
        return Err(invalid(field, host, "must start with tcp://"));
    };
    let Some((name, port)) = rest.rsplit_once(':') else {
        return Err(invalid(field, host, "must end with :port"));
    };
    if port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid(field, host, "the port must be a number"));
    }
    let name_ok = match name.strip_prefix('[').and_then(|n| n.strip_suffix(']')) {
        Some(v6) => !v6.is_empty() && v6.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.'),
        None => !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-'),
    };
    if !name_ok {
        return Err(invalid(field, host, "the host must be a DNS name or an IP address"));
    }
    Ok(())
}

/// A version string such as `20.10.24` or `20.10.24+dfsg1`.
fn check_docker_version(version: &str) -> Result<(), BundleError> {
    let ok = !version.is_empty()
        && version.len() <= 64
        && version.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'+' | b'~'));
    if !ok {
        return Err(invalid(
            "docker_version",
            version,
            "only ASCII letters, digits, '.', '-', '+' and '~' are allowed",
        ));
    }
    Ok(())
}

/// A PEM certificate, and nothing secret alongside it: a CA key handed in by mistake must
/// not end up in a download.
fn check_certificate(field: &'static str, pem: &str) -> Result<(), BundleError> {
    if !pem.trim_start().starts_with("-----BEGIN CERTIFICATE-----") {
        return Err(invalid(field, "<not shown>", "must be a PEM certificate"));
    }
    if pem.contains("PRIVATE KEY") {
        return Err(invalid(field, "<not shown>", "must not contain a private key"));
    }
    Ok(())
}

/// A PEM private key.
fn check_key(pem: &str) -> Result<(), BundleError> {
    let trimmed = pem.trim_start();
    if !(trimmed.starts_with("-----BEGIN ") && trimmed.contains("PRIVATE KEY-----")) {
        return Err(invalid("key_pem", "<key>", "must be a PEM private key"));
    }
    Ok(())
}

/// Checks every field of a bundle input.
pub(crate) fn check_input(input: &BundleInput<'_>) -> Result<(), BundleError> {
    check_cluster_name(input.cluster_name)?;
    check_docker_host(input.docker_host)?;
    check_docker_version(input.docker_version)?;
    check_certificate("ca_pem", input.ca_pem)?;
    check_certificate("cert_pem", input.cert_pem)?;
    check_key(input.key_pem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_names() {
        for ok in ["web", "my-cluster_2", "a", "v1.2", "Prod01"] {
            assert!(check_cluster_name(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in [
            "", ".", "..", "../x", "a/b", "a\\b", "-x", "x-", ".hidden", "x.", "a b", "né", "con", "CON", "nul.txt",
            "Com1", "lpt9", "a\"b", "a$b", "a%b", &long,
        ] {
            assert!(check_cluster_name(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn docker_hosts() {
        for ok in ["tcp://10.0.0.1:2376", "tcp://ep.example.org:443", "tcp://[fd00::1]:2376"] {
            assert!(check_docker_host(ok).is_ok(), "{ok}");
        }
        for bad in [
            "10.0.0.1:2376",
            "unix:///var/run/docker.sock",
            "tcp://10.0.0.1",
            "tcp://:2376",
            "tcp://10.0.0.1:x",
            "tcp://a$(b):1",
            "tcp://a\"b:1",
            "tcp://[]:1",
            "tcp://host:123456",
        ] {
            assert!(check_docker_host(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn docker_versions() {
        assert!(check_docker_version("20.10.24").is_ok());
        assert!(check_docker_version("20.10.24+dfsg1").is_ok());
        for bad in ["", "1 2", "1;2", "$(x)", "1\n2"] {
            assert!(check_docker_version(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn pems() {
        let cert = "-----BEGIN CERTIFICATE-----\nAA\n-----END CERTIFICATE-----\n";
        let key = "-----BEGIN PRIVATE KEY-----\nAA\n-----END PRIVATE KEY-----\n";
        let ec_key = "-----BEGIN EC PRIVATE KEY-----\nAA\n-----END EC PRIVATE KEY-----\n";
        assert!(check_certificate("ca_pem", cert).is_ok());
        assert!(check_certificate("ca_pem", key).is_err());
        assert!(check_certificate("ca_pem", &format!("{cert}{key}")).is_err());
        assert!(check_key(key).is_ok());
        assert!(check_key(ec_key).is_ok());
        assert!(check_key(cert).is_err());
        // Errors never echo a key.
        let err = check_key("-----BEGIN SECRET-----").unwrap_err().to_string();
        assert!(!err.contains("SECRET"), "{err}");
    }
}
