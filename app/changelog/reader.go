// Package changelog reads the change log as it grows, without skipping a row (DESIGN 14).
// Every reader of the log (the search index, the caches, the live updates) follows it
// through a Reader.
package changelog

import (
	"context"
	"time"

	"forum/app/model"
)

// Source is where a Reader reads the change log (a *store.Store).
type Source interface {
	// ChangesSince returns up to limit rows after pos, in the order of (Tx, ID), that no
	// row can ever be committed before; held reports committed rows that wait behind a
	// transaction still open.
	ChangesSince(ctx context.Context, pos model.ChangePosition, limit int) (changes []model.Change, held bool, err error)
	// ChangeHead is the position of a reader that starts now.
	ChangeHead(ctx context.Context) (model.ChangePosition, error)
}

// Waker is a Source that can wake its readers a little later (store.Store.WakeReadersIn).
type Waker interface {
	WakeReadersIn(d time.Duration)
}

const (
	// batch is how many rows one read takes.
	batch = 500
	// firstRetry and lastRetry bound how soon a reader that found rows held back by an open
	// transaction looks again: soon at first, less often while the same transaction stays
	// open and the reader gets nothing.
	firstRetry = 2 * time.Millisecond
	lastRetry  = 100 * time.Millisecond
)

// Reader returns each row of the change log once, in the order of (Tx, ID): the order in
// which the rows became final. A row is returned once no row can be committed before it
// any more, however long the transaction that holds it back stays open (on PostgreSQL,
// ids are handed out before the commits that make them visible: the row with id 41 may
// commit after the one with 42, or never). A Reader keeps one position and no other
// state, so that it can be recorded and taken up again after a restart. It is used by one
// goroutine at a time.
type Reader struct {
	src   Source
	pos   model.ChangePosition
	held  bool
	retry time.Duration
}

// NewReader returns a Reader of the rows written from now on.
func NewReader(ctx context.Context, src Source) (*Reader, error) {
	head, err := src.ChangeHead(ctx)
	if err != nil {
		return nil, err
	}
	return NewReaderAt(src, head), nil
}

// NewReaderAt returns a Reader of the rows after pos (a position recorded earlier, Position).
func NewReaderAt(src Source, pos model.ChangePosition) *Reader {
	return &Reader{src: src, pos: pos, retry: firstRetry}
}

// Next returns the rows that became final since the last call.
func (r *Reader) Next(ctx context.Context) ([]model.Change, error) {
	var out []model.Change
	for {
		rows, err := r.Read(ctx, batch)
		out = append(out, rows...)
		if err != nil || len(rows) < batch {
			return out, err
		}
	}
}

// Read returns up to limit rows that became final since the last call, and moves the
// position past them. When committed rows wait behind an open transaction, it asks a
// Waker source to wake the readers again shortly.
func (r *Reader) Read(ctx context.Context, limit int) ([]model.Change, error) {
	rows, held, err := r.src.ChangesSince(ctx, r.pos, limit)
	if err != nil {
		return nil, err
	}
	if len(rows) > 0 {
		r.pos = rows[len(rows)-1].Position()
	}
	r.held = held
	if !held || len(rows) > 0 {
		r.retry = firstRetry // nothing waits, or the horizon moved: the next wait is short again
	}
	if w, ok := r.src.(Waker); ok && held && len(rows) < limit {
		w.WakeReadersIn(r.retry)
		r.retry = min(2*r.retry, lastRetry)
	}
	return rows, nil
}

// Position is where the reader is: every row up to it was returned, none after it.
func (r *Reader) Position() model.ChangePosition { return r.pos }

// Held reports whether the last read found committed rows waiting behind a transaction
// still open; they are returned by a later read, once it ends.
func (r *Reader) Held() bool { return r.held }
