package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

var heldAnchor = regexp.MustCompile(`#held-(\d+)$`)

// TestNewMembersQuestionIsUnseenUntilApproved asks as a brand-new member and looks for the
// question everywhere others could meet it: lists, topics, search, the thread's address,
// the notifications of the topic's watchers; then publishes it from the queue.
func TestNewMembersQuestionIsUnseenUntilApproved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.forum.ReviewFirstPosts = 2
		newcomer := e.addUser("new_here", model.RoleMember, model.StatusActive)
		author, other, visitor, mod := e.as(newcomer), e.as(e.parent), e.as(nil), e.as(e.moderator)
		const title = "Zebrafinch worries about my brother"

		author.get("/ask")
		mustNotContain(t, author.get("/mine").Body.String(), "waiting for review") // kept in the cache
		gen := st.Generation()
		rec := author.post("/ask", url.Values{"title": {title}, "body": {"He sleeps all day and lies about money."}, "tags": {"craft"}})
		loc := rec.Header().Get("Location")
		m := heldAnchor.FindStringSubmatch(loc)
		if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, "/held") || m == nil {
			t.Fatalf("a newcomer's question answered %d, Location %q; want a redirect to their held posts", rec.Code, loc)
		}
		heldID := m[1]
		page := author.get(loc).Body.String()
		mustContain(t, page, title, "Waiting for review", "Only you and the moderators can see this")
		mustContain(t, author.get("/mine").Body.String(), "1 post of yours is waiting for review")
		if st.Generation() != gen {
			t.Error("a question held for review dropped every cached page (the store's generation moved)")
		}

		e.sync()
		e.fanOut()
		for _, path := range []string{"/", "/mine", "/tags/craft", "/unanswered", "/search?q=zebrafinch", "/held", "/notifications"} {
			for _, h := range [][]string{nil, {"HX-Request", "true"}} {
				mustNotContain(t, other.get(path, h...).Body.String(), "Zebrafinch")
				mustNotContain(t, e.as(e.coach).get(path, h...).Body.String(), "Zebrafinch")
			}
		}
		mustNotContain(t, visitor.get("/search?q=zebrafinch").Body.String(), "Zebrafinch")
		mustNotContain(t, visitor.get("/archive.atom").Body.String(), "Zebrafinch")

		// The moderators' header counts it; the queue shows it with its author.
		home := mod.get("/").Body.String()
		mustContain(t, home, `1<span class="visually-hidden"> waiting for review</span>`, `href="/mod/queue"`)
		mustNotContain(t, other.get("/").Body.String(), "waiting for review</span>")
		queue := mod.get("/mod/queue").Body.String()
		mustContain(t, queue, title, "new_here")
		if rec := other.get("/mod/queue"); rec.Code != http.StatusForbidden {
			t.Errorf("a member opened the review queue: %d", rec.Code)
		}
		if rec := other.post("/mod/queue/"+heldID, url.Values{"decision": {"approve"}}); rec.Code != http.StatusForbidden {
			t.Errorf("a member published a held post: %d", rec.Code)
		}

		// Declining needs a reason: the form comes back with the message.
		rec = mod.post("/mod/queue/"+heldID, url.Values{"decision": {"decline"}, "reason": {"  "}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("decline without a reason: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Say why, in a few words", title)

		rec = mod.post("/mod/queue/"+heldID, url.Values{"decision": {"approve"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/mod/queue?done=published" {
			t.Fatalf("approve: %d %q", rec.Code, rec.Header().Get("Location"))
		}
		mustContain(t, mod.get("/mod/queue?done=published").Body.String(), "The post is published", "Nothing is waiting for review")
		e.sync()
		mustContain(t, other.get("/search?q=zebrafinch").Body.String(), "<mark>Zebrafinch</mark> worries about my brother")
		mustContain(t, other.get("/").Body.String(), title)
		e.fanOut()
		mustContain(t, author.get("/notifications").Body.String(), "A moderator published your post")
		mustContain(t, author.get("/held").Body.String(), "Published", "Read it where it was published")
	})
}

// TestNewMembersReplyShowsOnlyToItsAuthor holds a newcomer's reply: the thread page shows it
// to its author marked "waiting for review" and to nobody else; declining it tells the
// author why and keeps their words.
func TestNewMembersReplyShowsOnlyToItsAuthor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.forum.ReviewFirstPosts = 2
		newcomer := e.addUser("new_here", model.RoleMember, model.StatusActive)
		author, asker, mod := e.as(newcomer), e.as(e.parent), e.as(e.moderator)
		path := threadPath(e.question)
		const words = "Quokka advice from a new member"
		author.get(path) // the thread's snapshot, kept in the cache
		gen, home := st.Generation(), asker.get("/").Body.String()
		rec := author.post("/t/"+strconv.FormatInt(e.question.ID, 10)+"/reply", url.Values{"body": {words}}, "HX-Request", "true")
		if rec.Code != http.StatusNoContent || !strings.Contains(rec.Header().Get("HX-Redirect"), path+"#held-") {
			t.Fatalf("a held reply answered %d, HX-Redirect %q", rec.Code, rec.Header().Get("HX-Redirect"))
		}
		heldID := heldAnchor.FindStringSubmatch(rec.Header().Get("HX-Redirect"))[1]
		for range 2 { // the second view comes from the cache
			mustContain(t, author.get(path).Body.String(), words, "Waiting for review")
			mustNotContain(t, asker.get(path).Body.String(), words)
			mustNotContain(t, mod.get(path).Body.String(), words)
			mustNotContain(t, e.as(nil).get(path).Body.String(), words)
		}
		// The reply changed the thread's page for its author alone: the rest of the board's
		// cached pages hold.
		if st.Generation() != gen {
			t.Error("a reply held for review dropped every cached page (the store's generation moved)")
		}
		if again := asker.get("/").Body.String(); again != home {
			t.Error("the asker's home page changed with a reply only its author sees (its thread's activity, its count of replies)")
		}
		e.fanOut()
		mustNotContain(t, asker.get("/notifications").Body.String(), "new_here")

		rec = mod.post("/mod/queue/"+heldID, url.Values{"decision": {"decline"}, "reason": {"Please keep advice kind."}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("decline: %d", rec.Code)
		}
		e.fanOut()
		mustContain(t, author.get("/notifications").Body.String(), "did not publish your post", "Please keep advice kind.", `href="/held"`)
		held := author.get("/held").Body.String()
		mustContain(t, held, "Not published", "Please keep advice kind.", words)
		mustNotContain(t, author.get(path).Body.String(), words)
		// The audit log says it in a sentence, names the author to moderators, and keeps
		// the declined words out; its filter finds it.
		audit := mod.get("/mod/audit?action=review").Body.String()
		mustContain(t, audit, "declined", "a post waiting for review", "new_here", "Please keep advice kind.")
		mustNotContain(t, audit, words, "held_post #")
	})
}

