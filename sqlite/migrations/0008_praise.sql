-- 0008_praise: /点赞, an owner's public praise of a unit (or of a task's unit),
-- which counts in the weekly 红黑榜.
CREATE TABLE praises (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id    INTEGER NOT NULL REFERENCES "groups" (id),
	unit        TEXT    NOT NULL CHECK (unit <> ''),
	task_id     INTEGER REFERENCES tasks (id),     -- NULL: a unit was named
	member_id   INTEGER REFERENCES members (id),
	member_name TEXT    NOT NULL DEFAULT '',
	text        TEXT    NOT NULL CHECK (text <> ''),
	created_at  INTEGER NOT NULL
);

-- The board reads one group's week.
CREATE INDEX praises_group ON praises (group_id, created_at);
