-- 0007_delivery: what delivery needs beyond the outbox of 0001 — counting one
-- calendar day's sends for the daily cap, and urgent messages copied to the
-- fallback robot (WeCom, DingTalk, Feishu) while WeChat is down.

-- The daily cap counts the rows sent since local midnight once a day (and at
-- start): a range over this index touches one day's sends, never the history.
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE status = 'sent';

-- urgent: set by the producer (an overdue hotline ticket, a 红牌).
-- forwarded_at: when the fallback robot got a copy; NULL = not copied.
ALTER TABLE outbox ADD COLUMN urgent INTEGER NOT NULL DEFAULT 0 CHECK (urgent IN (0, 1));
ALTER TABLE outbox ADD COLUMN forwarded_at INTEGER;

-- Urgent rows still waiting for WeChat and not yet copied: a handful at most,
-- so the outage check reads them without touching the queue or the history.
CREATE INDEX outbox_unforwarded ON outbox (id)
	WHERE urgent = 1 AND status = 'pending' AND forwarded_at IS NULL;
