//! Cluster CA keys at rest: sealed in a real SQLite file under a key file kept outside it.

use std::path::Path;

use provisioner::{open_secret_key, Account, ClusterStatus, Error, Provisioner, ProvisionerConfig, SecretKey, Storage};

const PASSWORD: &str = "correct horse battery";

async fn open(db: &Path, key: SecretKey) -> Result<Provisioner, Error> {
    Provisioner::new(Storage::open(db).await.unwrap(), ProvisionerConfig::default(), key).await
}

/// A provisioner on `dir/carina.db` with its key file `dir/secret.key`, and an account.
async fn setup(dir: &Path) -> (Provisioner, Account) {
    let storage = Storage::open(&dir.join("carina.db")).await.unwrap();
    let key = open_secret_key(&storage, &dir.join("secret.key")).await.unwrap();
    let p = Provisioner::new(storage, ProvisionerConfig::default(), key).await.unwrap();
    let (account, _) = p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    (p, account)
}

/// Creates an active cluster (as if the reconciler had built it).
async fn active_cluster(p: &Provisioner, account: &Account, name: &str) -> String {
    let id = p.create_cluster(account, name, 1).await.unwrap().id;
    p.storage().set_cluster_status(&id, ClusterStatus::Active.as_str(), None, 0).await.unwrap();
    id
}

async fn stored_key(p: &Provisioner, id: &str) -> String {
    sqlx::query_scalar("SELECT ca_key_sealed FROM clusters WHERE id = ?")
        .bind(id)
        .fetch_one(p.storage().sqlite_pool().unwrap())
        .await
        .unwrap()
}

/// The stored control-plane CA: its certificate and its sealed key.
async fn control_plane_ca(p: &Provisioner) -> (String, String) {
    sqlx::query_as("SELECT cert_pem, key_sealed FROM control_plane_ca")
        .fetch_one(p.storage().sqlite_pool().unwrap())
        .await
        .unwrap()
}

async fn download_works(p: &Provisioner, account: &Account, name: &str) {
    let zip = p.download_credentials(account, name).await.unwrap();
    assert!(zip.bytes.len() > 1000);
}

#[tokio::test]
async fn ca_keys_are_stored_sealed_and_open_with_the_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let (p, account) = setup(dir.path()).await;
    let id = active_cluster(&p, &account, "web").await;
    let stored = stored_key(&p, &id).await;
    assert!(stored.starts_with(&format!("sealed:v1:{}:", p.secret_key_id())), "{stored}");
    assert!(!stored.contains("PRIVATE KEY") && !stored.contains("-----"), "not a PEM: {stored}");
    download_works(&p, &account, "web").await;

    // Another start with the same key file: everything still opens.
    drop(p);
    let (again, _) = {
        let storage = Storage::open(&dir.path().join("carina.db")).await.unwrap();
        let key = open_secret_key(&storage, &dir.path().join("secret.key")).await.unwrap();
        (Provisioner::new(storage, ProvisionerConfig::default(), key).await.unwrap(), ())
    };
    download_works(&again, &account, "web").await;
}

#[tokio::test]
async fn the_control_plane_ca_is_made_once_stored_sealed_and_shared_by_every_server() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = setup(dir.path()).await;
    let (cert, sealed) = control_plane_ca(&p).await;
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"), "{cert}");
    assert!(sealed.starts_with(&format!("sealed:v1:{}:", p.secret_key_id())), "{sealed}");
    assert!(!sealed.contains("PRIVATE KEY"), "the control-plane key is stored in the clear");
    // Another server on the same database (a replica, or this one restarted) takes the
    // same CA, so that segments one built trust the other.
    let key = SecretKey::load(&dir.path().join("secret.key")).unwrap();
    let again = open(&dir.path().join("carina.db"), key).await.unwrap();
    assert_eq!(control_plane_ca(&again).await, (cert, sealed));
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM control_plane_ca")
        .fetch_one(p.storage().sqlite_pool().unwrap())
        .await
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn a_copy_of_the_database_without_the_key_file_mints_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (p, account) = setup(dir.path()).await;
    active_cluster(&p, &account, "web").await;

    // A complete, consistent copy of the database file (as a backup would make one).
    let thief = tempfile::tempdir().unwrap();
    let copy = thief.path().join("carina.db");
    sqlx::query("VACUUM INTO ?")
        .bind(copy.to_str().unwrap())
        .execute(p.storage().sqlite_pool().unwrap())
        .await
        .unwrap();
    // No key file next to the copy: none is made up, and the start says why.
    let storage = Storage::open(&copy).await.unwrap();
    let err = open_secret_key(&storage, &thief.path().join("secret.key")).await.unwrap_err();
    assert!(matches!(err, Error::SecretKey(provisioner::SecretKeyError::Missing { .. })), "{err:?}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!thief.path().join("secret.key").exists());
    // Any other key is refused with a message naming both keys.
    let wrong = SecretKey::generate();
    let wrong_id = wrong.id().to_owned();
    let Err(err) = open(&copy, wrong).await else { panic!("a wrong key opened the database") };
    assert!(matches!(err, Error::SecretKey(provisioner::SecretKeyError::WrongKey { .. })), "{err:?}");
    assert!(err.to_string().contains(&format!("the key in use is {wrong_id}")), "{err}");
    assert!(!err.is_user_facing(), "an operator's problem, not shown to users");
}

