-- Sign-in attempts per bucket (an email from one client address, or a client address
-- alone), counted before the password is checked so that parallel guesses cannot slip
-- past the limit. Replaces the per-email failure count, which let a stranger lock the
-- owner out and let parallel guesses through.

DROP TABLE sign_in_failures;

CREATE TABLE sign_in_attempts (
    -- "email+address" or "address"
    scope           TEXT NOT NULL,
    key             TEXT NOT NULL,
    -- Attempts counted and not forgiven by a successful sign-in.
    attempts        INTEGER NOT NULL,
    last_attempt_at INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
);
-- Buckets idle for a day are forgotten (see throttle::FORGET_AFTER).
CREATE INDEX sign_in_attempts_by_age ON sign_in_attempts(last_attempt_at);
