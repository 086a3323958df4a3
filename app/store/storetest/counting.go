package storetest

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"forum/app/store"
	"forum/app/store/internal/fortests"
)

// QueryCounter counts the queries a store runs.
type QueryCounter struct{ n atomic.Int64 }

// BeforeQuery implements bun.QueryHook.
func (q *QueryCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	q.n.Add(1)
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (q *QueryCounter) AfterQuery(context.Context, *bun.QueryEvent) {}

// Count returns the number of queries counted so far.
func (q *QueryCounter) Count() int64 { return q.n.Load() }

// Reset sets the count back to zero.
func (q *QueryCounter) Reset() { q.n.Store(0) }

// CountQueries counts every query st runs from now on, to keep the queries of a page bounded.
func CountQueries(st *store.Store) *QueryCounter {
	c := &QueryCounter{}
	st.AddQueryHookForTests(fortests.Key{}, c)
	return c
}

// CountUsers counts the accounts in st, deleted ones included.
func CountUsers(t testing.TB, st *store.Store) int {
	t.Helper()
	n, err := st.UserCount(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// QueryRecorder keeps the text of every query a store runs.
type QueryRecorder struct {
	mu      sync.Mutex
	queries []string
}

// BeforeQuery implements bun.QueryHook.
func (r *QueryRecorder) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	return ctx
}

// AfterQuery implements bun.QueryHook.
func (r *QueryRecorder) AfterQuery(_ context.Context, ev *bun.QueryEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.queries = append(r.queries, ev.Query)
}

// Take returns the queries recorded since the last Take, as the database received them.
func (r *QueryRecorder) Take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.queries
	r.queries = nil
	return q
}

// RecordQueries records every query st runs from now on (to ask the database how it runs them).
func RecordQueries(st *store.Store) *QueryRecorder {
	r := &QueryRecorder{}
	st.AddQueryHookForTests(fortests.Key{}, r)
	return r
}

// HookQueries runs every later query of st through h: a test that must see or hold a
// query as it runs.
func HookQueries(st *store.Store, h bun.QueryHook) { st.AddQueryHookForTests(fortests.Key{}, h) }
