//! Where `carina` keeps things, and the settings `carina login` saves.
//!
//! Everything lives under `CARINA_HOME` when it is set (as Carina's CLI had it);
//! otherwise the settings are in `$XDG_CONFIG_HOME/carina/config.json` (or
//! `~/.config/...`) and downloaded credentials in `$XDG_DATA_HOME/carina/clusters/`
//! (or `~/.local/share/...`).

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{CliError, Result};

/// The panel address used when nothing else says.
pub const DEFAULT_URL: &str = "http://127.0.0.1:3000";

/// What `carina login` saves.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Saved {
    pub url: Option<String>,
    pub apikey: Option<String>,
    pub email: Option<String>,
}

/// The folders `carina` uses, from the environment.
#[derive(Clone, Debug, PartialEq)]
pub struct Dirs {
    pub config_file: PathBuf,
    pub clusters: PathBuf,
}

impl Dirs {
    /// From the process environment.
    pub fn from_env() -> Result<Dirs> {
        Dirs::from_vars(|name| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from))
    }

    /// From variables looked up with `var` (tests pass their own).
    pub fn from_vars(var: impl Fn(&str) -> Option<PathBuf>) -> Result<Dirs> {
        if let Some(home) = var("CARINA_HOME") {
            return Ok(Dirs { config_file: home.join("config.json"), clusters: home.join("clusters") });
        }
        let home =
            || var("HOME").ok_or_else(|| CliError::usage("Set HOME or CARINA_HOME: carina keeps its settings there."));
        let config = match var("XDG_CONFIG_HOME") {
            Some(dir) => dir,
            None => home()?.join(".config"),
        };
        let data = match var("XDG_DATA_HOME") {
            Some(dir) => dir,
            None => home()?.join(".local/share"),
        };
        Ok(Dirs { config_file: config.join("carina/config.json"), clusters: data.join("carina/clusters") })
    }

    /// Where `carina env` keeps a cluster's credentials.
    pub fn cluster_dir(&self, name: &str) -> PathBuf {
        self.clusters.join(name)
    }
}

impl Saved {
    /// The saved settings, or none if there are none yet.
    pub fn load(path: &Path) -> Result<Saved> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| CliError::usage(format!("{} is not valid: {e}. Run carina login again.", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
            Err(e) => Err(CliError::io(path, e)),
        }
    }

    /// Saves the settings, readable by the user only (it holds a key).
    pub fn save(&self, path: &Path) -> Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CliError::io(dir, e))?;
        }
        let tmp = path.with_extension("json.tmp");
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(|e| CliError::io(&tmp, e))?;
        let text = serde_json::to_string_pretty(self).expect("settings serialize");
        file.write_all(text.as_bytes()).map_err(|e| CliError::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| CliError::io(path, e))
    }
}

/// The URL and key to use: flags and environment first, then the saved settings.
pub fn resolve(url: Option<String>, apikey: Option<String>, saved: &Saved) -> (String, Option<String>) {
    let url = url.or_else(|| saved.url.clone()).unwrap_or_else(|| DEFAULT_URL.to_owned());
    (url.trim_end_matches('/').to_owned(), apikey.or_else(|| saved.apikey.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<PathBuf> {
        let pairs: Vec<(String, PathBuf)> = pairs.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    #[test]
    fn carina_home_holds_everything() {
        let dirs = Dirs::from_vars(vars(&[("CARINA_HOME", "/c"), ("HOME", "/h")])).unwrap();
        assert_eq!(dirs.config_file, Path::new("/c/config.json"));
        assert_eq!(dirs.cluster_dir("web"), Path::new("/c/clusters/web"));
    }

    #[test]
    fn otherwise_the_xdg_folders() {
        let dirs = Dirs::from_vars(vars(&[("HOME", "/h")])).unwrap();
        assert_eq!(dirs.config_file, Path::new("/h/.config/carina/config.json"));
        assert_eq!(dirs.clusters, Path::new("/h/.local/share/carina/clusters"));
        let dirs = Dirs::from_vars(vars(&[("HOME", "/h"), ("XDG_CONFIG_HOME", "/x")])).unwrap();
        assert_eq!(dirs.config_file, Path::new("/x/carina/config.json"));
        assert!(Dirs::from_vars(vars(&[])).is_err());
    }

    #[test]
    fn flags_win_over_saved_settings() {
        let saved = Saved { url: Some("http://saved/".into()), apikey: Some("k1".into()), email: None };
        assert_eq!(resolve(None, None, &saved), ("http://saved".into(), Some("k1".into())));
        assert_eq!(
            resolve(Some("http://flag".into()), Some("k2".into()), &saved),
            ("http://flag".into(), Some("k2".into()))
        );
        assert_eq!(resolve(None, None, &Saved::default()), (DEFAULT_URL.into(), None));
    }

    #[test]
    fn settings_are_saved_for_the_user_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.json");
        assert_eq!(Saved::load(&path).unwrap(), Saved::default());
        let saved = Saved { url: Some("http://x".into()), apikey: Some("carina_k".into()), email: Some("a@b".into()) };
        saved.save(&path).unwrap();
        assert_eq!(Saved::load(&path).unwrap(), saved);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
}
