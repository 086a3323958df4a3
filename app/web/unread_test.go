package web_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/uptrace/bun"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// newBadge returns the "N new" of thread th on a list page, and the post it links to;
// 0, 0 when the list shows none.
func newBadge(t *testing.T, body string, th *model.Thread) (int, int64) {
	t.Helper()
	re := regexp.MustCompile(`<a class="badge badge-new" href="` + regexp.QuoteMeta(threadPath(th)) + `#post-(\d+)">(\d+) new</a>`)
	m := re.FindAllStringSubmatch(body, -1)
	if len(m) == 0 {
		return 0, 0
	}
	n, _ := strconv.Atoi(m[0][2])
	first, _ := strconv.ParseInt(m[0][1], 10, 64)
	return n, first
}

// anyNewBadge reports whether a page shows "N new" on any thread.
func anyNewBadge(body string) bool { return strings.Contains(body, "badge-new") }

var (
	jumpLink = regexp.MustCompile(`<p class="unread-jump"><a href="#post-(\d+)">(\d+) new repl(?:y|ies) since your last visit: jump to (?:it|the first)</a></p>`)
	divider  = regexp.MustCompile(`<p class="unread-divider"><span>New since your last visit</span></p>\s*<article[^>]*id="post-(\d+)"`)
)

// threadNews returns what a thread page shows of what is new: the count and post of its
// jump link, and the post the divider stands before (0 for each missing).
func threadNews(t *testing.T, body string) (count int, jump, before int64) {
	t.Helper()
	if m := jumpLink.FindStringSubmatch(body); m != nil {
		count, _ = strconv.Atoi(m[2])
		jump, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := divider.FindAllStringSubmatch(body, -1); m != nil {
		if len(m) > 1 {
			t.Fatalf("the page shows %d dividers", len(m))
		}
		before, _ = strconv.ParseInt(m[0][1], 10, 64)
	}
	if strings.Count(body, "New since your last visit") != min(1, int(before)) {
		t.Fatalf("the divider is not right before a post:\n%s", body)
	}
	return count, jump, before
}

func (e *env) replyAs(u *model.User, th *model.Thread, body string) *model.Post {
	e.t.Helper()
	p, err := e.forum.Reply(context.Background(), u, th.ID, forum.ReplyInput{Body: body})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *env) stored(u *model.User, th *model.Thread) int64 {
	e.t.Helper()
	pos, err := e.st.ReadPosition(context.Background(), u.ID, th.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return pos
}

// TestAnswerShowsAsNewOnHome is the "done when": after the coach answers, the
// home list shows the parent the thread with "1 new", and the thread page shows them
// where the new reply begins; once read, it is no longer new, on any node's list.
func TestAnswerShowsAsNewOnHome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		parent := e.as(e.parent)
		th, err := e.forum.Ask(context.Background(), e.parent, forum.AskInput{Title: "My son relapsed after 90 days, what now?",
			Body: "We are scared.", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		home := parent.get("/").Body.String()
		if n, _ := newBadge(t, home, th); n != 0 {
			t.Fatalf("a question nobody answered shows %d new", n)
		}
		answer := e.replyAs(e.coach, th, "Relapse is part of many recoveries. Stay connected.")

		home = parent.get("/").Body.String()
		if n, first := newBadge(t, home, th); n != 1 || first != answer.ID {
			t.Fatalf("home shows the parent %d new from post %d, want 1 new from the answer %d", n, first, answer.ID)
		}
		page := parent.get(threadPath(th)).Body.String()
		if count, jump, before := threadNews(t, page); count != 1 || jump != answer.ID || before != answer.ID {
			t.Fatalf("thread page: %d new, link to %d, divider before %d; want 1, the answer %d before it", count, jump, before, answer.ID)
		}
		// Coming back to the list at once: the thread was read (not yet stored).
		if e.stored(e.parent, th) == answer.ID {
			t.Fatal("the page view wrote the read position to the database")
		}
		home = parent.get("/").Body.String()
		if n, _ := newBadge(t, home, th); n != 0 {
			t.Fatalf("right after reading, home still shows %d new", n)
		}
		if count, _, _ := threadNews(t, parent.get(threadPath(th)).Body.String()); count != 0 {
			t.Fatalf("a second visit shows %d new", count)
		}
		if err := e.srv.FlushReadPositions(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := e.stored(e.parent, th); got != answer.ID {
			t.Fatalf("stored position after the flush: %d, want %d", got, answer.ID)
		}
		// Another node, which never saw the page view, reads the stored position.
		other := newEnvWith(t, storetest.OtherNode(st), envOptions{})
		if n, _ := newBadge(t, other.as(e.parent).get("/").Body.String(), th); n != 0 {
			t.Fatalf("another node shows %d new after the flush", n)
		}
	})
}

// TestNewOnEveryList: each list a member sees shows "N new" on the threads they opened,
// for them and not for another member; visitors see no count and cost no query for it.
func TestNewOnEveryList(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		// The fixtures: the parent asked e.answered (the coach answered) and e.resolved
		// (the spouse and the coach replied); the spouse asked e.question, still open.
		parent, spouse := e.as(e.parent), e.as(e.spouse)
		fromSpouse := e.replyAs(e.parent, e.question, "We felt that too. It gets easier.")
		e.sync()

		lists := []struct {
			path string
			who  *client
			th   *model.Thread
			n    int
		}{
			{"/", parent, e.answered, 1},
			{"/", parent, e.resolved, 2},
			{"/tags/craft", parent, e.resolved, 2},
			{"/tags/mat", parent, e.answered, 1},
			{"/mine", parent, e.answered, 1},
			{"/mine", parent, e.resolved, 2},
			{"/search?q=" + url.QueryEscape("CRAFT conversation"), parent, e.resolved, 2},
			{"/unanswered", spouse, e.question, 1},
			{"/", spouse, e.question, 1},
			{"/mine", spouse, e.question, 1},
		}
		for _, l := range lists {
			rec := l.who.get(l.path)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", l.path, rec.Code)
			}
			if n, _ := newBadge(t, rec.Body.String(), l.th); n != l.n {
				t.Errorf("GET %s shows %d new on %q, want %d", l.path, n, l.th.Title, l.n)
			}
		}
		if _, first := newBadge(t, spouse.get("/unanswered").Body.String(), e.question); first != fromSpouse.ID {
			t.Errorf("the badge links to post %d, want the first new one %d", first, fromSpouse.ID)
		}
		// Not the other member's counts: the spouse never opened the parent's threads.
		for _, path := range []string{"/", "/tags/craft", "/search?q=" + url.QueryEscape("CRAFT conversation")} {
			body := spouse.get(path).Body.String()
			for _, th := range []*model.Thread{e.answered, e.resolved} {
				if n, _ := newBadge(t, body, th); n != 0 {
					t.Errorf("GET %s shows the spouse %d new on the parent's %q", path, n, th.Title)
				}
			}
		}
		if n, _ := newBadge(t, parent.get("/").Body.String(), e.question); n != 0 {
			t.Errorf("the parent's own reply shows to them as %d new", n)
		}

		// Visitors: the published thread shows no count, and no read position is asked for.
		if err := e.forum.SetPublishConsent(ctx, e.parent, e.resolved.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := e.forum.Publish(ctx, e.coach, e.resolved.ID, true); err != nil {
			t.Fatal(err)
		}
		rec := storetest.RecordQueries(st)
		visitor := e.as(nil)
		for _, path := range []string{"/", "/tags/craft", threadPath(e.resolved), "/search?q=CRAFT"} {
			r := visitor.get(path)
			if r.Code != http.StatusOK {
				t.Fatalf("visitor GET %s = %d", path, r.Code)
			}
			if anyNewBadge(r.Body.String()) || strings.Contains(r.Body.String(), "since your last visit") {
				t.Errorf("visitor GET %s shows what is new", path)
			}
		}
		for _, q := range rec.Take() {
			if strings.Contains(q, "thread_reads") {
				t.Errorf("a visitor's page read positions: %s", q)
			}
		}
	})
}

