package store

import "github.com/uptrace/bun"

// DBOf returns the bun handle of s, for the package's own tests of the schema and the drivers.
func DBOf(s *Store) *bun.DB { return s.db }

// IsBusy and IsUnique are the classifications of driver errors.
var (
	IsBusy   = isBusy
	IsUnique = isUnique
)

// TxDB returns the handle of a transaction, for tests that make it fail as a busy database would.
func TxDB(tx *Tx) bun.IDB { return tx.db }
