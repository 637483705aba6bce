//! The audit trail on a real SQLite file: actors of actions, account events, history kept
//! after a cluster goes, tenants apart, and retention.

use std::net::IpAddr;
use std::time::Duration;

use provisioner::{acting, Actor, Provisioner, ProvisionerConfig, SecretKey, Storage, Via};

const PASSWORD: &str = "correct horse battery";

async fn provisioner(dir: &tempfile::TempDir) -> Provisioner {
    let storage = Storage::connect(&testkit::database::url_in(dir.path())).await.unwrap();
    let key = SecretKey::load_or_create(&dir.path().join("secret.key")).unwrap();
    Provisioner::new(storage, ProvisionerConfig::default(), key).await.unwrap()
}

fn from(via: Via, address: &str) -> Actor {
    Actor { via, address: Some(address.parse::<IpAddr>().unwrap()) }
}

#[tokio::test]
async fn actions_name_their_actor_and_outlive_their_cluster() {
    let dir = tempfile::tempdir().unwrap();
    let p = provisioner(&dir).await;
    let (ada, _) = acting(from(Via::Panel, "203.0.113.7"), p.sign_up("ada@example.com", PASSWORD)).await.unwrap();
    let (bob, _) = p.sign_up("bob@example.com", PASSWORD).await.unwrap();
    let (_, secret) = acting(from(Via::Panel, "203.0.113.7"), p.create_api_key(&ada, "ci")).await.unwrap();
    // Through the API: the key that authenticated is the actor.
    acting(from(Via::Api, "198.51.100.2"), async {
        let ada = p.account_for_api_key(&secret).await.unwrap().unwrap();
        p.create_cluster(&ada, "web", 1).await.unwrap();
        p.delete_cluster(&ada, "web").await.unwrap();
    })
    .await;
    let client: IpAddr = "192.0.2.9".parse().unwrap();
    assert!(acting(from(Via::Panel, "192.0.2.9"), p.sign_in("ada@example.com", "wrong password!", client))
        .await
        .is_err());
    // The cluster row goes (as the reconciler does once its segments are gone).
    let web = p.storage().clusters_of(&ada.id).await.unwrap().pop().unwrap();
    p.storage().delete_cluster(&web.id).await.unwrap();

    let trail = p.audit_trail(&ada, 100).await.unwrap();
    let lines: Vec<String> = trail
        .iter()
        .map(|e| {
            format!("{} | {} | {:?} | {:?}", e.message, e.actor.as_deref().unwrap_or("-"), e.address, e.cluster_name)
        })
        .collect();
    let prefix = secret.chars().take(13).collect::<String>();
    assert_eq!(
        lines,
        [
            "Sign-in failed: wrong password | panel | Some(\"192.0.2.9\") | None".to_owned(),
            format!("Delete requested | api key ci ({prefix}…) | Some(\"198.51.100.2\") | Some(\"web\")"),
            format!(
                "Cluster created with 1 segment(s) | api key ci ({prefix}…) | Some(\"198.51.100.2\") | Some(\"web\")"
            ),
            format!("API key ci ({prefix}…) created | panel | Some(\"203.0.113.7\") | None"),
            "Account created | panel | Some(\"203.0.113.7\") | None".to_owned(),
        ]
    );
    assert!(trail.iter().all(|e| e.account_email == "ada@example.com"));
    // Nothing of one tenant in another's trail; the operator's view has both.
    assert!(p.audit_trail(&bob, 100).await.unwrap().iter().all(|e| e.account_id == bob.id));
    let all = p.audit_trail_of_all(0, 100).await.unwrap();
    assert!(all.iter().any(|e| e.account_id == bob.id) && all.iter().any(|e| e.account_id == ada.id));
    // No secret in any entry.
    assert!(all.iter().all(|e| !format!("{e:?}").contains(&secret) && !format!("{e:?}").contains(PASSWORD)));
}

#[tokio::test]
async fn events_past_their_retention_are_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let p = provisioner(&dir).await;
    let (ada, _) = p.sign_up("ada@example.com", PASSWORD).await.unwrap();
    p.create_api_key(&ada, "ci").await.unwrap();
    assert_eq!(p.audit_trail(&ada, 100).await.unwrap().len(), 2);
    let retention = ProvisionerConfig::default().audit_retention;
    let now = p.audit_trail(&ada, 1).await.unwrap()[0].at;
    // A day before the retention ends: kept; a day after: gone.
    let day = Duration::from_secs(24 * 3600);
    assert_eq!(p.prune_at(now + (retention - day).as_millis() as i64).await.unwrap().events, 0);
    assert_eq!(p.prune_at(now + (retention + day).as_millis() as i64).await.unwrap().events, 2);
    assert!(p.audit_trail(&ada, 100).await.unwrap().is_empty());
}
