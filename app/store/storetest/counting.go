package storetest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"forum/app/model"
	"forum/app/store"
)

// QueryCounter counts the queries run through the database it is added to
// (Store.DB.WithQueryHook), to keep the number of queries per page bounded.
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

// CountUsers counts the accounts in st, deleted ones included.
func CountUsers(t testing.TB, st *store.Store) int {
	t.Helper()
	n, err := st.DB.NewSelect().Model((*model.User)(nil)).Count(context.Background())
	if err != nil {
		t.Fatalf("count users: %v", err)
	}
	return int(n)
}
