-- qunzhu:foreign_keys_off
-- 0008_platforms: a group belongs to a platform (wechat, dingtalk, wecom) and,
-- on DingTalk and WeCom, carries the platform's stable id (chat_id). Names are
-- unique only among WeChat groups, which are found again by name after every
-- login; official platforms may have several groups with one name.
--
-- SQLite cannot drop the old UNIQUE (name), so the table is rebuilt the way
-- SQLite documents it: foreign keys off (the migration runner does that for
-- files marked as above), copy, drop, rename, then foreign_key_check before
-- the commit.

CREATE TABLE groups_new (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	platform   TEXT    NOT NULL DEFAULT 'wechat' CHECK (platform IN ('wechat', 'dingtalk', 'wecom')),
	chat_id    TEXT    NOT NULL DEFAULT '',
	name       TEXT    NOT NULL CHECK (name <> ''),
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	CHECK ((platform = 'wechat') = (chat_id = ''))
);

INSERT INTO groups_new (id, platform, chat_id, name, created_at, updated_at)
	SELECT id, 'wechat', '', name, created_at, updated_at FROM "groups";

DROP TABLE "groups";
ALTER TABLE groups_new RENAME TO "groups";

CREATE UNIQUE INDEX groups_wechat_name ON "groups" (name) WHERE platform = 'wechat';
CREATE UNIQUE INDEX groups_chat_id ON "groups" (platform, chat_id) WHERE chat_id <> '';
CREATE INDEX groups_name ON "groups" (name);

-- A person on DingTalk or WeCom has a stable user id; one id is one member of
-- a group ('' on WeChat, shared by any number of members and left out).
ALTER TABLE members ADD COLUMN user_id TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX members_user_id ON members (group_id, user_id) WHERE user_id <> '';

-- The people a message mentions, as JSON [{"name":…,"user_id":…}], for real
-- mentions on platforms that have them; '' when none.
ALTER TABLE outbox ADD COLUMN mentions TEXT NOT NULL DEFAULT '';
