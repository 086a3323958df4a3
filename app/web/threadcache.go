package web

import (
	"context"
	"hash/maphash"
	"sync"
	"time"

	"forum/app/changelog"
	"forum/app/danger"
	"forum/app/model"
	"forum/app/pagecache"
	"forum/app/policy"
	"forum/app/store"
)

// threadCache keeps, in the page cache, what the thread page reads and renders of a
// thread: the thread, its posts, its linked and related threads, and the page's content
// as each kind of viewer sees it. A page view then costs the policy checks, the reply form
// and the layout, not a dozen queries and a template over every post.
//
// A snapshot holds while its thread is unchanged (threadKey: a reply, an edit, a helpful
// mark in the thread drop it, a write elsewhere on the board does not), while no write
// that no change-log row names was committed (the store's generation: a new role or
// pseudonym), and for at most pageTTL (past it, served while one request loads it again:
// pagecache's aged entries), which bounds the "2 hours ago" times and what reaches this
// node in no other way. Snapshots are shared between requests: nothing in
// them is modified after it is filled; renderings are variants of the snapshot's entry.
//
// The content is rendered once per audience (policy.AudienceOf): every name and button on
// the page is decided by app/policy from the viewer's audience.
type threadCache struct {
	store  *store.Store
	pages  *pagecache.Cache
	danger dangerMemo
}

// dangerMemo remembers, for each text of a post (and title of the thread it opens),
// whether its words suggest someone may be in danger. danger.Match runs a set of regular
// expressions over the text: over a long thread, loaded again after every reply, it cost
// as much as the rest of the load; a post's words change only when it is edited.
type dangerMemo struct {
	mu   sync.Mutex
	m    map[dangerKey]bool
	seed maphash.Seed
}

// dangerKey names a version of a post by hashes of its words, so that the memo keeps no
// text of anyone's (a deleted post's words are not held here).
type dangerKey struct {
	post  int64
	body  uint64 // an edit is another key
	title uint64
}

// dangerMemoMax bounds the versions remembered; past it they are forgotten at once.
const dangerMemoMax = 50_000

// match reports whether the post, with the title when it opens the thread, suggests danger.
func (d *dangerMemo) match(p *model.Post, title string) bool {
	k := dangerKey{post: p.ID, body: maphash.String(d.seed, p.BodySource), title: maphash.String(d.seed, title)}
	d.mu.Lock()
	found, ok := d.m[k]
	d.mu.Unlock()
	if ok {
		return found
	}
	found = danger.Match(title, p.BodySource)
	d.mu.Lock()
	if len(d.m) >= dangerMemoMax {
		clear(d.m)
	}
	d.m[k] = found
	d.mu.Unlock()
	return found
}

const (
	changePollInterval = 250 * time.Millisecond
	// changeFallbackInterval is how often the change log is polled where NOTIFY wakes the
	// watcher (PostgreSQL): only a lost notification waits for it.
	changeFallbackInterval = 5 * time.Second
)

// threadSnapshot is one thread as the database had it.
type threadSnapshot struct {
	thread  *model.Thread
	posts   []*model.Post
	links   []store.RelatedThread
	authors map[int64]bool // of the thread, its posts and its linked threads
	// entry holds the snapshot in the page cache, with its renderings as variants.
	entry *pagecache.Entry
	// held are the replies waiting for review, each shown to its author alone.
	held []*model.HeldPost
	// danger: the words of a family's post readers see (policy.CountsForCrisisBox), or of
	// the title it opens, suggest someone may be in immediate danger, and the page shows
	// the crisis box (app/danger).
	danger bool
}

// Attach keeps the snapshot's entry (pagecache.Attacher).
func (snap *threadSnapshot) Attach(e *pagecache.Entry) { snap.entry = e }

// The variants of a snapshot's entry.
type (
	relatedVariant struct{ publicOnly bool }
	contentVariant struct{ audience policy.Audience }
	replyVariant   struct{}
)

func newThreadCache(st *store.Store, pages *pagecache.Cache) *threadCache {
	return &threadCache{store: st, pages: pages, danger: dangerMemo{m: map[dangerKey]bool{}, seed: maphash.MakeSeed()}}
}

