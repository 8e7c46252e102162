package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/qunzhu/qunzhu"
)

// The intake journal (qunzhu.Journal). Accept is the hottest write there is:
// one per webhook request. It runs without a savepoint (writeReq.bare). A
// message is one prepared INSERT: the entry unless its key is taken, with
// the outbox number it was given from a block the writer reserved. A hotline
// event's INSERT takes the next 督办 number, and an UPDATE then moves the
// tasks counter past it; should that fail, the batch is rolled back
// (tx.broken), never the entry kept without its number. Everything the
// request's effect needs (lookups, the 督办 task, the digest, the outbox row)
// happens later in ApplyIntake, many entries to a transaction.

// applyBudget closes an ApplyIntake batch that has run this long, so the
// applier holds the writer for about as long as one group commit and
// accepted requests queued behind it wait at most that much.
const applyBudget = 8 * time.Millisecond

// applyYieldAfter is how many entries a batch applies before it gives way
// to other writers waiting for the writer.
const applyYieldAfter = 8

// applyChunk is how many pending entries ApplyIntake reads at a time.
const applyChunk = 32

// applyGroupSize is how many entries share one savepoint and one statement
// marking them applied (tx.applyGroup); a group whose entry fails is applied
// again one entry at a time.
const applyGroupSize = applyYieldAfter

// Accept implements qunzhu.Journal.
func (s *Store) Accept(ctx context.Context, e *qunzhu.IntakeEntry) (bool, error) {
	switch {
	case e.Source == "" || e.Kind == "" || e.Key == "":
		return false, qunzhu.Errorf(qunzhu.EINVALID, "intake entry needs a source, a kind and a key")
	case len(e.Payload) == 0:
		return false, qunzhu.Errorf(qunzhu.EINVALID, "intake entry has no payload")
	}
	var dup bool
	err := s.w.doBare(ctx, func(t *tx) error {
		var err error
		dup, err = t.accept(e)
		return err
	})
	if err != nil {
		return false, s.classify(err)
	}
	return dup, nil
}

