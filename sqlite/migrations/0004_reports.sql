-- 0004_reports: 交作业 — each group's report cycle (作业周期), its roster of
-- units, one row per cycle (identified by its deadline) that remembers whether
-- the reminder and the summary went out, and every version of every report.

CREATE TABLE report_schedules (
	group_id      INTEGER PRIMARY KEY REFERENCES "groups" (id),
	kind          TEXT    NOT NULL CHECK (kind IN ('daily', 'workdays', 'weekly', 'monthly', 'month_last_workday')),
	weekdays      INTEGER NOT NULL DEFAULT 0, -- bit d for time.Weekday d (weekly)
	every_weeks   INTEGER NOT NULL DEFAULT 1 CHECK (every_weeks IN (1, 2)),
	anchor        INTEGER,                    -- biweekly: a time in a week with a deadline
	day           INTEGER NOT NULL DEFAULT 0, -- monthly: 1..31, -1 for the last day
	minute        INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439),
	remind_before INTEGER NOT NULL DEFAULT 0 CHECK (remind_before >= 0), -- milliseconds, 0 = none
	set_by        INTEGER REFERENCES members (id),
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);

-- Roster entries are ended, never deleted: a past cycle is judged against the
-- roster of its own deadline (added_at <= deadline < removed_at).
CREATE TABLE report_roster (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id   INTEGER NOT NULL REFERENCES "groups" (id),
	unit       TEXT    NOT NULL CHECK (unit <> ''),
	added_at   INTEGER NOT NULL,
	removed_at INTEGER
);

CREATE UNIQUE INDEX report_roster_current ON report_roster (group_id, unit) WHERE removed_at IS NULL;
CREATE INDEX report_roster_group ON report_roster (group_id, added_at);

CREATE TABLE report_cycles (
	id             INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id       INTEGER NOT NULL REFERENCES "groups" (id),
	deadline       INTEGER NOT NULL,
	nominal        INTEGER NOT NULL, -- the deadline before a holiday moved it; names the cycle
	label_kind     TEXT    NOT NULL CHECK (label_kind IN ('week', 'day', 'month')),
	remind_at      INTEGER,
	reminded_at    INTEGER,
	summarized_at  INTEGER,
	next_action_at INTEGER, -- remind_at, then deadline, then NULL: what the sweep looks for
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	UNIQUE (group_id, deadline)
);

-- The scheduler's sweep reads only cycles with something left to do.
CREATE INDEX report_cycles_due ON report_cycles (next_action_at) WHERE next_action_at IS NOT NULL;

CREATE TABLE report_submissions (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id     INTEGER NOT NULL REFERENCES "groups" (id),
	cycle_id     INTEGER NOT NULL REFERENCES report_cycles (id),
	unit         TEXT    NOT NULL CHECK (unit <> ''),
	version      INTEGER NOT NULL CHECK (version >= 1),
	member_id    INTEGER REFERENCES members (id),
	member_name  TEXT    NOT NULL DEFAULT '',
	submitted_at INTEGER NOT NULL,
	image_id     INTEGER REFERENCES images (id),
	content      TEXT    NOT NULL DEFAULT '',
	UNIQUE (cycle_id, unit, version)
);

CREATE INDEX report_submissions_unit ON report_submissions (group_id, unit, id);
