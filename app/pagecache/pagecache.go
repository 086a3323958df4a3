// Package pagecache keeps what pages load and render, for every page of the forum: one
// cache, bounded in bytes, whose entries hold while nothing they depend on changed.
//
// An entry is filled by a load function and depends on keys that name what it shows
// ("thread 41", "the topic page of CRAFT", "member 7's notifications"). A write drops
// exactly what it changed by invalidating those keys (Invalidate); every other entry
// stays. Each key has a version (a counter, kept in a fixed array of stripes, so that
// the versions take the same memory however many keys there are: two keys that share
// a stripe only drop each other's entries now and then). An entry records the versions
// of its keys as they were before it was loaded, so a write committed while it loads
// leaves it already stale, never wrongly fresh. A global generation (the store's, for
// the rare writes no key names) and a time to live bound the rest.
//
// An entry past its time to live, and nothing else (no key of it invalidated, the
// generation the same), is aged: for at most another time to live, the first request to
// find it loads it again, and the requests that come while that load runs are served the
// aged entry instead of waiting for it (Get). A page that expired only by time costs one
// request the load, not every request that arrived during it. A write never leaves an
// entry aged: what a key or the generation drops is loaded again before it is served.
//
// An entry holds its loaded value and any number of variants of it (renderings, one per
// kind of viewer), added as they are first asked for and counted in the same bytes. When
// the cache holds more bytes than its ceiling, the least recently used entries go.
package pagecache

import (
	"container/list"
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"
)

// stripes is how many version counters the keys share (a power of two).
const stripes = 1 << 14

// overhead is what an entry costs beside the sizes its load and variants report.
const overhead = 256

// Cache is the one cache of pages. It is safe for concurrent use.
type Cache struct {
	limit      int64
	generation func() uint64
	now        func() time.Time
	seed       maphash.Seed
	versions   [stripes]atomic.Uint64
	flight     singleflight.Group

	mu      sync.Mutex
	entries map[string]*list.Element // of *Entry
	lru     list.List                // most recently used first
	bytes   int64

	hits, misses, evictions, aged atomic.Int64
}

// New returns a cache that holds at most limit bytes. generation, when not nil, is a
// counter that drops every entry when it moves (the store's Generation).
func New(limit int64, generation func() uint64) *Cache {
	if generation == nil {
		generation = func() uint64 { return 0 }
	}
	return &Cache{limit: limit, generation: generation, now: time.Now, seed: maphash.MakeSeed(), entries: map[string]*list.Element{}}
}

// SetClock replaces the clock (tests).
func (c *Cache) SetClock(now func() time.Time) { c.now = now }

// Entry is one loaded value with its variants. Value is shared by every request that
// finds the entry: nothing may modify it.
type Entry struct {
	Value any

	cache   *Cache
	key     string
	deps    []uint32 // stripes of the keys it depends on
	vers    []uint64 // their versions before it was loaded
	gen     uint64
	loaded  time.Time
	ttl     time.Duration
	size    int64
	removed bool // no longer counted in the cache (guarded by cache.mu)
	// reloading: a request is loading the entry again, aged (Get).
	reloading atomic.Bool

	mu       sync.Mutex
	variants map[any]any
}

// Stamp is the versions of some keys at one moment: taken before a load, it makes the
// entry filled from that load stale as soon as any of the keys is invalidated.
type Stamp struct {
	deps []uint32
	vers []uint64
	gen  uint64
	at   time.Time
}

// Stamp reads the versions of keys now.
func (c *Cache) Stamp(keys ...string) Stamp {
	st := Stamp{gen: c.generation(), at: c.now(), deps: make([]uint32, len(keys)), vers: make([]uint64, len(keys))}
	for i, k := range keys {
		st.deps[i] = c.stripe(k)
		st.vers[i] = c.versions[st.deps[i]].Load()
	}
	return st
}

// With adds keys, with their versions now, to a stamp: for what is known only once the
// load has run (the threads a list shows).
func (st Stamp) With(c *Cache, keys ...string) Stamp {
	out := Stamp{gen: st.gen, at: st.at, deps: append([]uint32(nil), st.deps...), vers: append([]uint64(nil), st.vers...)}
	for _, k := range keys {
		d := c.stripe(k)
		out.deps = append(out.deps, d)
		out.vers = append(out.vers, c.versions[d].Load())
	}
	return out
}

func (c *Cache) stripe(key string) uint32 {
	return uint32(maphash.String(c.seed, key) & (stripes - 1))
}

// Invalidate drops every entry that depends on any of keys.
func (c *Cache) Invalidate(keys ...string) {
	for _, k := range keys {
		c.versions[c.stripe(k)].Add(1)
	}
}

// Attacher is a value that keeps its entry, to add variants to it: Attach is called once,
// before any other request sees the value.
type Attacher interface{ Attach(e *Entry) }

// Loaded is what a load function returns: the value, its size in bytes, and the keys it
// depends on beyond those named before the load (read after it: see Stamp.With).
type Loaded struct {
	Value any
	Size  int
	Keys  []string
}

