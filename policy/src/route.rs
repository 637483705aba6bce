//! Which endpoint a request reaches, decided the way dockerd's router would.

/// The endpoints the policy looks into; everything else is [`Endpoint::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `POST /containers/create`
    ContainerCreate,
    /// `POST /containers/{id}/start`
    ContainerStart,
    /// `POST /containers/{id}/update`
    ContainerUpdate,
    /// `POST /containers/{id}/exec`
    ContainerExec,
    /// `POST /volumes/create`
    VolumeCreate,
    /// `POST /services/create` and `POST /services/{id}/update`
    ServiceSpec,
    /// `POST /build`
    Build,
    /// Plugin install, create, upgrade, set, enable.
    PluginManagement,
    /// Swarm init, join, leave, update, unlock, unlock key; node removal.
    SwarmManagement,
    /// Anything else: no policy applies.
    Other,
}

impl Endpoint {
    /// Whether the policy reads this endpoint's JSON body.
    pub fn reads_body(self) -> bool {
        matches!(
            self,
            Endpoint::ContainerCreate
                | Endpoint::ContainerStart
                | Endpoint::ContainerUpdate
                | Endpoint::ContainerExec
                | Endpoint::VolumeCreate
                | Endpoint::ServiceSpec
        )
    }
}

/// The path's segments as dockerd's router sees them: percent-decoded (a no-op on an
/// already decoded path, as no Docker object name contains `%`), lexically cleaned, and
/// without an API version prefix (stripped here too if still present). The gateway
/// routes on these and forwards exactly them, so what is judged is what dockerd routes.
pub fn request_segments(path: &str) -> Vec<String> {
    let decoded = percent_decode(path, false);
    let clean = crate::path::normalize_host_path(&format!("/{decoded}"));
    let mut segments: Vec<String> = clean.split('/').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    if segments.first().is_some_and(|first| is_version(first)) {
        segments.remove(0);
    }
    segments
}

/// Classifies a request by its [`request_segments`]. Container and plugin names may span
/// several segments (`{name:.*}` routes), so those routes are matched by prefix and
/// suffix.
pub fn classify(method: &str, path: &str) -> Endpoint {
    let owned = request_segments(path);
    let segments: Vec<&str> = owned.iter().map(String::as_str).collect();
    let segments = &segments[..];
    let post = method.eq_ignore_ascii_case("POST");
    let delete = method.eq_ignore_ascii_case("DELETE");

    match segments {
        ["containers", "create"] if post => Endpoint::ContainerCreate,
        ["containers", _, .., last] if post => match *last {
            "start" => Endpoint::ContainerStart,
            "update" => Endpoint::ContainerUpdate,
            "exec" => Endpoint::ContainerExec,
            _ => Endpoint::Other,
        },
        ["volumes", "create"] if post => Endpoint::VolumeCreate,
        ["services", "create"] if post => Endpoint::ServiceSpec,
        ["services", _, .., "update"] if post => Endpoint::ServiceSpec,
        ["build"] if post => Endpoint::Build,
        // Whatever the method: these paths exist only as the refused POST/GET routes.
        ["plugins", "pull" | "create"] => Endpoint::PluginManagement,
        ["plugins", _, .., "enable" | "upgrade" | "set"] => Endpoint::PluginManagement,
        ["swarm", "init" | "join" | "leave" | "update" | "unlock" | "unlockkey"] => Endpoint::SwarmManagement,
        ["nodes", _, ..] if delete => Endpoint::SwarmManagement,
        _ => Endpoint::Other,
    }
}

/// dockerd's version prefix, `v{version:[0-9.]+}`.
fn is_version(segment: &str) -> bool {
    segment.strip_prefix('v').is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Decodes `%XX` escapes (and `+` as a space in query strings); malformed escapes stay
/// as they are, and invalid UTF-8 becomes U+FFFD like in Go.
pub(crate) fn percent_decode(text: &str, plus_as_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(hi), Some(lo)) => {
                    out.push((hi * 16 + lo) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_as_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        use Endpoint::*;
        let table = [
            ("POST", "/containers/create", ContainerCreate),
            ("post", "/containers/create", ContainerCreate),
            ("POST", "/v1.41/containers/create", ContainerCreate),
            ("POST", "//containers//create/", ContainerCreate),
            ("POST", "/containers/./create", ContainerCreate),
            ("POST", "/containers%2Fcreate", ContainerCreate),
            ("POST", "/containers/cre%61te", ContainerCreate),
            ("GET", "/containers/create", Other),
            ("POST", "/containers/abc/start", ContainerStart),
            ("POST", "/v1.23/containers/abc/start", ContainerStart),
            ("POST", "/containers/abc/update", ContainerUpdate),
            ("POST", "/containers/abc/exec", ContainerExec),
            ("POST", "/containers/abc/stop", Other),
            ("POST", "/exec/abc/start", Other),
            ("DELETE", "/containers/abc", Other),
            ("POST", "/volumes/create", VolumeCreate),
            ("POST", "/services/create", ServiceSpec),
            ("POST", "/services/abc/update", ServiceSpec),
            ("POST", "/secrets/abc/update", Other),
            ("POST", "/build", Build),
            ("POST", "/plugins/pull", PluginManagement),
            ("POST", "/plugins/create", PluginManagement),
            ("POST", "/plugins/vieux/sshfs:latest/enable", PluginManagement),
            ("POST", "/plugins/vieux/sshfs/upgrade", PluginManagement),
            ("POST", "/plugins/sshfs/set", PluginManagement),
            ("POST", "/plugins/sshfs/disable", Other),
            ("GET", "/plugins/privileges", Other),
            ("GET", "/plugins", Other),
            ("DELETE", "/plugins/sshfs", Other),
            ("POST", "/swarm/init", SwarmManagement),
            ("POST", "/swarm/join", SwarmManagement),
            ("POST", "/swarm/leave", SwarmManagement),
            ("POST", "/swarm/update", SwarmManagement),
            ("POST", "/swarm/unlock", SwarmManagement),
            ("GET", "/swarm/unlockkey", SwarmManagement),
            ("GET", "/swarm", Other),
            ("DELETE", "/nodes/abc", SwarmManagement),
            ("GET", "/nodes/abc", Other),
            ("POST", "/nodes/abc/update", Other),
            ("GET", "/_ping", Other),
        ];
        for (method, path, want) in table {
            assert_eq!(classify(method, path), want, "{method} {path}");
        }
    }

    #[test]
    fn decoding() {
        assert_eq!(percent_decode("a%2Fb", false), "a/b");
        assert_eq!(percent_decode("a+b%2", true), "a b%2");
        assert_eq!(percent_decode("%zz%", false), "%zz%");
        assert_eq!(percent_decode("%41", false), "A");
    }
}
