// Package ratelimit keeps each client's budget of requests: in memory on one node
// (SQLite), and in the database on PostgreSQL, so that every node of the forum spends the
// same budget and a client gets it once, however many nodes serve it.
package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"forum/app/store"
)

// Rule is one budget: Burst requests at once, then one every Every, per client.
type Rule struct {
	Name  string
	Every time.Duration
	Burst int
}

// Limiter decides whether a client may make one more request under a rule.
type Limiter interface {
	Allow(ctx context.Context, rule Rule, client string) bool
}

// New returns the limiter for st: shared through the database on PostgreSQL, where several
// nodes may serve the forum, and in memory on SQLite, which serves one.
func New(st *store.Store, log *slog.Logger) Limiter {
	if st.HearsOtherNodes() {
		return NewShared(st, log)
	}
	return NewMemory()
}

// maxClients bounds the budgets a Memory limiter remembers; past it, the budgets that are
// full again are forgotten, and then the oldest-looking ones at random.
const maxClients = 100_000

// sweepEvery is how often the budgets that are full again are forgotten.
const sweepEvery = time.Minute

// Memory is a Limiter in this process's memory: the generic cell rate algorithm, one time
// per rule and client (when its budget is full again), forgotten once that time has passed.
type Memory struct {
	now func() time.Time

	mu      sync.Mutex
	tats    map[memoryKey]time.Time
	sweptAt time.Time
}

type memoryKey struct{ rule, client string }

// NewMemory returns an empty Memory limiter.
func NewMemory() *Memory {
	return &Memory{now: time.Now, tats: map[memoryKey]time.Time{}}
}

// Allow spends one request of client's budget under rule, if there is one left.
func (m *Memory) Allow(_ context.Context, rule Rule, client string) bool {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.sweptAt) >= sweepEvery || len(m.tats) >= maxClients {
		m.sweep(now)
	}
	k := memoryKey{rule.Name, client}
	tat := m.tats[k]
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(rule.Every)
	if next.Sub(now) > time.Duration(rule.Burst)*rule.Every {
		return false
	}
	m.tats[k] = next
	return true
}

// sweep forgets the budgets that are full again; if too many remain (a flood of clients),
// it forgets a tenth of them besides, which only gives those clients a fresh budget.
func (m *Memory) sweep(now time.Time) {
	m.sweptAt = now
	for k, tat := range m.tats {
		if tat.Before(now) {
			delete(m.tats, k)
		}
	}
	if len(m.tats) < maxClients {
		return
	}
	drop := len(m.tats) / 10
	for k := range m.tats {
		if drop == 0 {
			break
		}
		delete(m.tats, k)
		drop--
	}
}

// Len returns how many budgets the limiter remembers.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.tats)
}

// Shared is a Limiter whose budgets live in the database, spent by every node alike. When
// the database does not answer, each node falls back to a budget of its own in memory
// (and says so in the log), rather than refusing every request or allowing all.
type Shared struct {
	st       *store.Store
	log      *slog.Logger
	now      func() time.Time
	fallback *Memory

	mu       sync.Mutex
	sweptAt  time.Time
	warnedAt time.Time
}

// NewShared returns a Limiter sharing its budgets through st.
func NewShared(st *store.Store, log *slog.Logger) *Shared {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Shared{st: st, log: log, now: time.Now, fallback: NewMemory()}
}

// Allow spends one request of client's budget under rule, if there is one left.
func (s *Shared) Allow(ctx context.Context, rule Rule, client string) bool {
	now := s.now()
	s.sweep(ctx, now)
	var ok bool
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		var err error
		ok, err = tx.TakeRateToken(ctx, rule.Name, client, rule.Every, rule.Burst, now)
		return err
	})
	if err != nil {
		s.warn(now, err)
		return s.fallback.Allow(ctx, rule, client)
	}
	return ok
}

// sweep removes, once a minute, the budgets that are full again.
func (s *Shared) sweep(ctx context.Context, now time.Time) {
	s.mu.Lock()
	due := now.Sub(s.sweptAt) >= sweepEvery
	if due {
		s.sweptAt = now
	}
	s.mu.Unlock()
	if !due {
		return
	}
	err := s.st.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.ForgetFullRateBudgets(ctx, now)
		return err
	})
	if err != nil {
		s.warn(now, err)
	}
}

// warn logs a failure of the database once a minute at most.
func (s *Shared) warn(now time.Time, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.warnedAt) < time.Minute {
		return
	}
	s.warnedAt = now
	s.log.Warn("shared rate limits unavailable: this node limits clients on its own meanwhile", "err", err)
}
