//! The control plane trusts a dockerd only with a certificate of the control-plane CA that
//! names the very address it dialled: a segment cannot pose as another, and a certificate
//! of any other CA (a cluster's, which tenants' segments hold) is refused.

use std::net::{IpAddr, Ipv4Addr, SocketAddrV4};
use std::sync::Arc;

use dockerlink::{connect, ControlIdentity, DockerAddress};
use pki::{issue_client_cert, issue_server_cert, new_cluster_ca, ClusterCa};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

/// A one-connection TLS server on loopback serving `cert` (issued by `ca` for `names`),
/// which answers "ok" to whatever it reads.
async fn serve(ca: &ClusterCa, names: &[IpAddr]) -> SocketAddrV4 {
    let leaf = issue_server_cert(ca, "segment", names, &[]).unwrap();
    let certs: Vec<CertificateDer<'static>> =
        rustls_pemfile::certs(&mut leaf.cert_pem.as_bytes()).map(Result::unwrap).collect();
    let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut leaf.key_pem.as_bytes()).unwrap().unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let std::net::SocketAddr::V4(addr) = listener.local_addr().unwrap() else { unreachable!() };
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        if let Ok(mut tls) = TlsAcceptor::from(Arc::new(config)).accept(tcp).await {
            let mut byte = [0u8; 1];
            if tls.read_exact(&mut byte).await.is_ok() {
                let _ = tls.write_all(b"ok").await;
                let _ = tls.shutdown().await;
            }
        }
    });
    addr
}

fn identity_of(control: &ClusterCa) -> ControlIdentity {
    let client = issue_client_cert(control, "carina control plane").unwrap();
    ControlIdentity::new(&control.cert_pem, &client.cert_pem, &client.key_pem).unwrap()
}

async fn talks(addr: SocketAddrV4, identity: &ControlIdentity) -> bool {
    let Ok(mut stream) = connect(&DockerAddress::Tls { addr, identity: identity.clone() }).await else {
        return false;
    };
    let mut answer = String::new();
    stream.write_all(b"?").await.is_ok() && stream.read_to_string(&mut answer).await.is_ok() && answer == "ok"
}

#[tokio::test]
async fn only_the_control_plane_ca_naming_the_dialled_address_is_trusted() {
    let control = new_cluster_ca("control", "control plane").unwrap();
    let identity = identity_of(&control);
    let loopback = IpAddr::V4(Ipv4Addr::LOCALHOST);

    let right = serve(&control, &[loopback]).await;
    assert!(talks(right, &identity).await, "the segment's own listener was refused");

    let elsewhere = serve(&control, &[IpAddr::V4(Ipv4Addr::new(10, 214, 0, 12))]).await;
    assert!(!talks(elsewhere, &identity).await, "a certificate for another segment's address was trusted");

    let cluster = new_cluster_ca("cluster", "a tenant's cluster").unwrap();
    let tenant = serve(&cluster, &[loopback]).await;
    assert!(!talks(tenant, &identity).await, "a cluster CA's certificate was trusted");
}

#[test]
fn an_identity_needs_its_certificate_and_a_matching_key() {
    let control = new_cluster_ca("control", "control plane").unwrap();
    let client = issue_client_cert(&control, "carina control plane").unwrap();
    let other = issue_client_cert(&control, "another").unwrap();
    assert!(ControlIdentity::new(&control.cert_pem, &client.cert_pem, &client.key_pem).is_ok());
    assert!(ControlIdentity::new(&control.cert_pem, &client.cert_pem, &other.key_pem).is_err(), "mismatched key");
    assert!(ControlIdentity::new("", &client.cert_pem, &client.key_pem).is_err(), "no CA");
    assert!(ControlIdentity::new(&control.cert_pem, "", &client.key_pem).is_err(), "no certificate");
}
