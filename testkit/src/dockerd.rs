//! Real, isolated dockerds (Debian's docker.io) standing in for segments: own data root,
//! exec root (with its own containerd), unix socket; no bridge, no iptables.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Daemon {
    pub socket: PathBuf,
    pub data_root: PathBuf,
    pub exec_root: PathBuf,
    child: Child,
}

/// Several dockerds under one temp dir; dropping stops them and removes everything.
pub struct Dockerds {
    pub dir: PathBuf,
    pub daemons: Vec<Daemon>,
}

impl Dockerds {
    /// Starts `n` dockerds in parallel and waits until each answers.
    pub fn start(n: usize) -> Self {
        // Short paths: containerd's sockets live under the exec root (108-byte limit).
        let dir = std::env::temp_dir().join(format!(
            "gwt{}-{}",
            std::process::id(),
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_micros()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("daemon.json"), "{}").unwrap();
        let mut me = Self { dir: dir.clone(), daemons: Vec::new() };
        for i in 1..=n {
            let socket = dir.join(format!("{i}.sock"));
            let data_root = dir.join(format!("d{i}"));
            let exec_root = dir.join(format!("e{i}"));
            let log = std::fs::File::create(dir.join(format!("{i}.log"))).unwrap();
            let mut cmd = Command::new("dockerd");
            cmd.arg("--config-file")
                .arg(dir.join("daemon.json"))
                .arg("--data-root")
                .arg(&data_root)
                .arg("--exec-root")
                .arg(&exec_root)
                .arg("--pidfile")
                .arg(dir.join(format!("{i}.pid")))
                .arg("-H")
                .arg(format!("unix://{}", socket.display()))
                .args(["--bridge=none", "--iptables=false", "--ip6tables=false"])
                .args(["--log-level=warn", "--label", &format!("zone=z{i}")])
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log);
            // No PR_SET_PDEATHSIG: it fires when the spawning *thread* exits, and
            // tokio's blocking threads come and go. Drop stops the daemons.
            let child = cmd.spawn().expect("dockerd (Debian's docker.io) must be installed");
            me.daemons.push(Daemon { socket, data_root, exec_root, child });
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        for d in &me.daemons {
            while !ping(&d.socket) {
                assert!(Instant::now() < deadline, "dockerd did not come up: see {}", dir.display());
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        me
    }

    /// `docker` on one daemon's socket directly.
    pub fn direct(&self, i: usize, args: &[&str]) -> std::process::Output {
        Command::new("/usr/bin/docker")
            .env("DOCKER_HOST", format!("unix://{}", self.daemons[i].socket.display()))
            .env("DOCKER_CONFIG", &self.dir)
            .args(args)
            .output()
            .unwrap()
    }
}

fn ping(socket: &Path) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::os::unix::net::UnixStream::connect(socket) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    if s.write_all(b"GET /_ping HTTP/1.0\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = String::new();
    let _ = s.read_to_string(&mut buf);
    buf.starts_with("HTTP/1.0 200") || buf.starts_with("HTTP/1.1 200")
}

impl Drop for Dockerds {
    fn drop(&mut self) {
        for (i, d) in self.daemons.iter().enumerate() {
            // A swarm manager takes long to stop; a test that failed midway may leave one.
            let _ = self.direct(i, &["swarm", "leave", "--force"]);
            // Kill containers first: dockerd would otherwise wait 10 s per container that
            // ignores SIGTERM (busybox `sleep` as PID 1 does).
            if let Ok(o) = Command::new("/usr/bin/docker")
                .env("DOCKER_HOST", format!("unix://{}", d.socket.display()))
                .env("DOCKER_CONFIG", &self.dir)
                .args(["ps", "-aq"])
                .output()
            {
                let ids: Vec<String> =
                    String::from_utf8_lossy(&o.stdout).split_whitespace().map(str::to_owned).collect();
                if !ids.is_empty() {
                    let _ = self
                        .direct(i, &[&["rm", "-f"][..], &ids.iter().map(String::as_str).collect::<Vec<_>>()].concat());
                }
            }
        }
        for d in &mut self.daemons {
            unsafe {
                libc::kill(d.child.id() as i32, libc::SIGTERM);
            }
        }
        let deadline = Instant::now() + Duration::from_secs(20);
        for d in &mut self.daemons {
            loop {
                match d.child.try_wait() {
                    Ok(Some(_)) => break,
                    _ if Instant::now() > deadline => {
                        let _ = d.child.kill();
                        let _ = d.child.wait();
                        break;
                    }
                    _ => std::thread::sleep(Duration::from_millis(50)),
                }
            }
        }
        kill_leftovers(&self.dir);
        unmount_below(&self.dir);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Kills processes still running from below `dir` (a containerd or shim whose dockerd
/// had to be killed): they are recognised by their command line naming our temp dir.
fn kill_leftovers(dir: &Path) {
    let needle = dir.to_string_lossy().into_owned();
    let Ok(entries) = std::fs::read_dir("/proc") else { return };
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|p| p.parse::<i32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline).contains(&needle) && pid != std::process::id() as i32 {
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
    }
}

/// Lazily unmounts whatever a daemon left mounted below `dir` (deepest first).
fn unmount_below(dir: &Path) {
    let Ok(mounts) = std::fs::read_to_string("/proc/self/mounts") else {
        return;
    };
    let prefix = dir.to_string_lossy().into_owned();
    let mut targets: Vec<String> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|m| m.starts_with(&prefix))
        .map(str::to_owned)
        .collect();
    targets.sort_by_key(|t| std::cmp::Reverse(t.len()));
    for t in targets {
        if let Ok(c) = std::ffi::CString::new(t) {
            unsafe {
                libc::umount2(c.as_ptr(), libc::MNT_DETACH);
            }
        }
    }
}

/// Writes a busybox root filesystem tar (for `docker import`).
pub fn busybox_tar(dir: &Path) -> PathBuf {
    let root = dir.join("bbroot");
    std::fs::create_dir_all(root.join("bin")).unwrap();
    std::fs::create_dir_all(root.join("tmp")).unwrap();
    std::fs::copy("/bin/busybox", root.join("bin/busybox")).unwrap();
    for applet in [
        "sh", "true", "false", "echo", "cat", "sleep", "yes", "head", "ls", "df", "ps", "dd", "env", "id", "hostname",
        "wc", "seq", "tr", "printf", "tty", "stty",
    ] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    let tar = dir.join("busybox.tar");
    let st = std::process::Command::new("tar").arg("-C").arg(&root).arg("-cf").arg(&tar).arg(".").status().unwrap();
    assert!(st.success());
    tar
}