// Get returns the entry of key while it holds; else it runs load (once, however many
// requests ask at the same time) and keeps what it returns for at most ttl, depending on
// keys and on the keys load names. An aged entry (see the package's comment) is loaded
// again by the first request that finds it, in that request, and served meanwhile to the
// others.
func (c *Cache) Get(ctx context.Context, key string, keys []string, ttl time.Duration, load func(ctx context.Context) (Loaded, error)) (*Entry, error) {
	e, aged := c.find(key)
	switch {
	case e != nil && !aged:
		c.hits.Add(1)
		return e, nil
	case e != nil && !e.reloading.CompareAndSwap(false, true):
		c.aged.Add(1)
		return e, nil
	case e != nil:
		// This request loads it again (below); should that fail, the next one tries.
		defer e.reloading.Store(false)
	}
	v, err, _ := c.flight.Do(key, func() (any, error) {
		if e := c.lookup(key); e != nil {
			return e, nil
		}
		c.misses.Add(1)
		st := c.Stamp(keys...)
		// The load serves every request waiting for it: one that goes away does not end it.
		l, err := load(context.WithoutCancel(ctx))
		if err != nil {
			return nil, err
		}
		st = st.With(c, l.Keys...)
		e := &Entry{Value: l.Value, cache: c, key: key, deps: st.deps, vers: st.vers, gen: st.gen, loaded: st.at, ttl: ttl,
			size: int64(l.Size) + int64(len(key)) + overhead}
		if a, ok := l.Value.(Attacher); ok {
			a.Attach(e)
		}
		c.store(e)
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*Entry), nil
}

// Put keeps value under key for at most ttl, depending on the keys of st (taken before
// value was loaded): for values loaded together by one query.
func (c *Cache) Put(key string, value any, size int, st Stamp, ttl time.Duration) {
	c.store(&Entry{Value: value, cache: c, key: key, deps: st.deps, vers: st.vers, gen: st.gen, loaded: st.at, ttl: ttl,
		size: int64(size) + int64(len(key)) + overhead})
}

// Drop removes e, when it is still the entry of its key: for an entry its user found out
// of date in a way no key tells.
func (c *Cache) Drop(e *Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.entries[e.key]; ok && el.Value.(*Entry) == e {
		c.remove(el)
	}
}

// Peek returns the entry of key while it holds, or nil.
func (c *Cache) Peek(key string) *Entry { return c.lookup(key) }

func (c *Cache) lookup(key string) *Entry {
	if e, aged := c.find(key); !aged {
		return e
	}
	return nil
}

// find returns the entry of key while it holds or is aged (and which), or nil.
func (c *Cache) find(key string) (e *Entry, aged bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.entries[key]
	if !ok {
		return nil, false
	}
	e = el.Value.(*Entry)
	switch c.state(e) {
	case holds:
	case aging:
		aged = true
	default:
		c.remove(el)
		return nil, false
	}
	c.lru.MoveToFront(el)
	return e, aged
}

// entryState is whether an entry holds, is aged, or is dropped.
type entryState int

const (
	holds entryState = iota
	aging
	dropped
)

// state tells whether e still holds, is aged (past its time to live by less than another,
// and nothing else changed), or is dropped.
func (c *Cache) state(e *Entry) entryState {
	if e.gen != c.generation() {
		return dropped
	}
	for i, d := range e.deps {
		if c.versions[d].Load() != e.vers[i] {
			return dropped
		}
	}
	switch age := c.now().Sub(e.loaded); {
	case age < 0 || age >= 2*e.ttl:
		return dropped
	case age >= e.ttl:
		return aging
	}
	return holds
}

// fresh reports whether e still holds.
func (c *Cache) fresh(e *Entry) bool { return c.state(e) == holds }

// Fresh reports whether the entry still holds: a request that took it may keep using it
// either way, as what it shows was true when the request came.
func (e *Entry) Fresh() bool { return e.cache.fresh(e) }

func (c *Cache) store(e *Entry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[e.key]; ok {
		c.remove(old)
	}
	if e.size > c.limit {
		e.removed = true
		return // larger than the whole cache: served once, kept never
	}
	c.entries[e.key] = c.lru.PushFront(e)
	c.bytes += e.size
	c.evict()
}

// evict drops the least recently used entries until the cache fits its ceiling.
func (c *Cache) evict() {
	for c.bytes > c.limit {
		el := c.lru.Back()
		if el == nil {
			return
		}
		c.remove(el)
		c.evictions.Add(1)
	}
}

func (c *Cache) remove(el *list.Element) {
	e := el.Value.(*Entry)
	c.lru.Remove(el)
	if cur, ok := c.entries[e.key]; ok && cur == el {
		delete(c.entries, e.key)
	}
	c.bytes -= e.size
	e.removed = true
}

// grow counts n more bytes for e (a variant added to it).
func (c *Cache) grow(e *Entry, n int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e.removed {
		return
	}
	e.size += n
	c.bytes += n
	c.evict()
}

// maxVariants bounds the variants of one entry (kinds of viewer, forms).
const maxVariants = 32

// Variant returns the variant k of the entry (a rendering for one kind of viewer, say),
// making it once with make, which returns it and its size in bytes.
func (e *Entry) Variant(k any, make func() (any, int, error)) (any, error) {
	e.mu.Lock()
	v, ok := e.variants[k]
	e.mu.Unlock()
	if ok {
		return v, nil
	}
	v, n, err := make()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if old, ok := e.variants[k]; ok {
		e.mu.Unlock()
		return old, nil
	}
	keep := len(e.variants) < maxVariants
	if keep {
		if e.variants == nil {
			e.variants = map[any]any{}
		}
		e.variants[k] = v
	}
	e.mu.Unlock()
	if keep {
		e.cache.grow(e, int64(n)+overhead)
	}
	return v, nil
}

// Stats are counts of the cache's work, for metrics. Aged counts the requests served an
// aged entry while another loaded it again.
type Stats struct {
	Entries                       int
	Bytes, Limit                  int64
	Hits, Misses, Evictions, Aged int64
}

// Stats returns the cache's counts now.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	n, b := len(c.entries), c.bytes
	c.mu.Unlock()
	return Stats{Entries: n, Bytes: b, Limit: c.limit, Hits: c.hits.Load(), Misses: c.misses.Load(), Evictions: c.evictions.Load(),
		Aged: c.aged.Load()}
}
