-- 0018_intake_lean: a lighter journal row. Accepting a webhook request is one
-- insert on the single writer, and two things made it dearer than it needs
-- to be: AUTOINCREMENT (every insert read and rewrote the table's counter in
-- sqlite_sequence: one more page in every commit) and the trigger that moved
-- the tasks counter (a trigger makes SQLite keep a statement journal for every
-- insert into the table, hotline or not). Ids still only grow: pruning never
-- deletes the newest entry (PruneIntake), so a new row never gets the number
-- of a forgotten one. An entry that reserves a 督办 number now moves the
-- tasks counter with a statement of its own, in the same savepoint.

CREATE TABLE intake_lean (
	id          INTEGER PRIMARY KEY,
	source      TEXT    NOT NULL,
	kind        TEXT    NOT NULL,
	-- key identifies the request within its source: a retry, a replay or the
	-- same event again has the same key and is answered as a duplicate.
	key         TEXT    NOT NULL,
	-- payload is the validated, masked request; cleared once applied.
	payload     BLOB,
	accepted_at INTEGER NOT NULL,
	-- numbers the answer promised before the entry was applied.
	outbox_id   INTEGER NOT NULL DEFAULT 0,
	task_id     INTEGER NOT NULL DEFAULT 0,
	applied_at  INTEGER,
	error       TEXT    NOT NULL DEFAULT '',
	UNIQUE (source, key)
);

INSERT INTO intake_lean (id, source, kind, key, payload, accepted_at, outbox_id, task_id, applied_at, error)
	SELECT id, source, kind, key, payload, accepted_at, outbox_id, task_id, applied_at, error FROM intake;

-- Its indexes and the trigger go with it.
DROP TABLE intake;
ALTER TABLE intake_lean RENAME TO intake;
DELETE FROM sqlite_sequence WHERE name = 'intake';

-- The applier's queue: pending entries in acceptance order.
CREATE INDEX intake_pending ON intake (id) WHERE applied_at IS NULL;
-- Pruning.
CREATE INDEX intake_applied ON intake (applied_at) WHERE applied_at IS NOT NULL;
-- Entries whose apply failed, kept for IT.
CREATE INDEX intake_failed ON intake (id) WHERE error <> '';
