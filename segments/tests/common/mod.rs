//! Shared fixture of the integration tests: a set-up host (real libvirtd, bridge, root
//! filesystem), a driver on a fresh state dir, TLS material, and cleanup on drop.
#![allow(dead_code)] // Each test file uses a different part of it.

pub mod frames;

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use segments::{
    parse_cidr, ControlIdentity, DockerAddress, HostConfig, LibvirtSegments, SegmentDriver, SegmentSpec, SegmentTls,
    LXC_SYSTEM_URI,
};
use testkit::tls::TestCa;

/// The test bridge and subnet: never the panel's.
const TEST_BRIDGE: &str = "carinat0";
const TEST_BRIDGE_ADDR: &str = "10.214.0.1/24";

/// What `scripts/host-setup.sh` reported.
pub struct Setup {
    pub values: HashMap<String, String>,
}

/// Runs the host setup once per test binary (the script is idempotent and locked).
pub fn setup() -> &'static Setup {
    static SETUP: OnceLock<Setup> = OnceLock::new();
    SETUP.get_or_init(|| {
        let bridge = std::env::var("CARINA_TEST_BRIDGE").unwrap_or_else(|_| TEST_BRIDGE.into());
        let addr = std::env::var("CARINA_TEST_BRIDGE_ADDR").unwrap_or_else(|_| TEST_BRIDGE_ADDR.into());
        Setup { values: testkit::host::setup(&bridge, &addr) }
    })
}

/// A driver on a state dir of its own; removes every segment and file on drop.
pub struct TestHost {
    pub config: HostConfig,
    pub driver: LibvirtSegments,
    /// Unique per test run: prefix of segment names.
    pub prefix: String,
    extra_files: Vec<PathBuf>,
}

impl TestHost {
    pub fn new(tag: &str) -> Self {
        let s = &setup().values;
        let (gateway, prefix_len) = parse_cidr(&s["bridge_addr"]).unwrap();
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
        let prefix = format!("t{:x}{:x}-{tag}", std::process::id(), nanos & 0xffff);
        let config = HostConfig {
            state_dir: PathBuf::from(&s["segments_root"]).join(format!("test-{prefix}")),
            rootfs: PathBuf::from(&s["rootfs"]),
            base_image_tar: PathBuf::from(&s["base_image"]),
            bridge: s["bridge"].clone(),
            gateway,
            prefix_len,
            libvirt_uri: LXC_SYSTEM_URI.into(),
            docker_over_tls: false,
        };
        let driver = LibvirtSegments::new(config.clone()).unwrap();
        TestHost { config: driver.config().clone(), driver, prefix, extra_files: Vec::new() }
    }

    /// A segment spec with fresh TLS material; `host` is the last octet of its address.
    pub fn spec(&self, index: u32, host: u8) -> SegmentSpec {
        self.spec_and_pki(index, host).0
    }

    /// Like [`TestHost::spec`], with a client certificate of the segment's CA.
    pub fn spec_and_pki(&self, index: u32, host: u8) -> (SegmentSpec, TestPki) {
        let octets = self.config.gateway.octets();
        let address = Ipv4Addr::new(octets[0], octets[1], octets[2], host);
        let name = format!("{}-n{index}", self.prefix);
        let pki = pki_for(&name, address);
        let spec = SegmentSpec {
            tls: pki.tls.clone(),
            name,
            address,
            memory_mib: 1024,
            vcpus: 1,
            disk_mib: 2048,
            pids_max: 1024,
        };
        (spec, pki)
    }

    /// Where the control plane reaches the dockerd of `spec`'s segment (its unix socket,
    /// unless the config says TLS).
    pub fn docker(&self, spec: &SegmentSpec) -> DockerAddress {
        docker(&self.driver, spec)
    }

    /// A file to delete on drop (for example a marker on the host's root).
    pub fn remove_on_drop(&mut self, path: PathBuf) {
        self.extra_files.push(path);
    }
}

