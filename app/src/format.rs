//! Formatting shared by the server render and the browser (so hydration matches).

/// Unix milliseconds as `YYYY-MM-DD HH:MM UTC`.
pub fn utc_minute(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

/// Unix milliseconds as `YYYY-MM-DD HH:MM:SS UTC`.
pub fn utc_second(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02} {} UTC", clock_time(secs))
}

/// An event's time as a history shows it: `HH:MM:SS` on the same UTC day as `now`, with
/// the date before it otherwise.
pub fn history_time(ms: i64, now: i64) -> String {
    let secs = ms.div_euclid(1000);
    if secs.div_euclid(86_400) == now.div_euclid(1000).div_euclid(86_400) {
        clock_time(secs)
    } else {
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        format!("{y:04}-{m:02}-{d:02} {}", clock_time(secs))
    }
}

/// How long before `now` the instant `ms` was, in the largest whole unit: "just now",
/// "42 s ago", "3 min ago", "5 h ago", "2 days ago".
pub fn ago(ms: i64, now: i64) -> String {
    let secs = (now - ms).div_euclid(1000);
    match secs {
        // Clocks differ a little between server and browser: a moment "in the future" is now.
        ..=9 => "just now".to_owned(),
        10..=59 => format!("{secs} s ago"),
        60..=3_599 => format!("{} min ago", secs / 60),
        3_600..=86_399 => format!("{} h ago", secs / 3_600),
        _ => match secs / 86_400 {
            1 => "1 day ago".to_owned(),
            days => format!("{days} days ago"),
        },
    }
}

fn clock_time(secs: i64) -> String {
    let rem = secs.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
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

/// A segment's size: "1 CPU, 4 GiB".
pub fn segment_size(vcpus: u32, memory_mib: u64) -> String {
    format!("{}, {}", plural(vcpus, "CPU", "CPUs"), memory(memory_mib))
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
    fn history_times_have_seconds_and_say_how_long_ago() {
        let at = 1_764_073_267_000; // 2025-11-25 12:21:07 UTC
        assert_eq!(utc_second(at), "2025-11-25 12:21:07 UTC");
        assert_eq!(history_time(at, at + 180_000), "12:21:07");
        assert_eq!(history_time(at, at + 86_400_000), "2025-11-25 12:21:07");
        assert_eq!(ago(at, at + 3_000), "just now");
        assert_eq!(ago(at, at - 3_000), "just now");
        assert_eq!(ago(at, at + 42_000), "42 s ago");
        assert_eq!(ago(at, at + 180_500), "3 min ago");
        assert_eq!(ago(at, at + 5 * 3_600_000), "5 h ago");
        assert_eq!(ago(at, at + 86_400_000), "1 day ago");
        assert_eq!(ago(at, at + 3 * 86_400_000), "3 days ago");
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
