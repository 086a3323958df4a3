package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"forum/app/forum"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestSharedPagesKeepViewersApart fills the page cache as a moderator first, on every page
// that goes through it, then reads the same pages as a member and as a visitor: the
// member never sees the name behind an anonymous post, nor another member's counts; the
// visitor never sees a members-only thread.
func TestSharedPagesKeepViewersApart(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		// The spouse asked e.question anonymously; a reply to the parent's question gives the
		// parent a notification, and the parent has read the thread up to before it.
		e.as(e.parent).get(threadPath(e.answered))
		e.replyAs(e.coach, e.answered, "A second thought on medication.")
		e.fanOut()
		e.sync()
		pages := []string{"/", "/tags/boundaries", "/unanswered", "/search?q=eggshells", "/u/coach_dana", "/u/quiet_harbor",
			threadPath(e.question)}
		mod := e.as(e.moderator)
		for _, p := range pages[:3] {
			if body := mod.get(p).Body.String(); !strings.Contains(body, "quiet_harbor") {
				t.Fatalf("%s: the moderator does not see who asked anonymously", p)
			}
		}
		for _, p := range pages {
			mod.get(p)
		}
		parent := e.as(e.parent)
		for _, p := range pages {
			rec := parent.get(p)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s as a member = %d", p, rec.Code)
			}
			body := rec.Body.String()
			if p != "/u/quiet_harbor" {
				// Only the anonymous question and the spouse's own profile name the spouse.
				mustNotContain(t, body, "posted anonymously", "Real ", "-slot-")
				if strings.Contains(body, "quiet_harbor") && p != threadPath(e.question) {
					t.Errorf("%s: a member sees the name behind an anonymous post", p)
				}
			}
			if m := csrfMetaOf(body); m == "" || m == csrfMetaOf(mod.get(p).Body.String()) {
				t.Errorf("%s: the member's CSRF token is %q, the moderator's the same", p, m)
			}
		}
		mustContain(t, parent.get("/tags/boundaries").Body.String(), "by A member of the community")
		// The parent's notification count is theirs alone.
		count := regexp.MustCompile(`id="notices-count" class="notices-count"><span aria-hidden="true">(\d+)`)
		if m := count.FindStringSubmatch(parent.get("/").Body.String()); m == nil {
			t.Fatal("the parent's header shows no unread notification")
		}
		spouse := e.as(e.spouse)
		if m := count.FindStringSubmatch(spouse.get("/").Body.String()); m != nil {
			t.Fatalf("the spouse's header shows the parent's count %s", m[1])
		}
		// The parent's own list of threads is theirs: the spouse's shows the spouse's.
		mustContain(t, parent.get("/mine").Body.String(), e.answered.Title)
		mustNotContain(t, spouse.get("/mine").Body.String(), e.answered.Title)

		// Visitors, after members filled the cache: no members-only thread anywhere.
		visitor := e.as(nil)
		for _, p := range []string{"/", "/tags/boundaries", "/tags/mat", "/search?q=eggshells", "/search?q=medication", "/archive.atom"} {
			rec := visitor.get(p)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s as a visitor = %d", p, rec.Code)
			}
			mustNotContain(t, rec.Body.String(), e.question.Title, e.answered.Title, "quiet_harbor", "maple_mom", "-slot-")
		}
		// A thread published after visitors cached the lists appears to them at once, with
		// nobody named.
		if err := e.forum.SetPublishConsent(ctx, e.parent, e.answered.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := e.forum.Publish(ctx, e.coach, e.answered.ID, true); err != nil {
			t.Fatal(err)
		}
		body := visitor.get("/tags/mat").Body.String()
		mustContain(t, body, e.answered.Title)
		mustNotContain(t, body, "maple_mom", "coach_dana")
		mustContain(t, visitor.get("/archive.atom").Body.String(), e.answered.Title)
	})
}

