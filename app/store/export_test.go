package store

import (
	"time"

	"github.com/uptrace/bun"
)

// DBOf returns the bun handle of s, for the package's own tests of the schema and the drivers.
func DBOf(s *Store) *bun.DB { return s.db }

// IsBusy and IsUnique are the classifications of driver errors.
var (
	IsBusy   = isBusy
	IsUnique = isUnique
)

// TxDB returns the handle of a transaction, for tests that make it fail as a busy database would.
func TxDB(tx *Tx) bun.IDB { return tx.db }

// SetListenCheckEvery changes how long a quiet listener waits before it checks its
// connection, until the returned function puts it back.
func SetListenCheckEvery(d time.Duration) (restore func()) {
	old := listenCheckEvery
	listenCheckEvery = d
	return func() { listenCheckEvery = old }
}

// SetCheckpointEvery changes how often a SQLite store opened later checkpoints in the
// background, until the returned function puts it back.
func SetCheckpointEvery(d time.Duration) (restore func()) {
	old := checkpointEvery
	checkpointEvery = d
	return func() { checkpointEvery = old }
}
