-- Clusters and their segments (desired state + observed status), credentials bundles
-- and the event log (build progress, user actions, policy refusals).

CREATE TABLE clusters (
    id               TEXT PRIMARY KEY NOT NULL,
    account_id       TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    -- new, building, active, growing, rebuilding, deleting, error
    status           TEXT NOT NULL,
    status_reason    TEXT,
    desired_segments INTEGER NOT NULL,
    -- Bumped by "rebuild": segments of an older generation are replaced.
    generation       INTEGER NOT NULL DEFAULT 1,
    -- The cluster endpoint's TCP port (each cluster has its own listener and certificate).
    endpoint_port    INTEGER NOT NULL UNIQUE,
    ca_cert_pem      TEXT NOT NULL,
    ca_key_pem       TEXT NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    UNIQUE (account_id, name)
);
CREATE INDEX clusters_by_account ON clusters(account_id);

CREATE TABLE segments (
    id            TEXT PRIMARY KEY NOT NULL,
    cluster_id    TEXT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    ordinal       INTEGER NOT NULL,
    -- "<cluster id>-n<ordinal>": the libvirt domain, the hostname and the swarm node name.
    name          TEXT NOT NULL UNIQUE,
    -- Never handed to two segments at once; free again once the segment row is gone.
    address       TEXT NOT NULL UNIQUE,
    generation    INTEGER NOT NULL,
    -- pending, starting, running, ready, failed, removing
    state         TEXT NOT NULL,
    state_reason  TEXT,
    cert_pem      TEXT NOT NULL,
    key_pem       TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (cluster_id, ordinal)
);

-- One row per downloaded credentials bundle. The client key is never stored: it exists
-- only in the zip the user downloaded.
CREATE TABLE bundles (
    id           TEXT PRIMARY KEY NOT NULL,
    cluster_id   TEXT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    serial       TEXT NOT NULL,
    fingerprint  TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER
);
CREATE INDEX bundles_by_cluster ON bundles(cluster_id);

CREATE TABLE events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    cluster_id  TEXT NOT NULL REFERENCES clusters(id) ON DELETE CASCADE,
    -- progress (reconciler steps), action (what the user asked), policy (refused requests)
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX events_by_cluster ON events(cluster_id, id);