// TestCrisisBoxInComposerAndThread asks the composer's endpoint about words as they are
// typed, and reads a posted thread with and without danger words.
func TestCrisisBoxInComposerAndThread(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		member := e.as(e.parent)
		member.get("/ask")
		mustContain(t, member.get("/ask").Body.String(), `hx-post="/danger"`)
		mustContain(t, member.get(threadPath(e.question)).Body.String(), `hx-post="/danger"`)
		rec := member.post("/danger", url.Values{"title": {"Please help"}, "body": {"he took too many pills and isn't breathing"}}, "HX-Request", "true")
		if rec.Code != http.StatusOK {
			t.Fatalf("danger check: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "crisis-box", `href="tel:988"`, `href="tel:911"`, `href="/crisis"`, "You can still post")
		rec = member.post("/danger", url.Values{"title": {"Overdose prevention training"}, "body": {"Is the library class any good?"}}, "HX-Request", "true")
		if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != "" {
			t.Errorf("calm words answered %d %q; want nothing", rec.Code, rec.Body.String())
		}
		if rec := e.as(nil).post("/danger", url.Values{"body": {"not breathing"}}); rec.Code == http.StatusOK {
			t.Errorf("a visitor used the danger check: %d", rec.Code)
		}

		mustNotContain(t, member.get(threadPath(e.question)).Body.String(), "crisis-box")
		// An expert listing the signs of an overdose teaches; the thread shows no alarm.
		if _, err := e.forum.Reply(context.Background(), e.coach, e.answered.ID, forum.ReplyInput{
			Body: "The signs of an overdose: not waking up, slow or no breathing, blue lips. Call 911."}); err != nil {
			t.Fatal(err)
		}
		mustNotContain(t, member.get(threadPath(e.answered)).Body.String(), "crisis-box")
		// An edit that brings danger words shows the box on the page read before it; an
		// edit that takes them out hides it again.
		reply, err := e.forum.Reply(context.Background(), e.parent, e.answered.ID, forum.ReplyInput{Body: "Thank you, we will keep watch."})
		if err != nil {
			t.Fatal(err)
		}
		mustNotContain(t, member.get(threadPath(e.answered)).Body.String(), "crisis-box")
		for _, edit := range []struct {
			body string
			box  bool
		}{{"He took too many pills and is not breathing", true}, {"Thank you, we will keep watch.", false}} {
			if _, _, err := e.forum.EditPost(context.Background(), e.parent, reply.ID, forum.EditInput{Body: edit.body}); err != nil {
				t.Fatal(err)
			}
			if got := strings.Contains(member.get(threadPath(e.answered)).Body.String(), "crisis-box"); got != edit.box {
				t.Errorf("after the edit to %q: crisis box shown %v, want %v", edit.body, got, edit.box)
			}
		}
		rec = member.post("/ask", url.Values{"title": {"He will not wake up tonight"}, "body": {"His lips are turning blue, what do I do"}, "tags": {"craft"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("posting with danger words: %d; it must never be blocked", rec.Code)
		}
		page := e.as(e.coach).get(rec.Header().Get("Location")).Body.String()
		mustContain(t, page, "crisis-box", "If someone is in danger right now", `href="tel:988"`)
	})
}

// TestQuickExitAndDiscreetTitles finds the quick exit on every kind of page, and the
// discreet title once a member chooses it.
func TestQuickExitAndDiscreetTitles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		member := e.as(e.parent)
		for _, c := range []*client{e.as(nil), member} {
			for _, path := range []string{"/", "/crisis", "/search", threadPath(e.question)} {
				mustContain(t, c.get(path).Body.String(), `<a class="quick-exit" id="quick-exit" href="https://www.google.com/search?q=weather" rel="noreferrer" data-quick-exit>`,
					"press Esc twice")
			}
		}
		path := threadPath(e.question)
		mustContain(t, member.get(path).Body.String(), "<title>"+e.question.Title+" · Kinship</title>")
		rec := member.post("/account/discreet", url.Values{"discreet_titles": {"on"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("discreet titles: %d", rec.Code)
		}
		for _, p := range []string{path, "/", "/account", "/notifications"} {
			body := member.get(p).Body.String()
			mustContain(t, body, "<title>Kinship</title>")
			if p == path {
				mustNotContain(t, body, "<title>"+e.question.Title)
			}
		}
		mustContain(t, member.get("/account").Body.String(), `name="discreet_titles" checked`)
		// Other people's titles are unchanged.
		mustContain(t, e.as(e.coach).get(path).Body.String(), "<title>"+e.question.Title+" · Kinship</title>")
		member.post("/account/discreet", url.Values{})
		mustContain(t, member.get(path).Body.String(), "<title>"+e.question.Title+" · Kinship</title>")
	})
}

// TestHeldPostsReachOtherNodes holds a newcomer's reply and question on another node (a
// second store on the same database): this node's cached pages show them to their author
// as soon as the change watcher reads the log, not when the pages expire (the page cache's
// clock is stopped, so nothing here expires), and to nobody else.
func TestHeldPostsReachOtherNodes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		frozen := time.Now()
		e.srv.SetPageClock(func() time.Time { return frozen })
		e.served(t)
		newcomer := e.addUser("new_here", model.RoleMember, model.StatusActive)
		author, asker := e.as(newcomer), e.as(e.parent)
		path := threadPath(e.question)
		home := asker.get("/").Body.String()
		mustNotContain(t, author.get(path).Body.String(), "Waiting for review") // kept in the cache
		mustNotContain(t, author.get("/mine").Body.String(), "waiting for review")
		asker.get(path)

		otherNode := forum.New(storetest.OtherNode(e.st), markdown.New())
		otherNode.ReviewFirstPosts = 2
		const words = "Okapi advice written on another node"
		posted, err := otherNode.ReplyPost(context.Background(), newcomer, e.question.ID, forum.ReplyInput{Body: words})
		if err != nil || posted.Held == nil {
			t.Fatalf("the newcomer's reply was not held: %+v, %v", posted, err)
		}
		waitFor := func(what string, shows func() bool) {
			t.Helper()
			for start := time.Now(); !shows(); time.Sleep(20 * time.Millisecond) {
				if time.Since(start) > 15*time.Second {
					t.Fatalf("%s: this node's cached page never showed it", what)
				}
			}
		}
		waitFor("a held reply", func() bool { return strings.Contains(author.get(path).Body.String(), words) })
		mustContain(t, author.get(path).Body.String(), "Waiting for review")
		mustNotContain(t, asker.get(path).Body.String(), words)
		mustNotContain(t, e.as(e.moderator).get(path).Body.String(), words)

		const title = "Okapi question written on another node"
		if _, err := otherNode.AskPost(context.Background(), newcomer, forum.AskInput{Title: title, Body: "He sleeps all day.", Tags: []string{"craft"}}); err != nil {
			t.Fatal(err)
		}
		waitFor("a held question", func() bool {
			return strings.Contains(author.get("/mine").Body.String(), "2 posts of yours are waiting for review")
		})
		// Shown to its author alone: another member's home lists the same threads, with the
		// same counts (the header around it holds their notifications, which the fan-out
		// writes meanwhile).
		if again := mainOf(asker.get("/").Body.String()); again != mainOf(home) {
			t.Error("another member's home changed with posts only their author sees")
		}
		mustNotContain(t, asker.get("/tags/craft").Body.String(), title)
	})
}

// mainOf returns the main part of a page, without the header and footer around it.
func mainOf(page string) string {
	start, end := strings.Index(page, "<main"), strings.Index(page, "</main>")
	if start < 0 || end < start {
		return page
	}
	return page[start:end]
}
