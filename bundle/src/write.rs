//! Assembling the zip.

use std::io::{Cursor, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipWriter};

use crate::readme::readme;
use crate::scripts::{docker_cmd, docker_env, docker_fish, docker_ps1};
use crate::validate::check_input;
use crate::{BundleError, BundleInput};

/// Unix mode of the folder: only its owner may list or enter it.
const DIR_MODE: u32 = 0o700;
/// Unix mode of the certificates and the key: owner-only, as docker and ssh-like tools like.
const SECRET_MODE: u32 = 0o600;
/// Unix mode of the settings files and the README.
const PLAIN_MODE: u32 = 0o644;

/// Builds the bundle: a zip holding one folder named after the cluster with `ca.pem`,
/// `cert.pem`, `key.pem` (mode 0600), `docker.env`, `docker.fish`, `docker.ps1`,
/// `docker.cmd` and `README.md`. The caller names the download `<cluster_name>.zip`.
///
/// Every input is checked first (see [`crate::check_cluster_name`]); the certificates must
/// be PEM certificates holding no private key.
pub fn build_zip(input: &BundleInput<'_>) -> Result<Vec<u8>, BundleError> {
    check_input(input)?;
    let dir = input.cluster_name;
    let files: [(&str, String, u32); 8] = [
        ("ca.pem", input.ca_pem.to_string(), SECRET_MODE),
        ("cert.pem", input.cert_pem.to_string(), SECRET_MODE),
        ("key.pem", input.key_pem.to_string(), SECRET_MODE),
        ("docker.env", docker_env(input), PLAIN_MODE),
        ("docker.fish", docker_fish(input), PLAIN_MODE),
        ("docker.ps1", docker_ps1(input), PLAIN_MODE),
        ("docker.cmd", docker_cmd(input), PLAIN_MODE),
        ("README.md", readme(input), PLAIN_MODE),
    ];

    let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    zip.add_directory(format!("{dir}/"), options.unix_permissions(DIR_MODE))?;
    for (name, contents, mode) in files {
        zip.start_file(format!("{dir}/{name}"), options.unix_permissions(mode))?;
        zip.write_all(contents.as_bytes())?;
    }
    Ok(zip.finish()?.into_inner())
}
