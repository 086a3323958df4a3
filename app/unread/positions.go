// Package unread keeps each member's read position in each thread (the newest post they
// have seen) and says what is new to them since.
//
// A page view never writes to the database (DESIGN section 6): a thread page records the
// position here, in memory, keeping the highest post per member and thread, and Run writes
// the positions in batches every second and once more when the server stops. What a member
// sees reads these positions over the stored ones, so a list they come back to right after
// reading a thread shows nothing new in it.
package unread

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"forum/app/model"
	"forum/app/store"
)

const (
	// FlushInterval is how often recorded positions are written.
	FlushInterval = time.Second
	// storedTTL is how long a stored position read from the database is remembered: a
	// position recorded through another node reaches this one's thread pages within it.
	storedTTL = 5 * time.Second
	// maxPending bounds the positions held while the database cannot take them; beyond
	// it, new positions are dropped (a member sees a thread as unread again), never memory.
	maxPending = 200_000
	maxStored  = 50_000
	// finalFlushTimeout bounds the last write at shutdown.
	finalFlushTimeout = 10 * time.Second
)

type key struct{ user, thread int64 }

type mark struct {
	post int64
	at   time.Time
}

type storedPos struct {
	post int64
	at   time.Time
}

// Positions records read positions and writes them in batches.
type Positions struct {
	store *store.Store
	log   *slog.Logger
	now   func() time.Time

	mu       sync.Mutex
	pending  map[key]mark      // recorded since the last flush began
	flushing map[key]mark      // being written by the flush in progress
	stored   map[key]storedPos // stored positions read recently (see storedTTL)
	dropped  bool              // maxPending was reached; logged once

	flushMu sync.Mutex // one flush at a time
}

// New returns an empty buffer of read positions writing to st.
func New(st *store.Store, log *slog.Logger) *Positions {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Positions{store: st, log: log, now: time.Now, pending: map[key]mark{}, stored: map[key]storedPos{}}
}

// Record notes that a member has seen a thread up to post: the position only moves
// forward. It writes nothing to the database; Flush does.
func (p *Positions) Record(userID, threadID, post int64) {
	if userID <= 0 || threadID <= 0 || post <= 0 {
		return
	}
	k := key{userID, threadID}
	p.mu.Lock()
	defer p.mu.Unlock()
	if m, ok := p.pending[k]; ok && m.post >= post {
		return
	}
	if m, ok := p.flushing[k]; ok && m.post >= post {
		return
	}
	if _, ok := p.pending[k]; !ok && len(p.pending) >= maxPending {
		if !p.dropped {
			p.dropped = true
			p.log.Warn("read positions: too many waiting to be written; dropping new ones until the database takes them", "waiting", len(p.pending))
		}
		return
	}
	p.pending[k] = mark{post: post, at: p.now().UTC()}
}

// buffered returns the member's recorded positions not yet stored, for threads (all of
// them when threads is nil).
func (p *Positions) buffered(userID int64, threads []int64) map[int64]int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[int64]int64{}
	add := func(m map[key]mark, t int64) {
		if v, ok := m[key{userID, t}]; ok && v.post > out[t] {
			out[t] = v.post
		}
	}
	for _, t := range threads {
		add(p.pending, t)
		add(p.flushing, t)
	}
	return out
}

// Position returns the newest post of a thread that the member has seen: what this node
// recorded, over what is stored (read at most every few seconds per member and thread).
// 0: the member never opened the thread.
func (p *Positions) Position(ctx context.Context, userID, threadID int64) (int64, error) {
	out, err := p.Positions(ctx, userID, []int64{threadID})
	if err != nil {
		return 0, err
	}
	return out[threadID], nil
}

// Counts returns what the member has not read of each of threadIDs that they have
// opened: one query (store.UnreadCounts), with this node's recorded positions over the
// stored ones.
func (p *Positions) Counts(ctx context.Context, userID int64, threadIDs []int64) (map[int64]store.Unread, error) {
	return p.store.UnreadCounts(ctx, userID, threadIDs, p.buffered(userID, threadIDs))
}

