//! Host paths: lexical normalisation, and the one kind of bind source the policy allows.
//!
//! Carina's rule was "node paths under /var/lib/docker". Everything under there except
//! the volumes' data is the daemon's own state, and write access to it is a delayed
//! escalation: edit `containers/<id>/hostconfig.json` to `"Privileged": true`, or a
//! volume's `opts.json` to bind `/`, and the daemon applies it at its next start;
//! `swarm/` holds the node keys and the raft log with the swarm CA key. Subdirectories
//! of a volume's data are no better: the tenant controls their contents, so
//! `_data/sub` can be swapped for a symlink to `/` between `create` and `start`, and
//! the daemon follows it. So the only bind source allowed is *exactly* a volume's data
//! directory, `/var/lib/docker/volumes/<name>/_data`, whose every component is created
//! and owned by the daemon, which makes the check immune to symlink tricks.

/// Where the local volume driver keeps volumes on a segment (Docker's default data root).
pub const VOLUMES_ROOT: &str = "/var/lib/docker/volumes";

/// Lexically normalises a path the way Go's `path.Clean` (and so dockerd) does:
/// repeated `/` collapse, `.` components vanish, `..` removes the component before it
/// (and stays at `/` on an absolute path), and trailing slashes go. A relative path
/// stays relative; the empty path becomes `.`.
///
/// ```
/// assert_eq!(policy::normalize_host_path("//var/lib/./docker/"), "/var/lib/docker");
/// assert_eq!(policy::normalize_host_path("/var/lib/docker/../../../etc"), "/etc");
/// assert_eq!(policy::normalize_host_path("/../.."), "/");
/// ```
pub fn normalize_host_path(path: &str) -> String {
    let rooted = path.starts_with('/');
    let mut kept: Vec<&str> = Vec::new();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => match kept.last() {
                Some(&last) if last != ".." => {
                    kept.pop();
                }
                // `..` above the root is the root; above a relative start it stays.
                _ if rooted => {}
                _ => kept.push(".."),
            },
            other => kept.push(other),
        }
    }
    match (rooted, kept.is_empty()) {
        (true, _) => format!("/{}", kept.join("/")),
        (false, true) => ".".to_string(),
        (false, false) => kept.join("/"),
    }
}

/// Whether `path` may be the source of a bind mount (or the device of a local volume
/// that binds): it must be absolute, contain no `..` component, and normalise to either
/// a volume's data directory, `/var/lib/docker/volumes/<name>/_data`, or a directory of
/// the tenant's own right under `/var/lib/docker`, `/var/lib/docker/<name>`, where
/// `<name>` is none of dockerd's own state directories.
///
/// Only paths whose parent the tenant cannot write are allowed: dockerd creates them
/// (a bind source that does not exist is made a directory), and nobody can swap them for a
/// symlink between `docker create` and `docker start`, when the kernel resolves the path.
/// A deeper path (`/var/lib/docker/<name>/sub`) could be swapped from inside a container
/// that binds its parent. dockerd's state (`containers/`, `swarm/`, `image/`...) would
/// let a tenant rewrite a container's configuration or read the node's keys.
///
/// `..` is refused outright rather than resolved: local volume devices reach
/// `mount(2)` verbatim, and the kernel resolves `..` *after* following symlinks, so a
/// lexical answer would not be the real one. Everything else (`/run/docker.sock`,
/// `/var/lib/dockerfoo`, `/var/lib/docker` itself, relative paths) is outside.
///
/// ```
/// assert!(policy::bind_source_allowed("/var/lib/docker/volumes/x/_data"));
/// assert!(policy::bind_source_allowed("/var/lib/docker//volumes/./x/_data/"));
/// assert!(policy::bind_source_allowed("/var/lib/docker/mydata"));
/// assert!(!policy::bind_source_allowed("/var/lib/docker/mydata/sub"));
/// assert!(!policy::bind_source_allowed("/var/lib/docker/containers"));
/// assert!(!policy::bind_source_allowed("/var/lib/docker/volumes/x/_data/sub"));
/// assert!(!policy::bind_source_allowed("/var/run/docker.sock"));
/// assert!(!policy::bind_source_allowed("/var/lib/docker/../../etc"));
/// ```
pub fn bind_source_allowed(path: &str) -> bool {
    if !path.starts_with('/') || path.split('/').any(|c| c == "..") {
        return false;
    }
    let clean = normalize_host_path(path);
    let Some(rest) = clean.strip_prefix(DOCKER_ROOT).and_then(|r| r.strip_prefix('/')) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        ["volumes", name, "_data"] => is_volume_name(name),
        [name] => is_volume_name(name) && !DOCKERD_STATE.contains(name),
        _ => false,
    }
}

