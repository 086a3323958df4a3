package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/pagecache"
	"forum/app/policy"
	"forum/app/store"
)

// Every page that many people read goes through one piece of code, sharedPage: what it
// shows is loaded once and kept in the page cache (app/pagecache) until a write changes
// it, and rendered once per kind of viewer (policy.AudienceOf). What differs between
// viewers of one kind is a slot in the rendering: the CSRF token, the viewer's name, the
// "N new" badge of each listed thread (one query for the page), a follow form; the
// header's notification count is a slot of the layout.
//
// What a page depends on is named by keys (below); a committed write invalidates the keys
// of what it changed, as its change-log rows say (invalidate): the thread, the lists it
// appears on, its author's profile, the members whose notifications or follows it changed.

// pageTTL bounds how long a page is kept when nothing drops it: the "2 hours ago" times,
// and writes that reach this node in no other way (another node's profile change). Past
// it, the requests that come while one loads the page again are served it (pagecache's
// aged entries).
const pageTTL = 5 * time.Second

// searchTTL bounds how long a search page is kept. Its threads' keys drop it when one of
// them changes, and it is searched again when the index changes a thread its query matches
// (searchPage's valid), so what the bound covers is only its "2 hours ago" times: it is
// longer than pageTTL, as each of the many queries a board is searched with misses once
// per TTL, and a search costs milliseconds of CPU at 100,000 threads.
const searchTTL = 30 * time.Second

// Keys that cached pages depend on.
const (
	latestKey     = "latest"     // the home page's lists
	unansweredKey = "unanswered" // the experts' queue
	publicKey     = "public"     // what visitors see listed: the public home, topic pages, the feed
	topicsKey     = "topics"     // the topics' counts of threads
)

func threadKey(id int64) string   { return "thread:" + strconv.FormatInt(id, 10) }
func topicKey(slug string) string { return "topic:" + slug }

// authorKey names what a member wrote, as their profile shows it.
func authorKey(id int64) string { return "author:" + strconv.FormatInt(id, 10) }

// memberKey names a member's own lists: their threads, notifications and follows.
func memberKey(id int64) string { return "member:" + strconv.FormatInt(id, 10) }

// threadKeys returns the keys of threads.
func threadKeys(ts ...*model.Thread) []string {
	out := make([]string, 0, len(ts))
	for _, t := range ts {
		if t != nil {
			out = append(out, threadKey(t.ID))
		}
	}
	return out
}

// threadsSize estimates the bytes of loaded threads.
func threadsSize(ts ...*model.Thread) int {
	n := 0
	for _, t := range ts {
		if t != nil {
			n += 400 + len(t.Title) + len(t.Slug) + 100*len(t.Tags)
		}
	}
	return n
}

// sharedPage is a page served from the page cache.
type sharedPage struct {
	// key names the page apart from its viewer: its address and whatever else decides
	// what is loaded (member or visitor, a member's own id for their own lists).
	key string
	// keys are the keys its content depends on, known before it is loaded.
	keys []string
	ttl  time.Duration
	// name and nav: the template set and the navigation entry; block is the block shown
	// ("content", or a partial for the next items of a list, sent without the layout).
	name, nav, block string
	// load reads what the page shows, the same for every viewer who may see it.
	load func(ctx context.Context) (loadedPage, error)
	// valid, when set, tells whether a kept value still holds, for what no key names
	// (a search page and the batches the search index applied since); one that does not
	// is loaded again.
	valid func(ctx context.Context, value any) bool
	// check, when set, refuses the viewer what they may not see of what load read.
	check func(v *model.User, value any) error
	// view builds the template's data for viewer v (whose kind of viewer the rendering is
	// shared with) from what load read; per-viewer parts are slots.
	view func(v *model.User, value any) (any, error)
	// fill, when set, writes the page's own slots (slotFollow); the CSRF token, the
	// viewer's name and the unread badges are written by sharedPage itself.
	fill func(w *bytes.Buffer, k slot, arg int64)
}

// loadedPage is what a page's load read.
type loadedPage struct {
	value any
	size  int
	// authors wrote something the page shows: they see it as its author (AudienceOf).
	authors []int64
	// keys the content depends on, known once loaded (the threads it lists).
	keys []string
}

