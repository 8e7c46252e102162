-- 0012_task_workflow: 督办 as district offices run it — extensions (延期) asked
-- by the assignee and decided by the assigner or an owner, transfers (转办),
-- withdrawal (撤销), suspension (中止/恢复), manual nudges (催办) — and the
-- ladder's pending notices, combined per unit or person when they go out.
--
-- A task's status stays open/done/closed (other migrations index it): a
-- withdrawn task is closed with withdrawn = 1 and counts in no statistic; a
-- suspended one is open with suspended_at set and no next action. A new
-- deadline (an extension, a transfer with one, a resumption) starts a new
-- ladder round: the ladder's step keys restart and the history records them
-- as "r<round>:<key>", so the unique step index still holds per round.

ALTER TABLE tasks ADD COLUMN withdrawn    INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN suspended_at INTEGER;
ALTER TABLE tasks ADD COLUMN ladder_round INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN extensions   INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tasks ADD COLUMN transfers    INTEGER NOT NULL DEFAULT 0;

-- task_events gains the workflow's kinds; SQLite cannot alter a CHECK, so the
-- table (which nothing references) is rebuilt with its indexes.
CREATE TABLE task_events_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	task_id    INTEGER NOT NULL REFERENCES tasks (id),
	kind       TEXT    NOT NULL CHECK (kind IN ('created', 'progress', 'done', 'evidence',
		'closed', 'returned', 'reopened', 'step', 'extension_asked', 'extended', 'extension_refused',
		'transferred', 'withdrawn', 'nudged', 'suspended', 'resumed')),
	step       TEXT    NOT NULL DEFAULT '',
	actor_id   INTEGER REFERENCES members (id),
	actor_name TEXT    NOT NULL DEFAULT '',
	text       TEXT    NOT NULL DEFAULT '',
	image_id   INTEGER REFERENCES images (id),
	created_at INTEGER NOT NULL,
	CHECK ((kind = 'step') = (step <> ''))
);
INSERT INTO task_events_new (id, task_id, kind, step, actor_id, actor_name, text, image_id, created_at)
	SELECT id, task_id, kind, step, actor_id, actor_name, text, image_id, created_at FROM task_events;
DROP TABLE task_events;
ALTER TABLE task_events_new RENAME TO task_events;
CREATE INDEX task_events_task ON task_events (task_id, id);
CREATE UNIQUE INDEX task_events_step ON task_events (task_id, step) WHERE step <> '';

-- Extension requests: at most one pending per task.
CREATE TABLE task_extensions (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	task_id        INTEGER NOT NULL REFERENCES tasks (id),
	state          TEXT    NOT NULL CHECK (state IN ('pending', 'granted', 'refused')),
	requested_by   INTEGER REFERENCES members (id),
	requester_name TEXT    NOT NULL DEFAULT '',
	old_deadline   INTEGER NOT NULL,
	new_deadline   INTEGER NOT NULL,
	reason         TEXT    NOT NULL CHECK (reason <> ''),
	decided_by     INTEGER REFERENCES members (id),
	decider_name   TEXT    NOT NULL DEFAULT '',
	decision       TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER NOT NULL,
	decided_at     INTEGER
);
CREATE UNIQUE INDEX task_extensions_pending ON task_extensions (task_id) WHERE state = 'pending';

-- Ladder steps taken but not yet posted: the sweep records a step and its
-- notice here in one transaction, and a later pass (same run) combines what
-- is due per group into one message per unit or per person. A row for a
-- reminder names its person (member_id); a notice's is NULL.
CREATE TABLE task_ladder_pending (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id   INTEGER NOT NULL REFERENCES "groups" (id),
	task_id    INTEGER NOT NULL REFERENCES tasks (id),
	member_id  INTEGER REFERENCES members (id),
	step       TEXT    NOT NULL, -- the ladder key ("yellow", "daily:3")
	event_step TEXT    NOT NULL, -- the history's key, with the round ("r1:yellow")
	-- where the ladder stood after the step, with the round: the step is
	-- stale once the task's ladder moved on
	passed     TEXT    NOT NULL,
	not_before INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX task_ladder_pending_due ON task_ladder_pending (not_before, group_id);

-- The statistics' covering indexes also cover what the workflow adds, so
-- /督办 统计 still never reads the table.
DROP INDEX IF EXISTS tasks_created;
CREATE INDEX tasks_created ON tasks (group_id, created_at, unit, status, deadline, finished_at, closed_at,
	withdrawn, suspended_at, extensions, transfers);
DROP INDEX IF EXISTS tasks_closed;
CREATE INDEX tasks_closed ON tasks (group_id, closed_at, unit, withdrawn) WHERE closed_at IS NOT NULL;