/// dockerd's data root inside a segment.
const DOCKER_ROOT: &str = "/var/lib/docker";

/// What dockerd keeps directly under its data root (20.10, overlay2 and the others), and
/// so what a tenant may not bind.
const DOCKERD_STATE: &[&str] = &[
    "aufs",
    "btrfs",
    "builder",
    "buildkit",
    "containerd",
    "containers",
    "devicemapper",
    "engine-id",
    "fuse-overlayfs",
    "image",
    "key.json",
    "network",
    "overlay",
    "overlay2",
    "plugins",
    "runtimes",
    "swarm",
    "tmp",
    "trust",
    "vfs",
    "volumes",
    "zfs",
];

/// How a refused path is shown: normalised, unless only its `..` got it refused, in
/// which case the normalised form would look allowed and confuse the user.
pub(crate) fn shown(path: &str) -> String {
    let clean = normalize_host_path(path);
    if path.starts_with('/') && bind_source_allowed(&clean) {
        path.to_string()
    } else {
        clean
    }
}

/// Docker's volume name characters, `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
fn is_volume_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_like_go_path_clean() {
        let table = [
            ("", "."),
            ("/", "/"),
            ("//", "/"),
            ("/etc/", "/etc"),
            ("/etc//passwd", "/etc/passwd"),
            ("/./etc/./", "/etc"),
            ("/var/lib/docker/..", "/var/lib"),
            ("/var/lib/docker/../../etc", "/var/etc"),
            ("/var/lib/docker/../../../etc", "/etc"),
            ("/../../etc", "/etc"),
            ("a/b/../c", "a/c"),
            ("../a", "../a"),
            ("a/../..", ".."),
            ("./", "."),
        ];
        for (input, want) in table {
            assert_eq!(normalize_host_path(input), want, "input {input:?}");
        }
    }

    #[test]
    fn only_a_volume_data_directory_is_allowed() {
        let table = [
            ("/var/lib/docker/volumes/x/_data", true),
            ("/var/lib/docker/volumes/my-vol.1_2/_data", true),
            ("/var/lib/docker/volumes/x/_data/", true),
            ("//var//lib/docker/volumes/x/./_data", true),
            ("/var/lib/docker/volumes/x/_data/sub", false),
            ("/var/lib/docker/volumes/x", false),
            ("/var/lib/docker/volumes/x/opts.json", false),
            ("/var/lib/docker/volumes", false),
            ("/var/lib/docker/volumes/metadata.db", false),
            ("/var/lib/docker/volumes/-x/_data", false),
            ("/var/lib/docker/volumes/x/_data/../../y/_data", false),
            ("/var/lib/docker/volumes/x/_data/..", false),
            ("/var/lib/docker", false),
            ("/var/lib/docker/", false),
            ("/var/lib/docker/containers", false),
            ("/var/lib/docker/swarm", false),
            ("/var/lib/dockerfoo", false),
            ("/var/lib/docker/../../etc", false),
            ("/var/run/docker.sock", false),
            ("/run/docker.sock", false),
            ("/", false),
            ("/etc", false),
            ("var/lib/docker/volumes/x/_data", false),
            ("", false),
        ];
        for (input, want) in table {
            assert_eq!(bind_source_allowed(input), want, "input {input:?}");
        }
    }

    #[test]
    fn shown_paths_are_normalised_unless_that_hides_the_dotdot() {
        assert_eq!(shown("/etc/"), "/etc");
        assert_eq!(shown("/var/lib/docker/../../../root"), "/root");
        assert_eq!(shown("/var/lib/docker/volumes/x/_data/../_data"), "/var/lib/docker/volumes/x/_data/../_data");
        assert_eq!(shown("etc"), "etc");
    }
}
