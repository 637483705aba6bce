//! Where to go after signing in: the `next` parameter. Anyone can put one in a link to
//! the sign-in page, so only a path of this very site survives; anything else (another
//! site, or something a browser, a proxy or a later redirect might read as one) falls
//! back to the default page.

/// Where a user goes when `next` is missing or not acceptable.
pub const DEFAULT_NEXT: &str = "/clusters";

/// Longer values are refused: no page of the panel has such an address.
const MAX_LEN: usize = 512;

/// How many times a value is percent-decoded and checked again. Something that still
/// decodes differently after that is refused: no link of ours is encoded that deep.
const MAX_DECODES: usize = 3;

/// `next` if it is a same-site absolute path (one leading `/`), else [`DEFAULT_NEXT`].
pub fn safe_next(next: Option<&str>) -> &str {
    match next {
        Some(path) if is_local_path(path) => path,
        _ => DEFAULT_NEXT,
    }
}

/// Whether `raw` is a plain local path, as sent and in every decoded form.
fn is_local_path(raw: &str) -> bool {
    if raw.len() > MAX_LEN || !raw.bytes().all(is_uri_byte) || !escapes_are_well_formed(raw.as_bytes()) {
        return false;
    }
    let mut current = raw.to_owned();
    for _ in 0..=MAX_DECODES {
        if !looks_local(&current) {
            return false;
        }
        let Some(decoded) = percent_decode(&current) else {
            return false;
        };
        if decoded == current {
            return true;
        }
        current = decoded;
    }
    false
}

/// The characters RFC 3986 allows in a path, query and fragment, `%` escapes included.
/// No spaces, controls, backslashes, quotes or non-ASCII: browsers "repair" those in ways
/// that differ (a tab or newline is dropped, `\` becomes `/`).
fn is_uri_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=:@/?#%".contains(&b)
}

fn escapes_are_well_formed(bytes: &[u8]) -> bool {
    bytes.iter().enumerate().filter(|(_, b)| **b == b'%').all(|(i, _)| {
        bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit)
    })
}

/// One leading slash and nothing a URL parser would turn into another host: no second
/// slash or backslash at the start, no backslash, control or non-ASCII character, and no
/// `.`/`..` segments (`/..//evil` resolves to the path `//evil`).
fn looks_local(path: &str) -> bool {
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') || matches!(bytes.get(1), Some(b'/' | b'\\')) {
        return false;
    }
    // Non-ASCII too: some parsers fold look-alikes (U+FF0F, U+2215) into `/`.
    if path.chars().any(|c| c == '\\' || c.is_control() || !c.is_ascii()) {
        return false;
    }
    let path_only = path.split(['?', '#']).next().unwrap_or_default();
    !path_only.split('/').any(|segment| segment == "." || segment == "..")
}

/// `%XX` escapes decoded once (malformed ones left as they are); `None` when the result is
/// not UTF-8, which no path of ours is.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| bytes.get(at).and_then(|b| (*b as char).to_digit(16));
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push((high * 16 + low) as u8);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_paths_survive() {
        for good in [
            "/",
            "/clusters",
            "/clusters/web",
            "/clusters/web-1_a.b~c",
            "/account?tab=keys",
            "/clusters?x=1&y=2#top",
            // A query may name another site: it is data for our page, not a destination.
            "/clusters?from=https://example.com//x",
            "/clusters/a%20b",
            "/a:b@c",
        ] {
            assert_eq!(safe_next(Some(good)), good, "{good:?} should be kept");
        }
    }

    #[test]
    fn every_way_out_falls_back_to_the_default_page() {
        let long = format!("/{}", "a".repeat(MAX_LEN));
        let attacks: &[&str] = &[
            // Missing, empty, relative.
            "",
            "clusters",
            "./clusters",
            "../clusters",
            "evil.example",
            "evil.example/clusters",
            // Absolute URLs and schemes.
            "https://evil.example",
            "http://evil.example/clusters",
            "https:evil.example",
            "https:/evil.example",
            "https:",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "ftp://evil.example",
            // Protocol-relative and its spellings.
            "//evil.example",
            "///evil.example",
            "////evil.example",
            "//evil.example/clusters",
            "/\\evil.example",
            "\\\\evil.example",
            "\\/evil.example",
            "/\\/evil.example",
            "/clusters\\..\\..\\evil",
            // Encoded slashes and backslashes, once and twice.
            "%2F%2Fevil.example",
            "%2f%2fevil.example",
            "/%2F/evil.example",
            "/%2Fevil.example",
            "/%2fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%252F/evil.example",
            "/%25252F/evil.example",
            "/%2525252F/evil.example",
            "/%5C%5Cevil.example",
            "%5C%5Cevil.example",
            // Controls, tabs and newlines that browsers drop (`/\t/evil` is `//evil`).
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/%09/evil.example",
            "/%0A/evil.example",
            "/%0D%0A/evil.example",
            "/%0d%0aSet-Cookie:%20x=y",
            "/clusters\r\nLocation: https://evil.example",
            "/%00/evil.example",
            "/\u{0}",
            "/%7F",
            "/\u{7f}",
            " //evil.example",
            "/ /evil.example",
            "\t/clusters",
            "/clusters ",
            // Dot segments that resolve to `//evil`.
            "/..//evil.example",
            "/.//evil.example",
            "/clusters/../..//evil.example",
            "/%2e%2e//evil.example",
            "/%2E//evil.example",
            "/clusters/%2e%2e/%2e%2e/%2F/evil.example",
            // Non-ASCII look-alikes of `/` and `\`, raw and encoded.
            "/\u{ff0f}evil.example",
            "/\u{2215}evil.example",
            "/\u{29f5}evil.example",
            "/%EF%BC%8F%EF%BC%8Fevil.example",
            "/%E2%88%95evil.example",
            // Malformed escapes and bytes that are not UTF-8 once decoded.
            "/%",
            "/%2",
            "/%zz",
            "/%C0%AF",
            "/%FF",
            // Other characters URLs may not carry raw.
            "/clusters\"onmouseover=alert(1)",
            "/<script>",
            "/`x`",
            "/{x}",
            "/a|b",
            "/a^b",
        ];
        for attack in attacks {
            assert_eq!(safe_next(Some(attack)), DEFAULT_NEXT, "{attack:?} must not survive");
        }
        assert_eq!(safe_next(Some(&long)), DEFAULT_NEXT);
        assert_eq!(safe_next(None), DEFAULT_NEXT);
    }
}
