//! Wire types: what server functions send to the browser.

use serde::{Deserialize, Serialize};

/// The signed-in account, as the panel shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub email: String,
    pub is_operator: bool,
    pub max_clusters: u32,
    pub max_segments_per_cluster: u32,
    /// How many clusters the account has now (all statuses count, `error` included).
    pub clusters_used: u32,
}

/// A personal API key, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked: bool,
}

/// A just-created API key: the only time its secret is shown.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewApiKeyView {
    pub key: ApiKeyView,
    pub secret: String,
}
