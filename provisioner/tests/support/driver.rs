//! A recording fake of [`SegmentDriver`] over the fake [`World`].

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use segments::{ControlIdentity, DockerAddress, SegmentDriver, SegmentError, SegmentSpec, SegmentState, SegmentTls};

use super::world::{Seg, World};

/// The fake host's segments.
pub struct FakeDriver {
    pub world: World,
}

/// The socket the fake host gives segment `name`: a relative, made-up path that only the
/// fake Docker understands.
pub fn socket_of(name: &str) -> PathBuf {
    Path::new("fake-host").join(name).join("docker.sock")
}

/// The segment a fake socket belongs to.
pub fn segment_of(dockerd: &DockerAddress) -> String {
    let socket = dockerd.socket().unwrap_or(Path::new(""));
    socket.parent().and_then(|p| p.file_name()).map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn failed(message: String) -> SegmentError {
    SegmentError::InvalidConfig(message)
}

impl FakeDriver {
    /// Freezes or thaws a running segment; anything else is left as it is.
    async fn set_frozen(&self, op: &'static str, name: &str, frozen: bool) -> Result<(), SegmentError> {
        self.world.enter(op, name).await.map_err(failed)?;
        if let Some(seg) = self.world.state().segments.get_mut(name).filter(|s| s.running) {
            seg.frozen = frozen;
        }
        self.world.leave(op, name).await;
        Ok(())
    }
}

#[async_trait]
impl SegmentDriver for FakeDriver {
    async fn ensure(&self, spec: &SegmentSpec) -> Result<(), SegmentError> {
        self.world.enter("ensure", &spec.name).await.map_err(failed)?;
        {
            let mut state = self.world.state();
            let seg = state.segments.entry(spec.name.clone()).or_insert_with(|| Seg {
                spec: spec.clone(),
                running: false,
                hung: false,
                frozen: false,
                starts: 0,
                images: BTreeSet::new(),
                containers: BTreeSet::new(),
                node: None,
                adopted: None,
            });
            if !seg.running {
                // A stopped segment is redefined from the spec and starts with a fresh dockerd.
                seg.spec = spec.clone();
                seg.running = true;
                seg.hung = false;
                seg.frozen = false;
                seg.starts += 1;
            }
        }
        self.world.leave("ensure", &spec.name).await;
        Ok(())
    }

    async fn adopt(&self, name: &str, hostname: &str, tls: &SegmentTls) -> Result<(), SegmentError> {
        self.world.enter("adopt", name).await.map_err(failed)?;
        match self.world.state().segments.get_mut(name) {
            Some(seg) if seg.running => seg.adopted = Some((hostname.to_owned(), tls.cert_pem.clone())),
            _ => return Err(failed(format!("segment {name} does not run"))),
        }
        self.world.leave("adopt", name).await;
        Ok(())
    }

    async fn stop(&self, name: &str) -> Result<(), SegmentError> {
        self.world.enter("stop", name).await.map_err(failed)?;
        if let Some(seg) = self.world.state().segments.get_mut(name) {
            seg.running = false;
            seg.frozen = false;
        }
        self.world.leave("stop", name).await;
        Ok(())
    }

    async fn freeze(&self, name: &str) -> Result<(), SegmentError> {
        self.set_frozen("freeze", name, true).await
    }

    async fn thaw(&self, name: &str) -> Result<(), SegmentError> {
        self.set_frozen("thaw", name, false).await
    }

    async fn allow_peers(&self, name: &str, _address: Ipv4Addr, peers: &[Ipv4Addr]) -> Result<(), SegmentError> {
        self.world.enter("allow_peers", name).await.map_err(failed)?;
        self.world.state().peers.insert(name.to_owned(), peers.to_vec());
        self.world.leave("allow_peers", name).await;
        Ok(())
    }

    async fn state(&self, name: &str) -> Result<SegmentState, SegmentError> {
        self.world.enter("state", name).await.map_err(failed)?;
        Ok(match self.world.segment(name) {
            None => SegmentState::Absent,
            Some(seg) if seg.running && seg.frozen => SegmentState::Frozen,
            Some(seg) if seg.running => SegmentState::Running,
            Some(_) => SegmentState::Stopped,
        })
    }

    async fn remove(&self, name: &str) -> Result<(), SegmentError> {
        self.world.enter("remove", name).await.map_err(failed)?;
        // Its /var/lib/docker goes too: images, containers and swarm membership.
        self.world.state().segments.remove(name);
        self.world.leave("remove", name).await;
        Ok(())
    }

    async fn list(&self) -> Result<Vec<String>, SegmentError> {
        self.world.enter("list", "*").await.map_err(failed)?;
        Ok(self.world.state().segments.keys().cloned().collect())
    }

    fn docker_address(&self, name: &str, _address: Ipv4Addr, _identity: &ControlIdentity) -> DockerAddress {
        DockerAddress::Unix(socket_of(name))
    }

    fn apparmor_enforced(&self) -> bool {
        false
    }
}

/// Which fake host each segment is on (shared by a fleet's [`OnHost`]s).
pub type Owners = std::sync::Arc<std::sync::Mutex<std::collections::BTreeMap<String, String>>>;

/// The fake host named `host` of a fleet: the shared [`FakeDriver`] for the segments it
/// holds, and an error for a segment on another host, as another machine's libvirt would
/// answer. A segment is on the host that first set its rules or made it, until removed
/// there. A call routed to the wrong host fails the step that made it.
pub struct OnHost {
    pub host: String,
    pub inner: FakeDriver,
    pub owners: Owners,
    /// Set: the host does not answer at all (every call fails).
    pub away: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl OnHost {
    pub fn new(host: &str, world: World, owners: Owners) -> Self {
        OnHost { host: host.to_owned(), inner: FakeDriver { world }, owners, away: Default::default() }
    }

    /// Fails for a segment on another host; one on none becomes this host's if `claim`.
    fn check(&self, name: &str, claim: bool) -> Result<bool, SegmentError> {
        if self.away.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(failed(format!("host {} does not answer", self.host)));
        }
        let mut owners = self.owners.lock().unwrap();
        match owners.get(name) {
            Some(host) if *host == self.host => Ok(true),
            Some(host) => Err(failed(format!("segment {name} is on host {host}, not on {}", self.host))),
            None if claim => {
                owners.insert(name.to_owned(), self.host.clone());
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[async_trait]
impl SegmentDriver for OnHost {
    async fn ensure(&self, spec: &SegmentSpec) -> Result<(), SegmentError> {
        self.check(&spec.name, true)?;
        self.inner.ensure(spec).await
    }

    async fn adopt(&self, name: &str, hostname: &str, tls: &SegmentTls) -> Result<(), SegmentError> {
        self.check(name, false)?;
        self.inner.adopt(name, hostname, tls).await
    }

    async fn stop(&self, name: &str) -> Result<(), SegmentError> {
        self.check(name, false)?;
        self.inner.stop(name).await
    }

    async fn freeze(&self, name: &str) -> Result<(), SegmentError> {
        self.check(name, false)?;
        self.inner.freeze(name).await
    }

    async fn thaw(&self, name: &str) -> Result<(), SegmentError> {
        self.check(name, false)?;
        self.inner.thaw(name).await
    }

    async fn allow_peers(&self, name: &str, address: Ipv4Addr, peers: &[Ipv4Addr]) -> Result<(), SegmentError> {
        // Rules are set before a segment is made, as the real filters are.
        self.check(name, true)?;
        self.inner.allow_peers(name, address, peers).await
    }

    async fn state(&self, name: &str) -> Result<SegmentState, SegmentError> {
        match self.check(name, false)? {
            true => self.inner.state(name).await,
            false => Ok(SegmentState::Absent),
        }
    }

    async fn remove(&self, name: &str) -> Result<(), SegmentError> {
        if self.check(name, false)? {
            self.inner.remove(name).await?;
            self.owners.lock().unwrap().remove(name);
        }
        Ok(())
    }

    async fn list(&self) -> Result<Vec<String>, SegmentError> {
        self.check("*", false)?;
        let owners = self.owners.lock().unwrap().clone();
        let on_world = self.inner.list().await?;
        Ok(on_world.into_iter().filter(|n| owners.get(n) == Some(&self.host)).collect())
    }

    fn docker_address(&self, name: &str, address: Ipv4Addr, identity: &ControlIdentity) -> DockerAddress {
        self.inner.docker_address(name, address, identity)
    }

    fn apparmor_enforced(&self) -> bool {
        false
    }
}
