//! A real `server` process on a private data directory, bridge and segment directory,
//! driven with curl like any client, and cleaned up (segments included) when dropped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use segments::{HostConfig, LibvirtSegments, SegmentDriver};

/// The test bridge and subnet: never the panel's (carina0), nor the segments crate's tests'.
/// `CARINA_TEST_SERVER_BRIDGE`/`CARINA_TEST_SERVER_BRIDGE_ADDR` move them, so that two
/// checkouts can run their suites side by side.
pub static BRIDGE: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| std::env::var("CARINA_TEST_SERVER_BRIDGE").unwrap_or_else(|_| "carinat1".into()));
pub static BRIDGE_ADDR: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    std::env::var("CARINA_TEST_SERVER_BRIDGE_ADDR").unwrap_or_else(|_| "10.216.0.1/24".into())
});
pub const SEGMENTS_ROOT: &str = "/var/lib/carina-segments";
pub const IMAGE_DIR: &str = testkit::host::IMAGE_DIR;
pub const PASSWORD: &str = "correct horse battery";

/// Runs `scripts/host-setup.sh` for the test bridge, once per test binary.
pub fn host_setup() {
    testkit::host::setup(&BRIDGE, &BRIDGE_ADDR);
}

/// Runs `scripts/host-setup.sh` for the test bridge now (it starts libvirtd if it is not
/// running).
pub fn host_setup_again() {
    testkit::host::setup_now(&BRIDGE, &BRIDGE_ADDR);
}

/// This machine's libvirtd as another host's is reached: over TLS on loopback, with the
/// client certificate `scripts/host-setup.sh` made (`lxc+tls://127.0.0.1/system?pkipath=...`).
pub fn libvirt_tls_uri() -> String {
    testkit::host::setup(&BRIDGE, &BRIDGE_ADDR)["libvirt_tls_uri"].clone()
}

/// The docker CLI the tests drive clusters with (Docker's current one).
pub const CLI: &str = testkit::cli::CLI_NEW;
pub use testkit::{free_port, segment_pids};

/// A running server with its own data, and its own instance directory for segments.
pub struct Server {
    pub data: tempfile::TempDir,
    pub port: u16,
    pub endpoint_ports: (u16, u16),
    pub instance: String,
    /// `--warm-segments`: 0 unless the test asks, or `CARINA_TEST_WARM_SEGMENTS` says
    /// otherwise for every test (to run the suite with the pool on).
    pub warm_segments: u32,
    /// More flags for `serve`, after the usual ones.
    pub extra_args: Vec<String>,
    /// A fresh PostgreSQL database when the tests run against one (`testkit::database`);
    /// `None`: SQLite in the data directory.
    pub database_url: Option<String>,
    child: Option<Child>,
}

impl Server {
    /// Starts a server and waits until it answers.
    pub fn start(tag: &str) -> Server {
        let warm = std::env::var("CARINA_TEST_WARM_SEGMENTS").ok().and_then(|v| v.parse().ok()).unwrap_or(0);
        Self::start_with_pool(tag, warm)
    }

    /// Starts a server that keeps `warm_segments` segments in its warm pool.
    pub fn start_with_pool(tag: &str, warm_segments: u32) -> Server {
        Self::start_with(tag, warm_segments, &[])
    }

    /// Starts a server with more flags for `serve` (no warm pool unless the flags say so).
    pub fn start_with_args(tag: &str, args: &[&str]) -> Server {
        Self::start_with(tag, 0, args)
    }

    /// Starts a server with a warm pool of `warm_segments` and more flags for `serve`.
    pub fn start_with(tag: &str, warm_segments: u32, args: &[&str]) -> Server {
        host_setup();
        let first = 25000 + (std::process::id() % 500) as u16 * 10;
        let mut server = Server {
            data: tempfile::tempdir().unwrap(),
            port: free_port(),
            endpoint_ports: (first, first + 9),
            instance: format!("t{}-{tag}", std::process::id()),
            warm_segments,
            extra_args: args.iter().map(|a| a.to_string()).collect(),
            database_url: testkit::database::fresh_postgres(),
            child: None,
        };
        server.spawn();
        server
    }

    /// Another replica of this server: the same database, secret key, segments (instance)
    /// and endpoint ports; its own panel port and data directory, and the replica name
    /// `name` (give the first one a name of its own too: both default to the host name).
    pub fn replica(&self, name: &str) -> Server {
        let key_file = self.data.path().join("secret.key");
        let mut server = Server {
            data: tempfile::tempdir().unwrap(),
            port: free_port(),
            endpoint_ports: self.endpoint_ports,
            instance: self.instance.clone(),
            warm_segments: self.warm_segments,
            extra_args: vec![
                "--replica".into(),
                name.into(),
                "--secret-key-file".into(),
                key_file.display().to_string(),
            ],
            database_url: self.database_url.clone(),
            child: None,
        };
        server.spawn();
        server
    }

