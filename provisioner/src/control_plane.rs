//! The control plane's CA and TLS identity: how the control plane reaches the dockerd of a
//! segment on a host other than its own (see the `dockerlink` crate).
//!
//! One CA for the whole service, in the database (its key sealed with the secret key), so
//! that every replica holds the same trust. It signs two kinds of leaves: the certificate
//! each segment's dockerd serves on its TCP listener (naming the segment's address), and a
//! client certificate each server issues itself at start and keeps in memory. dockerd
//! trusts no other client CA, so no tenant's key, and no key a tenant can read inside a
//! segment, opens any dockerd.

use std::net::{IpAddr, Ipv4Addr};

use segments::ControlIdentity;

use crate::clock::now_ms;
use crate::error::{Error, Result};
use crate::secret_key::SecretKey;
use crate::storage::Storage;
use crate::Provisioner;

/// What the sealed key is bound to.
const CONTEXT: &str = "control_plane_ca.key";

/// The control-plane CA (key sealed, as stored) and this server's client identity.
pub(crate) struct ControlPlane {
    cert_pem: String,
    key_sealed: String,
    identity: ControlIdentity,
}

impl ControlPlane {
    /// Loads the service's control-plane CA, making it if no server has yet, and issues
    /// this server's client certificate.
    pub(crate) async fn load_or_create(storage: &Storage, secret_key: &SecretKey) -> Result<Self> {
        let (cert_pem, key_sealed) = match storage.control_plane_ca().await? {
            Some(stored) => stored,
            None => {
                let ca = pki::new_cluster_ca("control-plane", "control plane")?;
                let sealed = secret_key.seal(&ca.key_pem, CONTEXT);
                storage.insert_control_plane_ca(&ca.cert_pem, &sealed, now_ms()).await?
            }
        };
        let ca = pki::ClusterCa { key_pem: secret_key.open(&key_sealed, CONTEXT)?, cert_pem };
        let client = pki::issue_client_cert(&ca, "carina control plane")?;
        let identity = ControlIdentity::new(&ca.cert_pem, &client.cert_pem, &client.key_pem)
            .map_err(|e| Error::Internal(e.to_string()))?;
        Ok(ControlPlane { cert_pem: ca.cert_pem, key_sealed, identity })
    }

    /// The control-plane CA's certificate: the only client CA segments' dockerds trust.
    pub(crate) fn ca_cert_pem(&self) -> &str {
        &self.cert_pem
    }
}

/// The control-plane key sealed with `new`, for a rotation of the secret key; none when
/// there is no control-plane CA yet or `new` sealed it already.
pub(crate) async fn resealed_key(
    storage: &Storage,
    old: &SecretKey,
    new: &SecretKey,
) -> Result<Option<(String, String)>> {
    let Some((_, stored)) = storage.control_plane_ca().await? else { return Ok(None) };
    if crate::secret_key::sealed_key_id(&stored) == Some(new.id()) {
        return Ok(None);
    }
    let plain = old.open(&stored, CONTEXT)?;
    Ok(Some((stored, new.seal(&plain, CONTEXT))))
}

impl Provisioner {
    /// This server's identity towards segments' dockerds reached over TLS.
    pub fn control_identity(&self) -> &ControlIdentity {
        &self.control.identity
    }

    /// The control-plane CA's certificate: the only client CA segments' dockerds trust.
    pub(crate) fn control_ca_cert_pem(&self) -> &str {
        self.control.ca_cert_pem()
    }

    /// A certificate for the TCP listener of segment `domain`'s dockerd at `address`.
    pub(crate) fn listener_cert(&self, domain: &str, address: Ipv4Addr) -> Result<pki::IssuedCert> {
        let control = &self.control;
        let ca = pki::ClusterCa {
            cert_pem: control.cert_pem.clone(),
            key_pem: self.secret_key.open(&control.key_sealed, CONTEXT)?,
        };
        Ok(pki::issue_server_cert(&ca, domain, &[IpAddr::V4(address)], &[])?)
    }
}
