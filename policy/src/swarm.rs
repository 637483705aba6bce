//! The swarm belongs to the provider.
//!
//! `POST /swarm/{init,join,leave,update,unlock}` and `DELETE /nodes/{id}` are refused
//! by routing (see `route.rs`): they would reshape or break the swarm the reconciler
//! maintains. `GET /swarm/unlockkey` is refused too: autolock is the provider's
//! business and the key decrypts managers' raft data and TLS keys.
//!
//! `GET /swarm` stays allowed (Portainer and `docker swarm ca` read it) but its answer
//! carries the join tokens: with the manager token anyone who reaches a manager's
//! port 2377, a container on a segment included, can join their own manager and drive
//! the swarm around the gateway. The gateway must pass that response through
//! [`redact_swarm_inspect`].
//!
//! `POST /nodes/{id}/update` (labels, availability, role) is allowed: it cannot grant
//! anything, and swarmkit keeps the last manager from being demoted.

use serde_json::Value;

use crate::json;

/// Removes the join tokens from a `GET /swarm` response body, wherever its spelling of
/// `JoinTokens`.
pub fn redact_swarm_inspect(body: &mut Value) {
    if let Some(map) = body.as_object_mut() {
        map.retain(|key, _| !json::key_matches(key, "JoinTokens"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn join_tokens_are_removed() {
        let mut body = json!({
            "ID": "abc",
            "JoinTokens": {"Worker": "SWMTKN-1-w", "Manager": "SWMTKN-1-m"},
            "Spec": {"Name": "default"}
        });
        redact_swarm_inspect(&mut body);
        assert_eq!(body, json!({"ID": "abc", "Spec": {"Name": "default"}}));
    }
}
