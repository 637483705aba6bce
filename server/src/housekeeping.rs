//! Background housekeeping: expired sessions, idle sign-in attempt buckets and events past
//! the audit retention are forgotten at start and then every [`EVERY`].

use std::time::Duration;

use provisioner::Provisioner;

/// How often to prune.
const EVERY: Duration = Duration::from_secs(15 * 60);

/// Prunes forever (run it in a task of its own).
pub async fn run(provisioner: Provisioner) {
    loop {
        match provisioner.prune().await {
            Ok(pruned) => tracing::info!(
                sessions = pruned.sessions,
                sign_in_attempts = pruned.sign_in_attempts,
                events = pruned.events,
                "pruned expired sessions, idle sign-in attempts and events past their retention"
            ),
            Err(err) => tracing::warn!(error = %err, "could not prune sessions and sign-in attempts"),
        }
        tokio::time::sleep(EVERY).await;
    }
}