// TestWriteDropsOnlyWhatItChanged: a reply drops its thread and the lists it is on; the
// pages of other threads and topics stay cached (no query reads them again).
func TestWriteDropsOnlyWhatItChanged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		untouched := []string{threadPath(e.question), "/tags/boundaries"} // e.question is on boundaries only
		changed := []string{threadPath(e.answered), "/tags/mat", "/"}
		for _, p := range append(untouched, changed...) {
			c.get(p)
			c.get(p)
		}
		if _, err := e.forum.Reply(context.Background(), e.coach, e.answered.ID, forum.ReplyInput{Body: "Written just now, about MAT."}); err != nil {
			t.Fatal(err)
		}
		rec := storetest.RecordQueries(st)
		for _, p := range untouched {
			if code := c.get(p).Code; code != http.StatusOK {
				t.Fatalf("%s = %d", p, code)
			}
		}
		for _, q := range rec.Take() {
			if strings.Contains(q, `FROM "threads"`) || strings.Contains(q, `FROM "posts"`) {
				t.Fatalf("a page the reply did not change was read again: %s", q)
			}
		}
		mustContain(t, c.get(threadPath(e.answered)).Body.String(), "Written just now, about MAT.")
		for _, p := range changed[1:] {
			if body := c.get(p).Body.String(); !strings.Contains(body, "2 replies") {
				t.Errorf("%s does not show the new count of replies", p)
			}
		}
	})
}

// TestListQueryCountsAreBounded counts the queries of each shared page as a member with
// unread state: a handful when nothing is cached, and none once cached: the member's own
// overlays (their read positions, their header count, a moderator's warning waiting for
// them, the levels of their follow forms) are kept too, under their key. The search rate
// limit's shared budget (one small transaction on PostgreSQL) is the limiter's, not the
// page's, and is not counted.
func TestListQueryCountsAreBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		c.get(threadPath(e.answered))
		e.replyAs(e.coach, e.answered, "Something new for the parent.")
		e.fanOut()
		e.sync()
		recorder := storetest.RecordQueries(st)
		count := func() int {
			n := 0
			for _, q := range recorder.Take() {
				if q == "BEGIN" || q == "COMMIT" || strings.Contains(q, "rate_limits") {
					continue
				}
				n++
			}
			return n
		}
		for _, p := range []string{"/", "/tags/craft", "/unanswered", "/mine", "/u/coach_dana", "/notifications", "/search?q=medication", threadPath(e.resolved)} {
			c.get(p)     // settle the session
			st.Changed() // nothing cached holds
			recorder.Take()
			if rec := c.get(p); rec.Code != http.StatusOK {
				t.Fatalf("%s = %d", p, rec.Code)
			}
			cold := count()
			c.get(p)
			warm := count()
			t.Logf("%s: %d queries cold, %d cached", p, cold, warm)
			// A profile reads the most: the answers, their counts and topics, the threads
			// and replies under the name.
			if cold > 16 {
				t.Errorf("%s runs %d queries with nothing cached, want at most 16", p, cold)
			}
			if warm > 0 {
				t.Errorf("%s runs %d queries cached, want none", p, warm)
			}
		}
	})
}

// BenchmarkPages serves every page that goes through the page cache, as a member with
// unread state and as a visitor, through the whole server on SQLite; "after-reply" posts a
// reply to another thread before each view, as a living board does, which must not make
// the page cost what an empty cache does.
func BenchmarkPages(b *testing.B) {
	e := newEnvWith(b, storetest.Open(b, "sqlite"), envOptions{fixtures: true, noRateLimits: true})
	ctx := context.Background()
	member := e.as(e.parent)
	member.get(threadPath(e.answered))
	e.addReplies(e.answered.ID, 12)
	e.fanOut()
	e.sync()
	if err := e.forum.SetPublishConsent(ctx, e.parent, e.resolved.ID, true); err != nil {
		b.Fatal(err)
	}
	if err := e.forum.Publish(ctx, e.coach, e.resolved.ID, true); err != nil {
		b.Fatal(err)
	}
	other, err := e.forum.Ask(ctx, e.spouse, forum.AskInput{Title: "Where do we find a meeting on weekends?", Body: "Saturdays are long.", Tags: []string{"boundaries"}})
	if err != nil {
		b.Fatal(err)
	}
	pages := []struct {
		name, path string
		visitor    bool
	}{
		{"home", "/", true}, {"topic", "/tags/craft", true}, {"unanswered", "/unanswered", false}, {"mine", "/mine", false},
		{"profile", "/u/coach_dana", false}, {"notifications", "/notifications", false}, {"thread", threadPath(e.resolved), true},
		{"search", "/search?q=calm", true}, {"feed", "/archive.atom", true},
	}
	for _, p := range pages {
		for _, who := range []string{"member", "visitor"} {
			if who == "visitor" && !p.visitor {
				continue
			}
			c := member
			if who == "visitor" {
				c = e.as(nil)
			}
			for _, writes := range []bool{false, true} {
				name := p.name + "/" + who
				if writes {
					name += "/after-reply"
				}
				b.Run(name, func(b *testing.B) {
					if rec := c.get(p.path); rec.Code != http.StatusOK {
						b.Fatalf("%s = %d", p.path, rec.Code)
					}
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						if writes {
							b.StopTimer()
							if _, err := e.forum.Reply(ctx, e.coach, other.ID, forum.ReplyInput{Body: "One more weekend idea."}); err != nil {
								b.Fatal(err)
							}
							e.sync() // the search index applies the reply too
							b.StartTimer()
						}
						req := httptest.NewRequest(http.MethodGet, p.path, nil)
						for k, v := range c.cookies {
							req.AddCookie(&http.Cookie{Name: k, Value: v})
						}
						rec := httptest.NewRecorder()
						e.srv.Handler().ServeHTTP(rec, req)
						if rec.Code != http.StatusOK {
							b.Fatalf("%s = %d", p.path, rec.Code)
						}
					}
				})
			}
		}
	}
}