// accept is Accept inside the writer's batch.
func (t *tx) accept(e *qunzhu.IntakeEntry) (bool, error) {
	var outboxID int64
	var err error
	// A duplicate found below leaves its reserved outbox number unused: a
	// gap, which AUTOINCREMENT numbers may have anyway. The task number is
	// the tasks counter + 1, taken inside the INSERT and moved past only
	// when the entry was new, so a duplicate takes none.
	if e.ReserveOutbox {
		if outboxID, err = t.reserveOutbox(); err != nil {
			return false, err
		}
	}
	var taskID int64
	if e.ReserveTask {
		err = t.queryRow(`INSERT INTO intake (source, kind, key, payload, accepted_at, outbox_id, task_id)
			VALUES (?, ?, ?, ?, ?, ?, (SELECT seq + 1 FROM sqlite_sequence WHERE name = 'tasks'))
			ON CONFLICT (source, key) DO NOTHING RETURNING id, task_id`,
			e.Source, e.Kind, e.Key, e.Payload, ms(t.now), outboxID).Scan(&e.ID, &taskID)
		if err == nil {
			// The entry is in; its number must be reserved with it or the
			// entry must go: without a savepoint that means the batch.
			if _, err = t.exec(`UPDATE sqlite_sequence SET seq = ? WHERE name = 'tasks' AND seq < ?`, taskID, taskID); err != nil {
				t.broken = fmt.Errorf("reserve task number: %w", err)
				return false, t.broken
			}
		}
	} else {
		// Without RETURNING: an INSERT that returns rows costs modernc's
		// SQLite about twice a plain one.
		var res sql.Result
		res, err = t.exec(`INSERT INTO intake (source, kind, key, payload, accepted_at, outbox_id)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (source, key) DO NOTHING`,
			e.Source, e.Kind, e.Key, e.Payload, ms(t.now), outboxID)
		if err == nil {
			var n int64
			if n, err = rowsAffected(res); err == nil && n == 0 {
				err = sql.ErrNoRows
			} else if err == nil {
				e.ID, err = res.LastInsertId()
			}
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		first, err := t.IntakeByKey(e.Source, e.Key)
		if err != nil {
			return false, err
		}
		e.ID, e.OutboxID, e.TaskID, e.AcceptedAt = first.ID, first.OutboxID, first.TaskID, first.AcceptedAt
		e.AppliedAt, e.Error = first.AppliedAt, first.Error
		return true, nil
	} else if err != nil {
		return false, fmt.Errorf("insert intake: %w", err)
	}
	e.OutboxID, e.TaskID, e.AcceptedAt = outboxID, taskID, t.now
	t.accepted = true
	return false, nil
}

// outboxBlock is how many outbox numbers one counter update reserves. An
// outbox id is never shown to people (task numbers are, and are reserved one
// at a time), so the numbers a restart leaves unused are a harmless gap.
const outboxBlock = 64

// idBlock is a run of reserved outbox numbers, next to last inclusive.
type idBlock struct{ next, last int64 }

// reserveOutbox takes the next reserved outbox number, moving the counter
// by a block when the writer has none left. The block lives in the writer;
// a batch that fails drops it (writer.batch), since its counter update was
// rolled back with the batch.
func (t *tx) reserveOutbox() (int64, error) {
	w := t.b.w
	if w.ids == nil || w.ids.next > w.ids.last {
		var last int64
		err := t.queryRow(`UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'outbox' RETURNING seq`, outboxBlock).Scan(&last)
		if err != nil {
			w.ids = nil
			return 0, fmt.Errorf("reserve outbox ids: %w", err)
		}
		w.ids = &idBlock{next: last - outboxBlock + 1, last: last}
	}
	id := w.ids.next
	w.ids.next++
	return id, nil
}

// Accepted implements qunzhu.Journal.
func (s *Store) Accepted() <-chan struct{} { return s.accepted }

func (s *Store) signalAccepted() {
	select {
	case s.accepted <- struct{}{}:
	default: // a wake-up is pending; the applier will see every entry
	}
}

// ApplyIntake implements qunzhu.Journal.
func (s *Store) ApplyIntake(ctx context.Context, n int, fn func(qunzhu.Tx, *qunzhu.IntakeEntry) error) (qunzhu.IntakeResult, error) {
	var res qunzhu.IntakeResult
	err := s.w.do(ctx, func(t *tx) error {
		res = qunzhu.IntakeResult{}
		start := time.Now()
		// Entries are read a chunk at a time: a batch that yields after a
		// few entries (below) has not paid for reading and decoding the
		// payloads of the hundreds it did not reach.
		var after int64
		for {
			want := min(applyChunk, n-res.Applied)
			entries, err := t.pendingIntake(after, want+1)
			if err != nil {
				return err
			}
			more := len(entries) > want // one read ahead says whether more wait
			if more {
				entries = entries[:want]
			}
			// Entries are applied a group at a time, and the batch ends at
			// its budget, and early when other writers wait (a webhook being
			// accepted, a command's reply): they go first, and the applier
			// comes back right after them.
			for len(entries) > 0 {
				if res.Applied > 0 && time.Since(start) >= applyBudget || res.Applied >= applyYieldAfter && len(t.b.w.reqs) > 0 {
					res.More = true
					return nil
				}
				group := entries[:min(applyGroupSize, len(entries))]
				entries = entries[len(group):]
				if err := t.applyGroup(group, fn); err != nil {
					return err
				}
				res.Applied += len(group)
				after = group[len(group)-1].ID
				res.Last = group[len(group)-1].AcceptedAt
				for _, e := range group {
					if e.Error != "" {
						res.Failed = append(res.Failed, e)
					}
				}
			}
			if !more {
				return nil
			}
			if res.Applied >= n {
				res.More = true
				return nil
			}
		}
	})
	if err != nil {
		return qunzhu.IntakeResult{}, s.classify(err)
	}
	return res, nil
}

// pendingIntake returns up to n entries after id not applied yet, oldest
// first.
func (t *tx) pendingIntake(after int64, n int) ([]*qunzhu.IntakeEntry, error) {
	rows, err := t.query(`SELECT `+intakeColumns+` FROM intake WHERE applied_at IS NULL AND id > ? ORDER BY id LIMIT ?`, after, n)
	if err != nil {
		return nil, fmt.Errorf("select pending intake: %w", err)
	}
	defer rows.Close()
	var out []*qunzhu.IntakeEntry
	for rows.Next() {
		e, err := scanIntake(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("select pending intake: %w", err)
	}
	return out, nil
}

// applyGroup applies consecutive pending entries, oldest first, under one
// savepoint, and marks them applied with one statement: the cheap way, for
// a journal whose entries nearly always apply. If fn fails for any of them,
// the group is undone and each entry applied again in its own savepoint
// (applyOne), so one bad entry is marked failed and the others applied as
// if they had been alone. It returns an error only when the transaction
// itself failed, as applyOne does.
func (t *tx) applyGroup(group []*qunzhu.IntakeEntry, fn func(qunzhu.Tx, *qunzhu.IntakeEntry) error) error {
	if len(group) == 1 {
		return t.applyOne(group[0], fn)
	}
	if err := t.ctx.Err(); err != nil {
		return err
	}
	if _, err := t.exec("SAVEPOINT entries"); err != nil {
		return fmt.Errorf("savepoint entries: %w", err)
	}
	var failed bool
	for _, e := range group {
		if applyCall(fn, t, e) != nil {
			failed = true
			break
		}
	}
	if !failed {
		// The group is every pending entry from its first id to its last:
		// pendingIntake read them in id order, and a new entry's id is
		// larger than any in the table.
		_, err := t.exec(`UPDATE intake SET applied_at = ?, payload = NULL WHERE id BETWEEN ? AND ? AND applied_at IS NULL`,
			ms(t.now), group[0].ID, group[len(group)-1].ID)
		if err != nil {
			return fmt.Errorf("mark intake %d-%d applied: %w", group[0].ID, group[len(group)-1].ID, err)
		}
		if _, err := t.exec("RELEASE entries"); err != nil {
			return fmt.Errorf("release entries: %w", err)
		}
		for _, e := range group {
			e.AppliedAt = t.now
		}
		return nil
	}
	if _, err := t.exec("ROLLBACK TO entries"); err != nil {
		return fmt.Errorf("roll back entries: %w", err)
	}
	if _, err := t.exec("RELEASE entries"); err != nil {
		return fmt.Errorf("release entries: %w", err)
	}
	for _, e := range group {
		if err := t.applyOne(e, fn); err != nil {
			return err
		}
	}
	return nil
}

// applyOne runs fn for e in a savepoint and marks e applied, or failed with
// fn's reason after undoing what fn did. It returns an error only when the
// transaction itself failed (the savepoint could not be undone, the disk
// failed, the caller gave up): then nothing of the batch may commit.
func (t *tx) applyOne(e *qunzhu.IntakeEntry, fn func(qunzhu.Tx, *qunzhu.IntakeEntry) error) error {
	if err := t.ctx.Err(); err != nil {
		return err
	}
	if _, err := t.exec("SAVEPOINT entry"); err != nil {
		return fmt.Errorf("savepoint entry: %w", err)
	}
	ferr := applyCall(fn, t, e)
	if ferr == nil {
		if _, err := t.exec("RELEASE entry"); err != nil {
			return fmt.Errorf("release entry: %w", err)
		}
		e.AppliedAt = t.now
		_, err := t.exec(`UPDATE intake SET applied_at = ?, payload = NULL WHERE id = ?`, ms(t.now), e.ID)
		if err != nil {
			return fmt.Errorf("mark intake %d applied: %w", e.ID, err)
		}
		return nil
	}
	if _, err := t.exec("ROLLBACK TO entry"); err != nil {
		return fmt.Errorf("roll back entry: %w (after %v)", err, ferr)
	}
	if _, err := t.exec("RELEASE entry"); err != nil {
		return fmt.Errorf("release entry: %w", err)
	}
	// The store's own trouble (a full or failing disk, files changed under
	// it) or the caller giving up is no reason to give up on the entry: the
	// batch is abandoned and the entry tried again.
	if qunzhu.ErrorCode(t.b.w.s.classify(ferr)) == qunzhu.EUNAVAILABLE || t.ctx.Err() != nil ||
		errors.Is(ferr, context.Canceled) || errors.Is(ferr, context.DeadlineExceeded) {
		return ferr
	}
	e.AppliedAt, e.Error = t.now, failureText(ferr)
	if _, err := t.exec(`UPDATE intake SET applied_at = ?, error = ? WHERE id = ?`, ms(t.now), e.Error, e.ID); err != nil {
		return fmt.Errorf("mark intake %d failed: %w", e.ID, err)
	}
	return nil
}

// failureText is what the journal keeps of an apply's failure.
func failureText(err error) string {
	msg := err.Error()
	if r := []rune(msg); len(r) > 500 {
		msg = string(r[:500]) + "…"
	}
	return msg
}

// applyCall runs fn, turning a panic into the entry's failure so one bad
// entry cannot stop the journal.
func applyCall(fn func(qunzhu.Tx, *qunzhu.IntakeEntry) error, t *tx, e *qunzhu.IntakeEntry) (err error) {
	defer func() {
		if pv := recover(); pv != nil {
			err = fmt.Errorf("panic while applying intake %d: %v", e.ID, pv)
		}
	}()
	return fn(t, e)
}

const intakeColumns = `id, source, kind, key, payload, accepted_at, outbox_id, task_id, applied_at, error`

func scanIntake(r scanner) (*qunzhu.IntakeEntry, error) {
	var e qunzhu.IntakeEntry
	var accepted int64
	var applied sql.NullInt64
	if err := r.Scan(&e.ID, &e.Source, &e.Kind, &e.Key, &e.Payload, &accepted, &e.OutboxID, &e.TaskID, &applied, &e.Error); err != nil {
		return nil, fmt.Errorf("scan intake: %w", err)
	}
	e.AcceptedAt, e.AppliedAt = fromMs(accepted), fromNullMs(applied)
	return &e, nil
}

// IntakeByKey implements qunzhu.JournalTx.
func (t *tx) IntakeByKey(source, key string) (*qunzhu.IntakeEntry, error) {
	e, err := scanIntake(t.queryRow(`SELECT `+intakeColumns+` FROM intake WHERE source = ? AND key = ?`, source, key))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, qunzhu.Errorf(qunzhu.ENOTFOUND, "没有这条接收记录。")
	}
	return e, err
}

// PendingIntake implements qunzhu.JournalTx.
func (t *tx) PendingIntake(source string, keys ...string) ([]*qunzhu.IntakeEntry, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := []any{source}
	for _, k := range keys {
		args = append(args, k)
	}
	rows, err := t.query(`SELECT `+intakeColumns+` FROM intake WHERE source = ? AND key IN (?`+
		strings.Repeat(", ?", len(keys)-1)+`) AND applied_at IS NULL ORDER BY id`, args...)
	return collect(rows, err, scanIntake, "pending intake")
}

// IntakeBacklog implements qunzhu.JournalTx.
func (t *tx) IntakeBacklog() (qunzhu.IntakeBacklog, error) {
	var b qunzhu.IntakeBacklog
	var oldest sql.NullInt64
	err := t.queryRow(`SELECT count(*), min(accepted_at) FROM intake WHERE applied_at IS NULL`).Scan(&b.Pending, &oldest)
	if err != nil {
		return b, fmt.Errorf("count pending intake: %w", err)
	}
	b.Oldest = fromNullMs(oldest)
	if err := t.queryRow(`SELECT count(*) FROM intake WHERE error <> ''`).Scan(&b.Failed); err != nil {
		return b, fmt.Errorf("count failed intake: %w", err)
	}
	return b, nil
}

// PruneIntake implements qunzhu.JournalTx. Failed entries are kept: they are
// IT's to look at. So is the newest entry, whatever its age: entry ids come
// from the largest id in the table (the table has no AUTOINCREMENT counter,
// see migration 0018), and a new entry must never get the id of one that a
// log line may still name.
func (t *tx) PruneIntake(before time.Time, limit int) (int, error) {
	res, err := t.exec(`DELETE FROM intake WHERE id IN (
		SELECT id FROM intake WHERE applied_at IS NOT NULL AND applied_at < ? AND error = ''
			AND id < (SELECT max(id) FROM intake)
		ORDER BY applied_at LIMIT ?)`, ms(before), limit)
	if err != nil {
		return 0, fmt.Errorf("prune intake: %w", err)
	}
	n, err := rowsAffected(res)
	return int(n), err
}
