-- 0008_dashboard: what the dashboard, the 红黑榜 and the metrics read beyond
-- the features' own tables.

-- /点赞: an owner's public praise of a unit (or of a task's unit), which counts
-- in the weekly 红黑榜.
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

-- The metrics count the whole outbox by these columns at every scrape: with
-- this covering index SQLite reads the index in order, never the rows (with
-- their texts and pictures) and never sorts.
CREATE INDEX outbox_counts ON outbox (group_id, kind, priority, status);
