//! The zip's entries, their modes and their contents.

mod common;

use std::io::{Cursor, Read};

use bundle::{build_zip, BundleError, BundleInput};
use common::{input, CA, CERT, KEY};
use zip::ZipArchive;

fn entries(bytes: &[u8]) -> Vec<(String, u32, String)> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).expect("a readable zip");
    (0..zip.len())
        .map(|i| {
            let mut file = zip.by_index(i).unwrap();
            let mode = file.unix_mode().expect("unix mode recorded") & 0o777;
            let mut text = String::new();
            file.read_to_string(&mut text).unwrap();
            (file.name().to_string(), mode, text)
        })
        .collect()
}

#[test]
fn layout_and_modes_follow_carina_without_the_ca_key() {
    let list = entries(&build_zip(&input()).unwrap());
    let names_modes: Vec<(&str, u32)> = list.iter().map(|(n, m, _)| (n.as_str(), *m)).collect();
    assert_eq!(
        names_modes,
        vec![
            ("web-1/", 0o700),
            ("web-1/ca.pem", 0o600),
            ("web-1/cert.pem", 0o600),
            ("web-1/key.pem", 0o600),
            ("web-1/docker.env", 0o644),
            ("web-1/docker.fish", 0o644),
            ("web-1/docker.ps1", 0o644),
            ("web-1/docker.cmd", 0o644),
            ("web-1/README.md", 0o644),
        ]
    );
    assert!(!list.iter().any(|(n, _, _)| n.contains("ca-key")));
}

#[test]
fn pems_are_stored_verbatim_and_nothing_else_holds_a_key() {
    let list = entries(&build_zip(&input()).unwrap());
    let get = |name: &str| &list.iter().find(|(n, _, _)| n == name).unwrap().2;
    assert_eq!(get("web-1/ca.pem"), CA);
    assert_eq!(get("web-1/cert.pem"), CERT);
    assert_eq!(get("web-1/key.pem"), KEY);
    let holding_keys: Vec<&str> =
        list.iter().filter(|(_, _, text)| text.contains("PRIVATE KEY")).map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(holding_keys, vec!["web-1/key.pem"]);
}

#[test]
fn settings_files_set_all_five_variables() {
    let list = entries(&build_zip(&input()).unwrap());
    let get = |name: &str| list.iter().find(|(n, _, _)| n == name).unwrap().2.clone();

    let env = get("web-1/docker.env");
    for line in [
        "export DOCKER_HOST=\"tcp://192.0.2.10:2376\"",
        "export DOCKER_TLS_VERIFY=1",
        "export DOCKER_VERSION=\"20.10.24\"",
        "export CARINA_CLUSTER_NAME=\"web-1\"",
    ] {
        assert!(env.lines().any(|l| l == line), "docker.env lacks {line}:\n{env}");
    }
    assert!(env.contains("export DOCKER_CERT_PATH=\"$("), "{env}");

    let fish = get("web-1/docker.fish");
    for line in [
        "set -gx DOCKER_HOST \"tcp://192.0.2.10:2376\"",
        "set -gx DOCKER_TLS_VERIFY 1",
        "set -gx DOCKER_CERT_PATH (realpath (dirname (status -f)))",
        "set -gx DOCKER_VERSION \"20.10.24\"",
        "set -gx CARINA_CLUSTER_NAME \"web-1\"",
    ] {
        assert!(fish.lines().any(|l| l == line), "docker.fish lacks {line}:\n{fish}");
    }

    let ps1 = get("web-1/docker.ps1");
    for line in [
        "$env:DOCKER_HOST=\"tcp://192.0.2.10:2376\"",
        "$env:DOCKER_TLS_VERIFY=\"1\"",
        "$env:DOCKER_CERT_PATH=$PSScriptRoot",
        "$env:DOCKER_VERSION=\"20.10.24\"",
        "$env:CARINA_CLUSTER_NAME=\"web-1\"",
    ] {
        assert!(ps1.lines().any(|l| l == line), "docker.ps1 lacks {line}:\n{ps1}");
    }

    let cmd = get("web-1/docker.cmd");
    assert!(cmd.ends_with("\r\n") && !cmd.replace("\r\n", "").contains('\n'), "CRLF only");
    for line in [
        "@echo off",
        "set \"DOCKER_HOST=tcp://192.0.2.10:2376\"",
        "set \"DOCKER_TLS_VERIFY=1\"",
        "set \"DOCKER_CERT_PATH=%~dp0\"",
        "set \"DOCKER_VERSION=20.10.24\"",
        "set \"CARINA_CLUSTER_NAME=web-1\"",
    ] {
        assert!(cmd.split("\r\n").any(|l| l == line), "docker.cmd lacks {line}:\n{cmd}");
    }

    let readme = get("web-1/README.md");
    for needle in ["source docker.env", "docker info", "do not\ncommit", "revoke", "key.pem"] {
        assert!(readme.contains(needle), "README lacks {needle:?}:\n{readme}");
    }
}

#[test]
fn unsafe_inputs_are_refused() {
    let bad_inputs: Vec<BundleInput<'static>> = vec![
        BundleInput { cluster_name: "../etc", ..input() },
        BundleInput { cluster_name: "a b", ..input() },
        BundleInput { cluster_name: "", ..input() },
        BundleInput { cluster_name: "con", ..input() },
        BundleInput { docker_host: "tcp://x\";rm -rf ~;\":1", ..input() },
        BundleInput { docker_host: "192.0.2.10:2376", ..input() },
        BundleInput { docker_version: "$(id)", ..input() },
        BundleInput { ca_pem: KEY, ..input() },
        BundleInput { cert_pem: "", ..input() },
        BundleInput { key_pem: CERT, ..input() },
    ];
    for bad in bad_inputs {
        let err = build_zip(&bad).unwrap_err();
        assert!(matches!(err, BundleError::Invalid { .. }), "{bad:?}: {err}");
        assert!(!err.to_string().contains("S0VZ"), "an error never shows the key");
    }
}

#[test]
fn unzip_restores_the_modes() {
    // The unzip most users have honours the recorded modes; skip where it is missing.
    if std::process::Command::new("unzip").arg("-v").output().is_err() {
        eprintln!("unzip not installed: skipping");
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("web-1.zip");
    std::fs::write(&zip_path, build_zip(&input()).unwrap()).unwrap();
    let status =
        std::process::Command::new("unzip").arg("-q").arg(&zip_path).arg("-d").arg(dir.path()).status().unwrap();
    assert!(status.success());
    let mode =
        |name: &str| std::fs::metadata(dir.path().join("web-1").join(name)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("key.pem"), 0o600);
    assert_eq!(mode("cert.pem"), 0o600);
    assert_eq!(mode("docker.env"), 0o644);
    assert_eq!(mode(""), 0o700);
}

#[test]
fn debug_output_never_shows_the_key() {
    assert!(!format!("{:?}", input()).contains("S0VZ"));
}
