package search

import (
	"context"
	"sync"
	"time"
)

// SimilarCache remembers the threads similar to each thread for a while: a thread page
// shows them on every view, and they change only slowly, so the text query runs at most
// once per thread per TTL instead of on every view.
type SimilarCache struct {
	ix  *Index
	ttl time.Duration
	max int

	mu      sync.Mutex
	entries map[similarKey]similarEntry
}

type similarKey struct {
	thread     int64
	publicOnly bool
}

type similarEntry struct {
	ids     []int64
	expires time.Time
}

// NewSimilarCache returns a cache over ix keeping results for ttl, at most max threads.
func NewSimilarCache(ix *Index, ttl time.Duration, max int) *SimilarCache {
	return &SimilarCache{ix: ix, ttl: ttl, max: max, entries: map[similarKey]similarEntry{}}
}

// Similar returns the threads similar to thread (described by text), from the cache when fresh.
func (c *SimilarCache) Similar(ctx context.Context, thread int64, text string, publicOnly bool, n int) ([]int64, error) {
	key := similarKey{thread, publicOnly}
	now := time.Now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.ids, nil
	}
	ids, err := c.ix.Similar(ctx, text, thread, publicOnly, n)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.entries) >= c.max {
		clear(c.entries) // simple and bounded; the next views refill it
	}
	c.entries[key] = similarEntry{ids: ids, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return ids, nil
}
