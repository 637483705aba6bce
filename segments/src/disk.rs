//! A segment's disk quota: its `/var/lib/docker` is an ext4 file system of its own, in a
//! sparse image file loop-mounted on the host, so that a tenant filling its disk gets
//! ENOSPC inside the segment instead of filling the host's file system.
//!
//! Why an image and not project quotas: the host file system here has none to offer
//! (XFS is built without quota support, and the segments' directories live on the
//! host's root file system), whereas a loop-mounted ext4 works on any host. The image is
//! sparse: it costs the host only what the segment wrote (plus about 85 MiB of ext4
//! metadata for 20 GiB), and its size is a ceiling, not a reservation.
//!
//! The mount lies below the shared mount root, so it reaches libvirtd's mount namespace
//! like the overlay root does. `mount -o loop` sets up the loop device with autoclear: the
//! unmount in [`crate::SegmentDriver::remove`] frees it, and removing the directory then
//! deletes the image.

use std::path::Path;

use tokio::process::Command;

use crate::mounts::{self, run};
use crate::{SegmentError, SegmentLayout};

/// Smallest image mkfs.ext4 and dockerd are comfortable with.
pub const MIN_DISK_MIB: u64 = 64;

/// Makes sure the segment's docker directory is its own file system of `size_mib`, made
/// and mounted if missing. The size applies when the image is made; a later change of
/// flavor leaves existing images as they are.
///
/// A segment made before disk quotas existed keeps a plain, non-empty docker directory:
/// mounting an empty file system over it would hide its images and its Swarm state. It
/// stays without a quota (logged) until it is rebuilt.
pub(crate) async fn ensure_docker_disk(layout: &SegmentLayout, name: &str, size_mib: u64) -> Result<(), SegmentError> {
    let (image, dir) = (layout.docker_image(), layout.docker());
    if mounts::is_mount_point(&dir).await? {
        return Ok(());
    }
    if !image.exists() {
        if !is_empty_dir(&dir).await? {
            tracing::warn!(segment = %name, "docker directory predates disk quotas; running without one");
            return Ok(());
        }
        make_image(&image, size_mib.max(MIN_DISK_MIB)).await?;
    }
    // noinit_itable: the image is sparse, so its inode tables already read as zeros; the
    // kernel's lazy init would only allocate them for nothing.
    run(Command::new("mount").args(["-t", "ext4", "-o", "loop,noinit_itable,nodev,nosuid"]).arg(&image).arg(&dir)).await
}

/// Creates the image under a temporary name and renames it when it is complete: a failed
/// mkfs never leaves an image that looks usable.
async fn make_image(image: &Path, size_mib: u64) -> Result<(), SegmentError> {
    let tmp = image.with_extension("img-new");
    let _ = tokio::fs::remove_file(&tmp).await;
    let made = async {
        let file = tokio::fs::File::create(&tmp).await.map_err(SegmentError::io("create", &tmp))?;
        file.set_len(size_mib * 1024 * 1024).await.map_err(SegmentError::io("resize", &tmp))?;
        file.sync_all().await.map_err(SegmentError::io("sync", &tmp))?;
        drop(file);
        // -m 0: root reserve is pointless for a docker directory; lazy init keeps mkfs
        // instant and the image sparse.
        run(Command::new("mkfs.ext4")
            .args(["-q", "-F", "-m", "0", "-E", "lazy_itable_init=1,lazy_journal_init=1,nodiscard"])
            .arg(&tmp))
        .await?;
        tokio::fs::rename(&tmp, image).await.map_err(SegmentError::io("rename", image))
    };
    let result = made.await;
    if result.is_err() {
        let _ = tokio::fs::remove_file(&tmp).await;
    }
    result
}

async fn is_empty_dir(dir: &Path) -> Result<bool, SegmentError> {
    let mut entries = tokio::fs::read_dir(dir).await.map_err(SegmentError::io("list", dir))?;
    Ok(entries.next_entry().await.map_err(SegmentError::io("list", dir))?.is_none())
}
