//! The files that set the docker CLI's environment, one per shell. Every value in them has
//! passed `validate`, so plain double quotes (or none) are enough.
//!
//! Each file finds the certificates in its own folder at the moment it is loaded, so the
//! bundle works wherever it was unpacked and from whatever directory it is loaded.

use crate::BundleInput;

/// `docker.env`, for bash and zsh (`source docker.env`).
///
/// `DOCKER_CERT_PATH` is the physical directory of the sourced file: bash names it in
/// `BASH_SOURCE`, zsh in the `%x` prompt escape. The `cd` runs in a subshell, with CDPATH
/// unset (a CDPATH entry could otherwise win over a relative directory), as a builtin
/// (users' `cd` functions may print or jump elsewhere) and with its output discarded
/// (`CDPATH` hits and zsh `chpwd` hooks print), so only `pwd -P` reaches the variable.
pub(crate) fn docker_env(input: &BundleInput<'_>) -> String {
    format!(
        r#"# Docker CLI settings for the Carina cluster "{name}".
# Load them into bash or zsh, from any directory:  source path/to/docker.env
export DOCKER_HOST="{host}"
export DOCKER_TLS_VERIFY=1
# The certificates are the files beside this one, wherever the bundle was unpacked.
export DOCKER_CERT_PATH="$(unset CDPATH; builtin cd -- "$(dirname -- "${{BASH_SOURCE[0]:-${{(%):-%x}}}}")" >/dev/null 2>&1 && builtin pwd -P)"
export DOCKER_VERSION="{version}"
export CARINA_CLUSTER_NAME="{name}"
"#,
        name = input.cluster_name,
        host = input.docker_host,
        version = input.docker_version,
    )
}

/// `docker.fish` (`source docker.fish`): `status -f` names the file being sourced, and
/// `realpath` makes its folder absolute (it may have been sourced by a relative path).
pub(crate) fn docker_fish(input: &BundleInput<'_>) -> String {
    format!(
        r#"# Docker CLI settings for the Carina cluster "{name}".
# Load them into fish, from any directory:  source path/to/docker.fish
set -gx DOCKER_HOST "{host}"
set -gx DOCKER_TLS_VERIFY 1
set -gx DOCKER_CERT_PATH (realpath (dirname (status -f)))
set -gx DOCKER_VERSION "{version}"
set -gx CARINA_CLUSTER_NAME "{name}"
"#,
        name = input.cluster_name,
        host = input.docker_host,
        version = input.docker_version,
    )
}

/// `docker.ps1` (`. .\docker.ps1`): `$PSScriptRoot` is the script's own folder.
pub(crate) fn docker_ps1(input: &BundleInput<'_>) -> String {
    format!(
        r#"# Docker CLI settings for the Carina cluster "{name}".
# Load them into PowerShell, from any directory:  . path\to\docker.ps1
$env:DOCKER_HOST="{host}"
$env:DOCKER_TLS_VERIFY="1"
$env:DOCKER_CERT_PATH=$PSScriptRoot
$env:DOCKER_VERSION="{version}"
$env:CARINA_CLUSTER_NAME="{name}"
"#,
        name = input.cluster_name,
        host = input.docker_host,
        version = input.docker_version,
    )
}

/// `docker.cmd` (run it in cmd.exe): `%~dp0` is the script's own folder (with a trailing
/// backslash, which docker accepts). `set "X=..."` keeps spaces and `&` in that path
/// literal. CRLF line endings, as cmd.exe expects.
pub(crate) fn docker_cmd(input: &BundleInput<'_>) -> String {
    let lines = [
        "@echo off".to_string(),
        format!("REM Docker CLI settings for the Carina cluster \"{}\". Run this file in cmd.exe.", input.cluster_name),
        format!("set \"DOCKER_HOST={}\"", input.docker_host),
        "set \"DOCKER_TLS_VERIFY=1\"".to_string(),
        "set \"DOCKER_CERT_PATH=%~dp0\"".to_string(),
        format!("set \"DOCKER_VERSION={}\"", input.docker_version),
        format!("set \"CARINA_CLUSTER_NAME={}\"", input.cluster_name),
    ];
    let mut out = lines.join("\r\n");
    out.push_str("\r\n");
    out
}