// sharedValue is the cached value of a page.
type sharedValue struct {
	value   any
	authors map[int64]bool
}

// sharedRendering is a page's content rendered for one kind of viewer.
type sharedRendering struct {
	title   string
	content slotted
	// urls are the addresses of the listed threads whose unread badge has a slot.
	urls map[int64]string
}

type renderingKey struct {
	audience policy.Audience
	block    string
}

// serveShared answers a GET for page sp.
func (s *Server) serveShared(c echo.Context, sp sharedPage) error {
	ctx := c.Request().Context()
	v := viewer(c)
	load := func(ctx context.Context) (pagecache.Loaded, error) {
		l, err := sp.load(ctx)
		if err != nil {
			return pagecache.Loaded{}, err
		}
		sv := &sharedValue{value: l.value, authors: make(map[int64]bool, len(l.authors))}
		for _, id := range l.authors {
			sv.authors[id] = true
		}
		return pagecache.Loaded{Value: sv, Size: l.size + 16*len(l.authors), Keys: l.keys}, nil
	}
	e, err := s.pages.Get(ctx, sp.key, sp.keys, sp.ttl, load)
	if err != nil {
		return err
	}
	if sp.valid != nil && !sp.valid(ctx, e.Value.(*sharedValue).value) {
		s.pages.Drop(e)
		if e, err = s.pages.Get(ctx, sp.key, sp.keys, sp.ttl, load); err != nil {
			return err
		}
	}
	sv := e.Value.(*sharedValue)
	if sp.check != nil {
		if err := sp.check(v, sv.value); err != nil {
			return err
		}
	}
	block := sp.block
	if block == "" {
		block = "content"
	}
	aud := policy.AudienceOf(v, func(id int64) bool { return sv.authors[id] })
	r, err := e.Variant(renderingKey{aud, block}, func() (any, int, error) {
		data, err := sp.view(v, sv.value)
		if err != nil {
			return nil, 0, err
		}
		r := &sharedRendering{urls: map[int64]string{}}
		markBadges(data, r.urls)
		var html string
		if block == "content" {
			p := page{SiteName: SiteName, Nav: sp.nav, Viewer: v, CSRF: csrfSlot, Data: data}
			if html, err = s.renderBlock(sp.name, "content", p); err != nil {
				return nil, 0, err
			}
			if r.title, err = s.renderBlock(sp.name, "title", p); err != nil {
				return nil, 0, err
			}
		} else if html, err = s.renderBlock(sp.name, block, data); err != nil {
			return nil, 0, err
		}
		r.content = splitSlots(html)
		return r, len(html) + len(r.title) + 64*len(r.urls), nil
	})
	if err != nil {
		return err
	}
	rendering := r.(*sharedRendering)
	badges, err := s.unreadBadges(c, rendering)
	if err != nil {
		return err
	}
	csrf := csrfToken(c)
	pp := &prepared{title: rendering.title, content: rendering.content}
	pp.fill = func(w *bytes.Buffer, k slot, arg int64) {
		switch k {
		case slotCSRF:
			w.WriteString(csrf)
		case slotName:
			w.WriteString(template.HTMLEscapeString(policy.PostingAs(v, false)))
		case slotNew:
			w.WriteString(badges[arg])
		default:
			if sp.fill != nil {
				sp.fill(w, k, arg)
			}
		}
	}
	if block != "content" {
		buf := pageBuffers.Get().(*bytes.Buffer)
		defer putPageBuffer(buf)
		pp.writeContent(buf)
		return s.send(c, http.StatusOK, buf)
	}
	return s.renderPrepared(c, http.StatusOK, sp.name, sp.nav, pp)
}

// unreadBadges returns the "N new" badge of each listed thread with something new to the
// viewer (policy.IsNewTo): the member's positions are one query; the posts of each
// thread that count are kept in the page cache until the thread changes.
func (s *Server) unreadBadges(c echo.Context, r *sharedRendering) (map[int64]string, error) {
	v := viewer(c)
	if !policy.IsMember(v) || len(r.urls) == 0 {
		return nil, nil
	}
	ctx := c.Request().Context()
	ids := make([]int64, 0, len(r.urls))
	for id := range r.urls {
		ids = append(ids, id)
	}
	positions, err := s.reads.Positions(ctx, v.ID, ids)
	if err != nil {
		return nil, err
	}
	marks, err := s.postMarks(ctx, positions)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(positions))
	for id, pos := range positions {
		n, first := policy.CountNew(v, pos, marks[id], store.PostMark.Post)
		if n == 0 {
			continue
		}
		h, err := s.newBadge(id, r.urls[id], n, first)
		if err != nil {
			return nil, err
		}
		out[id] = h
	}
	return out, nil
}

