package search

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"forum/app/model"
	"forum/app/store"
)

// batchSize is how many change-log rows one batch applies.
const batchSize = 500

// Syncer follows the change log and keeps the index in step with the database.
type Syncer struct {
	store *store.Store
	index *Index
	log   *slog.Logger
	// Interval is how long the syncer waits when it has caught up.
	Interval time.Duration
	lag      atomic.Int64
}

// NewSyncer returns a syncer of ix from st.
func NewSyncer(st *store.Store, ix *Index, log *slog.Logger) *Syncer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Syncer{store: st, index: ix, log: log, Interval: 300 * time.Millisecond}
}

// Run applies new change-log rows until ctx ends. It catches up first; an index that Open
// replaced (built by an earlier version, or left unfinished) is rebuilt from the database
// before that.
func (s *Syncer) Run(ctx context.Context) {
	if s.index.Replaced() {
		s.log.Info("search index built by an earlier version or left unfinished: rebuilding it from the database")
		sum, err := Rebuild(ctx, s.store, s.index, nil)
		if err != nil {
			s.log.Error("search index rebuild", "err", err)
		} else {
			s.log.Info("search index rebuilt", "threads", sum.Threads, "posts", sum.Posts, "duration", sum.Duration.Round(time.Millisecond))
		}
	}
	for {
		n, err := s.SyncOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("search index sync", "err", err)
		}
		if n == batchSize {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.Interval):
		}
	}
}

// SyncOnce applies one batch of change-log rows and returns how many it applied.
func (s *Syncer) SyncOnce(ctx context.Context) (int, error) {
	last, err := s.index.LastApplied()
	if err != nil {
		return 0, err
	}
	changes, err := s.store.ChangesAfter(ctx, last, batchSize)
	if err != nil {
		return 0, err
	}
	if len(changes) == 0 {
		s.lag.Store(0)
		return 0, nil
	}
	threads := map[int64]bool{}
	for _, c := range changes {
		switch {
		case c.Entity == "tag":
			ids, err := s.store.ThreadIDsWithTag(ctx, c.EntityID)
			if err != nil {
				return 0, err
			}
			for _, id := range ids {
				threads[id] = true
			}
		case c.ThreadID != 0:
			threads[c.ThreadID] = true
		}
	}
	if err := s.reindexThreads(ctx, threads, changes[len(changes)-1].ID); err != nil {
		return 0, err
	}
	latest, err := s.store.LatestChangeID(ctx)
	if err == nil {
		s.lag.Store(latest - changes[len(changes)-1].ID)
	}
	return len(changes), nil
}

// reindexThreads rebuilds the documents of the threads and records lastChange with them.
func (s *Syncer) reindexThreads(ctx context.Context, ids map[int64]bool, lastChange int64) error {
	var docs []Document
	var gone []int64
	for id := range ids {
		t, err := s.store.ThreadByID(ctx, id)
		if errors.Is(err, model.ErrNotFound) {
			gone = append(gone, id)
			continue
		}
		if err != nil {
			return err
		}
		if t.Hidden {
			gone = append(gone, id)
			continue
		}
		posts, err := s.store.PostsByThread(ctx, id)
		if err != nil {
			return err
		}
		docs = append(docs, NewDocument(t, posts))
	}
	if err := s.index.Apply(docs, gone, lastChange); err != nil {
		return fmt.Errorf("apply %d threads: %w", len(ids), err)
	}
	return nil
}

// Lag is how many change-log rows were still waiting after the last batch.
func (s *Syncer) Lag() int64 { return s.lag.Load() }
