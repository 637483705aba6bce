//! The `carina` command against a real server with real segments, as a user drives it:
//! login, `create --wait`, `eval $(carina env web)` then `docker info`, grow, rebuild,
//! history, bundles, revoke, `rm --wait`, and the errors a user meets (a wrong key, an
//! unknown cluster, a quota), each one line on stderr with a non-zero exit code. One
//! cluster of 1 then 2 segments.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use common::{Server, CLI, PASSWORD};
use serde_json::Value;

/// The `carina` binary next to the server's, built first if it is not there (`cargo test
/// --workspace` has built it; `cargo test -p server` has not).
fn carina_binary() -> PathBuf {
    let server = Path::new(env!("CARGO_BIN_EXE_server"));
    let profile_dir = server.parent().unwrap();
    let status = Command::new(env!("CARGO"))
        .args(["build", "--quiet", "-p", "carina-cli", "--bin", "carina"])
        .args(if profile_dir.ends_with("release") { &["--release"][..] } else { &[][..] })
        .env("CARGO_TARGET_DIR", profile_dir.parent().unwrap())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("run cargo build for carina");
    assert!(status.success(), "building carina failed");
    profile_dir.join("carina")
}

/// A user's shell: `carina` on the PATH, its home in a temp dir, the server's URL.
struct User {
    bin: PathBuf,
    home: tempfile::TempDir,
    url: String,
}