impl Drop for TestHost {
    fn drop(&mut self) {
        for f in &self.extra_files {
            let _ = std::fs::remove_file(f);
        }
        if std::env::var_os("CARINA_TEST_KEEP").is_some() {
            eprintln!("CARINA_TEST_KEEP: leaving {} in place", self.config.state_dir.display());
            return;
        }
        let driver = self.driver.clone();
        let state_dir = self.config.state_dir.clone();
        // Drop may run inside the test's runtime, which cannot be blocked on: clean up
        // on a thread with a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async {
                for name in driver.list().await.unwrap_or_default() {
                    if let Err(e) = driver.remove(&name).await {
                        eprintln!("cleanup: remove {name}: {e}");
                    }
                }
            });
            if let Err(e) = std::fs::remove_dir(&state_dir) {
                eprintln!("cleanup: remove {}: {e}", state_dir.display());
            }
        });
        let _ = cleanup.join();
    }
}

/// Where the control plane reaches the dockerd of `spec`'s segment through `driver`.
pub fn docker(driver: &LibvirtSegments, spec: &SegmentSpec) -> DockerAddress {
    driver.docker_address(&spec.name, spec.address, &control_plane().identity)
}

/// The control plane of the tests: its CA, which signs every segment's listener
/// certificate, and the client identity it holds.
pub struct ControlPlane {
    pub ca: TestCa,
    pub identity: ControlIdentity,
}

/// One control plane per test binary, as a server has one.
pub fn control_plane() -> &'static ControlPlane {
    static CONTROL: OnceLock<ControlPlane> = OnceLock::new();
    CONTROL.get_or_init(|| {
        let ca = TestCa::new("control plane");
        let client = ca.client("carina control plane");
        let identity = ControlIdentity::new(ca.cert_pem(), &client.cert_pem, &client.key_pem).unwrap();
        ControlPlane { ca, identity }
    })
}

/// The TLS material a segment gets, plus a client certificate of its cluster CA (what a
/// tenant's bundle holds).
pub struct TestPki {
    pub tls: SegmentTls,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

/// A segment's TLS material made by the `pki` crate, as the provisioner makes it.
pub fn pki_for(name: &str, address: Ipv4Addr) -> TestPki {
    let ca = TestCa::new(name);
    let server = ca.server_for(name, &[address.into(), Ipv4Addr::LOCALHOST.into()], &[name, "localhost"]);
    let control = control_plane();
    let listener = control.ca.server_for(name, &[address.into()], &[]);
    let client = ca.client("client");
    TestPki {
        tls: SegmentTls {
            ca_pem: ca.cert_pem().to_owned(),
            client_ca_pem: control.ca.cert_pem().to_owned(),
            cert_pem: server.cert_pem,
            key_pem: server.key_pem,
            listener_cert_pem: listener.cert_pem,
            listener_key_pem: listener.key_pem,
        },
        client_cert_pem: client.cert_pem,
        client_key_pem: client.key_pem,
    }
}

pub use testkit::segment_pids;

/// Runs a shell command in segment `name`'s network namespace (entered through its dockerd).
pub fn in_netns(name: &str, command: &str) -> std::process::Output {
    let pids = segment_pids(name, "dockerd");
    assert_eq!(pids.len(), 1, "dockerd of {name}: {pids:?}");
    std::process::Command::new("nsenter")
        .args(["-t", &pids[0].to_string(), "-n", "timeout", "3", "bash", "-c", command])
        .output()
        .unwrap()
}

/// Whether segment `name` can open a TCP connection to `address:port`.
pub fn connects_from(name: &str, address: Ipv4Addr, port: u16) -> bool {
    in_netns(name, &format!("exec 3<>/dev/tcp/{address}/{port}")).status.success()
}

/// Whether the host can open a TCP connection to `address:port`.
pub fn connects_from_host(address: Ipv4Addr, port: u16) -> bool {
    std::net::TcpStream::connect_timeout(&(address, port).into(), std::time::Duration::from_secs(3)).is_ok()
}

/// Mount points at or below `dir` that process `pid` (or "self") sees.
pub fn mounts_under(pid: &str, dir: &Path) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/mountinfo")).unwrap();
    segments::parse_mountinfo(&text).into_iter().map(|m| m.mount_point).filter(|p| p.starts_with(dir)).collect()
}

