//! Accounts against a real (fresh, migrated) database per test: SQLite, or PostgreSQL
//! when `CARINA_TEST_DATABASE_URL` names a server.

use std::net::{IpAddr, Ipv4Addr};

use provisioner::{Error, Provisioner, ProvisionerConfig, Quotas, SecretKey, Storage};

async fn provisioner() -> Provisioner {
    let storage = match testkit::database::fresh_postgres() {
        Some(url) => Storage::connect(&url).await.unwrap(),
        None => Storage::in_memory().await.unwrap(),
    };
    Provisioner::new(storage, ProvisionerConfig::default(), SecretKey::generate()).await.unwrap()
}

const PASSWORD: &str = "correct horse battery";

/// The owner's address.
const HOME: IpAddr = IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1));

#[tokio::test]
async fn sign_up_then_sign_in_and_out() {
    let p = provisioner().await;
    let (account, session) = p.sign_up("Ada@Example.com", PASSWORD).await.unwrap();
    assert_eq!(account.email, "ada@example.com");
    assert_eq!(account.quotas, Quotas::default());
    assert_eq!(p.account_for_session(&session.token).await.unwrap().unwrap().id, account.id);

    let (again, second) = p.sign_in("ADA@example.com", PASSWORD, HOME).await.unwrap();
    assert_eq!(again.id, account.id);
    p.sign_out(&second.token).await.unwrap();
    assert!(p.account_for_session(&second.token).await.unwrap().is_none());
    // Signing out one session leaves the others alone.
    assert!(p.account_for_session(&session.token).await.unwrap().is_some());
}

#[tokio::test]
async fn a_taken_email_is_a_conflict_whatever_its_case() {
    let p = provisioner().await;
    p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    let err = p.sign_up("ADA@EXAMPLE.COM", PASSWORD).await.unwrap_err();
    assert!(matches!(err, Error::Conflict(_)), "{err:?}");
    assert!(err.to_string().contains("already exists"));
}

#[tokio::test]
async fn wrong_credentials_do_not_say_which_part_is_wrong() {
    let p = provisioner().await;
    p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    let wrong_password = p.sign_in("ada@example.com", "not the password", HOME).await.unwrap_err();
    let unknown_email = p.sign_in("bob@example.com", PASSWORD, HOME).await.unwrap_err();
    assert_eq!(wrong_password.to_string(), "Wrong email or password.");
    assert_eq!(unknown_email.to_string(), wrong_password.to_string());
}

#[tokio::test]
async fn api_keys_authenticate_until_revoked() {
    let p = provisioner().await;
    let (account, _) = p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    let (key, secret) = p.create_api_key(&account, "ci").await.unwrap();
    assert!(secret.starts_with("carina_") && secret.starts_with(&key.prefix));
    assert_eq!(p.account_for_api_key(&secret).await.unwrap().unwrap().id, account.id);
    assert!(p.account_for_api_key("carina_forged").await.unwrap().is_none());
    let listed = p.api_keys(&account).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some());
    p.revoke_api_key(&account, &key.id).await.unwrap();
    assert!(p.account_for_api_key(&secret).await.unwrap().is_none());
    assert!(matches!(p.revoke_api_key(&account, &key.id).await, Err(Error::NotFound(_))));
}

#[tokio::test]
async fn operators_raise_quotas() {
    let p = provisioner().await;
    let op = p.make_operator("root@example.com", PASSWORD).await.unwrap();
    assert!(op.is_operator);
    p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    let raised =
        p.set_quotas("ada@example.com", Quotas { max_clusters: 5, max_segments_per_cluster: 6 }).await.unwrap();
    assert_eq!(raised.quotas, Quotas { max_clusters: 5, max_segments_per_cluster: 6 });
    assert!(matches!(p.set_quotas("nobody@example.com", Quotas::default()).await, Err(Error::NotFound(_))));
    assert!(matches!(
        p.set_quotas("ada@example.com", Quotas { max_clusters: 0, max_segments_per_cluster: 3 }).await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test]
async fn a_file_database_persists_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("carina.db");
    let key_file = dir.path().join("secret.key");
    SecretKey::create(&key_file).unwrap();
    let key = || SecretKey::load(&key_file).unwrap();
    {
        let p =
            Provisioner::new(Storage::open(&path).await.unwrap(), ProvisionerConfig::default(), key()).await.unwrap();
        p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    }
    let p = Provisioner::new(Storage::open(&path).await.unwrap(), ProvisionerConfig::default(), key()).await.unwrap();
    p.sign_in("ada@example.com", PASSWORD, HOME).await.unwrap();
}

#[tokio::test]
async fn a_session_lookup_counts_its_own_accounts_clusters_only() {
    let p = provisioner().await;
    let (ada, ada_session) = p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    let (_, bob_session) = p.sign_up("bob@example.com", PASSWORD).await.unwrap();
    let (found, used) = p.signed_in(&ada_session.token).await.unwrap().unwrap();
    assert_eq!((found.id.as_str(), used), (ada.id.as_str(), 0));

    p.create_cluster(&ada, "web", 2).await.unwrap();
    p.create_cluster(&ada, "db", 1).await.unwrap();
    assert_eq!(p.signed_in(&ada_session.token).await.unwrap().unwrap().1, 2);
    assert_eq!(p.signed_in(&bob_session.token).await.unwrap().unwrap().1, 0, "another account's clusters");
    assert!(p.signed_in("not a session").await.unwrap().is_none());
}