// TestSearchPageHoldsThroughUnrelatedWrites: a search page is kept while the search index
// applies replies to threads its query does not match, and is searched again as soon as
// the index changes a thread it matches (a new one among them).
func TestSearchPageHoldsThroughUnrelatedWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		const path = "/search?q=capybara"
		e.sync()
		mustContain(t, c.get(path).Body.String(), "No threads found")
		// A reply elsewhere, indexed: the page holds.
		e.replyAs(e.coach, e.question, "Nothing about the animal.")
		e.sync()
		rec := storetest.RecordQueries(st)
		c.get(path)
		for _, q := range rec.Take() {
			if strings.Contains(q, `FROM "threads"`) || strings.Contains(q, `FROM "tags"`) {
				t.Fatalf("the search page was loaded again after an unrelated reply: %s", q)
			}
		}
		// A reply that brings the word into a thread, indexed: the page finds it.
		e.replyAs(e.coach, e.answered, "Our capybara helped with the calm at home.")
		e.sync()
		mustContain(t, c.get(path).Body.String(), e.answered.Title)

		// A full first page: a reply to a thread that matches below it leaves it; one that
		// brings a thread onto it is shown.
		quiet, err := e.forum.Ask(context.Background(), e.spouse, forum.AskInput{Title: "Quiet nights", Body: "We sit together.", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			if _, err := e.forum.Ask(context.Background(), e.spouse, forum.AskInput{Title: fmt.Sprintf("Capybara evening %d", i),
				Body: "The capybara at the farm calmed him.", Tags: []string{"craft"}}); err != nil {
				t.Fatal(err)
			}
		}
		e.sync()
		page := c.get(path).Body.String()
		answered := fmt.Sprintf(`href="/t/%d/`, e.answered.ID) // a link to it, whatever its title
		mustContain(t, page, "capybara-evening-19")
		mustNotContain(t, page, answered) // ranked 21st
		e.replyAs(e.coach, e.answered, "Glad the evenings are calmer now.")
		e.sync()
		rec.Take()
		mustNotContain(t, c.get(path).Body.String(), answered)
		for _, q := range rec.Take() {
			if strings.Contains(q, `FROM "threads"`) || strings.Contains(q, `FROM "tags"`) {
				t.Fatalf("the first page was loaded again after a reply to a thread ranked below it: %s", q)
			}
		}
		// A thread edited to name the word again and again ranks on the page: it is shown.
		posts, err := st.PostsByThread(context.Background(), quiet.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.forum.EditPost(context.Background(), e.spouse, posts[0].ID, forum.EditInput{
			Title: "Capybara nights", Body: "Capybara, capybara, capybara."}); err != nil {
			t.Fatal(err)
		}
		e.sync()
		mustContain(t, c.get(path).Body.String(), fmt.Sprintf(`href="/t/%d/capybara-nights"`, quiet.ID))
	})
}
