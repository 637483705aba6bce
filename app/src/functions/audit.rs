//! The account's audit trail (the page shows the latest; the download has all of it).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::AuditEntryView;

/// The most entries the page shows.
pub const AUDIT_SHOWN: u32 = 200;

/// The signed-in account's latest audit entries, newest first.
#[server(prefix = "/api", endpoint = "audit_trail")]
pub async fn audit_trail() -> Result<Vec<AuditEntryView>, AppError> {
    use crate::session::{fail, provisioner, require_account};
    let account = require_account().await.map_err(fail)?;
    let entries = provisioner()?.audit_trail(&account, AUDIT_SHOWN).await.map_err(fail)?;
    Ok(entries.into_iter().map(entry_view).collect())
}

/// An audit entry as the pages show it (without its account).
#[cfg(feature = "ssr")]
pub(crate) fn entry_view(e: provisioner::AuditEntry) -> AuditEntryView {
    AuditEntryView {
        id: e.id,
        at: e.at,
        cluster: e.cluster_name,
        message: e.message,
        actor: e.actor,
        address: e.address,
    }
}