// Positions returns how far the member has seen each of threads: what this node recorded,
// over what is stored. Stored positions are remembered per member and thread for a few
// seconds (storedTTL), as by Position, so a member going from list to list costs one query
// for the threads not remembered, and none when every thread is. A thread never opened is
// left out.
func (p *Positions) Positions(ctx context.Context, userID int64, threadIDs []int64) (map[int64]int64, error) {
	now := p.now()
	out := make(map[int64]int64, len(threadIDs))
	var stale []int64
	p.mu.Lock()
	for _, t := range threadIDs {
		s, ok := p.stored[key{userID, t}]
		if !ok || now.Sub(s.at) >= storedTTL || now.Before(s.at) {
			stale = append(stale, t)
		} else if s.post > 0 {
			out[t] = s.post
		}
	}
	p.mu.Unlock()
	if len(stale) > 0 {
		loaded, err := p.store.ReadPositions(ctx, userID, stale)
		if err != nil {
			return nil, err
		}
		p.mu.Lock()
		if len(p.stored)+len(stale) > maxStored {
			clear(p.stored)
		}
		for _, t := range stale {
			k, pos := key{userID, t}, loaded[t]
			if old, ok := p.stored[k]; ok && old.post > pos {
				pos = old.post // stored positions only move forward
			}
			p.stored[k] = storedPos{post: pos, at: now}
			if pos > 0 {
				out[t] = pos
			}
		}
		p.mu.Unlock()
	}
	for t, pos := range p.buffered(userID, threadIDs) {
		if pos > out[t] {
			out[t] = pos
		}
	}
	return out, nil
}

// Flush writes the recorded positions in one transaction. When it fails they are kept,
// to be written by the next flush.
func (p *Positions) Flush(ctx context.Context) error {
	p.flushMu.Lock()
	defer p.flushMu.Unlock()
	p.mu.Lock()
	if len(p.pending) == 0 {
		p.mu.Unlock()
		return nil
	}
	batch := p.pending
	p.flushing, p.pending, p.dropped = batch, map[key]mark{}, false
	p.mu.Unlock()

	reads := make([]model.ThreadRead, 0, len(batch))
	for k, m := range batch {
		reads = append(reads, model.ThreadRead{UserID: k.user, ThreadID: k.thread, LastReadPostID: m.post, ReadAt: m.at})
	}
	err := p.store.Tx(ctx, func(tx *store.Tx) error { return tx.SaveReadPositions(ctx, reads) })

	p.mu.Lock()
	defer p.mu.Unlock()
	p.flushing = nil
	if err != nil {
		// Back into the buffer, under what was recorded meanwhile if that is newer.
		for k, m := range batch {
			if cur, ok := p.pending[k]; !ok || cur.post < m.post {
				p.pending[k] = m
			}
		}
		return err
	}
	// The stored positions are now at least these: remembered ones must not lag behind.
	now := p.now()
	for k, m := range batch {
		if s, ok := p.stored[k]; ok && s.post < m.post {
			p.stored[k] = storedPos{post: m.post, at: now}
		}
	}
	return nil
}

// Run writes the recorded positions every FlushInterval until ctx ends; then, once
// drained is closed (the server has answered its last request, which may have recorded a
// position) or wait has passed, it writes what is left and returns.
func (p *Positions) Run(ctx context.Context, drained <-chan struct{}, wait time.Duration) {
	tick := time.NewTicker(FlushInterval)
	defer tick.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			select {
			case <-drained:
			case <-time.After(wait):
				p.log.Warn("read positions: the server was still answering requests; writing the positions recorded so far")
			}
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalFlushTimeout)
			defer cancel()
			if err := p.Flush(fctx); err != nil {
				p.log.Error("read positions: could not write them at shutdown", "err", err)
			}
			return
		case <-tick.C:
		}
		// A database that is down is reported once, and again when it is back.
		switch err := p.Flush(ctx); {
		case err != nil && !failing && ctx.Err() == nil:
			failing = true
			p.log.Error("read positions: could not write them; keeping them for the next try", "err", err)
		case err == nil && failing:
			failing = false
			p.log.Info("read positions: written again")
		}
	}
}
