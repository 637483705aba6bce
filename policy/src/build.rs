//! `POST /build`: everything is in the query string.
//!
//! A build cannot ask for privileges, capabilities, devices or binds. What it can pass
//! to the classic builder's intermediate containers is `securityopt` (straight into
//! their HostConfig, so `securityopt=seccomp=unconfined` works), `cgroupparent` and
//! `ulimits`; those get the container rules. `networkmode=host` is allowed like
//! `--net=host` (it is also the only non-default mode BuildKit accepts), and so are
//! `extrahosts`, `buildargs`, `remote`, `outputs` (BuildKit exporters write to the
//! client through the session, not to daemon paths) and the rest. BuildKit's insecure
//! entitlement is off unless the daemon config enables it.

use crate::confinement::{grants_rtprio, security_opt_allowed};
use crate::route::percent_decode;
use crate::rule::{Rule, Violation};

/// Checks a `/build` query string.
pub(crate) fn check(query: &str) -> Result<(), Violation> {
    let params = parse_query(query);
    let values = |name: &str| {
        params
            .iter()
            .filter(move |(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
            .collect::<Vec<_>>()
    };

    if values("securityopt").iter().any(|opt| !security_opt_allowed(opt)) {
        return Err(Violation::new(Rule::SecurityOpt));
    }
    if let Some(parent) = values("cgroupparent").into_iter().find(|p| !p.is_empty()) {
        return Err(Violation::with_detail(Rule::CgroupParent, parent));
    }
    let rtprio = values("ulimits").iter().any(|json| {
        // Unparsable JSON makes dockerd refuse the build; refusing it here as well
        // keeps us from judging something other than what it would read.
        serde_json::from_str(json).map_or(true, |ulimits| grants_rtprio(&ulimits))
    });
    if rtprio {
        return Err(Violation::with_detail(Rule::Ulimits, "rtprio"));
    }
    Ok(())
}

/// Splits a query string into decoded pairs. Go's `url.ParseQuery` also split on `;`
/// before Go 1.17, which some dockerd 20.10 builds use, so both separate here.
fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .trim_start_matches('?')
        .split(['&', ';'])
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key, true), percent_decode(value, true))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_queries() {
        let table = [
            ("", Ok(())),
            ("t=app%3Alatest&networkmode=host&rm=1&forcerm=0", Ok(())),
            ("extrahosts=db%3A10.0.0.2&buildargs=%7B%22A%22%3A%22b%22%7D&version=2", Ok(())),
            ("securityopt=no-new-privileges", Ok(())),
            ("securityopt=seccomp%3Dunconfined", Err(Violation::new(Rule::SecurityOpt))),
            ("t=x;securityopt=apparmor=unconfined", Err(Violation::new(Rule::SecurityOpt))),
            ("cgroupparent=", Ok(())),
            ("cgroup%70arent=%2F", Err(Violation::with_detail(Rule::CgroupParent, "/"))),
            (
                "ulimits=%5B%7B%22Name%22%3A%22rtprio%22%2C%22Hard%22%3A99%2C%22Soft%22%3A99%7D%5D",
                Err(Violation::with_detail(Rule::Ulimits, "rtprio")),
            ),
            ("ulimits=%5B%7B%22Name%22%3A%22nofile%22%2C%22Hard%22%3A4096%2C%22Soft%22%3A1024%7D%5D", Ok(())),
        ];
        for (query, want) in table {
            assert_eq!(check(query), want, "{query}");
        }
    }
}