// get returns the snapshot of thread id, from the cache or freshly loaded.
func (tc *threadCache) get(ctx context.Context, id int64) (*threadSnapshot, error) {
	e, err := tc.pages.Get(ctx, threadKey(id), []string{threadKey(id)}, pageTTL, func(ctx context.Context) (pagecache.Loaded, error) {
		t, err := tc.store.ThreadByID(ctx, id)
		if err != nil {
			return pagecache.Loaded{}, err
		}
		posts, err := tc.store.PostsByThread(ctx, id)
		if err != nil {
			return pagecache.Loaded{}, err
		}
		links, err := tc.store.RelatedLinks(ctx, id)
		if err != nil {
			return pagecache.Loaded{}, err
		}
		held, err := tc.store.WaitingHeldReplies(ctx, id)
		if err != nil {
			return pagecache.Loaded{}, err
		}
		snap := &threadSnapshot{thread: t, posts: posts, links: links, held: held, authors: map[int64]bool{t.AuthorID: true}}
		size := threadsSize(t)
		for _, p := range posts {
			snap.authors[p.AuthorID] = true
			size += 300 + len(p.BodyHTML) + len(p.BodySource) + len(p.ContentNote)
			if !snap.danger && policy.CountsForCrisisBox(p) {
				title := ""
				if p.Opening {
					title = t.Title
				}
				snap.danger = tc.danger.match(p, title)
			}
		}
		for _, h := range held {
			size += 300 + len(h.BodyHTML) + len(h.BodySource) + len(h.ContentNote)
		}
		var keys []string
		for _, l := range links {
			snap.authors[l.Thread.AuthorID] = true
			size += threadsSize(l.Thread) + len(l.Note)
			// A linked thread's title and state show on this page.
			keys = append(keys, threadKey(l.Thread.ID))
		}
		return pagecache.Loaded{Value: snap, Size: size, Keys: keys}, nil
	})
	if err != nil {
		return nil, err
	}
	snap := e.Value.(*threadSnapshot)
	if snap.entry == nil {
		// Not kept (larger than the cache): a snapshot of its own for this request.
		snap.entry = e
	}
	return snap, nil
}

// relatedThreads returns the automatically found related threads of the snapshot, for
// members or (publicOnly) for visitors, computing them once.
func (snap *threadSnapshot) relatedThreads(publicOnly bool, compute func() ([]*model.Thread, error)) ([]*model.Thread, error) {
	r, err := snap.entry.Variant(relatedVariant{publicOnly}, func() (any, int, error) {
		r, err := compute()
		return r, threadsSize(r...), err
	})
	if err != nil {
		return nil, err
	}
	return r.([]*model.Thread), nil
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
	return snap.slotted(contentVariant{k}, render)
}

// emptyReplyForm returns the reply form with nothing in it (no draft, no quote), the
// same for every member who may reply, rendering it once.
func (snap *threadSnapshot) emptyReplyForm(render func() (string, error)) (slotted, error) {
	return snap.slotted(replyVariant{}, render)
}

func (snap *threadSnapshot) slotted(k any, render func() (string, error)) (slotted, error) {
	v, err := snap.entry.Variant(k, func() (any, int, error) {
		html, err := render()
		if err != nil {
			return nil, 0, err
		}
		return splitSlots(html), len(html), nil
	})
	if err != nil {
		return slotted{}, err
	}
	return v.(slotted), nil
}

// ownChanges are the change-log rows this node committed and has already invalidated
// for: the change watcher skips them when it reads them back.
type ownChanges struct {
	mu  sync.Mutex
	ids map[int64]bool
}

// ownChangesMax bounds the rows remembered: past it (a watcher that stopped reading),
// they are forgotten, and read back as another node's, which only invalidates again.
const ownChangesMax = 100_000

func (o *ownChanges) add(cs []model.Change) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ids == nil || len(o.ids)+len(cs) > ownChangesMax {
		o.ids = map[int64]bool{}
	}
	for _, c := range cs {
		o.ids[c.ID] = true
	}
}

// others returns the rows of cs this node did not commit, forgetting those it did.
func (o *ownChanges) others(cs []model.Change) []model.Change {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := cs[:0:0]
	for _, c := range cs {
		if o.ids[c.ID] {
			delete(o.ids, c.ID)
			continue
		}
		out = append(out, c)
	}
	return out
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
		UsersNotified: func(ids []int64) {
			// Their notifications page and header count changed (on another node, or here).
			keys := make([]string, len(ids))
			for i, id := range ids {
				keys[i] = memberKey(id)
			}
			s.pages.Invalidate(keys...)
			s.live.UsersNotified(ids)
		},
		Trouble: func(err error) {
			s.log.Warn("not hearing other nodes' changes; polling for them meanwhile", "every", changeFallbackInterval, "err", err)
		},
	}
}

// watchChanges reads the change log as it grows: it drops from the page cache what writes
// made by another node (or a command-line tool) on the shared database changed, and it
// hands each change to the live updates. This node's own writes were invalidated as they
// committed (pageCommitted) and are not invalidated again. It is woken as changes
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
			if others := s.own.others(changes); len(others) > 0 {
				s.invalidate(ctx, others, nil)
			}
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
