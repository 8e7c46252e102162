-- 0002_attachments: pictures and the short windows in which a person's next
-- picture belongs to what they just did (/办结, /交作业, /群发); and a ref on
-- outbox rows so a feature can follow its messages (a broadcast's progress).

CREATE TABLE images (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	sha256     TEXT    NOT NULL UNIQUE,
	data       BLOB    NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE attach_slots (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	group_id   INTEGER NOT NULL REFERENCES "groups" (id),
	sender     TEXT    NOT NULL CHECK (sender <> ''),
	kind       TEXT    NOT NULL CHECK (kind <> ''),
	ref_id     INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (group_id, sender)
);

ALTER TABLE outbox ADD COLUMN ref TEXT NOT NULL DEFAULT '';
CREATE INDEX outbox_ref ON outbox (ref, status) WHERE ref <> '';
