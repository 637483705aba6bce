//! Credentials bundles on disk: unpacking the zip, and what `carina env` prints.

use std::io::{Cursor, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Component, Path, PathBuf};

use crate::args::Shell;
use crate::error::{CliError, Result};

/// The file in a credentials folder naming the cluster (its id) and the bundle (its id)
/// the folder holds, so that `carina env` notices a cluster deleted and made again under
/// the same name, or a revoked bundle.
pub const ID_FILE: &str = ".carina-bundle";

/// Unpacks a credentials zip (`<name>/ca.pem`, ...) into `dir` itself: the files of the
/// zip's one folder go straight into `dir`, readable by the user only. Nothing outside
/// `dir` is ever written, whatever the zip says.
pub fn unpack(zip: &[u8], dir: &Path) -> Result<Vec<PathBuf>> {
    let bad = |why: String| CliError::service(format!("The credentials zip is not valid: {why}"));
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).map_err(|e| bad(e.to_string()))?;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| CliError::io(dir, e))?;
    let mut written = Vec::new();
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(|e| bad(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let inner = entry.enclosed_name().ok_or_else(|| bad(format!("unsafe path {:?}", entry.name())))?;
        // Drop the zip's top folder (`<name>/`), keep the rest as it is.
        let relative: PathBuf = inner.components().skip(1).collect();
        if relative.as_os_str().is_empty() || relative.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(bad(format!("unexpected entry {:?}", entry.name())));
        }
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| bad(e.to_string()))?;
        let path = dir.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(parent)
                .map_err(|e| CliError::io(parent, e))?;
        }
        let _ = std::fs::remove_file(&path);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| CliError::io(&path, e))?;
        file.write_all(&bytes).map_err(|e| CliError::io(&path, e))?;
        written.push(path);
    }
    if !dir.join("docker.env").is_file() || !dir.join("ca.pem").is_file() {
        return Err(bad("it has no docker.env or ca.pem".into()));
    }
    Ok(written)
}

/// The id of the bundle `dir` holds, if it holds a whole one for the cluster with this id.
pub fn bundle_in(dir: &Path, cluster_id: &str) -> Option<String> {
    let files_there = ["ca.pem", "cert.pem", "key.pem", "docker.env"].iter().all(|f| dir.join(f).is_file());
    let marker = std::fs::read_to_string(dir.join(ID_FILE)).ok()?;
    let mut lines = marker.lines();
    let (cluster, bundle) = (lines.next()?.trim(), lines.next().unwrap_or_default().trim());
    (files_there && cluster == cluster_id).then(|| bundle.to_owned())
}

/// Records which cluster and bundle `dir` holds.
pub fn mark(dir: &Path, cluster_id: &str, bundle_id: &str) -> Result<()> {
    let path = dir.join(ID_FILE);
    std::fs::write(&path, format!("{cluster_id}\n{bundle_id}\n")).map_err(|e| CliError::io(&path, e))
}

/// Removes a credentials folder, only if it looks like one (Carina's CLI checked for
/// `ca.pem` the same way), so that a wrong `--path` never deletes anything else.
pub fn remove(dir: &Path) -> Result<bool> {
    if !dir.join("ca.pem").is_file() || !dir.join("docker.env").is_file() {
        return Ok(false);
    }
    std::fs::remove_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
    Ok(true)
}

/// What `carina env` prints: the command that loads the bundle's settings into `shell`,
/// then how to run it.
pub fn env_script(shell: Shell, dir: &Path, name: &str) -> String {
    let path = |file: &str| dir.join(file).display().to_string();
    match shell {
        Shell::Bash => format!("source {}\n# Run this command to configure your shell:\n# eval $(carina env {name})\n", sh_quote(&path("docker.env"))),
        Shell::Fish => format!("source {}\n# Run this command to configure your shell:\n# eval (carina env {name} --shell fish)\n", sh_quote(&path("docker.fish"))),
        Shell::Powershell => format!(
            ". \"{}\"\n# Run this command to configure your shell:\n# carina env {name} --shell powershell | Invoke-Expression\n",
            path("docker.ps1").replace('"', "`\"")
        ),
        Shell::Cmd => format!(
            "CALL \"{}\"\nREM Run this command to configure your shell:\nREM @FOR /f \"tokens=*\" %i IN ('carina env {name} --shell cmd') DO @%i\n",
            path("docker.cmd")
        ),
    }
}

/// A word for sh-like shells, single-quoted when it needs to be.
fn sh_quote(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "/._-+:@%".contains(c)) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
        let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in files {
            out.start_file(*name, zip::write::SimpleFileOptions::default()).unwrap();
            out.write_all(text.as_bytes()).unwrap();
        }
        out.finish().unwrap().into_inner()
    }

    #[test]
    fn a_bundle_unpacks_into_the_folder_for_the_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("web");
        let zip = zip_of(&[("web/ca.pem", "CA"), ("web/cert.pem", "C"), ("web/key.pem", "K"), ("web/docker.env", "E")]);
        assert_eq!(unpack(&zip, &target).unwrap().len(), 4);
        assert_eq!(std::fs::read_to_string(target.join("ca.pem")).unwrap(), "CA");
        assert_eq!(std::fs::metadata(target.join("key.pem")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(bundle_in(&target, "id-1"), None);
        mark(&target, "id-1", "b-1").unwrap();
        assert_eq!(bundle_in(&target, "id-1").as_deref(), Some("b-1"));
        assert_eq!(bundle_in(&target, "id-2"), None);
        // Unpacking again replaces the files.
        unpack(&zip_of(&[("web/ca.pem", "CA2"), ("web/docker.env", "E")]), &target).unwrap();
        assert_eq!(std::fs::read_to_string(target.join("ca.pem")).unwrap(), "CA2");
        assert!(remove(&target).unwrap());
        assert!(!target.exists());
    }

    #[test]
    fn nothing_is_written_outside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("web");
        assert!(unpack(&zip_of(&[("web/../../evil", "x")]), &target).is_err());
        assert!(unpack(&zip_of(&[("loose-file", "x")]), &target).is_err());
        assert!(unpack(b"not a zip", &target).is_err());
        assert!(!dir.path().join("evil").exists());
        // A folder that is not a bundle is never removed.
        std::fs::create_dir_all(dir.path().join("mine")).unwrap();
        assert!(!remove(&dir.path().join("mine")).unwrap());
        assert!(dir.path().join("mine").exists());
    }

    #[test]
    fn env_prints_what_each_shell_evaluates() {
        let dir = Path::new("/home/ada/.local/share/carina/clusters/web");
        let bash = env_script(Shell::Bash, dir, "web");
        assert!(bash.starts_with("source /home/ada/.local/share/carina/clusters/web/docker.env\n# "), "{bash}");
        assert!(bash.contains("# eval $(carina env web)"));
        assert!(env_script(Shell::Fish, dir, "web")
            .starts_with("source /home/ada/.local/share/carina/clusters/web/docker.fish\n"));
        assert!(env_script(Shell::Powershell, dir, "web").starts_with(". \"/home/ada/"));
        assert!(env_script(Shell::Cmd, dir, "web").starts_with("CALL \""));
        let spaced = env_script(Shell::Bash, Path::new("/tmp/my dir's"), "web");
        assert!(spaced.starts_with("source '/tmp/my dir'\\''s/docker.env'\n"), "{spaced}");
    }
}