// cached returns the value kept under key in the page cache, loading it (with its size in
// bytes) when it is not held: for the small per-member and per-topic values many pages ask
// for, which depend on keys and expire after pageTTL.
func cached[T any](ctx context.Context, s *Server, key string, keys []string, load func(ctx context.Context) (T, int, error)) (T, error) {
	e, err := s.pages.Get(ctx, key, keys, pageTTL, func(ctx context.Context) (pagecache.Loaded, error) {
		v, size, err := load(ctx)
		if err != nil {
			return pagecache.Loaded{}, err
		}
		return pagecache.Loaded{Value: v, Size: size}, nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return e.Value.(T), nil
}

// newBadge returns the rendered "N new" badge of a thread, kept in the page cache until the
// thread changes: members who have read a thread as far see the same badge.
func (s *Server) newBadge(thread int64, url string, n int, first int64) (string, error) {
	k := "badge:" + strconv.FormatInt(thread, 10) + ":" + strconv.Itoa(n) + ":" + strconv.FormatInt(first, 10) + ":" + url
	if e := s.pages.Peek(k); e != nil {
		return e.Value.(string), nil
	}
	stamp := s.pages.Stamp(threadKey(thread))
	h, err := s.renderBlock("home", "new_badge", threadItem{URL: url, NewCount: n, FirstNew: first})
	if err != nil {
		return "", err
	}
	s.pages.Put(k, h, len(k)+len(h), stamp, postMarksTTL)
	return h, nil
}

// postMarksTTL bounds how long the posts of a thread are kept for counting what is new.
const postMarksTTL = time.Minute

// postMarks returns the visible posts of each thread in threads, from the page cache or,
// for those it does not hold, from one query. The threads a reply moved to the top of a
// list are missing for every member who reads the list next: the query is run once for
// the requests that miss the same threads at the same time.
func (s *Server) postMarks(ctx context.Context, threads map[int64]int64) (map[int64][]store.PostMark, error) {
	out := make(map[int64][]store.PostMark, len(threads))
	var missing []int64
	for id := range threads {
		if e := s.pages.Peek(marksKey(id)); e != nil {
			out[id] = e.Value.([]store.PostMark)
			continue
		}
		missing = append(missing, id)
	}
	if len(missing) == 0 {
		return out, nil
	}
	slices.Sort(missing)
	var flight strings.Builder
	for _, id := range missing {
		flight.WriteString(strconv.FormatInt(id, 10))
		flight.WriteByte(',')
	}
	v, err, _ := s.marks.Do(flight.String(), func() (any, error) {
		// Each thread's versions before the query: a reply committed meanwhile leaves its
		// posts already stale.
		stamps := make([]pagecache.Stamp, len(missing))
		for i, id := range missing {
			stamps[i] = s.pages.Stamp(threadKey(id))
		}
		// The query serves every request waiting for it: one that goes away does not end it.
		loaded, err := s.store.VisiblePostMarks(context.WithoutCancel(ctx), missing)
		if err != nil {
			return nil, err
		}
		for i, id := range missing {
			ms := loaded[id]
			s.pages.Put(marksKey(id), ms, 24*len(ms), stamps[i], postMarksTTL)
		}
		return loaded, nil
	})
	if err != nil {
		return nil, err
	}
	for id, ms := range v.(map[int64][]store.PostMark) {
		out[id] = ms
	}
	return out, nil
}

func marksKey(thread int64) string { return "marks:" + strconv.FormatInt(thread, 10) }

// markBadges puts the slot of the unread badge into every thread item of a page's data,
// and notes each thread's address.
func markBadges(data any, urls map[int64]string) {
	mark := func(items []threadItem) {
		for i := range items {
			items[i].NewSlot = template.HTML(newMark(items[i].ID)) //nolint:gosec // a constant and a number
			urls[items[i].ID] = items[i].URL
		}
	}
	switch d := data.(type) {
	case *homeData:
		mark(d.Pinned)
		mark(d.Page.Items)
		mark(d.Unanswered)
	case *listData:
		mark(d.Page.Items)
	case *threadPage:
		mark(d.Items)
	case *searchData:
		for i := range d.Results {
			d.Results[i].Item.NewSlot = template.HTML(newMark(d.Results[i].Item.ID)) //nolint:gosec // a constant and a number
			urls[d.Results[i].Item.ID] = d.Results[i].Item.URL
		}
	}
}

// pageCommitted drops, after a commit on this node, what the transaction changed. The
// change watcher skips these rows when it reads them back from the change log, so a node
// invalidates once for its own writes.
//
// The changed threads' snapshots go first, before the rows are marked as this node's: the
// watcher may read the rows back at once (its poll, or another commit's wake), and hands
// them to the live updates, which render from the thread's snapshot. Were the snapshot
// still the one from before the write (the rest of the invalidation reads the database),
// open pages would be sent the thread as it was, and the new post never.
func (s *Server) pageCommitted(ctx context.Context, c store.Committed) {
	s.pages.Invalidate(changedThreadKeys(c.Changes)...)
	s.own.add(c.Changes)
	s.invalidate(ctx, c.Changes, c.Members)
}

// changedThreadKeys returns the keys of the snapshots of the threads the changes name.
func changedThreadKeys(changes []model.Change) []string {
	var keys []string
	for _, ch := range changes {
		if ch.Entity != "tag" && ch.ThreadID > 0 {
			keys = append(keys, threadKey(ch.ThreadID))
		}
	}
	return keys
}

// invalidate drops the pages that the change-log rows and the members' changed
// notifications or follows name.
func (s *Server) invalidate(ctx context.Context, changes []model.Change, members []int64) {
	keys := map[string]bool{}
	threads := map[int64]bool{}
	for _, ch := range changes {
		if ch.Entity == model.ChangeHeldPost {
			// Shown to its author alone: the thread it answers, where it shows to them, and
			// their own lists; no list or count anyone else sees.
			if ch.ThreadID > 0 {
				keys[threadKey(ch.ThreadID)] = true
			}
			switch author, err := s.store.HeldPostAuthor(context.WithoutCancel(ctx), ch.EntityID); {
			case err == nil:
				keys[memberKey(author)] = true
			case errors.Is(err, model.ErrNotFound):
				// Deleted since, with its author's account: no page shows it.
			default:
				s.store.Changed()
			}
			continue
		}
		if ch.Entity == "thread" {
			// A new, moved or hidden thread changes the topics' counts; a reply does not.
			keys[topicsKey] = true
		}
		switch {
		case ch.Entity == "tag":
			// A topic's own writes (a new name, a merge) drop every page (the generation).
			keys[topicsKey] = true
		case ch.ThreadID > 0:
			threads[ch.ThreadID] = true
			keys[threadKey(ch.ThreadID)] = true
			if ch.Entity == "post" {
				// The post's author: their profile's answers, their own list of threads.
				if p, err := s.store.PostByID(context.WithoutCancel(ctx), ch.EntityID); err == nil {
					keys[authorKey(p.AuthorID)], keys[memberKey(p.AuthorID)] = true, true
				} else {
					s.store.Changed()
				}
			}
		}
	}
	for id := range threads {
		// The lists the thread is on now; a list it has left shows it, and depends on
		// its key.
		t, err := s.store.ThreadByID(context.WithoutCancel(ctx), id)
		if err != nil {
			s.log.Debug("page cache: read a changed thread; dropping every page", "thread", id, "err", err)
			s.store.Changed()
			continue
		}
		keys[latestKey] = true
		keys[authorKey(t.AuthorID)], keys[memberKey(t.AuthorID)] = true, true
		for _, tag := range t.Tags {
			keys[topicKey(tag.Slug)] = true
		}
		if t.Kind == model.KindQuestion {
			keys[unansweredKey] = true
		}
		if t.Visibility == model.VisibilityPublic {
			keys[publicKey] = true
		}
	}
	for _, id := range members {
		keys[memberKey(id)] = true
	}
	list := make([]string, 0, len(keys))
	for k := range keys {
		list = append(list, k)
	}
	s.pages.Invalidate(list...)
}
