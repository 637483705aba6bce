//! Files of a segment's directory on the host, written so that a re-run changes nothing
//! that is already right, and a key is never readable by others, not even briefly.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use tokio::io::AsyncWriteExt;

use crate::SegmentError;

/// Creates a directory (and its parents) with `mode`.
pub(crate) async fn create_dir(dir: &Path, mode: u32) -> Result<(), SegmentError> {
    tokio::fs::create_dir_all(dir).await.map_err(SegmentError::io("create", dir))?;
    tokio::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).await.map_err(SegmentError::io("chmod", dir))
}

/// Writes only when the content differs: files in the upper layer stay untouched otherwise.
pub(crate) async fn write_if_changed(path: &Path, content: &str, mode: u32) -> Result<(), SegmentError> {
    if tokio::fs::read(path).await.ok().as_deref() != Some(content.as_bytes()) {
        // Created with its final mode, so a key is never readable by others, not even briefly.
        let tmp = path.with_extension("carina-tmp");
        let _ = tokio::fs::remove_file(&tmp).await;
        let mut file = tokio::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(&tmp)
            .await
            .map_err(SegmentError::io("create", &tmp))?;
        file.write_all(content.as_bytes()).await.map_err(SegmentError::io("write", &tmp))?;
        file.sync_all().await.map_err(SegmentError::io("sync", &tmp))?;
        drop(file);
        tokio::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(mode))
            .await
            .map_err(SegmentError::io("chmod", &tmp))?;
        tokio::fs::rename(&tmp, path).await.map_err(SegmentError::io("rename", path))?;
    } else {
        tokio::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .await
            .map_err(SegmentError::io("chmod", path))?;
    }
    Ok(())
}

/// Empties a directory, keeping it.
pub(crate) async fn clear_dir(dir: &Path) -> Result<(), SegmentError> {
    let mut entries = tokio::fs::read_dir(dir).await.map_err(SegmentError::io("list", dir))?;
    while let Some(entry) = entries.next_entry().await.map_err(SegmentError::io("list", dir))? {
        let path = entry.path();
        let is_dir = entry.file_type().await.map(|t| t.is_dir()).unwrap_or(false);
        let result = if is_dir { tokio::fs::remove_dir_all(&path).await } else { tokio::fs::remove_file(&path).await };
        result.map_err(SegmentError::io("remove", &path))?;
    }
    Ok(())
}

/// Removes a directory tree; one already gone is fine.
pub(crate) async fn remove_dir_all(dir: &Path) -> Result<(), SegmentError> {
    match tokio::fs::remove_dir_all(dir).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SegmentError::io("remove", dir)(e)),
        _ => Ok(()),
    }
}

/// Removes a file; one already gone is fine.
pub(crate) async fn remove_file(path: &Path) -> Result<(), SegmentError> {
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(SegmentError::io("remove", path)(e)),
        _ => Ok(()),
    }
}
