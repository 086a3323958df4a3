package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/store"
	"forum/app/store/storetest"
)

var posting = Rule{Name: "posting", Every: 2 * time.Second, Burst: 3}

// clock is a time a test moves by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

// allowed counts how many of n requests lim allows at once.
func allowed(lim Limiter, rule Rule, client string, n int) int {
	k := 0
	for range n {
		if lim.Allow(context.Background(), rule, client) {
			k++
		}
	}
	return k
}

// spendAndRefill checks a budget as every limiter must keep it: a burst, then one request
// per period; each client and each rule a budget of its own.
func spendAndRefill(t *testing.T, lim Limiter, c *clock) {
	t.Helper()
	if got := allowed(lim, posting, "10.0.0.1", 5); got != 3 {
		t.Fatalf("a fresh client got %d of 5 requests, want the burst of 3", got)
	}
	if got := allowed(lim, posting, "10.0.0.2", 5); got != 3 {
		t.Fatalf("another client got %d of 5, want its own burst of 3", got)
	}
	if got := allowed(lim, Rule{Name: "search", Every: time.Second, Burst: 2}, "10.0.0.1", 3); got != 2 {
		t.Fatalf("another rule gave %d of 3, want its own burst of 2", got)
	}
	c.advance(time.Second)
	if got := allowed(lim, posting, "10.0.0.1", 1); got != 0 {
		t.Fatal("a request was allowed before a period had passed")
	}
	c.advance(time.Second)
	if got := allowed(lim, posting, "10.0.0.1", 2); got != 1 {
		t.Fatalf("after one period %d requests were allowed, want 1", got)
	}
	c.advance(time.Minute)
	if got := allowed(lim, posting, "10.0.0.1", 5); got != 3 {
		t.Fatalf("after a long pause %d requests were allowed, want the whole burst of 3 (and no more)", got)
	}
}

func TestMemoryBudget(t *testing.T) {
	c := &clock{t: time.Unix(1_000_000, 0)}
	m := NewMemory()
	m.now = c.now
	spendAndRefill(t, m, c)
}

// TestMemoryForgetsFullBudgets: budgets that are full again are forgotten, and a flood of
// clients never holds more than maxClients.
func TestMemoryForgetsFullBudgets(t *testing.T) {
	c := &clock{t: time.Unix(1_000_000, 0)}
	m := NewMemory()
	m.now = c.now
	for i := range 1000 {
		m.Allow(context.Background(), posting, "10.1."+strconv.Itoa(i))
	}
	c.advance(sweepEvery + posting.Every)
	m.Allow(context.Background(), posting, "10.2.0.1")
	if m.Len() != 1 {
		t.Fatalf("%d budgets remembered, want 1: the others are full again", m.Len())
	}
	for i := range maxClients + 5000 {
		m.Allow(context.Background(), posting, "10.3."+strconv.Itoa(i))
	}
	if m.Len() > maxClients {
		t.Fatalf("%d budgets remembered, more than %d", m.Len(), maxClients)
	}
}

func TestSharedBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		c := &clock{t: time.Unix(1_000_000, 0)}
		s := NewShared(st, nil)
		s.now = c.now
		spendAndRefill(t, s, c)

		// The budgets that are full again are removed from the table.
		c.advance(time.Hour)
		allowed(s, posting, "10.9.9.9", 1)
		var rows int
		storetest.Scan(t, st, &rows, "SELECT COUNT(*) FROM rate_limits")
		if rows != 1 {
			t.Fatalf("%d budgets in the table after an hour, want the one just spent", rows)
		}
	})
}

// TestSharedBudgetAcrossNodes: two nodes on one PostgreSQL database spend one budget per
// client, also when requests arrive on both at once.
func TestSharedBudgetAcrossNodes(t *testing.T) {
	st := storetest.Open(t, config.DriverPostgres)
	a := New(st, nil)
	b := New(storetest.OtherNode(st), nil)
	if _, ok := a.(*Shared); !ok {
		t.Fatalf("New on PostgreSQL gave a %T, want a shared limiter", a)
	}
	rule := Rule{Name: "posting", Every: time.Hour, Burst: 10}
	var wg sync.WaitGroup
	var got atomic.Int64
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lim := a
			if i%2 == 1 {
				lim = b
			}
			if lim.Allow(context.Background(), rule, "10.0.0.7") {
				got.Add(1)
			}
		}()
	}
	wg.Wait()
	// Each request is stamped with its node's clock as it begins; one stamped a moment
	// before another, and spending after it, may find the last place taken: 9 or 10, never
	// the 20 of two budgets.
	if n := got.Load(); n < 9 || n > 10 {
		t.Fatalf("40 requests on two nodes at once: %d allowed, want the one budget of 10", n)
	}
}

// TestNewOnSQLiteKeepsBudgetsInMemory: one node, no table.
func TestNewOnSQLiteKeepsBudgetsInMemory(t *testing.T) {
	st := storetest.Open(t, config.DriverSQLite)
	if _, ok := New(st, nil).(*Memory); !ok {
		t.Fatal("New on SQLite does not keep budgets in memory")
	}
}

// TestSharedFallsBackWhenTheDatabaseFails: with the database gone, each node limits on its own.
func TestSharedFallsBackWhenTheDatabaseFails(t *testing.T) {
	st := storetest.Open(t, config.DriverSQLite)
	s := NewShared(st, nil)
	st.Close()
	if got := allowed(s, posting, "10.0.0.1", 5); got != 3 {
		t.Fatalf("with the database closed %d of 5 requests were allowed, want the burst of 3 kept in memory", got)
	}
}
