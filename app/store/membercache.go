package store

import (
	"sync"
	"sync/atomic"
	"time"

	"forum/app/model"
)

// memberCache remembers what every page a member opens asks of their own state: the
// unread count in the header and the level at which they follow the thread on screen.
// An entry holds for memberCacheTTL, until this process commits a change to that member's
// notifications or follows (Tx.members). What another node commits is seen after at most
// memberCacheTTL.
type memberCache struct {
	// inv advances with every drop: a lookup that read the database while a drop happened
	// may have read the old value, and is not kept.
	inv atomic.Uint64

	mu sync.Mutex
	m  map[int64]*memberEntry
}

const (
	memberCacheTTL     = 5 * time.Second
	memberCacheSize    = 20_000
	levelsPerMember    = 64
	unreadCountUnknown = -1
)

type memberEntry struct {
	unread   int // unreadCountUnknown until looked up
	unreadAt time.Time
	levels   map[int64]levelEntry // by thread
}

type levelEntry struct {
	level model.Level // "": no follow
	at    time.Time
}

func fresh(at, now time.Time) bool { return now.Sub(at) < memberCacheTTL && !now.Before(at) }

// unread returns the remembered unread count of a member.
func (c *memberCache) unread(user int64, now time.Time) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[user]
	if e == nil || e.unread == unreadCountUnknown || !fresh(e.unreadAt, now) {
		return 0, false
	}
	return e.unread, true
}

// level returns the remembered follow level of a member in a thread.
func (c *memberCache) level(user, thread int64, now time.Time) (model.Level, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[user]
	if e == nil {
		return "", false
	}
	l, ok := e.levels[thread]
	if !ok || !fresh(l.at, now) {
		return "", false
	}
	return l.level, true
}

// entry returns the entry of a member, making room for it; c.mu is held.
func (c *memberCache) entry(user int64) *memberEntry {
	if c.m == nil || len(c.m) >= memberCacheSize {
		c.m = map[int64]*memberEntry{}
	}
	e := c.m[user]
	if e == nil {
		e = &memberEntry{unread: unreadCountUnknown}
		c.m[user] = e
	}
	return e
}

// keepUnread remembers an unread count read at now, unless a drop happened since inv.
func (c *memberCache) keepUnread(user int64, n int, now time.Time, inv uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inv.Load() != inv {
		return
	}
	e := c.entry(user)
	e.unread, e.unreadAt = n, now
}

// keepLevel remembers a follow level read at now, unless a drop happened since inv.
func (c *memberCache) keepLevel(user, thread int64, level model.Level, now time.Time, inv uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inv.Load() != inv {
		return
	}
	e := c.entry(user)
	if e.levels == nil || len(e.levels) >= levelsPerMember {
		e.levels = map[int64]levelEntry{}
	}
	e.levels[thread] = levelEntry{level: level, at: now}
}

// drop forgets what is remembered of the members.
func (c *memberCache) drop(users []int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inv.Add(1)
	for _, u := range users {
		delete(c.m, u)
	}
}
