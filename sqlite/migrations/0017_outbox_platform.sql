-- 0017_outbox_platform: each platform's sender reads its own queue. The
-- queries of one platform's lane used to find the platform through the
-- group, so with a backlog in one group every wake-up of any lane read the
-- whole backlog and sorted it (or walked it to find another platform's few).
-- A message's platform is its group's, which never changes.

ALTER TABLE outbox ADD COLUMN platform TEXT NOT NULL DEFAULT '';
UPDATE outbox SET platform = coalesce((SELECT platform FROM "groups" WHERE "groups".id = outbox.group_id), '');

-- The same two indexes as before, per platform: the next messages due in
-- order of priority, and the earliest due time.
DROP INDEX outbox_due;
CREATE INDEX outbox_due ON outbox (platform, priority, id) WHERE status = 'pending';
DROP INDEX outbox_next;
CREATE INDEX outbox_next ON outbox (platform, not_before) WHERE status = 'pending';
