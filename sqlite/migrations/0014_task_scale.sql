-- 0014_task_scale: lists and statistics that do not grow with the number of
-- tasks, and an outbox that can be pruned.
--
-- Lists read the unclosed tasks of a group in index order (overdue first by
-- deadline, then by deadline) and stop at the page: the order by
-- (deadline, unit, created_at, id) is exactly the order of these indexes, so
-- SQLite never sorts. unit and created_at in tasks_list also make the count of
-- overdue tasks per unit (for 统计) a covering range.
DROP INDEX IF EXISTS tasks_unclosed;
CREATE INDEX tasks_list ON tasks (group_id, status, deadline, unit, created_at)
	WHERE status <> 'closed';
CREATE INDEX tasks_unit_list ON tasks (group_id, unit, status, deadline, created_at)
	WHERE status <> 'closed';
-- Suspended tasks (中止) are never overdue: lists read them apart, by deadline.
CREATE INDEX tasks_suspended ON tasks (group_id, deadline, unit, created_at)
	WHERE suspended_at IS NOT NULL AND status <> 'closed';
-- /督办 列表 我的: the tasks a member assigned.
CREATE INDEX tasks_assigner ON tasks (assigner_id) WHERE assigner_id IS NOT NULL AND status <> 'closed';

-- task_counts adds up, per group, unit and local day of creation (Beijing
-- time: day = (created_at + 8 h) / 24 h), what /督办 统计 reports, so that a
-- year of history is a few thousand small rows, not a scan of every task.
-- Triggers keep it exact whatever code changes a task: every change of the
-- columns it depends on subtracts the old row's share and adds the new one's.
-- A withdrawn task (撤销) counts in no statistic: its share is zero.
CREATE TABLE task_counts (
	group_id       INTEGER NOT NULL,
	unit           TEXT    NOT NULL,
	day            INTEGER NOT NULL,
	assigned       INTEGER NOT NULL DEFAULT 0,
	closed_on_time INTEGER NOT NULL DEFAULT 0,
	closed_late    INTEGER NOT NULL DEFAULT 0,
	unclosed       INTEGER NOT NULL DEFAULT 0,
	closed_ms      INTEGER NOT NULL DEFAULT 0, -- sum of finished_at - created_at of closed tasks
	extended       INTEGER NOT NULL DEFAULT 0, -- extensions granted (延期)
	transferred    INTEGER NOT NULL DEFAULT 0, -- transfers (转办)
	PRIMARY KEY (group_id, unit, day)
) WITHOUT ROWID;

INSERT INTO task_counts (group_id, unit, day, assigned, closed_on_time, closed_late, unclosed, closed_ms,
		extended, transferred)
	SELECT group_id, unit, (created_at + 28800000) / 86400000, count(*),
		coalesce(sum(status = 'closed' AND finished_at <= deadline), 0),
		coalesce(sum(status = 'closed' AND finished_at > deadline), 0),
		coalesce(sum(status <> 'closed'), 0),
		coalesce(sum(CASE WHEN status = 'closed' THEN finished_at - created_at ELSE 0 END), 0),
		coalesce(sum(extensions), 0), coalesce(sum(transfers), 0)
	FROM tasks WHERE withdrawn = 0 GROUP BY 1, 2, 3;

CREATE TRIGGER task_counts_insert AFTER INSERT ON tasks BEGIN
	INSERT INTO task_counts (group_id, unit, day, assigned, closed_on_time, closed_late, unclosed, closed_ms,
		extended, transferred)
	SELECT NEW.group_id, NEW.unit, (NEW.created_at + 28800000) / 86400000, 1,
		NEW.status = 'closed' AND NEW.finished_at <= NEW.deadline,
		NEW.status = 'closed' AND NEW.finished_at > NEW.deadline,
		NEW.status <> 'closed',
		CASE WHEN NEW.status = 'closed' THEN NEW.finished_at - NEW.created_at ELSE 0 END,
		NEW.extensions, NEW.transfers
	WHERE NEW.withdrawn = 0
	ON CONFLICT (group_id, unit, day) DO UPDATE SET
		assigned = assigned + excluded.assigned,
		closed_on_time = closed_on_time + excluded.closed_on_time,
		closed_late = closed_late + excluded.closed_late,
		unclosed = unclosed + excluded.unclosed,
		closed_ms = closed_ms + excluded.closed_ms,
		extended = extended + excluded.extended,
		transferred = transferred + excluded.transferred;
END;

CREATE TRIGGER task_counts_delete AFTER DELETE ON tasks BEGIN
	UPDATE task_counts SET
		assigned = assigned - 1,
		closed_on_time = closed_on_time - (OLD.status = 'closed' AND OLD.finished_at <= OLD.deadline),
		closed_late = closed_late - (OLD.status = 'closed' AND OLD.finished_at > OLD.deadline),
		unclosed = unclosed - (OLD.status <> 'closed'),
		closed_ms = closed_ms - CASE WHEN OLD.status = 'closed' THEN OLD.finished_at - OLD.created_at ELSE 0 END,
		extended = extended - OLD.extensions,
		transferred = transferred - OLD.transfers
	WHERE group_id = OLD.group_id AND unit = OLD.unit AND day = (OLD.created_at + 28800000) / 86400000
		AND OLD.withdrawn = 0;