    fn spawn(&mut self) {
        let log =
            std::fs::OpenOptions::new().create(true).append(true).open(self.data.path().join("server.log")).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--data-dir", self.data.path().to_str().unwrap()])
            .args(self.database_args())
            .arg("serve")
            .args(["--addr", &format!("127.0.0.1:{}", self.port)])
            .args(["--bridge", BRIDGE.as_str(), "--bridge-addr", BRIDGE_ADDR.as_str()])
            .args(["--segments-root", SEGMENTS_ROOT, "--instance", &self.instance])
            .args(["--image-dir", IMAGE_DIR])
            .args(["--segment-memory-mib", "1024", "--segment-vcpus", "1"])
            .args(["--warm-segments", &self.warm_segments.to_string()])
            .args(["--endpoint-ports", &format!("{}-{}", self.endpoint_ports.0, self.endpoint_ports.1)])
            .args(&self.extra_args)
            .env("RUST_LOG", "info")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("start the server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("the server did not start:\n{}", self.log());
    }

    /// Kills the server the hard way (no shutdown), as a crash would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends SIGTERM and waits up to `within` for the process to exit; its exit status, or
    /// `None` if it was still running then (it is killed).
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        run("kill", &["-TERM", &child.id().to_string()]);
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = child.try_wait().unwrap() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        None
    }

    /// Runs the server binary's command line (`admin ...`, `list ...`) on this server's
    /// data directory, or on `data_dir` when given.
    pub fn command(&self, data_dir: Option<&Path>, args: &[&str]) -> Output {
        let dir = data_dir.unwrap_or(self.data.path());
        let database = if data_dir.is_none() { self.database_args() } else { Vec::new() };
        Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--data-dir", dir.to_str().unwrap()])
            .args(database)
            .args(args)
            .output()
            .expect("run the server binary")
    }

