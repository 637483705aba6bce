-- The libvirt hosts segments run on, and what each may hold. A server registers its own
-- libvirt (`--libvirt-uri`) as "local" when it starts; operators set a capacity, or drain
-- a host for maintenance (`server admin hosts`, `set-host-capacity`, `drain-host`).
CREATE TABLE hosts (
    name        TEXT PRIMARY KEY NOT NULL,
    uri         TEXT NOT NULL,
    -- Segments it may hold, of clusters and warm ones; NULL: as many as its addresses.
    capacity    BIGINT,
    -- Taking no new segments; those it has keep running.
    draining    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at  BIGINT NOT NULL
);
