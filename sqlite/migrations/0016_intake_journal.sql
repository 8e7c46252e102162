-- 0016_intake_journal: the durable intake journal. A webhook request is
-- accepted with one insert here and answered; the applier makes its effect
-- afterwards, in order, in batches (see README, architecture).

CREATE TABLE intake (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
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

-- The applier's queue: pending entries in acceptance order.
CREATE INDEX intake_pending ON intake (id) WHERE applied_at IS NULL;
-- Pruning.
CREATE INDEX intake_applied ON intake (applied_at) WHERE applied_at IS NOT NULL;
-- Entries whose apply failed, kept for IT.
CREATE INDEX intake_failed ON intake (id) WHERE error <> '';

-- Numbers are reserved by moving the AUTOINCREMENT counters of outbox and
-- tasks: a row inserted later without an id gets a larger one, so a reserved
-- number is never taken by anyone else. The counters must exist for that.
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'outbox', coalesce((SELECT max(id) FROM outbox), 0)
	WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'outbox');
INSERT INTO sqlite_sequence (name, seq)
	SELECT 'tasks', coalesce((SELECT max(id) FROM tasks), 0)
	WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'tasks');

-- An entry accepted with task_id set has reserved that 督办 number: move the
-- tasks counter past it in the same statement (Accept computes the number
-- as the counter + 1 inside its INSERT, so reserving costs no statement of
-- its own).
CREATE TRIGGER intake_reserve_task AFTER INSERT ON intake WHEN NEW.task_id > 0
BEGIN
	UPDATE sqlite_sequence SET seq = NEW.task_id WHERE name = 'tasks' AND seq < NEW.task_id;
END;
