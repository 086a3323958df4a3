package store

import (
	"github.com/uptrace/bun"

	"forum/app/store/internal/fortests"
)

// The hooks of this file serve app/store/storetest only, as an export_test.go file would
// serve the package's own tests: their first argument can be written only inside
// app/store (package fortests is internal to it).

// DBForTests returns the bun handle, for the raw reads and writes of tests.
func (s *Store) DBForTests(fortests.Key) *bun.DB { return s.db }

// AddQueryHookForTests runs every later query of s through h (to count or record them).
func (s *Store) AddQueryHookForTests(_ fortests.Key, h bun.QueryHook) {
	s.db = s.db.WithQueryHook(h)
	s.queries = queries{db: s.db}
}

// OtherNodeForTests returns a Store on the same connections with a generation and caches
// of its own, as another node of the forum has on the shared database.
func (s *Store) OtherNodeForTests(fortests.Key) *Store { return newStore(s.db, s.driver, s.label) }
