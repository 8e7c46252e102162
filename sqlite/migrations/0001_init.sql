-- 0001_init: groups, members, bind codes and the outbox.
--
-- Times are INTEGER unix milliseconds UTC, so ORDER BY and comparisons on them
-- are numeric and correct. NULL means "never" (bound_at, sent_at).
-- AUTOINCREMENT keeps ids from ever being reused: outbox ids order sending and
-- appear in logs, group and member ids appear in config and chat commands.

CREATE TABLE "groups" (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	name       TEXT    NOT NULL UNIQUE CHECK (name <> ''),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL
);

CREATE TABLE members (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id     INTEGER NOT NULL REFERENCES "groups" (id),
	name         TEXT    NOT NULL CHECK (name <> ''),
	unit         TEXT    NOT NULL DEFAULT '',
	role         TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
	bound        INTEGER NOT NULL DEFAULT 0 CHECK (bound IN (0, 1)),
	session_key  TEXT    NOT NULL DEFAULT '',
	nick_name    TEXT    NOT NULL DEFAULT '',
	display_name TEXT    NOT NULL DEFAULT '',
	attr_status  INTEGER NOT NULL DEFAULT 0,
	bound_at     INTEGER,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	UNIQUE (group_id, name)
);

-- One session key names one person in a group; '' (not mapped now) is shared
-- by any number of members and left out, so lookups must say session_key <> ''.
CREATE UNIQUE INDEX members_session ON members (group_id, session_key)
	WHERE session_key <> '';

CREATE TABLE bind_codes (
	code       TEXT    PRIMARY KEY CHECK (code <> ''),
	member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE INDEX bind_codes_member ON bind_codes (member_id);

-- Small, hot columns first and text/image last: a row whose image spills to
-- overflow pages can still be filtered on status without reading the picture.
CREATE TABLE outbox (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	status     TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'sent', 'failed')),
	priority   INTEGER NOT NULL,
	not_before INTEGER NOT NULL,
	group_id   INTEGER NOT NULL REFERENCES "groups" (id),
	kind       TEXT    NOT NULL CHECK (kind <> ''),
	dedup_key  TEXT    UNIQUE CHECK (dedup_key <> ''), -- NULL when the producer gave none
	attempts   INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	sent_at    INTEGER,
	last_error TEXT    NOT NULL DEFAULT '',
	text       TEXT    NOT NULL DEFAULT '',
	image      BLOB
);

-- The sender's queries touch pending rows only; partial indexes keep them
-- proportional to the queue, not to the history of sent messages. There is
-- deliberately no plain index on status: SQLite would prefer it for Due and sort.
CREATE INDEX outbox_due ON outbox (priority, id) WHERE status = 'pending';
CREATE INDEX outbox_next ON outbox (not_before) WHERE status = 'pending';
-- Stats, the oldest pending row and crash recovery read the rows not yet sent.
-- A query uses this index only if its WHERE repeats "status <> 'sent'".
CREATE INDEX outbox_unsent ON outbox (status, created_at) WHERE status <> 'sent';
