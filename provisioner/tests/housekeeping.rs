//! Operations on a real SQLite file: pruning expired sessions and idle sign-in attempts,
//! the readiness ping, and online backups that open as the original.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use provisioner::throttle::{buckets_for, FORGET_AFTER};
use provisioner::{Provisioner, ProvisionerConfig, Pruned, SecretKey, Storage};

const PASSWORD: &str = "correct horse battery";
const STRANGER: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 7));

fn now_ms() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis() as i64
}

async fn provisioner_on_file(dir: &tempfile::TempDir) -> Provisioner {
    provisioner_on(&dir.path().join("carina.db"), dir).await
}

/// A provisioner over the database at `db`, with the secret key file of `dir`.
async fn provisioner_on(db: &std::path::Path, dir: &tempfile::TempDir) -> Provisioner {
    let storage = Storage::open(db).await.unwrap();
    let key = SecretKey::load_or_create(&dir.path().join("secret.key")).unwrap();
    Provisioner::new(storage, ProvisionerConfig::default(), key).await.unwrap()
}

#[tokio::test]
async fn pruning_forgets_expired_sessions_and_idle_attempts_only() {
    let dir = tempfile::tempdir().unwrap();
    let p = provisioner_on_file(&dir).await;
    let (account, live) = p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    let now = now_ms();
    // Two sessions that ended a while ago, beside the live one.
    for (i, ended) in [3_600_000, 1].into_iter().enumerate() {
        p.storage().insert_session(&format!("old{i}"), &account.id, now - 10_000_000, now - ended).await.unwrap();
    }
    // One bucket idle for longer than FORGET_AFTER, one used just now.
    let [old, _] = buckets_for("old@example.com", STRANGER);
    let [recent, _] = buckets_for("ada@example.com", STRANGER);
    let long_ago = now - FORGET_AFTER.as_millis() as i64 - 60_000;
    // (Reserving drops idle buckets itself: the recent one first.)
    p.storage().reserve_sign_in_attempt(std::slice::from_ref(&recent), now).await.unwrap();
    p.storage().reserve_sign_in_attempt(std::slice::from_ref(&old), long_ago).await.unwrap();

    assert_eq!(p.prune().await.unwrap(), Pruned { sessions: 2, sign_in_attempts: 1, events: 0 });
    assert!(p.account_for_session(&live.token).await.unwrap().is_some(), "the live session stays");
    assert_eq!(p.storage().sign_in_attempts(&old).await.unwrap(), None);
    assert_eq!(p.storage().sign_in_attempts(&recent).await.unwrap(), Some(1));
    // Nothing left to do the second time.
    assert_eq!(p.prune().await.unwrap(), Pruned::default());
    // A session is pruned once its time is up, not before.
    let ttl = ProvisionerConfig::default().session_ttl;
    let later = now + (ttl + Duration::from_secs(60)).as_millis() as i64;
    assert_eq!(p.prune_at(later).await.unwrap().sessions, 1);
    assert!(p.account_for_session(&live.token).await.unwrap().is_none());
}

#[tokio::test]
async fn the_ping_fails_once_the_database_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let p = provisioner_on_file(&dir).await;
    p.storage().ping().await.unwrap();
    p.storage().close().await;
    assert!(p.storage().ping().await.is_err());
}

#[tokio::test]
async fn a_backup_taken_while_writing_opens_with_everything_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = provisioner_on_file(&dir).await;
    let (ada, _) = p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    p.create_cluster(&ada, "web", 2).await.unwrap();
    // Writers go on while the copy is made: the copy is one consistent snapshot.
    let writer = {
        let p = p.clone();
        tokio::spawn(async move {
            for i in 0..20 {
                p.sign_up(&format!("user{i}@example.com"), PASSWORD).await.unwrap();
            }
        })
    };
    let copy = dir.path().join("backup.db");
    p.storage().backup_to(&copy).await.unwrap();
    writer.await.unwrap();
    assert!(p.storage().backup_to(&copy).await.is_err(), "an existing file is never overwritten");

    // The copy opens with the same secret key file (CA keys are sealed with it).
    let again = provisioner_on(&copy, &dir).await;
    let ada = again.account_by_email("ada@example.com").await.unwrap();
    let clusters = again.clusters(&ada).await.unwrap();
    assert_eq!(clusters.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(), ["web"]);
}
