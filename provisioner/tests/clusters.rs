//! Clusters' desired state against a real SQLite database (no infrastructure involved:
//! these operations only record what the reconciler is to do).

use std::io::Read;

use provisioner::{Account, ClusterStatus, Error, Provisioner, ProvisionerConfig, SecretKey, Storage};

const PASSWORD: &str = "correct horse battery";

async fn provisioner_with_account() -> (Provisioner, Account, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let storage = Storage::connect(&testkit::database::url_in(dir.path())).await.unwrap();
    let p = Provisioner::new(storage, ProvisionerConfig::default(), SecretKey::generate()).await.unwrap();
    let (account, _) = p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    (p, account, dir)
}

async fn set_status(p: &Provisioner, id: &str, status: ClusterStatus) {
    p.storage().set_cluster_status(id, status.as_str(), None, 0).await.unwrap();
}

#[tokio::test]
async fn create_records_desired_state_and_gives_distinct_endpoints() {
    let (p, account, _dir) = provisioner_with_account().await;
    let a = p.create_cluster(&account, "web", 3).await.unwrap();
    let b = p.create_cluster(&account, "db", 1).await.unwrap();
    assert_eq!(a.status, ClusterStatus::New);
    assert_eq!((a.desired_segments, a.ready_segments), (3, 0));
    let da = p.cluster_detail(&account, "web").await.unwrap();
    let db = p.cluster_detail(&account, "db").await.unwrap();
    assert_ne!(da.docker_host, db.docker_host);
    assert_eq!(da.token, format!("token://{}", a.id));
    assert_eq!(da.events[0].message, "Cluster created with 3 segment(s)");
    assert_ne!(a.id, b.id);
}

#[tokio::test]
async fn names_are_validated_and_unique_per_account() {
    let (p, account, _dir) = provisioner_with_account().await;
    assert!(matches!(p.create_cluster(&account, "bad name", 1).await, Err(Error::Invalid(_))));
    p.create_cluster(&account, "web", 1).await.unwrap();
    let err = p.create_cluster(&account, "web", 1).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("already have a cluster named \"web\""));
    // Another account may use the same name.
    let (other, _) = p.sign_up("bob@example.com", PASSWORD).await.unwrap();
    p.create_cluster(&other, "web", 1).await.unwrap();
}

#[tokio::test]
async fn a_fourth_segment_or_cluster_is_refused() {
    let (p, account, _dir) = provisioner_with_account().await;
    let err = p.create_cluster(&account, "big", 4).await.unwrap_err();
    assert!(matches!(err, Error::QuotaExceeded(_)));
    assert!(err.to_string().contains("at most 3 segments"), "{err}");
    for name in ["a", "b", "c"] {
        p.create_cluster(&account, name, 1).await.unwrap();
    }
    let err = p.create_cluster(&account, "d", 1).await.unwrap_err();
    assert!(err.to_string().contains("3 of 3 clusters"), "{err}");
}

#[tokio::test]
async fn concurrent_creates_never_exceed_the_quota() {
    let (p, account, _dir) = provisioner_with_account().await;
    let attempts = (0..8).map(|i| {
        let (p, account) = (p.clone(), account.clone());
        tokio::spawn(async move { p.create_cluster(&account, &format!("c{i}"), 1).await })
    });
    let results = futures::future::join_all(attempts).await;
    let created = results.iter().filter(|r| matches!(r, Ok(Ok(_)))).count();
    let refused = results.iter().filter(|r| matches!(r, Ok(Err(Error::QuotaExceeded(_))))).count();
    assert_eq!((created, refused), (3, 5));
    assert_eq!(p.clusters(&account).await.unwrap().len(), 3);
}

#[tokio::test]
async fn grow_only_adds_within_quota_and_only_when_active() {
    let (p, account, _dir) = provisioner_with_account().await;
    let c = p.create_cluster(&account, "web", 1).await.unwrap();
    let err = p.grow_cluster(&account, "web", 2).await.unwrap_err();
    assert!(err.to_string().contains("it can only grow when it is active"), "{err}");
    set_status(&p, &c.id, ClusterStatus::Active).await;
    let err = p.grow_cluster(&account, "web", 1).await.unwrap_err();
    assert!(err.to_string().contains("never removes"), "{err}");
    let err = p.grow_cluster(&account, "web", 4).await.unwrap_err();
    assert!(matches!(err, Error::QuotaExceeded(_)));
    let grown = p.grow_cluster(&account, "web", 3).await.unwrap();
    assert_eq!((grown.status, grown.desired_segments), (ClusterStatus::Growing, 3));
    // A second grow while growing is refused rather than lost.
    assert!(matches!(p.grow_cluster(&account, "web", 3).await, Err(Error::Invalid(_) | Error::Conflict(_))));
}

