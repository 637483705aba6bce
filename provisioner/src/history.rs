//! What happened to a cluster, or to all of an account's clusters: the history the panel
//! shows on a cluster's page, for the API and the command line.

use crate::account::Account;
use crate::clusters::ClusterEvent;
use crate::error::Result;
use crate::Provisioner;

/// The most events one answer holds.
pub const EVENTS_LIMIT: u32 = 500;

/// One line of an account's history.
#[derive(Clone, Debug)]
pub struct AccountEvent {
    pub cluster_name: String,
    pub kind: String,
    pub message: String,
    pub at: i64,
}

impl Provisioner {
    /// A cluster's latest `limit` events (at most [`EVENTS_LIMIT`]), newest first.
    pub async fn cluster_events(&self, account: &Account, name: &str, limit: u32) -> Result<Vec<ClusterEvent>> {
        let row = self.owned_cluster(account, name).await?;
        let rows = self.storage.events_of(&row.id, limit.min(EVENTS_LIMIT).into()).await?;
        Ok(rows.into_iter().map(|e| ClusterEvent { kind: e.kind, message: e.message, at: e.created_at }).collect())
    }

    /// The latest `limit` events (at most [`EVENTS_LIMIT`]) of the account's clusters,
    /// newest first, deleted clusters' included (until the retention ends).
    pub async fn account_events(&self, account: &Account, limit: u32) -> Result<Vec<AccountEvent>> {
        let rows = self.storage.events_of_account(&account.id, limit.min(EVENTS_LIMIT).into()).await?;
        Ok(rows
            .into_iter()
            .map(|e| AccountEvent {
                cluster_name: e.cluster_name.unwrap_or_default(),
                kind: e.kind,
                message: e.message,
                at: e.created_at,
            })
            .collect())
    }
}
