//! The files in deploy/ that operators install: the systemd unit is one `systemd-analyze
//! verify` accepts, and names only settings the server has.

use std::path::Path;
use std::process::Command;

const UNIT: &str = include_str!("../../deploy/carina.service");

#[test]
fn the_systemd_unit_verifies_and_runs_the_server() {
    // Verify a copy that starts this build's binary and a host setup that exists (verify
    // checks that executables are there).
    let dir = tempfile::tempdir().unwrap();
    let setup = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/host-setup.sh").canonicalize().unwrap();
    let unit = UNIT
        .replace("/usr/local/bin/carina-server", env!("CARGO_BIN_EXE_server"))
        .replace("/usr/local/share/carina/scripts/host-setup.sh", setup.to_str().unwrap());
    assert_ne!(unit, UNIT, "the unit still starts /usr/local/bin/carina-server serve");
    let path = dir.path().join("carina.service");
    std::fs::write(&path, &unit).unwrap();
    let verify = Command::new("systemd-analyze").args(["verify", "--man=no"]).arg(&path).output();
    let verify = verify.expect("systemd-analyze (Debian package systemd) runs the unit's check");
    let said = format!("{}{}", String::from_utf8_lossy(&verify.stdout), String::from_utf8_lossy(&verify.stderr));
    // Without systemd as PID 1 it may only warn about the missing manager; it must not
    // find anything wrong with the unit itself.
    let problems: Vec<&str> = said.lines().filter(|l| l.contains("carina.service") || l.contains("ignoring")).collect();
    assert!(verify.status.success() && problems.is_empty(), "{said}");

    // The command line and every variable it sets are the server's own.
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).unwrap();
    let mut words = exec.split_whitespace();
    let help = Command::new(words.next().unwrap()).args(words).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout).into_owned();
    assert!(help.contains("CARINA_ADDR"), "{help}");
    for line in unit.lines().filter_map(|l| l.strip_prefix("Environment=")) {
        let name = line.split('=').next().unwrap();
        assert!(help.contains(name), "{name} is not a setting of `server serve`");
    }
}