#[tokio::test]
async fn rebuild_and_delete_follow_the_state_machine() {
    let (p, account, _dir) = provisioner_with_account().await;
    let c = p.create_cluster(&account, "web", 2).await.unwrap();
    assert!(matches!(p.rebuild_cluster(&account, "web").await, Err(Error::Conflict(_))));
    set_status(&p, &c.id, ClusterStatus::Error).await;
    let rebuilt = p.rebuild_cluster(&account, "web").await.unwrap();
    assert_eq!(rebuilt.status, ClusterStatus::Rebuilding);
    let row = p.storage().cluster_by_id(&c.id).await.unwrap().unwrap();
    assert_eq!(row.generation, 2);
    p.delete_cluster(&account, "web").await.unwrap();
    assert_eq!(p.cluster_summary(&account, "web").await.unwrap().status, ClusterStatus::Deleting);
    assert!(matches!(p.delete_cluster(&account, "web").await, Err(Error::Conflict(_))));
    // Nobody else can touch it.
    let (other, _) = p.sign_up("bob@example.com", PASSWORD).await.unwrap();
    assert!(matches!(p.cluster_detail(&other, "web").await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn credentials_only_once_active_and_revocable() {
    let (p, account, _dir) = provisioner_with_account().await;
    let c = p.create_cluster(&account, "web", 1).await.unwrap();
    let err = p.download_credentials(&account, "web").await.err().unwrap();
    assert!(err.to_string().contains("not active yet"), "{err}");
    set_status(&p, &c.id, ClusterStatus::Active).await;
    let zip = p.download_credentials(&account, "web").await.unwrap();
    assert_eq!(zip.file_name, "web.zip");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(zip.bytes)).unwrap();
    let mut env = String::new();
    archive.by_name("web/docker.env").unwrap().read_to_string(&mut env).unwrap();
    let detail = p.cluster_detail(&account, "web").await.unwrap();
    assert!(env.contains(&detail.docker_host), "{env}");
    assert!(archive.by_name("web/key.pem").is_ok());
    assert!(archive.by_name("web/ca-key.pem").is_err());

    let bundles = p.bundles(&account, "web").await.unwrap();
    assert_eq!(bundles.len(), 1);
    assert!(!bundles[0].revoked);
    // One name for a bundle: its certificate's common name (which the endpoint names a
    // refused client by) is the label the list and the history show.
    let label = &bundles[0].label;
    assert_eq!(label, &provisioner::bundle_label("web", &bundles[0].id));
    let mut cert = String::new();
    archive.by_name("web/cert.pem").unwrap().read_to_string(&mut cert).unwrap();
    assert!(der_of(&cert).windows(label.len()).any(|w| w == label.as_bytes()), "the certificate's CN is {label}");
    let history = |detail: provisioner::ClusterDetail| detail.events.into_iter().map(|e| e.message).collect::<Vec<_>>();
    let events = history(p.cluster_detail(&account, "web").await.unwrap());
    assert!(events.contains(&format!("Credentials downloaded (certificate {label})")), "{events:?}");
    p.revoke_credentials(&account, "web", &bundles[0].id).await.unwrap();
    let events = history(p.cluster_detail(&account, "web").await.unwrap());
    assert!(events.contains(&format!("Credentials revoked (certificate {label})")), "{events:?}");
    assert!(p.bundles(&account, "web").await.unwrap()[0].revoked);
    assert_eq!(p.storage().revoked_fingerprints(&c.id).await.unwrap().len(), 1);
    assert!(matches!(p.revoke_credentials(&account, "web", &bundles[0].id).await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn a_name_over_64_characters_is_refused_and_nothing_is_made() {
    let (p, account, _dir) = provisioner_with_account().await;
    let err = p.create_cluster(&account, &"y".repeat(100), 1).await.err().unwrap();
    assert!(matches!(err, Error::Invalid(_)), "{err:?}");
    assert!(err.to_string().starts_with("A cluster name has at most 64 characters; this one has 100."), "{err}");
    assert!(p.clusters(&account).await.unwrap().is_empty());
    // Nor is a name cut to 64 made instead.
    assert!(matches!(p.cluster_summary(&account, &"y".repeat(64)).await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn discovery_answers_only_real_tokens() {
    let (p, account, _dir) = provisioner_with_account().await;
    let c = p.create_cluster(&account, "web", 1).await.unwrap();
    assert_eq!(p.discover(&format!("token://{}", c.id)).await.unwrap(), Vec::<String>::new());
    assert!(matches!(p.discover("token://nope").await, Err(Error::NotFound(_))));
    assert!(matches!(p.discover(&uuid_like()).await, Err(Error::NotFound(_))));
}

/// The DER bytes of a PEM certificate.
fn der_of(pem: &str) -> Vec<u8> {
    use base64::Engine;
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".into()
}
