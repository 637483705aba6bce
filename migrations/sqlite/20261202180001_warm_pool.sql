-- The warm pool: segments started ahead of demand, owned by no cluster, handed out whole.

-- The libvirt domain of a segment taken from the pool (its name and the segment's differ,
-- as a running domain cannot be renamed); NULL when the domain is named like the segment.
ALTER TABLE segments ADD COLUMN domain TEXT;
CREATE UNIQUE INDEX segments_by_domain ON segments(domain) WHERE domain IS NOT NULL;

CREATE TABLE pool_segments (
    -- The libvirt domain, "pool-<id>".
    domain      TEXT PRIMARY KEY NOT NULL,
    -- Taken from the same addresses as segments' (never two at once).
    address     TEXT NOT NULL UNIQUE,
    -- starting, ready
    state       TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