// TestNewOnNextPages: a list's next page, loaded by htmx, shows "N new" too.
func TestNewOnNextPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		oldest := e.resolved // asked early; 30 newer threads push it to the second page
		for i := range 30 {
			if _, err := e.forum.Ask(ctx, e.spouse, forum.AskInput{Title: fmt.Sprintf("Another question, number %d", i),
				Body: "Details.", Tags: []string{"craft"}}); err != nil {
				t.Fatal(err)
			}
		}
		parent := e.as(e.parent)
		for _, path := range []string{"/", "/tags/craft", "/mine"} {
			first := parent.get(path).Body.String()
			m := regexp.MustCompile(`hx-get="([^"]+after=[^"]+)"`).FindStringSubmatch(first)
			if path == "/mine" {
				if n, _ := newBadge(t, first, oldest); n != 2 {
					t.Errorf("/mine shows %d new on the parent's thread, want 2", n)
				}
				continue // the parent's two threads fit on one page
			}
			if m == nil {
				t.Fatalf("%s has no next page", path)
			}
			next := parent.get(strings.ReplaceAll(m[1], "&amp;", "&"), "HX-Request", "true").Body.String()
			if n, _ := newBadge(t, next, oldest); n != 2 {
				t.Errorf("the next page of %s shows %d new on %q, want 2", path, n, oldest.Title)
			}
		}
	})
}

