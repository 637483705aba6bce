//! `docker.env` sets DOCKER_CERT_PATH to the physical folder it lives in, whichever way it
//! is sourced and from whichever directory. Runs the real bash (and zsh and fish where
//! installed; `docker.fish` is checked there too).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use bundle::build_zip;
use common::input;

/// Unpacks the bundle under `parent` (which may contain spaces) and returns the bundle's
/// folder, canonical.
fn unpack(parent: &Path) -> PathBuf {
    std::fs::create_dir_all(parent).unwrap();
    let bytes = build_zip(&input()).unwrap();
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap().extract(parent).unwrap();
    parent.join("web-1").canonicalize().unwrap()
}

/// Runs `script` in `shell -c`, in a clean environment, and returns its stdout.
fn run(shell: &str, script: &str) -> String {
    let out = Command::new(shell)
        .arg("-c")
        .arg(script)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", "/nonexistent")
        .output()
        .expect("the shell runs");
    assert!(out.status.success(), "{shell} -c {script:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Single-quotes a path for a POSIX-like shell.
fn q(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "'\\''"))
}

/// Every way of sourcing the file that users type, checked in `shell`.
fn check_shell(shell: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("unpacked here");
    let dir = unpack(&parent);
    let want = format!("{}\n", dir.display());
    let env = dir.join("docker.env");
    let print = "printf '%s\\n' \"$DOCKER_CERT_PATH\"";

    // Absolute path, `source` and `.`, from `/`.
    assert_eq!(run(shell, &format!("cd / && source {} && {print}", q(&env))), want);
    assert_eq!(run(shell, &format!("cd / && . {} && {print}", q(&env))), want);
    // Relative paths, from the parent and from the folder itself.
    assert_eq!(run(shell, &format!("cd {} && source web-1/docker.env && {print}", q(&parent))), want);
    assert_eq!(run(shell, &format!("cd {} && source ./docker.env && {print}", q(&dir))), want);
    assert_eq!(run(shell, &format!("cd {} && source ../web-1/docker.env && {print}", q(&dir))), want);
    // From a working directory reached through a symlink, and through a symlinked folder.
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&parent, &link).unwrap();
    assert_eq!(run(shell, &format!("cd {} && source web-1/docker.env && {print}", q(&link))), want);
    assert_eq!(run(shell, &format!("cd / && source {}/web-1/docker.env && {print}", q(&link))), want);
    // A CDPATH with a decoy `web-1`, a `cd` that prints, and `set -u` change nothing.
    let decoy = tmp.path().join("decoy");
    std::fs::create_dir_all(decoy.join("web-1")).unwrap();
    let hostile = format!(
        "set -u; CDPATH={}; cd() {{ echo noise; builtin cd \"$@\"; }}; cd {} && source web-1/docker.env && {print}",
        q(&decoy),
        q(&parent)
    );
    assert_eq!(run(shell, &hostile).lines().last().unwrap(), want.trim_end());

    // The other variables.
    let all = run(
        shell,
        &format!(
            "cd / && source {} && printf '%s|%s|%s|%s\\n' \"$DOCKER_HOST\" \"$DOCKER_TLS_VERIFY\" \"$DOCKER_VERSION\" \"$CARINA_CLUSTER_NAME\"",
            q(&env)
        ),
    );
    assert_eq!(all, "tcp://192.0.2.10:2376|1|20.10.24|web-1\n");
    // The certificates really are there.
    let ls = run(shell, &format!("cd / && source {} && ls \"$DOCKER_CERT_PATH\"/*.pem | wc -l", q(&env)));
    assert_eq!(ls.trim(), "3");
}

#[test]
fn bash_finds_the_certificates_wherever_docker_env_is_sourced_from() {
    check_shell("bash");
}

#[test]
fn zsh_finds_the_certificates_too_where_installed() {
    if Command::new("zsh").arg("-c").arg("true").output().is_err() {
        eprintln!("zsh not installed: skipping");
        return;
    }
    check_shell("zsh");
}

#[test]
fn fish_finds_the_certificates_too_where_installed() {
    if Command::new("fish").arg("-c").arg("true").output().is_err() {
        eprintln!("fish not installed: skipping");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let parent = tmp.path().join("unpacked here");
    let dir = unpack(&parent);
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&parent, &link).unwrap();
    let want = format!("{}\n", dir.display());
    let print = "; and printf '%s\\n' $DOCKER_CERT_PATH";
    for script in [
        format!("cd /; and source {}/docker.fish{print}", q(&dir)),
        format!("cd {}; and source web-1/docker.fish{print}", q(&link)),
        format!("cd {}; and source ./docker.fish{print}", q(&dir)),
    ] {
        assert_eq!(run("fish", &script), want, "{script}");
    }
    let all = run(
        "fish",
        &format!(
            "source {}/docker.fish; and printf '%s|%s|%s|%s\\n' $DOCKER_HOST $DOCKER_TLS_VERIFY $DOCKER_VERSION $CARINA_CLUSTER_NAME",
            q(&dir)
        ),
    );
    assert_eq!(all, "tcp://192.0.2.10:2376|1|20.10.24|web-1\n");
}
