-- The history becomes the audit trail: every event says whose account it belongs to, and
-- an action says who did it (the panel, an API key, the operator's command line) and from
-- which address. Events outlive their cluster (no cascade; the cluster's name is kept) and
-- go only when older than the retention (housekeeping). Account events (sign-ins, API
-- keys) have no cluster. SQLite cannot drop a foreign key: the table is made anew.
CREATE TABLE audit_events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id    TEXT NOT NULL,
    -- NULL for account events; not a reference: the cluster row may be gone
    cluster_id    TEXT,
    cluster_name  TEXT,
    -- progress (reconciler steps), action (what the user asked), policy (refused
    -- requests), account (sign-ins, API keys, passwords)
    kind          TEXT NOT NULL,
    message       TEXT NOT NULL,
    -- who: 'panel', 'api key <name> (<prefix>)', 'api (password)', 'operator'; NULL for
    -- Carina's own steps
    actor         TEXT,
    -- the client's address, for actions through the panel or the API
    address       TEXT,
    created_at    INTEGER NOT NULL
);
INSERT INTO audit_events (id, account_id, cluster_id, cluster_name, kind, message, created_at)
    SELECT e.id, c.account_id, e.cluster_id, c.name, e.kind, e.message, e.created_at
    FROM events e JOIN clusters c ON c.id = e.cluster_id;
DROP TABLE events;
ALTER TABLE audit_events RENAME TO events;
CREATE INDEX events_by_cluster ON events(cluster_id, id);
CREATE INDEX events_by_account ON events(account_id, id);
CREATE INDEX events_by_time ON events(created_at);
