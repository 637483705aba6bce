//! The fleet: a segment driver for each registered host, so that every segment is driven
//! on the host placement put it on ([`crate::host::choose_host`]). This server's own
//! libvirt is [`LOCAL_HOST`]; an operator adds others (`server admin add-host`), and every
//! replica picks them up at its next look at the hosts ([`Fleet::refresh`]).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use segments::{SegmentDriver, SegmentError};

use crate::error::{Error, Result};
use crate::host::LOCAL_HOST;
use crate::storage::Storage;

/// Makes the driver of a host from its libvirt URI.
pub type DriverFactory = dyn Fn(&str) -> std::result::Result<Arc<dyn SegmentDriver>, SegmentError> + Send + Sync;

/// Every host's segment driver, by host name.
#[derive(Clone)]
pub struct Fleet {
    inner: Arc<Inner>,
}

struct Inner {
    local: Arc<dyn SegmentDriver>,
    /// `None`: every host name is driven by `local` (a fake in the domain's tests).
    make: Option<Box<DriverFactory>>,
    /// The other hosts, by name.
    others: RwLock<HashMap<String, Loaded>>,
}

/// A host's libvirt URI when its driver was made, and the driver.
type Loaded = (String, Arc<dyn SegmentDriver>);

impl Fleet {
    /// One driver for whatever host a segment is on (the domain's tests, with a fake).
    pub fn single(driver: Arc<dyn SegmentDriver>) -> Self {
        Self::with(driver, None)
    }

    /// `local` for this server's own host, and drivers made by `make` for the others.
    pub fn new(local: Arc<dyn SegmentDriver>, make: Box<DriverFactory>) -> Self {
        Self::with(local, Some(make))
    }

    fn with(local: Arc<dyn SegmentDriver>, make: Option<Box<DriverFactory>>) -> Self {
        Fleet { inner: Arc::new(Inner { local, make, others: RwLock::default() }) }
    }

    /// The driver of host `host`. A host this server has not loaded yet (added since its
    /// last [`Fleet::refresh`]) is unavailable, not an error of the segment's.
    pub fn on(&self, host: &str) -> Result<Arc<dyn SegmentDriver>> {
        if host == LOCAL_HOST || self.inner.make.is_none() {
            return Ok(self.inner.local.clone());
        }
        let others = self.inner.others.read().unwrap_or_else(|e| e.into_inner());
        others.get(host).map(|(_, driver)| driver.clone()).ok_or_else(|| {
            Error::Internal(format!("host {host:?} is not known to this server yet (it reads the hosts every pass)"))
        })
    }

    /// This server's own host's driver.
    pub fn local(&self) -> &Arc<dyn SegmentDriver> {
        &self.inner.local
    }

    /// Every host's driver, this server's own first (one driver in all for
    /// [`Fleet::single`]).
    pub fn all(&self) -> Vec<(String, Arc<dyn SegmentDriver>)> {
        let mut all = vec![(LOCAL_HOST.to_owned(), self.inner.local.clone())];
        if self.inner.make.is_some() {
            let others = self.inner.others.read().unwrap_or_else(|e| e.into_inner());
            let mut others: Vec<_> = others.iter().map(|(name, (_, driver))| (name.clone(), driver.clone())).collect();
            others.sort_by(|a, b| a.0.cmp(&b.0));
            all.extend(others);
        }
        all
    }

    /// Loads the hosts the database lists: a driver for each new host (or one whose URI
    /// changed), none any more for a removed one. A host whose driver cannot be made is
    /// logged and left out until the next refresh.
    pub async fn refresh(&self, storage: &Storage) -> Result<()> {
        let Some(make) = &self.inner.make else { return Ok(()) };
        let hosts = storage.hosts().await?;
        let mut others = self.inner.others.write().unwrap_or_else(|e| e.into_inner());
        others.retain(|name, (uri, _)| hosts.iter().any(|h| &h.name == name && &h.uri == uri));
        let new: Vec<_> = hosts.iter().filter(|h| h.name != LOCAL_HOST && !others.contains_key(&h.name)).collect();
        for host in new {
            match make(&host.uri) {
                Ok(driver) => {
                    others.insert(host.name.clone(), (host.uri.clone(), driver));
                }
                Err(err) => tracing::warn!(host = %host.name, uri = %host.uri, error = %err, "cannot drive this host"),
            }
        }
        Ok(())
    }
}
