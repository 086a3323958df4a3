package store

import (
	"context"
	"database/sql"
	"time"
)

// checkpointEvery is how often a SQLite store copies its write-ahead log into the
// database file, in the background. SQLite does it itself when a commit takes the log
// past 1,000 pages, in that commit: one reply in some dozens waited for 4 MB to be copied
// and both files to be synced, part of the tail of a reply's latency. Copied a few
// replies at a time on a connection of the pool, the log rarely reaches that size,
// and SQLite's own checkpoint stays as the backstop (a bulk load, a checkpoint that
// readers held back).
var checkpointEvery = 200 * time.Millisecond

// checkpointer copies the write-ahead log into the database file every checkpointEvery
// until stop is closed. PASSIVE takes no lock that a writer or a reader waits for: it
// copies what no reader still needs, and leaves the rest for the next turn.
func (s *Store) checkpointer(db *sql.DB, every time.Duration, stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		// With nothing new in the log it reads the log's index and returns: a quiet
		// forum does not touch the disk.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		s.checkpointing.Lock()
		// On the pool itself, not through bun: no query hook counts it as a page's.
		_, _ = db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
		s.checkpointing.Unlock()
		cancel()
	}
}
