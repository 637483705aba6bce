//! The host set up for a test bridge by the project's own `scripts/host-setup.sh`
//! (idempotent and locked, so test binaries running at once share it safely).

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

/// Where the segments' root filesystem and base images are kept.
pub const IMAGE_DIR: &str = "/var/lib/carina/images";

/// Runs the host setup for `bridge` (with `bridge_addr`, e.g. `10.216.0.1/24`) once per
/// test binary and bridge; returns the `KEY=value` lines it printed.
pub fn setup(bridge: &str, bridge_addr: &str) -> HashMap<String, String> {
    static DONE: OnceLock<Mutex<HashMap<String, HashMap<String, String>>>> = OnceLock::new();
    let done = DONE.get_or_init(Mutex::default);
    let mut done = done.lock().unwrap_or_else(|e| e.into_inner());
    done.entry(bridge.to_owned()).or_insert_with(|| setup_now(bridge, bridge_addr)).clone()
}

/// Runs the host setup for `bridge` now (it also starts libvirtd if it stopped).
pub fn setup_now(bridge: &str, bridge_addr: &str) -> HashMap<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/host-setup.sh");
    let started = Instant::now();
    let out = Command::new("bash")
        .arg(&script)
        .env("CARINA_BRIDGE", bridge)
        .env("CARINA_BRIDGE_ADDR", bridge_addr)
        .env("CARINA_IMAGE_DIR", IMAGE_DIR)
        .output()
        .expect("run host-setup.sh");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        panic!("host-setup.sh failed:\n{stdout}{}", String::from_utf8_lossy(&out.stderr));
    }
    eprintln!("timing: host setup for {bridge} {:.2}s", started.elapsed().as_secs_f64());
    stdout.lines().filter_map(|l| l.split_once('=')).map(|(k, v)| (k.to_owned(), v.to_owned())).collect()
}
