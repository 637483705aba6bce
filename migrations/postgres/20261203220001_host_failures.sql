-- A host whose libvirt stopped answering, since when (NULL: it answers). Set and cleared by
-- the replicas' probes; placement puts no new segment on it.
ALTER TABLE hosts ADD COLUMN unreachable_since BIGINT;

-- Segments taken off a cluster (a rebuild, a delete) while their host did not answer: their
-- domain still has to go from that host, and their address stays taken until it has.
CREATE TABLE stranded_segments (
    domain      TEXT PRIMARY KEY NOT NULL,
    host        TEXT NOT NULL,
    address     TEXT NOT NULL,
    since       BIGINT NOT NULL
);
