-- 0005_broadcasts: 群发 (broadcasts), the tags that pick their groups, and
-- yearly festival greetings (节日祝福). A broadcast's delivery is counted from
-- its outbox rows (ref 'broadcast:<id>', through outbox_ref), so nothing here
-- duplicates the outbox's statuses.

CREATE TABLE greetings (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	status          TEXT    NOT NULL CHECK (status IN ('active', 'cancelled')),
	festival        TEXT    NOT NULL CHECK (festival <> ''),
	hour            INTEGER NOT NULL CHECK (hour BETWEEN 0 AND 23),
	minute          INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 59),
	text            TEXT    NOT NULL DEFAULT '',
	image_id        INTEGER REFERENCES images (id),
	author_id       INTEGER NOT NULL REFERENCES members (id),
	author_name     TEXT    NOT NULL,
	origin_group_id INTEGER NOT NULL REFERENCES "groups" (id),
	next_at         INTEGER NOT NULL,
	next_year       INTEGER NOT NULL,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL
);

-- The yearly job reads only active greetings that are due.
CREATE INDEX greetings_due ON greetings (next_at) WHERE status = 'active';
-- One live greeting per author and festival: setting it again replaces it.
CREATE UNIQUE INDEX greetings_author_festival ON greetings (author_id, festival) WHERE status = 'active';
CREATE INDEX greetings_origin ON greetings (origin_group_id) WHERE status = 'active';

CREATE TABLE greeting_targets (
	greeting_id INTEGER NOT NULL REFERENCES greetings (id) ON DELETE CASCADE,
	position    INTEGER NOT NULL,
	group_id    INTEGER NOT NULL REFERENCES "groups" (id),
	PRIMARY KEY (greeting_id, position)
) WITHOUT ROWID;

CREATE TABLE broadcasts (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	status          TEXT    NOT NULL CHECK (status IN ('draft', 'scheduled', 'sending', 'done', 'cancelled', 'expired')),
	code            TEXT    NOT NULL DEFAULT '',
	expires_at      INTEGER NOT NULL,
	author_id       INTEGER NOT NULL REFERENCES members (id),
	author_name     TEXT    NOT NULL,
	origin_group_id INTEGER NOT NULL REFERENCES "groups" (id),
	tag             TEXT    NOT NULL DEFAULT '',
	text            TEXT    NOT NULL DEFAULT '',
	image_id        INTEGER REFERENCES images (id),
	send_at         INTEGER, -- NULL: as soon as confirmed
	greeting_id     INTEGER REFERENCES greetings (id),
	year            INTEGER,
	festival        TEXT    NOT NULL DEFAULT '',
	reported_done   INTEGER NOT NULL DEFAULT 0,
	reported_at     INTEGER,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	queued_at       INTEGER,
	finished_at     INTEGER,
	-- A greeting goes out once a year: its occurrence is stored at most once,
	-- whatever restarts or repeated job runs happen. (NULLs never clash.)
	UNIQUE (greeting_id, year)
);

-- A code works for one live draft at a time; old codes may be reused later.
CREATE UNIQUE INDEX broadcasts_live_code ON broadcasts (code) WHERE status = 'draft';
-- /确认 finds the latest broadcast given a code, live or not, to say why not.
CREATE INDEX broadcasts_code ON broadcasts (code, id) WHERE code <> '';
-- The scheduler's sweeps: scheduled ones that are due, and the ones going out.
CREATE INDEX broadcasts_due ON broadcasts (send_at) WHERE status = 'scheduled';
CREATE INDEX broadcasts_sending ON broadcasts (id) WHERE status = 'sending';
-- /群发 列表: the latest broadcasts typed in a group.
CREATE INDEX broadcasts_origin ON broadcasts (origin_group_id, id);

CREATE TABLE broadcast_targets (
	broadcast_id INTEGER NOT NULL REFERENCES broadcasts (id) ON DELETE CASCADE,
	position     INTEGER NOT NULL,
	group_id     INTEGER NOT NULL REFERENCES "groups" (id),
	PRIMARY KEY (broadcast_id, position)
) WITHOUT ROWID;

CREATE TABLE group_tags (
	tag        TEXT    NOT NULL CHECK (tag <> ''),
	group_id   INTEGER NOT NULL REFERENCES "groups" (id),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (tag, group_id)
) WITHOUT ROWID;

CREATE INDEX group_tags_group ON group_tags (group_id, tag);

-- Who a broadcast may reach: the groups where the same WeChat identity (the
-- session key, shared by one person across all groups in a login) is a bound
-- owner. members_session is keyed by group first, so it cannot serve this.
CREATE INDEX members_session_key ON members (session_key) WHERE session_key <> '';
