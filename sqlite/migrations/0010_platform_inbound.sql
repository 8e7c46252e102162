-- 0010_platform_inbound: inbound messages of DingTalk and WeCom already taken,
-- so a message the platform delivers again is answered once; and the person
-- key that links one official's members across platforms.

CREATE TABLE platform_inbound (
	platform   TEXT    NOT NULL,
	msg_id     TEXT    NOT NULL CHECK (msg_id <> ''),
	done       INTEGER NOT NULL DEFAULT 0,
	claimed_at INTEGER NOT NULL,
	PRIMARY KEY (platform, msg_id)
) WITHOUT ROWID;
CREATE INDEX platform_inbound_claimed ON platform_inbound (claimed_at);

ALTER TABLE members ADD COLUMN person TEXT NOT NULL DEFAULT '';
CREATE INDEX members_person ON members (person) WHERE person <> '';
