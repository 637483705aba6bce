-- Accounts, their sessions and API keys, and the sign-in throttle.
-- Times are unix milliseconds; ids are UUIDs as text.

CREATE TABLE accounts (
    id                       TEXT PRIMARY KEY NOT NULL,
    email                    TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash            TEXT NOT NULL,
    is_operator              INTEGER NOT NULL DEFAULT 0,
    max_clusters             INTEGER NOT NULL,
    max_segments_per_cluster INTEGER NOT NULL,
    created_at               INTEGER NOT NULL
);

-- Only a hash of the session token is stored: a leaked database does not leak sessions.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY NOT NULL,
    account_id  TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX sessions_by_account ON sessions(account_id);

-- Failed sign-ins per email (existing or not), to slow down password guessing.
CREATE TABLE sign_in_failures (
    email           TEXT PRIMARY KEY NOT NULL COLLATE NOCASE,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
);

-- Personal API keys for /api/v1. The secret is shown once; only its hash is kept.
CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY NOT NULL,
    account_id   TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    secret_hash  TEXT NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_keys_by_account ON api_keys(account_id);