impl User {
    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        let path = format!("{}:/usr/local/bin:/usr/bin:/bin", self.bin.parent().unwrap().display());
        cmd.env_clear()
            .env("PATH", path)
            .env("HOME", self.home.path())
            .env("CARINA_HOME", self.home.path().join("carina"))
            .env("CARINA_URL", &self.url)
            .env("DOCKER_CONFIG", self.home.path().join(".docker"))
            .env("DOCKER_CLI_HINTS", "false");
        cmd
    }

    fn carina(&self, args: &[&str]) -> Output {
        self.command(self.bin.to_str().unwrap()).args(args).output().unwrap()
    }

    /// Runs carina and requires success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.carina(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "carina {args:?} failed: {stderr}");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs carina and requires a one-line failure; returns that line.
    fn fails(&self, args: &[&str]) -> String {
        let out = self.carina(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!out.status.success(), "carina {args:?} succeeded: {}", String::from_utf8_lossy(&out.stdout));
        assert_eq!(stderr.lines().count(), 1, "carina {args:?}: not one line: {stderr:?}");
        assert!(stderr.starts_with("carina: ") && !stderr.contains("panicked"), "{stderr}");
        stderr
    }

    /// `carina login --email <email>`, typing `password` on stdin.
    fn login(&self, email: &str, password: &str) -> Output {
        use std::process::Stdio;
        let mut login = self.command(self.bin.to_str().unwrap());
        login.args(["login", "--email", email]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = login.spawn().unwrap();
        std::io::Write::write_all(child.stdin.as_mut().unwrap(), format!("{password}\n").as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--json"];
        all.extend_from_slice(args);
        serde_json::from_str(&self.ok(&all)).unwrap()
    }

    /// `eval $(carina env web) && <script>` in bash.
    fn with_env(&self, cluster: &str, script: &str) -> Output {
        let line = format!("eval $(carina env {cluster}) && {script}");
        self.command("bash").args(["-c", &line]).output().unwrap()
    }

    /// `docker info` through the environment `carina env` sets, once it lists every one
    /// of `segments` (the endpoint reuses its segment list for up to 2 s, so a segment
    /// that has just become ready may take that long to show); requires success.
    fn docker_info(&self, cluster: &str, segments: &[String]) -> String {
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        loop {
            let out = self.with_env(cluster, &format!("{CLI} info"));
            assert!(out.status.success(), "docker info: {}", String::from_utf8_lossy(&out.stderr));
            let info = String::from_utf8_lossy(&out.stdout).into_owned();
            if segments.iter().all(|name| info.contains(name)) {
                return info;
            }
            assert!(Instant::now() < deadline, "docker info does not list all of {segments:?}:\n{info}");
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    }
}

fn segment_names(detail: &Value) -> Vec<String> {
    detail["segments"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_owned()).collect()
}

#[test]
fn a_user_drives_a_cluster_with_carina() {
    let bin = carina_binary();
    let server = Server::start("cli");
    let user = User { bin, home: tempfile::tempdir().unwrap(), url: server.url("") };
    // Sign up (the panel's way); the key it makes is someone else's: carina makes its own.
    let panel_key = server.api_key_for("ada@example.com");

    // login: e-mail as a flag, the password on stdin (no terminal here). A wrong one is
    // refused in one line, and nothing is saved.
    let out = user.login("ada@example.com", "not the password");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.lines().count() == 1, "{stderr}");
    assert!(stderr.contains("Wrong email or password."), "{stderr}");
    assert!(!user.home.path().join("carina/config.json").exists());
    let out = user.login("ada@example.com", PASSWORD);
    assert!(out.status.success(), "login: {}", String::from_utf8_lossy(&out.stderr));
    let saved: Value =
        serde_json::from_slice(&std::fs::read(user.home.path().join("carina/config.json")).unwrap()).unwrap();
    assert!(saved["apikey"].as_str().unwrap().starts_with("carina_"), "{saved}");
    assert_ne!(saved["apikey"].as_str().unwrap(), panel_key);

    // create --wait: progress on stderr, the active cluster in Carina's table on stdout.
    let started = Instant::now();
    let out = user.carina(&["create", "web", "--nodes", "1", "--wait"]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "create: {stderr}");
    eprintln!("timing: carina create --wait {:.2}s", started.elapsed().as_secs_f64());
    assert!(stderr.contains("web: ") && stderr.contains("segments ready"), "no progress: {stderr}");
    let rows: Vec<Vec<&str>> = stdout.lines().map(|l| l.split_whitespace().collect()).collect();
    assert_eq!(rows[0], ["ClusterName", "Flavor", "Nodes", "Status"], "{stdout}");
    assert_eq!((rows[1][0], rows[1][2], rows[1][3]), ("web", "1", "active"), "{stdout}");
    assert!(user.ok(&["ls"]).lines().any(|l| l.starts_with("web ") && l.ends_with("active")));
    assert_eq!(user.json(&["ls"])[0]["cluster_name"], "web");

    // eval $(carina env web): the docker CLI reaches the cluster and lists its segment.
    let env = user.ok(&["env", "web"]);
    let cached = user.home.path().join("carina/clusters/web");
    assert!(env.starts_with(&format!("source {}/docker.env\n", cached.display())), "{env}");
    let detail = user.json(&["get", "web"]);
    let info = user.docker_info("web", &segment_names(&detail));
    assert!(info.contains("Nodes: 1"), "{info}");
    let out = user.with_env("web", "echo $CARINA_CLUSTER_NAME");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "web");

    // grow --by 1 --wait: two segments, both in docker info (the same credentials).
    let grown = user.ok(&["grow", "web", "--by", "1", "--wait"]);
    assert!(
        grown.lines().nth(1).unwrap().split_whitespace().eq(["web", detail["flavor"].as_str().unwrap(), "2", "active"]),
        "{grown}"
    );
    let detail = user.json(&["get", "web"]);
    let names = segment_names(&detail);
    assert_eq!(names.len(), 2);
    let info = user.docker_info("web", &names);
    assert!(info.contains("Nodes: 2"), "{info}");

    // Errors a user meets: one line each, with what the service said.
    let line = user.fails(&["grow", "web", "--by", "5"]);
    assert!(line.contains("at most 3 segments"), "{line}");
    let line = user.fails(&["get", "nope"]);
    assert!(line.contains("You have no cluster named \"nope\""), "{line}");
    let line = user.fails(&["--apikey", "carina_not-a-key", "ls"]);
    assert!(line.contains("not valid") && line.contains("carina login"), "{line}");
    let line = user.fails(&["create", "web"]);
    assert!(line.contains("web"), "{line}");

    // rebuild --wait: active again, and the same credentials still work.
    let rebuilt = user.ok(&["rebuild", "web", "--wait"]);
    assert!(rebuilt.contains(" active"), "{rebuilt}");
    user.docker_info("web", &names);

    // History, bundles, revoke: after a revocation, env fetches a new bundle.
    let history = user.ok(&["history", "web"]);
    for expected in ["Cluster created with 1 segment(s)", "Grow to 2 segments requested", "Rebuild requested"] {
        assert!(history.contains(expected), "{expected} missing from:\n{history}");
    }
    assert!(user.ok(&["history"]).contains("Rebuild requested"));
    let bundles = user.json(&["bundles", "web"]);
    let first = bundles[0]["name"].as_str().unwrap().to_owned();
    assert!(user.ok(&["revoke", "web", &first]).contains("Revoked"));
    user.docker_info("web", &names);
    let bundles = user.json(&["bundles", "web"]);
    assert_eq!(bundles.as_array().unwrap().len(), 2, "{bundles}");
    assert_eq!(user.json(&["quotas"])["max_clusters"], 3);

    // rm --wait: gone, and so are the credentials carina kept.
    user.ok(&["rm", "web", "--wait"]);
    assert!(!cached.exists());
    assert_eq!(user.json(&["ls"]), serde_json::json!([]));
}
