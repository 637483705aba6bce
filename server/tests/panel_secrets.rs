//! The panel's secrets over real HTTP against a real server (no segments are built):
//! where sign-in may send a user, sign-in throttling per client address, credentials
//! minted only by a same-site POST, and the secret key file and its rotation.

mod common;

use std::process::Command;

use common::{curl, Server, PASSWORD};

/// Signs up `email` over HTTP; the session lands in a cookie jar in the data directory.
fn sign_up(server: &Server, email: &str) -> String {
    let jar = server.data.path().join(format!("{email}.cookies")).to_str().unwrap().to_owned();
    let (status, body) = curl(&[
        "-c",
        &jar,
        "-H",
        &origin(server),
        "-H",
        "Accept: application/json",
        "--data-urlencode",
        &format!("email={email}"),
        "--data-urlencode",
        &format!("password={PASSWORD}"),
        &server.url("/api/sign_up"),
    ]);
    assert!(status < 400, "sign up failed: {status} {body}");
    jar
}

fn origin(server: &Server) -> String {
    format!("Origin: http://127.0.0.1:{}", server.port)
}

/// A plain (no JavaScript) sign-in form post from the loopback address `from`; returns
/// the status and the `Location` it answers with.
fn sign_in(server: &Server, from: &str, email: &str, password: &str, next: &str) -> (u16, String) {
    sign_in_accepting(server, "text/html", from, email, password, next)
}

/// A sign-in as the hydrated page sends it: the status says how it went.
fn sign_in_status(server: &Server, from: &str, password: &str) -> u16 {
    sign_in_accepting(server, "application/json", from, "ada@example.com", password, "/clusters").0
}

fn sign_in_accepting(
    server: &Server,
    accept: &str,
    from: &str,
    email: &str,
    password: &str,
    next: &str,
) -> (u16, String) {
    let (status, headers) = curl(&[
        "--interface",
        from,
        "-o",
        "/dev/null",
        "-D",
        "-",
        "-H",
        &origin(server),
        "-H",
        &format!("Accept: {accept}"),
        "--data-urlencode",
        &format!("email={email}"),
        "--data-urlencode",
        &format!("password={password}"),
        "--data-urlencode",
        &format!("next={next}"),
        &server.url("/api/sign_in"),
    ]);
    let location = headers
        .lines()
        .find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: ")))
        .unwrap_or_default()
        .trim()
        .to_owned();
    (status, location)
}

#[test]
fn the_panel_keeps_its_secrets() {
    let server = Server::start("secrets");
    let email = "ada@example.com";
    let jar = sign_up(&server, email);

    // A hostile `next` never leaves the panel; a local one is honoured.
    for hostile in ["https://evil.example", "//evil.example", "/\\evil.example", "/%2F%2Fevil.example", "/\t/evil"] {
        let (status, location) = sign_in(&server, "127.0.0.4", email, PASSWORD, hostile);
        assert!((300..400).contains(&status), "{hostile:?}: {status}");
        assert_eq!(location, "/clusters", "{hostile:?} must land on the panel");
    }
    assert_eq!(sign_in(&server, "127.0.0.4", email, PASSWORD, "/account").1, "/account");

    // A stranger's guesses, from 127.0.0.2, slow down the stranger only.
    let statuses: Vec<u16> = (0..6).map(|_| sign_in_status(&server, "127.0.0.2", "not the password")).collect();
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429], "five free attempts, then a wait");
    let status = sign_in_status(&server, "127.0.0.2", PASSWORD);
    assert_eq!(status, 429, "even the right password waits, from the stranger's address");
    let (status, location) = sign_in(&server, "127.0.0.3", email, PASSWORD, "/clusters");
    assert!((300..400).contains(&status) && location == "/clusters", "the owner signs in: {status} {location}");

    // Credentials: never by GET in the panel, never from another site, and the API needs
    // its Bearer key.
    let zip = server.url("/clusters/web/credentials.zip");
    let (status, _) = curl(&["-b", &jar, &zip]);
    assert_eq!(status, 405, "a link or an image cannot mint a bundle");
    let (status, _) = curl(&["-b", &jar, "-X", "POST", "-H", "Origin: http://evil.example", &zip]);
    assert_eq!(status, 403, "a cross-site form cannot either");
    let (status, body) = curl(&["-b", &jar, "-X", "POST", "-H", &origin(&server), &zip]);
    assert_eq!(status, 404, "a same-site post reaches the download: {body}");
    let api = server.url("/api/v1/clusters/web/credentials");
    let (status, _) = curl(&["-b", &jar, "-X", "POST", &api]);
    assert_eq!(status, 401, "the API ignores cookies");
    let key = server.api_key_for("bob@example.com");
    assert_eq!(server.api(&key, "POST", "/clusters/web/credentials", None).0, 404);

    // The secret key file: made at first start, private.
    let key_file = server.data.path().join("secret.key");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&key_file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&key_file).unwrap().trim().len(), 64);
}

