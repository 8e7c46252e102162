-- 0003_tasks: 督办 tasks, who they are assigned to, and their full history.
--
-- A task's id is its number (#23), global across groups. next_action_at is
-- when the scheduler must look at the task again (NULL when nothing is
-- scheduled: closed, or waiting for 销号); the sweep reads it through a
-- partial index so its cost follows the due tasks, not all open tasks.

CREATE TABLE tasks (
	id               INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id         INTEGER NOT NULL REFERENCES "groups" (id),
	status           TEXT    NOT NULL CHECK (status IN ('open', 'done', 'closed')),
	unit             TEXT    NOT NULL DEFAULT '',
	deadline         INTEGER NOT NULL,
	next_action_at   INTEGER,
	ladder_step      TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	last_progress_at INTEGER,
	done_at          INTEGER,
	closed_at        INTEGER,
	-- finished_at is done_at (else closed_at) once closed: "closed on time"
	-- compares it with the deadline, in SQL.
	finished_at      INTEGER,
	assigner_id      INTEGER REFERENCES members (id), -- NULL: the system
	assigner_name    TEXT    NOT NULL DEFAULT '',
	source           TEXT    NOT NULL DEFAULT '',
	external_id      TEXT    NOT NULL DEFAULT '',
	title            TEXT    NOT NULL CHECK (title <> ''),
	CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);

-- The sweep: WHERE next_action_at <= ? ORDER BY next_action_at LIMIT n.
CREATE INDEX tasks_next_action ON tasks (next_action_at) WHERE next_action_at IS NOT NULL;
-- A hotline ticket (or any outside record) is one task.
CREATE UNIQUE INDEX tasks_external ON tasks (source, external_id) WHERE external_id <> '';
-- /督办 列表 and "overdue now": the group's tasks not closed, by deadline.
CREATE INDEX tasks_unclosed ON tasks (group_id, deadline) WHERE status <> 'closed';
-- /督办 统计 and the weekly summary: covering indexes by creation and by closing.
CREATE INDEX tasks_created ON tasks (group_id, created_at, unit, status, deadline, finished_at, closed_at);
CREATE INDEX tasks_closed ON tasks (group_id, closed_at, unit) WHERE closed_at IS NOT NULL;

CREATE TABLE task_assignees (
	task_id   INTEGER NOT NULL REFERENCES tasks (id),
	member_id INTEGER NOT NULL REFERENCES members (id),
	position  INTEGER NOT NULL, -- the order they were named in
	PRIMARY KEY (task_id, member_id)
) WITHOUT ROWID;

CREATE INDEX task_assignees_member ON task_assignees (member_id, task_id);

-- Who, when, what: every change to a task is one row, never updated.
CREATE TABLE task_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	task_id    INTEGER NOT NULL REFERENCES tasks (id),
	kind       TEXT    NOT NULL CHECK (kind IN ('created', 'progress', 'done', 'evidence',
		'closed', 'returned', 'reopened', 'step')),
	step       TEXT    NOT NULL DEFAULT '', -- the ladder step's key for kind 'step'
	actor_id   INTEGER REFERENCES members (id), -- NULL: the system
	actor_name TEXT    NOT NULL DEFAULT '',
	text       TEXT    NOT NULL DEFAULT '',
	image_id   INTEGER REFERENCES images (id),
	created_at INTEGER NOT NULL,
	CHECK ((kind = 'step') = (step <> ''))
);

CREATE INDEX task_events_task ON task_events (task_id, id);
-- Each escalation step happens once per task, whatever the scheduler does.
CREATE UNIQUE INDEX task_events_step ON task_events (task_id, step) WHERE step <> '';
