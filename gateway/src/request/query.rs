//! Query-string reading (the few parameters the gateway itself interprets).

/// The decoded value of `key`, if present.
pub(crate) fn get(query: &str, key: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (decode(k) == key).then(|| decode(v))
    })
}

/// Percent-decoding, `+` as space.
pub(crate) fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query without `key`.
pub(crate) fn without(query: &str, key: &str) -> String {
    query
        .split('&')
        .filter(|pair| !pair.is_empty() && decode(pair.split('=').next().unwrap_or("")) != key)
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_decodes() {
        let q = "all=1&limit=3&filters=%7B%22name%22%3A%7B%22a%22%3Atrue%7D%7D";
        assert_eq!(get(q, "limit").as_deref(), Some("3"));
        assert_eq!(get(q, "filters").as_deref(), Some(r#"{"name":{"a":true}}"#));
        assert_eq!(without(q, "limit"), "all=1&filters=%7B%22name%22%3A%7B%22a%22%3Atrue%7D%7D");
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
    }
}
