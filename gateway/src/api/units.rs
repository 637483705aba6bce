//! Human sizes like Docker's `units.BytesSize` (`4.2 GiB`).

/// Binary units with four significant digits, as the docker CLI and classic Swarm print.
pub(crate) fn bytes_size(n: f64) -> String {
    const UNITS: [&str; 9] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB", "YiB"];
    let mut v = n;
    let mut i = 0;
    while v >= 1024.0 && i < UNITS.len() - 1 {
        v /= 1024.0;
        i += 1;
    }
    format!("{} {}", four_significant(v), UNITS[i])
}

/// Go's `%.4g` for values below 10000.
fn four_significant(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let digits = v.abs().log10().floor() as i32 + 1;
    let decimals = (4 - digits).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_go_units() {
        assert_eq!(bytes_size(0.0), "0 B");
        assert_eq!(bytes_size(4.0 * 1024.0 * 1024.0 * 1024.0 * 1.05), "4.2 GiB");
        assert_eq!(bytes_size(1536.0), "1.5 KiB");
        assert_eq!(bytes_size(512.0), "512 B");
    }
}
