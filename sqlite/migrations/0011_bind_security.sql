-- 0011_bind_security: one-time codes that cannot be guessed or read by the
-- group, bootstrap by display name once per group, private messages.

-- Who registered the code's member (it is delivered to them privately), how
-- many wrong attempts were made while it was live (3 destroy it), and whether
-- it is shown on the login page because no private chat was possible.
ALTER TABLE bind_codes ADD COLUMN issued_by INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bind_codes ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bind_codes ADD COLUMN on_page INTEGER NOT NULL DEFAULT 0 CHECK (on_page IN (0, 1));

-- Groups whose configured owners and admins were bound by display name: that
-- happens once, and every later login uses the stored identities only. A
-- group that already has a bound member was set up by an earlier release.
CREATE TABLE bootstraps (
	group_id INTEGER PRIMARY KEY REFERENCES "groups" (id) ON DELETE CASCADE,
	done_at  INTEGER NOT NULL
);
INSERT INTO bootstraps (group_id, done_at)
	SELECT DISTINCT group_id, CAST(strftime('%s', 'now') AS INTEGER) * 1000 FROM members WHERE bound = 1;

-- A message to one person instead of the group: a registered member (found by
-- their stored identity) or a platform user key (a reply to a private chat).
ALTER TABLE outbox ADD COLUMN to_member INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN to_user TEXT NOT NULL DEFAULT '';
