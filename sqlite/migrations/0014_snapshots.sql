-- 0014_snapshots: 随手拍 (problems members report with photos), the latest
-- article shared into each group (a /督办 right after it takes its title), and
-- what a task was made from; plus the hotline ticket of a task, for its detail.

CREATE TABLE snapshots (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id    INTEGER NOT NULL REFERENCES "groups" (id),
	member_id   INTEGER NOT NULL,
	member_name TEXT    NOT NULL,
	unit        TEXT    NOT NULL DEFAULT '',
	text        TEXT    NOT NULL CHECK (text <> ''),
	place       TEXT    NOT NULL DEFAULT '',
	task_id     INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
);
CREATE INDEX snapshots_group ON snapshots (group_id, task_id, id);

CREATE TABLE shared_links (
	group_id    INTEGER PRIMARY KEY REFERENCES "groups" (id),
	sender_name TEXT    NOT NULL DEFAULT '',
	title       TEXT    NOT NULL,
	url         TEXT    NOT NULL DEFAULT '',
	description TEXT    NOT NULL DEFAULT '',
	at          INTEGER NOT NULL
);

CREATE TABLE task_origins (
	task_id INTEGER PRIMARY KEY,
	kind    TEXT    NOT NULL CHECK (kind <> ''),
	ref_id  INTEGER NOT NULL DEFAULT 0,
	title   TEXT    NOT NULL DEFAULT '',
	url     TEXT    NOT NULL DEFAULT '',
	text    TEXT    NOT NULL DEFAULT ''
);

CREATE INDEX hotline_tickets_task ON hotline_tickets (task_id) WHERE task_id <> 0;
