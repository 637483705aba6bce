//! The host-side symlink rule for bind mounts: a tenant can plant `x -> /` inside a
//! volume and then bind `/var/lib/docker/volumes/v/_data/x`; the lexical policy check
//! cannot see that, so every existing component below `/var/lib/docker` is checked on the
//! segment's real directory.

use std::path::{Path, PathBuf};

use crate::error::ApiError;
use crate::request::policy_gate;
use crate::request::{ApiRequest, RequestContext};
use crate::transport::upstream::Seg;

const DOCKER_ROOT: &str = "/var/lib/docker";

/// Refuses (CARINA-1002) binds that resolve through a symlink on the chosen segment.
/// What remains is a race with a tenant creating the link between this check and the
/// container start; docker creates missing sources as directories, never links.
pub(crate) async fn check(
    ctx: &RequestContext,
    req: &ApiRequest,
    seg: &Seg,
    body: &serde_json::Value,
) -> Result<(), ApiError> {
    let under: Vec<String> = policy_gate::bind_sources(body)
        .into_iter()
        .filter(|p| p == DOCKER_ROOT || p.starts_with("/var/lib/docker/"))
        .collect();
    if under.is_empty() {
        return Ok(());
    }
    // A segment on another host: its directories cannot be looked at from here, so no
    // bind below /var/lib/docker can be shown safe.
    let Some(root) = seg.docker_root.clone() else {
        return Err(policy_gate::refuse_bind(ctx, req, &under).await);
    };
    let bad = tokio::task::spawn_blocking(move || {
        under.into_iter().filter(|p| traverses_symlink(&root, p)).collect::<Vec<_>>()
    })
    .await
    .map_err(|_| ApiError::internal("bind check failed"))?;
    if bad.is_empty() {
        Ok(())
    } else {
        Err(policy_gate::refuse_bind(ctx, req, &bad).await)
    }
}

/// Whether any existing component of `path` (below `/var/lib/docker`, mapped onto `root`)
/// is a symlink. A missing component ends the walk: nothing below it exists.
pub(crate) fn traverses_symlink(root: &Path, path: &str) -> bool {
    let rest = path.strip_prefix(DOCKER_ROOT).unwrap_or(path);
    let mut current = PathBuf::from(root);
    if std::fs::symlink_metadata(&current).is_ok_and(|m| m.file_type().is_symlink()) {
        return true;
    }
    for component in rest.split('/').filter(|c| !c.is_empty()) {
        if component == ".." {
            // The policy normalizes paths; a `..` here means something went wrong.
            return true;
        }
        current.push(component);
        match std::fs::symlink_metadata(&current) {
            Ok(m) if m.file_type().is_symlink() => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_planted_links() {
        let dir = std::env::temp_dir().join(format!("gw-binds-{}", std::process::id()));
        let data = dir.join("volumes/v/_data");
        std::fs::create_dir_all(&data).unwrap();
        std::os::unix::fs::symlink("/", data.join("x")).unwrap();
        assert!(traverses_symlink(&dir, "/var/lib/docker/volumes/v/_data/x"));
        assert!(traverses_symlink(&dir, "/var/lib/docker/volumes/v/_data/x/etc"));
        assert!(!traverses_symlink(&dir, "/var/lib/docker/volumes/v/_data"));
        assert!(!traverses_symlink(&dir, "/var/lib/docker/volumes/v/_data/missing/deeper"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
