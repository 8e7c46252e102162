-- 0011_wecom_inbound: the WeCom smart robot's callbacks, by msgid. WeCom
-- redelivers a message it thinks unanswered, so a command must be recognised
-- as seen; the row also keeps the message's response_url (valid 1 h, usable
-- once) for the reply the outbox sends later.
CREATE TABLE wecom_inbound (
	msg_id       TEXT    PRIMARY KEY CHECK (msg_id <> ''),
	chat_id      TEXT    NOT NULL,
	response_url TEXT    NOT NULL DEFAULT '',
	received_at  INTEGER NOT NULL,
	handled      INTEGER NOT NULL DEFAULT 0,
	url_used     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX wecom_inbound_received ON wecom_inbound (received_at);
