package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// queries holds the reads. Store embeds it on the pool of connections and Tx on its
// transaction, so that one implementation serves a page and an operation's rules alike.
type queries struct {
	db bun.IDB
}

// Tx is one transaction: the writes of an operation, and the reads its rules need
// (those of Store, and the locking ones of its own). It is valid only inside the function
// given to Store.Tx.
type Tx struct {
	queries

	store *Store
	sql   *sql.Tx // the transaction under bun's, for the job queue (SQLTx)
	// shown records a write that may change what a page shows and that no change-log row
	// describes (an account, a topic): after the commit the generation advances, so that
	// caches drop what they hold. Sessions, drafts, invites and sign-in states change no
	// cached page, and leave it unset.
	shown bool
	// content records a write to threads or posts, which the transaction's change-log rows
	// describe: after the commit the caches drop what those rows name (see Committed).
	// Without a row, the generation advances instead.
	content bool
	// changed are the change-log rows the transaction wrote.
	changed []model.Change
	// drafts records a write to drafts: remembered draft lookups are dropped after the commit.
	drafts bool
	// changes records a change-log row: after the commit, listeners hear of it (see Hear);
	// lastChange is the id of the newest one written.
	changes    bool
	lastChange int64
	// members lists the members whose follows or notifications the transaction changed:
	// what is remembered of them (memberCache) is dropped after the commit. announce are
	// those of them the other nodes are told of at the commit (memberChanged); the
	// fan-out tells them of the members it notified itself, after its commit
	// (AnnounceNotified).
	members  []int64
	announce []int64
}

// write returns the transaction for a write that may change what a page shows, in a way
// no change-log row names.
func (tx *Tx) write() bun.IDB {
	tx.shown = true
	return tx.db
}

// dropsEverything reports whether, after its commit, the transaction drops every cached
// page (Store.Changed): a write that may change what a page shows and that no change-log
// row names.
func (tx *Tx) dropsEverything() bool { return tx.shown || (tx.content && len(tx.changed) == 0) }

// memberChanged records members whose own state the transaction changes (follows,
// notifications read, a warning): what this node remembers of them and the pages kept for
// them alone are dropped after the commit, and on PostgreSQL the other nodes are told at
// the commit (announceMembers), as of members notified, so that a member whose next page
// comes from another node does not see their change undone there for a while.
func (tx *Tx) memberChanged(ids ...int64) {
	tx.members = append(tx.members, ids...)
	tx.announce = append(tx.announce, ids...)
}

// writeContent returns the transaction for a write to a thread or a post: the change-log
// row the operation writes with it names what changed.
func (tx *Tx) writeContent() bun.IDB {
	tx.content = true
	return tx.db
}

// Tx runs fn in one transaction: committed when fn returns nil, rolled back when it
// returns an error, which Tx returns. A transaction that found the database busy (SQLite's
// one writer, or a PostgreSQL serialization failure or deadlock) runs again, a few times,
// so that concurrent writers never show a person "database is locked"; fn must therefore
// change nothing outside the transaction but the values it returns.
func (s *Store) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	const attempts = 5
	var err error
	for i := range attempts {
		tx := &Tx{store: s}
		err = s.db.RunInTx(ctx, nil, func(ctx context.Context, btx bun.Tx) error {
			tx.queries = queries{db: btx}
			tx.sql = btx.Tx
			if err := fn(tx); err != nil {
				return err
			}
			// Delivered to the other nodes at the commit, never for a rollback.
			if err := tx.announceMembers(ctx); err != nil {
				return err
			}
			if tx.dropsEverything() {
				if err := tx.announceGeneration(ctx); err != nil {
					return err
				}
			}
			if tx.changes {
				return tx.notifyChanged(ctx, tx.lastChange)
			}
			return nil
		})
		if err == nil {
			// After the commit: a reader that filled a cache meanwhile saw the old
			// generation, so its entry is dropped.
			if tx.drafts {
				s.drafts.gen.Add(1)
			}
			if len(tx.members) > 0 {
				s.members.drop(tx.members)
			}
			if tx.dropsEverything() {
				s.Changed()
			}
			if len(tx.changed) > 0 || len(tx.members) > 0 {
				s.commits.tell(ctx, Committed{Changes: tx.changed, Members: tx.members})
			}
			if tx.changes {
				s.signals.changed()
			}
			return nil
		}
		if !isBusy(err) {
			return mapError(err)
		}
		s.busy.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(i+1) * 20 * time.Millisecond):
		}
	}
	return fmt.Errorf("the database stayed busy through %d attempts: %w", attempts, mapError(err))
}

// BusyRetries is how many transactions were retried after a busy database.
func (s *Store) BusyRetries() int64 { return s.busy.Load() }
