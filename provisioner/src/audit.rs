//! The audit trail: who did what, through which door, from which address.
//!
//! The server runs every request inside [`acting`] with the client's address and the
//! door it came through (the panel or the API); authenticating an API key adds the key
//! ([`Provisioner::account_for_api_key`]), and operator commands run as the operator.
//! Every event recorded while the request runs carries that actor, so no method needs
//! an extra parameter and none can forget it. Carina's own steps (the reconciler) run
//! outside any request: no actor.

use std::cell::RefCell;
use std::net::IpAddr;

use crate::account::Account;
use crate::clock::now_ms;
use crate::error::Result;
use crate::storage::{ActorColumns, AuditRow};
use crate::Provisioner;

/// The most audit entries one answer holds.
pub const AUDIT_LIMIT: u32 = 10_000;

/// Who acts in the current request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub via: Via,
    /// The client's address (through trusted proxies, the one they name).
    pub address: Option<IpAddr>,
}

/// The door an action came through.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Via {
    /// The web panel, with a session.
    Panel,
    /// The JSON API, before a key is known (making a key with a password).
    Api,
    /// The JSON API with a personal key: its name and public prefix (never the secret).
    ApiKey { name: String, prefix: String },
    /// The operator's command line on the host.
    Operator,
}

impl Actor {
    /// How the audit trail names this actor.
    pub fn describe(&self) -> String {
        match &self.via {
            Via::Panel => "panel".into(),
            Via::Api => "api (password)".into(),
            Via::ApiKey { name, prefix } => format!("api key {name} ({prefix}…)"),
            Via::Operator => "operator".into(),
        }
    }
}

tokio::task_local! {
    static ACTOR: RefCell<Actor>;
}

/// Runs `work` as `actor`: events it records name them.
pub async fn acting<F: std::future::Future>(actor: Actor, work: F) -> F::Output {
    ACTOR.scope(RefCell::new(actor), work).await
}

/// The request's actor became more precise (an API key authenticated it).
pub(crate) fn narrow(via: Via) {
    let _ = ACTOR.try_with(|actor| actor.borrow_mut().via = via);
}

/// The actor and address columns for an event recorded now.
pub(crate) fn current() -> ActorColumns {
    ACTOR
        .try_with(|actor| {
            let actor = actor.borrow();
            ActorColumns { actor: Some(actor.describe()), address: actor.address.map(|a| a.to_string()) }
        })
        .unwrap_or_default()
}

/// One entry of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub at: i64,
    pub account_id: String,
    pub account_email: String,
    /// `action` (something asked of a cluster) or `account` (sign-ins, keys, passwords).
    pub kind: String,
    pub cluster_id: Option<String>,
    pub cluster_name: Option<String>,
    pub message: String,
    /// Who: `panel`, `api key NAME (PREFIX…)`, `api (password)`, `operator`.
    pub actor: Option<String>,
    pub address: Option<String>,
}

impl From<AuditRow> for AuditEntry {
    fn from(AuditRow { event: row, account_email }: AuditRow) -> Self {
        AuditEntry {
            account_email,
            id: row.id,
            at: row.created_at,
            account_id: row.account_id,
            kind: row.kind,
            cluster_id: row.cluster_id,
            cluster_name: row.cluster_name,
            message: row.message,
            actor: row.actor,
            address: row.address,
        }
    }
}

impl Provisioner {
    /// The account's audit trail, newest first (at most [`AUDIT_LIMIT`] entries).
    pub async fn audit_trail(&self, account: &Account, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = self.storage.audit_events(Some(&account.id), 0, limit.min(AUDIT_LIMIT).into()).await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// Every account's audit trail since `since` (unix ms), newest first: for operators.
    pub async fn audit_trail_of_all(&self, since: i64, limit: u32) -> Result<Vec<AuditEntry>> {
        let rows = self.storage.audit_events(None, since, limit.into()).await?;
        Ok(rows.into_iter().map(AuditEntry::from).collect())
    }

    /// Appends to an account's own history (sign-ins, keys, passwords). Never fatal, like
    /// [`Provisioner::record`](crate::Provisioner).
    pub(crate) async fn record_account(&self, account_id: &str, message: &str) {
        let by = current();
        if let Err(err) = self.storage.insert_account_event(account_id, "account", message, &by, now_ms()).await {
            tracing::warn!(account = %account_id, error = %err, "could not record an account event");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_name_the_actor_of_their_request_only() {
        assert_eq!(current(), ActorColumns::default(), "outside a request: Carina's own");
        let actor = Actor { via: Via::Api, address: Some("203.0.113.7".parse().unwrap()) };
        let seen = acting(actor, async {
            narrow(Via::ApiKey { name: "ci".into(), prefix: "carina_ab12cd".into() });
            current()
        })
        .await;
        assert_eq!(seen.actor.as_deref(), Some("api key ci (carina_ab12cd…)"));
        assert_eq!(seen.address.as_deref(), Some("203.0.113.7"));
        assert_eq!(current(), ActorColumns::default());
    }
}