// TestThreadPageNews: the divider goes before the first post new to the member: not
// before a hidden or deleted post, nor their own; a thread never opened shows none; the
// htmx fragment shows the same as the whole page.
func TestThreadPageNews(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		for i, headers := range [][]string{nil, {"HX-Request", "true"}} {
			reader := e.addUser(fmt.Sprintf("reader_%d", i), model.RoleMember, model.StatusActive)
			c := e.as(reader)
			// Never opened: nothing is new, and the visit records the position.
			if count, _, before := threadNews(t, c.get(threadPath(e.resolved), headers...).Body.String()); count != 0 || before != 0 {
				t.Fatalf("first visit shows %d new, a divider before %d", count, before)
			}
			hidden := e.replyAs(e.spouse, e.resolved, "Something a moderator will hide.")
			deleted := e.replyAs(e.spouse, e.resolved, "Something its author will delete.")
			e.replyAs(reader, e.resolved, "My own reply.")
			visible := e.replyAs(e.coach, e.resolved, "The reply that is new.")
			e.replyAs(e.spouse, e.resolved, "And one more.")
			if _, err := e.forum.ModeratePost(ctx, e.moderator, hidden.ID, "hide", "unkind"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.forum.DeletePost(ctx, e.spouse, deleted.ID); err != nil {
				t.Fatal(err)
			}
			body := c.get(threadPath(e.resolved), headers...).Body.String()
			if count, jump, before := threadNews(t, body); count != 2 || jump != visible.ID || before != visible.ID {
				t.Fatalf("headers %v: %d new, link to %d, divider before %d; want 2, both at %d", headers, count, jump, before, visible.ID)
			}
			// Read: nothing new on the next visit.
			if count, _, before := threadNews(t, c.get(threadPath(e.resolved), headers...).Body.String()); count != 0 || before != 0 {
				t.Fatalf("headers %v: after reading, %d new, divider before %d", headers, count, before)
			}
		}
	})
}

// TestNewsDoNotLeakBetweenMembers: two members of the same kind share one cached rendering
// of a thread page, and each sees only what is new to them, in either order; so on lists.
func TestNewsDoNotLeakBetweenMembers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		a := e.addUser("reader_a", model.RoleMember, model.StatusActive)
		b := e.addUser("reader_b", model.RoleMember, model.StatusActive)
		ca, cb := e.as(a), e.as(b)
		path := threadPath(e.answered)
		// cached reports whether the page views of fn were served from the thread cache.
		cached := func(fn func()) {
			t.Helper()
			rec := storetest.RecordQueries(st)
			fn()
			for _, q := range rec.Take() {
				if strings.Contains(q, `FROM "posts"`) {
					t.Fatalf("a page was not the cached rendering: %s", q)
				}
			}
		}

		ca.get(path) // a has read the thread so far
		fresh := e.replyAs(e.coach, e.answered, "One more thought for the family.")
		cb.get(path) // b reads it with the new reply
		var pageA, pageB string
		cached(func() { pageA, pageB = ca.get(path).Body.String(), cb.get(path).Body.String() })
		if count, jump, before := threadNews(t, pageA); count != 1 || jump != fresh.ID || before != fresh.ID {
			t.Fatalf("a: %d new, link %d, divider %d; want 1 at %d", count, jump, before, fresh.ID)
		}
		if count, jump, before := threadNews(t, pageB); count != 0 || jump != 0 || before != 0 {
			t.Fatalf("b sees a's news: %d new, link %d, divider %d", count, jump, before)
		}

		// The other way round: b has something new, a not.
		fresh2 := e.replyAs(e.coach, e.answered, "And a last one.")
		ca.get(path) // a reads it
		cached(func() { pageB, pageA = cb.get(path).Body.String(), ca.get(path).Body.String() })
		if count, _, before := threadNews(t, pageB); count != 1 || before != fresh2.ID {
			t.Fatalf("b: %d new before %d, want 1 before %d", count, before, fresh2.ID)
		}
		if count, jump, before := threadNews(t, pageA); count != 0 || jump != 0 || before != 0 {
			t.Fatalf("a sees b's news: %d new, link %d, divider %d", count, jump, before)
		}

		// Lists: a has read everything, b not the last reply; in both orders.
		fresh3 := e.replyAs(e.coach, e.answered, "One more, read by a only.")
		ca.get(path)
		for _, order := range [][]*client{{ca, cb}, {cb, ca}} {
			for _, c := range order {
				n, first := newBadge(t, c.get("/").Body.String(), e.answered)
				switch {
				case c == ca && n != 0:
					t.Fatalf("a's home shows %d new", n)
				case c == cb && (n != 1 || first != fresh3.ID):
					t.Fatalf("b's home shows %d new from %d, want 1 from %d", n, first, fresh3.ID)
				}
			}
		}
	})
}