END;

-- Only a change of these columns can change a task's share; the ladder's
-- frequent writes (next_action_at, ladder_step) do not fire it.
CREATE TRIGGER task_counts_update AFTER UPDATE OF group_id, unit, status, deadline, created_at, finished_at,
	withdrawn, extensions, transfers ON tasks BEGIN
	UPDATE task_counts SET
		assigned = assigned - 1,
		closed_on_time = closed_on_time - (OLD.status = 'closed' AND OLD.finished_at <= OLD.deadline),
		closed_late = closed_late - (OLD.status = 'closed' AND OLD.finished_at > OLD.deadline),
		unclosed = unclosed - (OLD.status <> 'closed'),
		closed_ms = closed_ms - CASE WHEN OLD.status = 'closed' THEN OLD.finished_at - OLD.created_at ELSE 0 END,
		extended = extended - OLD.extensions,
		transferred = transferred - OLD.transfers
	WHERE group_id = OLD.group_id AND unit = OLD.unit AND day = (OLD.created_at + 28800000) / 86400000
		AND OLD.withdrawn = 0;
	INSERT INTO task_counts (group_id, unit, day, assigned, closed_on_time, closed_late, unclosed, closed_ms,
		extended, transferred)
	SELECT NEW.group_id, NEW.unit, (NEW.created_at + 28800000) / 86400000, 1,
		NEW.status = 'closed' AND NEW.finished_at <= NEW.deadline,
		NEW.status = 'closed' AND NEW.finished_at > NEW.deadline,
		NEW.status <> 'closed',
		CASE WHEN NEW.status = 'closed' THEN NEW.finished_at - NEW.created_at ELSE 0 END,
		NEW.extensions, NEW.transfers
	WHERE NEW.withdrawn = 0
	ON CONFLICT (group_id, unit, day) DO UPDATE SET
		assigned = assigned + excluded.assigned,
		closed_on_time = closed_on_time + excluded.closed_on_time,
		closed_late = closed_late + excluded.closed_late,
		unclosed = unclosed + excluded.unclosed,
		closed_ms = closed_ms + excluded.closed_ms,
		extended = extended + excluded.extended,
		transferred = transferred + excluded.transferred;
END;

-- Retention: the pruner deletes sent and failed rows by age through this index.
CREATE INDEX outbox_done ON outbox (updated_at) WHERE status IN ('sent', 'failed');
CREATE INDEX hotline_digests_due ON hotline_digests (due_at);

-- task_open_days counts open tasks that can be overdue (not suspended, 中止)
-- per group, unit and Beijing day of their deadline, so "how many are overdue now" is a sum over past days plus a
-- short index range for today, not a count of every overdue task.
CREATE TABLE task_open_days (
	group_id INTEGER NOT NULL,
	unit     TEXT    NOT NULL,
	day      INTEGER NOT NULL,
	n        INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (group_id, unit, day)
) WITHOUT ROWID;

INSERT INTO task_open_days (group_id, unit, day, n)
	SELECT group_id, unit, (deadline + 28800000) / 86400000, count(*)
	FROM tasks WHERE status = 'open' AND suspended_at IS NULL GROUP BY 1, 2, 3;

CREATE TRIGGER task_open_days_insert AFTER INSERT ON tasks
	WHEN NEW.status = 'open' AND NEW.suspended_at IS NULL BEGIN
	INSERT INTO task_open_days (group_id, unit, day, n)
	VALUES (NEW.group_id, NEW.unit, (NEW.deadline + 28800000) / 86400000, 1)
	ON CONFLICT (group_id, unit, day) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER task_open_days_delete AFTER DELETE ON tasks
	WHEN OLD.status = 'open' AND OLD.suspended_at IS NULL BEGIN
	UPDATE task_open_days SET n = n - 1
	WHERE group_id = OLD.group_id AND unit = OLD.unit AND day = (OLD.deadline + 28800000) / 86400000;
END;

CREATE TRIGGER task_open_days_update_old AFTER UPDATE OF group_id, unit, status, deadline, suspended_at ON tasks
	WHEN OLD.status = 'open' AND OLD.suspended_at IS NULL BEGIN
	UPDATE task_open_days SET n = n - 1
	WHERE group_id = OLD.group_id AND unit = OLD.unit AND day = (OLD.deadline + 28800000) / 86400000;
END;

CREATE TRIGGER task_open_days_update_new AFTER UPDATE OF group_id, unit, status, deadline, suspended_at ON tasks
	WHEN NEW.status = 'open' AND NEW.suspended_at IS NULL BEGIN
	INSERT INTO task_open_days (group_id, unit, day, n)
	VALUES (NEW.group_id, NEW.unit, (NEW.deadline + 28800000) / 86400000, 1)
	ON CONFLICT (group_id, unit, day) DO UPDATE SET n = n + 1;
END;
