-- 0006_webhooks: what the webhook intake keeps — signed requests already seen
-- (replay protection), the ids other systems (WeCom, DingTalk, phones) use for
-- our members, and the 12345 hotline's tickets with their events and digests.

-- A signed request is remembered until its timestamp falls out of the
-- acceptance window; a replay inside it is answered as a duplicate.
CREATE TABLE webhook_replays (
	key        TEXT    PRIMARY KEY CHECK (key <> ''),
	result_id  INTEGER NOT NULL DEFAULT 0, -- what the request made (an outbox row, a ticket)
	expires_at INTEGER NOT NULL,
	created_at INTEGER NOT NULL
) WITHOUT ROWID;

-- The prune job deletes expired keys through this index, never by a full scan.
CREATE INDEX webhook_replays_expiry ON webhook_replays (expires_at);

-- How a member is named elsewhere: a mobile number (WeCom mentioned_mobile_list,
-- DingTalk atMobiles), a WeCom userid, a DingTalk userId.
CREATE TABLE member_contacts (
	member_id  INTEGER NOT NULL REFERENCES members (id) ON DELETE CASCADE,
	kind       TEXT    NOT NULL CHECK (kind IN ('mobile', 'wecom', 'dingtalk')),
	value      TEXT    NOT NULL CHECK (value <> ''),
	created_at INTEGER NOT NULL,
	PRIMARY KEY (member_id, kind, value)
) WITHOUT ROWID;

CREATE INDEX member_contacts_value ON member_contacts (kind, value);

-- 12345 tickets, whole and unmasked: only what is posted into a group is masked.
CREATE TABLE hotline_tickets (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	source          TEXT    NOT NULL CHECK (source <> ''),
	ticket_id       TEXT    NOT NULL CHECK (ticket_id <> ''),
	unit            TEXT    NOT NULL DEFAULT '',
	district        TEXT    NOT NULL DEFAULT '',
	title           TEXT    NOT NULL DEFAULT '',
	content         TEXT    NOT NULL DEFAULT '',
	category        TEXT    NOT NULL DEFAULT '',
	citizen_phone   TEXT    NOT NULL DEFAULT '',
	url             TEXT    NOT NULL DEFAULT '',
	received_at     INTEGER,
	deadline        INTEGER,
	overdue_minutes INTEGER NOT NULL DEFAULT 0,
	status          TEXT    NOT NULL CHECK (status IN ('overdue', 'updated', 'closed')),
	task_id         INTEGER NOT NULL DEFAULT 0, -- the 督办 task, 0 if none
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	UNIQUE (source, ticket_id)
);

-- Each event once: (ticket, event, key), where key is '' for overdue and
-- closed and the occurrence time plus a content hash for updates.
CREATE TABLE hotline_events (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	ticket_row  INTEGER NOT NULL REFERENCES hotline_tickets (id),
	event       TEXT    NOT NULL CHECK (event IN ('overdue', 'updated', 'closed')),
	event_key   TEXT    NOT NULL DEFAULT '',
	occurred_at INTEGER,
	body        TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	UNIQUE (ticket_row, event, event_key)
);

-- A digest gathers one unit's overdue tickets for one group during a short
-- window; its message waits in the outbox (not_before = due_at) and is
-- rewritten as tickets join, so nothing is lost if the process stops.
CREATE TABLE hotline_digests (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	source     TEXT    NOT NULL,
	group_id   INTEGER NOT NULL REFERENCES "groups" (id),
	unit       TEXT    NOT NULL,
	due_at     INTEGER NOT NULL,
	outbox_id  INTEGER NOT NULL DEFAULT 0,
	tickets    INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);

-- The open digest of a unit is found by (group, unit) and a due time in the
-- future: a range over the newest entries, never the history.
CREATE INDEX hotline_digests_open ON hotline_digests (group_id, unit, due_at);

CREATE TABLE hotline_digest_tickets (
	digest_id  INTEGER NOT NULL REFERENCES hotline_digests (id),
	ticket_row INTEGER NOT NULL REFERENCES hotline_tickets (id),
	PRIMARY KEY (digest_id, ticket_row)
) WITHOUT ROWID;

CREATE INDEX hotline_digest_tickets_ticket ON hotline_digest_tickets (ticket_row);
