-- Leases: which server process (replica) works on what. A cluster's reconciler passes,
-- the warm pool's filler and the hand-over of warm segments are each done by one replica
-- at a time; a lease a replica stops renewing (it died) expires, and another takes over.
CREATE TABLE leases (
    -- "cluster:<id>", "pool", "pool-lock"
    name        TEXT PRIMARY KEY NOT NULL,
    -- the replica's id (random per process start)
    holder      TEXT NOT NULL,
    -- unix ms, by the holder's clock
    expires_at  BIGINT NOT NULL
);
CREATE INDEX leases_by_holder ON leases(holder);