pub fn libvirtd_pid() -> String {
    std::fs::read_to_string("/run/libvirtd.pid").unwrap().trim().to_owned()
}

/// The host pid of segment `name`'s dockerd.
pub fn dockerd_pid(name: &str) -> u32 {
    let pids = segment_pids(name, "dockerd");
    assert_eq!(pids.len(), 1, "dockerd of {name}: {pids:?}");
    pids[0]
}

/// Runs ebtables on the L2 filter's table, under the lock the driver takes (ebtables is not
/// safe to run concurrently).
pub fn ebtables(args: &[&str]) -> std::process::Output {
    Command::new("flock")
        .args(["/run/lock/carina-ebtables.lock", "ebtables", "-t", segments::LINK_FILTER_TABLE])
        .args(args)
        .output()
        .unwrap()
}

/// Frames the DROP rule of a segment's L2 filter chain has dropped so far.
pub fn l2_drops(segment: &str) -> u64 {
    let out = ebtables(&["-L", &segments::link_chain(segment), "--Lc"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("-j DROP")).unwrap_or_else(|| panic!("no DROP rule:\n{text}"));
    line.split("pcnt = ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

/// Frames the first rule (IPv4 from the segment itself) of its L2 filter chain accepted so
/// far: a counter that restarts at 0 whenever the chain is rewritten.
pub fn l2_accepted(segment: &str) -> u64 {
    let out = ebtables(&["-L", &segments::link_chain(segment), "--Lc"]);
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().find(|l| l.starts_with("-p IPv4")).unwrap_or_else(|| panic!("no IPv4 rule:\n{text}"));
    line.split("pcnt = ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap()
}

/// The MAC that segment `name` has for `ip` in its neighbour table, if any.
pub fn neighbour_mac(name: &str, ip: Ipv4Addr) -> Option<String> {
    let out = in_netns(name, &format!("ip neigh show {ip} dev eth0"));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace().skip_while(|w| *w != "lladdr").nth(1).map(str::to_owned)
}

/// The cgroup (host path, below the hierarchy's root) of `pid` in the v1 hierarchy with
/// `controller`.
pub fn cgroup_of(pid: u32, controller: &str) -> String {
    let text = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    text.lines()
        .filter_map(|l| {
            let mut fields = l.splitn(3, ':').skip(1);
            fields.next().zip(fields.next())
        })
        .find(|(controllers, _)| controllers.split(',').any(|c| c == controller))
        .map(|(_, path)| path.to_owned())
        .unwrap_or_else(|| panic!("{pid} has no {controller} cgroup"))
}

/// Where the host mounts the v1 hierarchy that carries `option`.
pub fn cgroup_root(option: &str) -> PathBuf {
    let text = std::fs::read_to_string("/proc/self/mountinfo").unwrap();
    segments::parse_mountinfo(&text)
        .into_iter()
        .find(|m| m.fstype == "cgroup" && m.super_options.split(',').any(|o| o == option))
        .map(|m| m.mount_point)
        .unwrap_or_else(|| panic!("no {option} cgroup hierarchy"))
}

/// The bridge port (interface) where `bridge` forwards frames for `mac`, as it learnt.
pub fn fdb_port(bridge: &str, mac: &str) -> Option<String> {
    let out = Command::new("bridge").args(["fdb", "show", "br", bridge]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with(&format!("{mac} dev ")) && !l.contains("permanent"))
        .and_then(|l| l.split_whitespace().nth(2).map(str::to_owned))
}
