package web

import (
	"context"
	"sync"
	"time"

	"forum/app/changelog"
	"forum/app/danger"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// threadCache keeps, for a few seconds, what the thread page reads and renders of a thread:
// the thread, its posts, its linked and related threads, and the page's content as each
// kind of viewer sees it. A page view then costs the policy checks, the reply form and the
// layout, not a dozen queries and a template over every post.
//
// An entry holds only while no write was committed since it was filled (store.Generation:
// a reply, an edit, a helpful mark, a new role or pseudonym all drop every entry), and for at
// most threadCacheTTL. Writes by another node reach the generation through watchChanges
// as they commit (PostgreSQL's NOTIFY), or within changePollInterval (SQLite); the TTL bounds the rest (profile changes made elsewhere) and
// the "2 hours ago" times. Entries are shared between requests: nothing in them is
// modified after it is filled, except the maps behind their mutex.
//
// The content is rendered once per audience (policy.AudienceOf): every name and button on
// the page is decided by app/policy from the viewer's audience.
type threadCache struct {
	store   *store.Store
	now     func() time.Time
	disable bool // development: templates change on disk

	mu      sync.Mutex
	entries map[int64]*threadSnapshot
}

const (
	threadCacheTTL     = 5 * time.Second
	threadCacheSize    = 2000
	changePollInterval = 250 * time.Millisecond
	// changeFallbackInterval is how often the change log is polled where NOTIFY wakes the
	// watcher (PostgreSQL): only a lost notification waits for it.
	changeFallbackInterval = 5 * time.Second
	variantsPerThread      = 16
)

// threadSnapshot is one thread as the database had it at generation gen.
type threadSnapshot struct {
	gen     uint64
	loaded  time.Time
	thread  *model.Thread
	posts   []*model.Post
	links   []store.RelatedThread
	authors map[int64]bool // of the thread, its posts and its linked threads
	// held are the replies waiting for review, each shown to its author alone.
	held []*model.HeldPost
	// danger: the words of a family's post readers see (policy.CountsForCrisisBox), or of
	// the title it opens, suggest someone may be in immediate danger, and the page shows
	// the crisis box (app/danger).
	danger bool

	mu      sync.Mutex
	related map[bool][]*model.Thread // by publicOnly
	content map[policy.Audience]slotted
	// replyForm is the empty reply form, with a slot for the CSRF token.
	replyForm    slotted
	hasReplyForm bool
}

func newThreadCache(st *store.Store, disable bool) *threadCache {
	return &threadCache{store: st, now: time.Now, disable: disable, entries: map[int64]*threadSnapshot{}}
}

// get returns the snapshot of thread id, from the cache or freshly loaded.
func (tc *threadCache) get(ctx context.Context, id int64) (*threadSnapshot, error) {
	gen, now := tc.store.Generation(), tc.now()
	if !tc.disable {
		tc.mu.Lock()
		snap := tc.entries[id]
		tc.mu.Unlock()
		if snap != nil && snap.gen == gen && now.Sub(snap.loaded) < threadCacheTTL && !now.Before(snap.loaded) {
			return snap, nil
		}
	}
	// The generation was read before the queries, so a write committed while they run
	// leaves this snapshot already stale, never wrongly fresh.
	t, err := tc.store.ThreadByID(ctx, id)
	if err != nil {
		return nil, err
	}
	posts, err := tc.store.PostsByThread(ctx, id)
	if err != nil {
		return nil, err
	}
	links, err := tc.store.RelatedLinks(ctx, id)
	if err != nil {
		return nil, err
	}
	held, err := tc.store.WaitingHeldReplies(ctx, id)
	if err != nil {
		return nil, err
	}
	snap := &threadSnapshot{gen: gen, loaded: now, thread: t, posts: posts, links: links, held: held,
		authors: map[int64]bool{t.AuthorID: true}, related: map[bool][]*model.Thread{}, content: map[policy.Audience]slotted{}}
	for _, p := range posts {
		snap.authors[p.AuthorID] = true
		if !snap.danger && policy.CountsForCrisisBox(p) {
			title := ""
			if p.Opening {
				title = t.Title
			}
			snap.danger = danger.Match(title, p.BodySource)
		}
	}
	for _, l := range links {
		snap.authors[l.Thread.AuthorID] = true
	}
	if tc.disable {
		return snap, nil
	}
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if len(tc.entries) >= threadCacheSize {
		for k, old := range tc.entries {
			if old.gen != gen || now.Sub(old.loaded) >= threadCacheTTL {
				delete(tc.entries, k)
			}
		}
		if len(tc.entries) >= threadCacheSize {
			clear(tc.entries)
		}
	}
	tc.entries[id] = snap
	return snap, nil
}

// relatedThreads returns the automatically found related threads of the snapshot, for
// members or (publicOnly) for visitors, computing them once.
func (snap *threadSnapshot) relatedThreads(publicOnly bool, compute func() ([]*model.Thread, error)) ([]*model.Thread, error) {
	snap.mu.Lock()
	r, ok := snap.related[publicOnly]
	snap.mu.Unlock()
	if ok {
		return r, nil
	}
	r, err := compute()
	if err != nil {
		return nil, err
	}
	snap.mu.Lock()
	snap.related[publicOnly] = r
	snap.mu.Unlock()
	return r, nil
}

// audience returns the kind of viewer v is on the snapshot's page, to whom related is
// shown: app/policy says who sees the same page (policy.AudienceOf), the snapshot who
// wrote something on it (the asker, a post's author, the author of a linked or related
// thread). A moderator's rendering, with the names behind anonymous posts, so never
// reaches anyone but moderators.
func (snap *threadSnapshot) audience(v *model.User, related []*model.Thread) policy.Audience {
	return policy.AudienceOf(v, func(id int64) bool {
		if snap.authors[id] {
			return true
		}
		for _, r := range related {
			if r.AuthorID == id {
				return true
			}
		}
		return false
	})
}

// cachedContent returns the content rendered for audience k, rendering it once. The cached
// HTML has slots where each viewer's own CSRF token and reply form (with their draft) go.
func (snap *threadSnapshot) cachedContent(k policy.Audience, render func() (string, error)) (slotted, error) {
	snap.mu.Lock()
	h, ok := snap.content[k]
	snap.mu.Unlock()
	if ok {
		return h, nil
	}
	html, err := render()
	if err != nil {
		return slotted{}, err
	}
	h = splitSlots(html)
	snap.mu.Lock()
	if len(snap.content) < variantsPerThread {
		snap.content[k] = h
	}
	snap.mu.Unlock()
	return h, nil
}

// emptyReplyForm returns the reply form with nothing in it (no draft, no quote), the
// same for every member who may reply, rendering it once.
func (snap *threadSnapshot) emptyReplyForm(render func() (string, error)) (slotted, error) {
	snap.mu.Lock()
	f, ok := snap.replyForm, snap.hasReplyForm
	snap.mu.Unlock()
	if ok {
		return f, nil
	}
	html, err := render()
	if err != nil {
		return slotted{}, err
	}
	f = splitSlots(html)
	snap.mu.Lock()
	snap.replyForm, snap.hasReplyForm = f, true
	snap.mu.Unlock()
	return f, nil
}

// changeListeners wake the change watcher as soon as a change is committed, by this node
// or (PostgreSQL) another, and pass announced notifications to the live updates.
func (s *Server) changeListeners() store.Listeners {
	return store.Listeners{
		Changed: func() {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		},
		UsersNotified: s.live.UsersNotified,
		Trouble: func(err error) {
			s.log.Warn("not hearing other nodes' changes; polling for them meanwhile", "every", changeFallbackInterval, "err", err)
		},
	}
}

// watchChanges reads the change log as it grows: it advances the store's generation, so
// that writes made by another node (or a command-line tool) on the shared database reach
// this node's caches, and it hands each change to the live updates. It is woken as changes
// are committed (changeListeners) and polls besides: every changePollInterval on SQLite,
// where another process's writes are heard of in no other way, and every
// changeFallbackInterval on PostgreSQL, in case a NOTIFY was lost with its connection.
// reader, when not nil, was made as the server started: the changes from then on are read.
// It returns when ctx ends.
func (s *Server) watchChanges(ctx context.Context, reader *changelog.Reader) {
	// Caches may have been filled before the watcher started, and another node may have
	// written since: the first look advances the generation whatever it finds.
	s.store.Changed()
	interval := changePollInterval
	if s.store.HearsOtherNodes() {
		interval = changeFallbackInterval
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		if reader == nil {
			// Live updates follow the log from now on: a page catches up when it connects.
			reader, _ = changelog.NewReader(ctx, s.store)
		} else if changes, err := reader.Next(ctx); len(changes) > 0 {
			s.store.Changed()
			s.live.Changed(changes)
		} else if err != nil && ctx.Err() == nil {
			s.log.Debug("read the change log", "err", err) // the next tick tries again; readyz reports a database that is down
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-tick.C:
		}
	}
}

// heldOf returns the replies of the snapshot's thread that wait for review and that v
// wrote: only their author sees them on the page.
func (snap *threadSnapshot) heldOf(v *model.User) []*model.HeldPost {
	if v == nil {
		return nil
	}
	var out []*model.HeldPost
	for _, h := range snap.held {
		if h.AuthorID == v.ID && policy.CanSeeHeldPost(v, h) {
			out = append(out, h)
		}
	}
	return out
}