    /// Starts the server again on the same data.
    pub fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.data.path().join("server.log")).unwrap_or_default()
    }

    /// This server's segment driver view (same state dir), for inspection and cleanup.
    pub fn driver(&self) -> LibvirtSegments {
        let (gateway, prefix_len) = segments::parse_cidr(&BRIDGE_ADDR).unwrap();
        LibvirtSegments::new(HostConfig {
            state_dir: Path::new(SEGMENTS_ROOT).join(&self.instance),
            rootfs: Path::new(IMAGE_DIR).join("rootfs"),
            base_image_tar: Path::new(IMAGE_DIR).join("base-image.tar"),
            bridge: BRIDGE.to_string(),
            gateway,
            prefix_len,
            libvirt_uri: segments::LXC_SYSTEM_URI.into(),
            docker_over_tls: false,
        })
        .unwrap()
    }

    pub fn state_dir(&self) -> PathBuf {
        Path::new(SEGMENTS_ROOT).join(&self.instance)
    }

    /// The root file system of domain `domain`, as the host sees it.
    pub fn driver_root(&self, domain: &str) -> PathBuf {
        self.driver().layout(domain).root()
    }

    /// The libvirt domain of segment `name` (another name when it came from the warm pool).
    pub fn domain_of(&self, name: &str) -> String {
        self.sql(&format!("SELECT COALESCE(domain, name) FROM segments WHERE name = '{name}'"))
    }

    /// The libvirt domains of a cluster's segments.
    pub fn cluster_domains(&self, cluster_id: &str) -> std::collections::BTreeSet<String> {
        self.sql(&format!("SELECT COALESCE(domain, name) FROM segments WHERE cluster_id = '{cluster_id}'"))
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The warm pool's domains, those of singles (in no swarm group) only if `singles`.
    pub fn pooled_domains(&self, singles: bool) -> std::collections::BTreeSet<String> {
        let filter = if singles { " WHERE swarm_group IS NULL" } else { "" };
        self.sql(&format!("SELECT domain FROM pool_segments{filter}")).lines().map(str::to_owned).collect()
    }

    /// Waits until the warm pool (as `/status.json` counts it) has `size` ready segments
    /// and none starting.
    pub fn wait_pool_full(&self, size: u32) {
        let deadline = Instant::now() + Duration::from_secs(180);
        loop {
            let (code, body) = curl(&[&self.url("/status.json")]);
            assert_eq!(code, 200, "{body}");
            let status: serde_json::Value = serde_json::from_str(&body).unwrap();
            let pool = &status["warm_pool"];
            if pool["ready"] == size && pool["starting"] == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "the pool did not fill: {pool}\n{}", self.log());
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// `--database-url` for the server binary when the database is PostgreSQL.
    pub fn database_args(&self) -> Vec<String> {
        self.database_url.iter().flat_map(|url| ["--database-url".to_owned(), url.clone()]).collect()
    }

    /// A SQL query on the server's database, through the sqlite3 or psql command (both
    /// print rows a line each, columns separated by `|`).
    pub fn sql(&self, query: &str) -> String {
        if let Some(url) = &self.database_url {
            return testkit::database::psql(url, query);
        }
        let out = Command::new("sqlite3").arg(self.data.path().join("carina.db")).arg(query).output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// Signs up a new account and makes it an API key; returns the key.
    pub fn api_key_for(&self, email: &str) -> String {
        let jar = self.data.path().join(format!("{email}.cookies"));
        let origin = format!("Origin: http://127.0.0.1:{}", self.port);
        let (status, _) = curl(&[
            "-c",
            jar.to_str().unwrap(),
            "-H",
            &origin,
            "-H",
            "Accept: application/json",
            "--data-urlencode",
            &format!("email={email}"),
            "--data-urlencode",
            &format!("password={PASSWORD}"),
            &self.url("/api/sign_up"),
        ]);
        assert!(status < 400, "sign up failed: {status}");
        let (status, body) = curl(&[
            "-b",
            jar.to_str().unwrap(),
            "-H",
            &origin,
            "-H",
            "Accept: application/json",
            "--data-urlencode",
            "name=tests",
            &self.url("/api/create_api_key"),
        ]);
        assert_eq!(status, 200, "{body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        json["secret"].as_str().unwrap().to_owned()
    }

    /// An API call with a key; returns the status and the JSON answer (Null if none).
    pub fn api(
        &self,
        key: &str,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let auth = format!("Authorization: Bearer {key}");
        let mut args = vec!["-X", method, "-H", &auth];
        let data;
        if let Some(body) = body {
            data = body.to_string();
            args.extend(["-H", "Content-Type: application/json", "--data", &data]);
        }
        let url = self.url(&format!("/api/v1{path}"));
        args.push(&url);
        let (status, text) = curl(&args);
        (status, serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    }

    /// Polls a cluster until `done` says so, or panics after `timeout` with the last state.
    pub fn wait_cluster(
        &self,
        key: &str,
        name: &str,
        timeout: Duration,
        done: impl Fn(u16, &serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            let (status, json) = self.api(key, "GET", &format!("/clusters/{name}"), None);
            if done(status, &json) {
                return json;
            }
            if Instant::now() > deadline {
                panic!("cluster {name} did not get there: {status} {json:#}\n--- server log ---\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(250));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::env::var_os("CARINA_TEST_KEEP").is_some() {
            return;
        }
        // Leave nothing behind, whatever happened: segments, mounts, directories.
        let driver = self.driver();
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            for name in driver.list().await.unwrap_or_default() {
                let _ = driver.remove(&name).await;
            }
        });
        let _ = std::fs::remove_dir(self.state_dir());
    }
}

/// Runs curl; returns the HTTP status and the body.
pub fn curl(args: &[&str]) -> (u16, String) {
    let out = Command::new("curl").args(["-s", "-w", "\n%{http_code}"]).args(args).output().expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", "0"));
    (status.trim().parse().unwrap_or(0), body.to_owned())
}

/// Runs a command and returns its stdout (panics on failure).
pub fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program).args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(out.status.success(), "{program} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whether segment `name` can open a TCP connection to `address:port` (tried from its
/// network namespace, entered through its dockerd).
pub fn connects_from(name: &str, address: std::net::Ipv4Addr, port: u16) -> bool {
    let pids = segment_pids(name, "dockerd");
    assert_eq!(pids.len(), 1, "dockerd of {name}: {pids:?}");
    let probe = format!("exec 3<>/dev/tcp/{address}/{port}");
    let status = std::process::Command::new("nsenter")
        .args(["-t", &pids[0].to_string(), "-n", "timeout", "3", "bash", "-c", &probe])
        .status()
        .unwrap();
    status.success()
}

/// Runs a docker CLI after `source <bundle>/docker.env`, from another directory.
pub fn docker_with(cli: &str, bundle: &Path, args: &[&str]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(format!("cd / && source '{}/docker.env' && exec \"$@\"", bundle.display()))
        .arg("bash")
        .arg(cli)
        .args(args)
        // The classic builder: BuildKit sessions do not pass the endpoint.
        .env("DOCKER_BUILDKIT", "0")
        .output()
        .expect("run the docker CLI")
}

/// Like [`docker_with`], requiring success; returns stdout.
pub fn docker_ok(cli: &str, bundle: &Path, args: &[&str]) -> String {
    let out = docker_with(cli, bundle, args);
    assert!(
        out.status.success(),
        "{cli} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Downloads a new credentials bundle and unzips it; returns the bundle's folder.
pub fn download_bundle(server: &Server, key: &str, cluster: &str, into: &Path) -> PathBuf {
    std::fs::create_dir_all(into).unwrap();
    let zip = into.join(format!("{cluster}.zip"));
    let auth = format!("Authorization: Bearer {key}");
    let url = server.url(&format!("/api/v1/clusters/{cluster}/credentials"));
    let (code, _) = curl(&["-X", "POST", "-H", &auth, "-o", zip.to_str().unwrap(), &url]);
    assert_eq!(code, 200);
    run("unzip", &["-q", "-o", zip.to_str().unwrap(), "-d", into.to_str().unwrap()]);
    into.join(cluster)
}
