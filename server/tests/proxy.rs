//! Behind a reverse proxy, against real server processes: forwarded headers are believed
//! from trusted proxies only, and the public URL's origin passes the cross-site check
//! whatever `Host` the proxy sends. (The whole path through a real nginx is in the
//! end-to-end tests: end2end/tests/through-nginx.spec.ts.)

mod common;

use common::{Server, PASSWORD};

/// A sign-up post as a proxy would pass it on; returns the status and the session cookie
/// line, if any.
fn sign_up(server: &Server, email: &str, headers: &[&str]) -> (u16, Option<String>) {
    let mut args = vec!["-s", "-o", "/dev/null", "-D", "-", "-H", "Accept: application/json"];
    for header in headers {
        args.extend(["-H", header]);
    }
    let email = format!("email={email}");
    let password = format!("password={PASSWORD}");
    let url = server.url("/api/sign_up");
    args.extend(["--data-urlencode", &email, "--data-urlencode", &password, &url]);
    let out = std::process::Command::new("curl").args(&args).output().unwrap();
    let head = String::from_utf8_lossy(&out.stdout).into_owned();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let cookie = head.lines().find(|l| l.to_ascii_lowercase().starts_with("set-cookie: carina_session="));
    (status, cookie.map(str::to_owned))
}

#[test]
fn forwarded_https_and_the_public_origin_are_believed_from_trusted_proxies_only() {
    let public = ["--public-url", "http://panel.example:8080"];
    let trusted = Server::start_with_args("proxytrust", &[&public[..], &["--trusted-proxy", "127.0.0.0/8"]].concat());
    let origin = "Origin: http://panel.example:8080";
    let (status, cookie) = sign_up(&trusted, "ada@example.com", &[origin, "X-Forwarded-Proto: https"]);
    assert_eq!(status, 200, "{}", trusted.log());
    let cookie = cookie.expect("a session cookie");
    assert!(cookie.contains("; Secure"), "{cookie}");
    // Plain HTTP through the same proxy: not Secure (the public URL is http here).
    let (status, cookie) = sign_up(&trusted, "bob@example.com", &[origin]);
    assert_eq!(status, 200);
    assert!(!cookie.unwrap().contains("Secure"));
    // Another site's post is refused, proxy or not.
    let (status, _) = sign_up(&trusted, "eve@example.com", &["Origin: http://evil.example"]);
    assert_eq!(status, 403);

    // The same headers from a peer that is not a trusted proxy: X-Forwarded-Proto is not
    // believed. The public origin still passes (it is the panel's own).
    let untrusted = Server::start_with_args("proxyuntrust", &[&public[..], &["--trusted-proxy", "10.9.9.9"]].concat());
    let (status, cookie) = sign_up(&untrusted, "ada@example.com", &[origin, "X-Forwarded-Proto: https"]);
    assert_eq!(status, 200, "{}", untrusted.log());
    assert!(!cookie.unwrap().contains("Secure"));
    // Without a public URL, the proxied origin is another site's.
    let plain = Server::start_with_args("proxyplain", &[]);
    assert_eq!(sign_up(&plain, "ada@example.com", &[origin]).0, 403);
}

#[test]
fn an_https_public_url_makes_cookies_secure_and_bad_settings_are_refused() {
    let server = Server::start_with_args("proxyhttps", &["--public-url", "https://panel.example"]);
    let (status, cookie) = sign_up(&server, "ada@example.com", &["Origin: https://panel.example"]);
    assert_eq!(status, 200, "{}", server.log());
    assert!(cookie.unwrap().contains("; Secure"));

    for (flag, value) in
        [("--public-url", "panel.example"), ("--public-url", "https://a/carina"), ("--trusted-proxy", "10.0.0.0/40")]
    {
        let out = server.command(None, &["serve", flag, value]);
        assert!(!out.status.success(), "{flag} {value}");
        let said = String::from_utf8_lossy(&out.stderr);
        assert!(said.contains(value), "the refusal names the value: {said}");
    }
}
