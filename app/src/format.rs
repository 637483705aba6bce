//! Formatting shared by the server render and the browser (so hydration matches).

/// Unix milliseconds as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// "1 segment", "3 segments".
pub fn plural(n: u32, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A memory size: whole gibibytes as "2 GiB", anything else as "1536 MiB".
pub fn memory(mib: u64) -> String {
    if mib >= 1024 && mib.is_multiple_of(1024) {
        format!("{} GiB", mib / 1024)
    } else {
        format!("{mib} MiB")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(utc_minute(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc_minute(1_764_028_800_000), "2025-11-25 00:00 UTC");
        assert_eq!(utc_minute(951_782_400_000 + 61_000), "2000-02-29 00:01 UTC");
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(memory(1024), "1 GiB");
        assert_eq!(memory(4096), "4 GiB");
        assert_eq!(memory(1536), "1536 MiB");
        assert_eq!(memory(512), "512 MiB");
        assert_eq!(memory(0), "0 MiB");
    }

    #[test]
    fn plurals() {
        assert_eq!(plural(1, "segment", "segments"), "1 segment");
        assert_eq!(plural(3, "segment", "segments"), "3 segments");
    }
}
