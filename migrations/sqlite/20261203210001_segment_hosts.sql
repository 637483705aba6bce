-- The host each segment (of a cluster, or warm in the pool) runs on: a name in `hosts`.
-- Segments made before hosts were registered run on the server's own ("local").
ALTER TABLE segments ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
ALTER TABLE pool_segments ADD COLUMN host TEXT NOT NULL DEFAULT 'local';
