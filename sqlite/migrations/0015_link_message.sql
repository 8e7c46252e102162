-- 0015_link_message: the message that shared a group's latest link, so a
-- reply quoting the article (WeChat's 引用) finds it after the two minutes.

ALTER TABLE shared_links ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
