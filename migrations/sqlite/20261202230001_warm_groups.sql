-- Warm segments in groups: a group is a swarm the warm segments formed among themselves
-- (up to three managers), so that a cluster of that many segments takes the group whole
-- and skips its slowest step, the joins.

-- The Docker swarm id of the segment's group; NULL while the segment is being started.
ALTER TABLE pool_segments ADD COLUMN swarm_group TEXT;
-- 1 once a member of the group was handed out alone: the rest leave that swarm (the
-- filler regroups them) and the group is never handed out whole.
ALTER TABLE pool_segments ADD COLUMN broken INTEGER NOT NULL DEFAULT 0;

-- The swarm a segment taken from a broken or split group must leave before it joins its
-- cluster's (the swarm is shared with segments that are not the cluster's).
ALTER TABLE segments ADD COLUMN leave_swarm TEXT;