// TestReadPositionsWrittenAtShutdown serves the forum and stops it while a request that
// records a read position is being answered: the position is stored once Serve and the
// background work have returned.
func TestReadPositionsWrittenAtShutdown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		reader := e.addUser("late_reader", model.RoleMember, model.StatusActive)
		c := e.as(reader)
		path := threadPath(e.resolved)
		started := make(chan struct{})
		e.srv.Echo().GET("/test-slow-read", func(ec echo.Context) error {
			close(started)
			time.Sleep(700 * time.Millisecond)
			// The thread page, viewed as the reader while the server shuts down.
			req := httptest.NewRequest(http.MethodGet, path, nil)
			for k, v := range c.cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, req)
			return ec.String(rec.Code, "read")
		})
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		served := make(chan error, 1)
		go func() { served <- e.srv.Serve(ctx, ln) }()
		res := make(chan int, 1)
		go func() {
			resp, err := http.Get("http://" + ln.Addr().String() + "/test-slow-read")
			if err != nil {
				res <- 0
				return
			}
			resp.Body.Close()
			res <- resp.StatusCode
		}()
		<-started
		cancel()
		if code := <-res; code != http.StatusOK {
			t.Fatalf("the request in flight answered %d", code)
		}
		if err := <-served; err != nil {
			t.Fatal(err)
		}
		if got := e.stored(reader, e.resolved); got != e.helpfulPost.ID {
			t.Fatalf("stored position after shutdown: %d, want the thread's last post %d", got, e.helpfulPost.ID)
		}
	})
}

// TestThreadPageNewsUncached: in development, where the thread page is rendered for each
// viewer without the cache, it shows the same.
func TestThreadPageNewsUncached(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnvWith(t, st, envOptions{fixtures: true, dev: true})
		c := e.as(e.parent)
		answer := e.answered
		posts, err := e.st.PostsByThread(context.Background(), answer.ID)
		if err != nil {
			t.Fatal(err)
		}
		reply := posts[1] // the coach's, after the question the parent asked
		if count, jump, before := threadNews(t, c.get(threadPath(answer)).Body.String()); count != 1 || jump != reply.ID || before != reply.ID {
			t.Fatalf("%d new, link %d, divider %d; want 1 at %d", count, jump, before, reply.ID)
		}
		if count, _, _ := threadNews(t, c.get(threadPath(answer)).Body.String()); count != 0 {
			t.Fatalf("after reading: %d new", count)
		}
	})
}

// marksHold holds the first query for the posts behind unread badges until a second one
// comes, or a while has passed, and counts them.
type marksHold struct {
	n       atomic.Int64
	another chan struct{}
}

func (h *marksHold) BeforeQuery(ctx context.Context, ev *bun.QueryEvent) context.Context {
	if !strings.Contains(ev.Query, "p.thread_id IN") {
		return ctx
	}
	switch h.n.Add(1) {
	case 1:
		select {
		case <-h.another:
		case <-time.After(2 * time.Second):
		}
	case 2:
		close(h.another)
	}
	return ctx
}

func (h *marksHold) AfterQuery(context.Context, *bun.QueryEvent) {}

// TestBadgesReadAThreadsPostsOnceForEveryone: a reply moves its thread to the top of the
// lists and drops its posts, as unread badges count them, from the cache; the members who
// load a list at that moment wait for one query of them, not one each (each ran its own,
// and at 10 replies a second on PostgreSQL a member's home page served 1% of what a
// visitor's did).
func TestBadgesReadAThreadsPostsOnceForEveryone(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		th, err := e.forum.Ask(context.Background(), e.parent, forum.AskInput{Title: "Evenings after he moved out",
			Body: "How do you fill the quiet?", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		e.as(e.parent).get(threadPath(th)) // read as far as the question
		answer := e.replyAs(e.coach, th, "Small routines help: a walk, a call, a book.")
		hold := &marksHold{another: make(chan struct{})}
		storetest.HookQueries(st, hold)
		const readers = 6
		var wg sync.WaitGroup
		bodies := make([]string, readers)
		for i := range readers {
			c := e.as(e.parent)
			wg.Add(1)
			go func() {
				defer wg.Done()
				bodies[i] = c.get("/").Body.String()
			}()
		}
		wg.Wait()
		for i, body := range bodies {
			if n, first := newBadge(t, body, th); n != 1 || first != answer.ID {
				t.Fatalf("reader %d: home shows %d new from post %d, want 1 from %d", i, n, first, answer.ID)
			}
		}
		if n := hold.n.Load(); n != 1 {
			t.Fatalf("%d members loading home at once read the thread's posts %d times, want once", readers, n)
		}
	})
}