#[test]
fn the_secret_key_rotates_from_the_command_line() {
    let mut server = Server::start("rotate");
    server.kill();
    let data = server.data.path().to_str().unwrap().to_owned();
    let new_key = server.data.path().join("new.key");
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--data-dir", &data])
        .args(server.database_args())
        .args(["admin", "rotate-secret-key", "--new-key-file", new_key.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("re-sealed 1 CA key(s) (the clusters' and the control plane's)"), "{stdout}");
    assert!(new_key.exists());

    // A key file other users can read is refused with the fix in the message.
    let key_file = server.data.path().join("secret.key");
    std::fs::set_permissions(&key_file, std::os::unix::fs::PermissionsExt::from_mode(0o644)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["--data-dir", &data])
        .args(server.database_args())
        .args(["admin", "show-account", "--email", "nobody@example.com"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"), "{:?}", out);
}

/// A page as the browser gets it: the status and the body, with the jar's session.
fn page(server: &Server, jar: &str, path: &str) -> (u16, String) {
    curl(&["-b", jar, &server.url(path)])
}

/// A panel form post as the hydrated page sends it, with the jar's session.
fn post(server: &Server, jar: &str, function: &str, fields: &[&str]) -> u16 {
    let mut args = vec!["-X", "POST", "-b", jar, "-o", "/dev/null", "-H", "Accept: application/json"];
    let origin = origin(server);
    args.extend(["-H", &origin]);
    for field in fields {
        args.extend(["--data-urlencode", field]);
    }
    let url = server.url(&format!("/api/{function}"));
    args.push(&url);
    curl(&args).0
}

/// Signed-in pages are reused for up to a second (`panel/page_cache.rs`): never past a
/// change of what they show, never for another session, never after sign-out.
#[test]
fn a_reused_page_never_outlives_what_it_shows() {
    let server = Server::start("pagecache");
    let ada = sign_up(&server, "ada@example.com");
    let bob = sign_up(&server, "bob@example.com");

    let (status, first) = page(&server, &ada, "/account");
    assert_eq!(status, 200);
    assert!(first.contains("ada@example.com") && !first.contains("deploy-key"), "{first}");
    // Rendered once, reused: the same page, and never to another session.
    assert_eq!(page(&server, &ada, "/account").1, first);
    let (_, bobs) = page(&server, &bob, "/account");
    assert!(bobs.contains("bob@example.com") && !bobs.contains("ada@example.com"), "{bobs}");

    // A change is on the very next page, well within the second a page may be reused.
    assert_eq!(post(&server, &ada, "create_api_key", &["name=deploy-key"]), 200);
    let (_, after) = page(&server, &ada, "/account");
    assert!(after.contains("deploy-key"), "the new key is on the next page: {after}");

    // Signed out: the next request with the old cookie is sent to sign in.
    let (_, clusters) = page(&server, &ada, "/clusters");
    assert!(clusters.contains("0 of 3 clusters"), "{clusters}");
    assert!(post(&server, &ada, "sign_out", &[]) < 400);
    let (status, _) = page(&server, &ada, "/clusters");
    assert_eq!(status, 303, "a page of an ended session is never served again");
}