#[tokio::test]
async fn plaintext_keys_of_an_older_database_are_sealed_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let (p, account) = setup(dir.path()).await;
    let id = active_cluster(&p, &account, "web").await;
    // Make the row look like one from before sealing: the plaintext PEM.
    let key = SecretKey::load(&dir.path().join("secret.key")).unwrap();
    let pem = key.open(&stored_key(&p, &id).await, &format!("clusters.ca_key:{id}")).unwrap();
    assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
    sqlx::query("UPDATE clusters SET ca_key_sealed = ? WHERE id = ?")
        .bind(&pem)
        .bind(&id)
        .execute(p.storage().sqlite_pool().unwrap())
        .await
        .unwrap();
    drop(p);

    let p = open(&dir.path().join("carina.db"), key).await.unwrap();
    let stored = stored_key(&p, &id).await;
    assert!(stored.starts_with("sealed:v1:") && !stored.contains("PRIVATE KEY"), "{stored}");
    download_works(&p, &account, "web").await;
}

#[tokio::test]
async fn rotation_reseals_every_key_with_the_new_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let (p, account) = setup(dir.path()).await;
    let ids = [active_cluster(&p, &account, "web").await, active_cluster(&p, &account, "db").await];
    let new_path = dir.path().join("secret.key.new");
    let new = SecretKey::create(&new_path).unwrap();
    // Both clusters' keys and the control plane's.
    assert_eq!(p.rotate_secret_key(&new).await.unwrap(), 3);
    assert_eq!(p.rotate_secret_key(&new).await.unwrap(), 0, "running it again changes nothing");
    for id in &ids {
        assert!(stored_key(&p, id).await.starts_with(&format!("sealed:v1:{}:", new.id())));
    }
    assert!(control_plane_ca(&p).await.1.starts_with(&format!("sealed:v1:{}:", new.id())));
    let old_id = format!("sealed:v1:{}:", p.secret_key_id());
    for file in ["carina.db", "carina.db-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        let found = bytes.windows(old_id.len()).any(|w| w == old_id.as_bytes());
        assert!(!found, "{file} still holds a value sealed with the old key");
    }
    drop(p);

    let db = dir.path().join("carina.db");
    let old = SecretKey::load(&dir.path().join("secret.key")).unwrap();
    assert!(matches!(open(&db, old).await, Err(Error::SecretKey(_))), "the old key no longer opens them");
    let p = open(&db, SecretKey::load(&new_path).unwrap()).await.unwrap();
    download_works(&p, &account, "web").await;
    download_works(&p, &account, "db").await;
}

/// A database made by the schema before sealing (the first two migrations only), with a
/// cluster whose CA key is a plaintext PEM, as an existing installation has it.
async fn database_from_before_sealing(db: &Path, migrations: &Path) {
    std::fs::create_dir_all(migrations).unwrap();
    let all = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations/sqlite");
    for name in ["20261125000001_accounts.sql", "20261125000002_clusters.sql"] {
        std::fs::copy(all.join(name), migrations.join(name)).unwrap();
    }
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(db).create_if_missing(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
    sqlx::migrate::Migrator::new(migrations).await.unwrap().run(&pool).await.unwrap();
    let ca = pki::new_cluster_ca("c1", "old").unwrap();
    sqlx::query(
        "INSERT INTO accounts (id, email, password_hash, is_operator, max_clusters, max_segments_per_cluster, created_at)
         VALUES ('a1', 'old@example.com', 'x', 0, 3, 3, 0)",
    )
    .execute(&pool)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO clusters (id, account_id, name, status, desired_segments, endpoint_port, ca_cert_pem,
                               ca_key_pem, created_at, updated_at)
         VALUES ('c1', 'a1', 'old', 'active', 1, 23760, ?, ?, 0, 0)",
    )
    .bind(&ca.cert_pem)
    .bind(&ca.key_pem)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

#[tokio::test]
async fn an_installation_from_before_sealing_upgrades_and_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("carina.db");
    database_from_before_sealing(&db, &dir.path().join("old-migrations")).await;

    // The first start with this version: the key file is made, the old key sealed.
    let storage = Storage::open(&db).await.unwrap();
    let key = open_secret_key(&storage, &dir.path().join("secret.key")).await.unwrap();
    let p = Provisioner::new(storage, ProvisionerConfig::default(), key).await.unwrap();
    let stored = stored_key(&p, "c1").await;
    assert!(stored.starts_with(&format!("sealed:v1:{}:", p.secret_key_id())), "{stored}");
    let account = p.account_by_email("old@example.com").await.unwrap();
    download_works(&p, &account, "old").await;
    // Nor does the plaintext linger in the files, in free pages or the write-ahead log.
    for file in ["carina.db", "carina.db-wal"] {
        let bytes = std::fs::read(dir.path().join(file)).unwrap_or_default();
        let found = bytes.windows(11).any(|w| w == b"PRIVATE KEY");
        assert!(!found, "{file} still holds a plaintext private key");
    }
}
