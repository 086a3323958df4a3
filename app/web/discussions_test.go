package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

var threadLocation = regexp.MustCompile(`^/t/(\d+)/`)

func TestAskFlowAndBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.spouse)
		page := c.get("/ask").Body.String()
		mustContain(t, page, `name="title"`, `value="craft"`, "Post anonymously", "Content note")

		long := strings.Repeat("a", 50_001)
		cases := []struct {
			name  string
			form  url.Values
			field string
			want  string
		}{
			{"empty title", url.Values{"title": {""}, "body": {"My text stays"}, "tags": {"craft"}}, "title", "Give your question a title"},
			{"overlong title", url.Values{"title": {strings.Repeat("t", 151)}, "body": {"My text stays"}, "tags": {"craft"}}, "title", "under 150"},
			{"body too long", url.Values{"title": {"A reasonable title here"}, "body": {long}, "tags": {"craft"}}, "body", "the limit is 50000"},
			{"no tags", url.Values{"title": {"A reasonable title here"}, "body": {"My text stays"}}, "tags", "at least one tag"},
			{"six tags", url.Values{"title": {"A reasonable title here"}, "body": {"My text stays"}, "tags": {"a", "b", "c", "d", "e", "f"}}, "tags", "at most 5"},
			{"unknown tag", url.Values{"title": {"A reasonable title here"}, "body": {"My text stays"}, "tags": {"astrology"}}, "tags", `astrology&#34; is not one of them`},
		}
		for _, tc := range cases {
			rec := c.post("/ask", tc.form)
			body := rec.Body.String()
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
				t.Errorf("%s: %d, want 422 with %q", tc.name, rec.Code, tc.want)
			}
			if !strings.Contains(body, `id="`+tc.field+`-error"`) {
				t.Errorf("%s: no message beside the %s field", tc.name, tc.field)
			}
			if tc.name != "body too long" && !strings.Contains(body, "My text stays") {
				t.Errorf("%s: the member's text was lost", tc.name)
			}
		}

		rec := c.post("/ask", url.Values{"title": {"How do we handle the holidays with our son?"}, "body": {"He is 60 days **sober**."},
			"tags": {"boundaries", "craft"}, "anonymous": {"on"}, "content_note": {"mentions relapse"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("ask = %d %s", rec.Code, rec.Body)
		}
		m := threadLocation.FindStringSubmatch(rec.Header().Get("Location"))
		if m == nil {
			t.Fatalf("ask redirected to %q", rec.Header().Get("Location"))
		}
		id, _ := strconv.ParseInt(m[1], 10, 64)
		th, err := st.ThreadByID(context.Background(), id)
		if err != nil || !th.Anonymous || len(th.Tags) != 2 || th.State != model.StateOpen {
			t.Fatalf("new thread = %+v, %v", th, err)
		}
		body := e.as(e.parent).get(threadPath(th)).Body.String()
		mustContain(t, body, "A member of the community", "<strong>sober</strong>", "Content note: mentions relapse")
		mustNotContain(t, body, "quiet_harbor")
		// Moderators see who wrote an anonymous post.
		mustContain(t, e.as(e.moderator).get(threadPath(th)).Body.String(), "quiet_harbor", "posted anonymously")

		// Pending accounts and visitors cannot ask.
		if rec := e.as(nil).post("/ask", url.Values{"title": {"x"}}); rec.Code != http.StatusUnauthorized {
			t.Errorf("visitor ask = %d", rec.Code)
		}
		pending := e.as(e.addUser("waiting", model.RolePending, model.StatusActive))
		if rec := pending.post("/ask", url.Values{"title": {"A reasonable title here"}, "body": {"x"}, "tags": {"craft"}}); rec.Code != http.StatusForbidden {
			t.Errorf("pending ask = %d", rec.Code)
		}
	})
}

func TestDraftsSurviveAClosedTab(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		c.get("/ask")
		if rec := c.post("/ask/draft", url.Values{"title": {"Half-written title"}, "body": {"Half-written body"}, "tags": {"mat"}}, "HX-Request", "true"); rec.Code != http.StatusOK {
			t.Fatalf("save draft = %d", rec.Code)
		}
		// A new tab (a new client with the same session) gets the draft back.
		again := c.get("/ask").Body.String()
		mustContain(t, again, "We kept what you were writing", `value="Half-written title"`, "Half-written body")
		if !regexp.MustCompile(`value="mat" checked`).MatchString(again) {
			t.Error("draft tags not restored")
		}
		// The reply draft comes back in the thread's reply form.
		c.post("/t/"+itoa(e.question.ID)+"/reply/draft", url.Values{"body": {"An unsent reply"}}, "HX-Request", "true")
		mustContain(t, c.get(threadPath(e.question)).Body.String(), "An unsent reply", "Your unsent reply was kept")
		// Posting clears the draft.
		c.post("/t/"+itoa(e.question.ID)+"/reply", url.Values{"body": {"An unsent reply, now sent"}})
		mustNotContain(t, c.get(threadPath(e.question)).Body.String(), "Your unsent reply was kept")
	})
}

func TestReplyInPlaceAndWithoutJavaScript(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.spouse)
		c.get(threadPath(e.answered))
		// Without JavaScript: 303 to the new post.
		rec := c.post("/t/"+itoa(e.answered.ID)+"/reply", url.Values{"body": {"Thank you, this helps."}})
		if rec.Code != http.StatusSeeOther || !strings.Contains(rec.Header().Get("Location"), "#post-") {
			t.Fatalf("plain reply = %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		// With htmx: the new post comes back with an emptied form.
		rec = c.post("/t/"+itoa(e.answered.ID)+"/reply", url.Values{"body": {"One more *thought*."}}, "HX-Request", "true")
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Fatalf("htmx reply = %d", rec.Code)
		}
		mustContain(t, body, "One more <em>thought</em>.", `hx-swap-oob="outerHTML:#reply-form"`)
		mustNotContain(t, body, "<html")
		// A rejected htmx reply comes back in the form, text kept.
		rec = c.post("/t/"+itoa(e.answered.ID)+"/reply", url.Values{"body": {"   "}, "content_note": {strings.Repeat("n", 90)}}, "HX-Request", "true")
		if rec.Code != http.StatusUnprocessableEntity || rec.Header().Get("HX-Retarget") != "#reply-form" {
			t.Fatalf("empty htmx reply = %d, retarget %q", rec.Code, rec.Header().Get("HX-Retarget"))
		}
		mustContain(t, rec.Body.String(), "Write a few words", "under 80 characters")
		// Without htmx the whole page comes back with the message.
		rec = c.post("/t/"+itoa(e.answered.ID)+"/reply", url.Values{"body": {""}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Write a few words") {
			t.Fatalf("empty reply = %d", rec.Code)
		}
		th, _ := st.ThreadByID(context.Background(), e.answered.ID)
		if th.ReplyCount != 3 {
			t.Fatalf("reply count = %d, want 3", th.ReplyCount)
		}
		// Quote: the quoted post fills the reply form.
		quoted := c.get(threadPath(e.answered) + "?quote=" + itoa(th.ID+0)).Body.String()
		_ = quoted
		page := c.get(threadPath(e.answered)).Body.String()
		qid := regexp.MustCompile(`\?quote=(\d+)`).FindStringSubmatch(page)
		if qid == nil {
			t.Fatal("no quote link")
		}
		mustContain(t, c.get(threadPath(e.answered)+"?quote="+qid[1]).Body.String(), "wrote:\n&gt; ")
	})
}

func TestLockedThreadRefusesReplies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		mod := e.as(e.moderator)
		mod.get("/")
		if rec := mod.post("/t/"+itoa(e.question.ID)+"/moderate", url.Values{"action": {"lock"}, "note": {"cooling off"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("lock = %d", rec.Code)
		}
		c := e.as(e.parent)
		rec := c.post("/t/"+itoa(e.question.ID)+"/reply", url.Values{"body": {"Can I still reply?"}})
		if rec.Code != http.StatusForbidden {
			t.Fatalf("reply to a locked thread = %d, want 403", rec.Code)
		}
		mustContain(t, rec.Body.String(), "This thread was locked", "Can I still reply?")
		mustContain(t, c.get(threadPath(e.question)).Body.String(), "This thread is locked")
		// Pin, hide, restore; every action in the audit log.
		for _, a := range []string{"pin", "hide", "restore", "unlock", "unpin"} {
			if rec := mod.post("/t/"+itoa(e.question.ID)+"/moderate", url.Values{"action": {a}, "note": {"a reason"}, "confirmed": {"yes"}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("%s = %d", a, rec.Code)
			}
			if a == "hide" {
				if rec := c.get(threadPath(e.question)); rec.Code != http.StatusNotFound {
					t.Errorf("hidden thread for a member = %d, want 404", rec.Code)
				}
				mustNotContain(t, c.get("/").Body.String(), e.question.Title)
			}
		}
		entries, _ := st.AuditLog(context.Background(), store.AuditQuery{Limit: 20})
		if len(entries) < 6 {
			t.Fatalf("audit log has %d entries, want 6", len(entries))
		}
		if rec := c.post("/t/"+itoa(e.question.ID)+"/moderate", url.Values{"action": {"lock"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("member lock = %d", rec.Code)
		}
	})
}

func TestEditHistoryAndDelete(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		posts, _ := st.PostsByThread(ctx, e.answered.ID)
		opening, expertReply := posts[0], posts[1]
		owner := e.as(e.parent)
		owner.get(threadPath(e.answered))

		// Someone else's post: 403, and nothing changes.
		if rec := owner.post("/p/"+itoa(expertReply.ID)+"/edit", url.Values{"body": {"vandalism"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("editing someone else's post = %d, want 403", rec.Code)
		}
		// Own opening post: title and body; bad input comes back with the text.
		rec := owner.post("/p/"+itoa(opening.ID)+"/edit", url.Values{"title": {""}, "body": {"Kept text"}})
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "Kept text") {
			t.Fatalf("bad edit = %d", rec.Code)
		}
		rec = owner.post("/p/"+itoa(opening.ID)+"/edit", url.Values{"title": {"Is MAT just swapping one drug for another? (updated)"}, "body": {"Our son's doctor suggested buprenorphine. He starts Monday."}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("edit = %d %s", rec.Code, rec.Body)
		}
		th, _ := st.ThreadByID(ctx, e.answered.ID)
		page := owner.get(threadPath(th)).Body.String()
		mustContain(t, page, "(updated)", "He starts Monday", `href="/p/`+itoa(opening.ID)+`/history"`)
		hist := e.as(e.spouse).get("/p/" + itoa(opening.ID) + "/history").Body.String()
		mustContain(t, hist, "Edit history", "Our son&#39;s doctor suggested buprenorphine.</pre>", "Is MAT just swapping one drug for another?")

		// htmx edit of a reply swaps the post in place.
		coach := e.as(e.coach)
		coach.get(threadPath(th))
		rec = coach.get("/p/"+itoa(expertReply.ID)+"/edit", "HX-Request", "true")
		mustContain(t, rec.Body.String(), `<form method="post" action="/p/`+itoa(expertReply.ID)+`/edit"`)
		rec = coach.post("/p/"+itoa(expertReply.ID)+"/edit", url.Values{"body": {"No. MOUD is **evidence-based** care."}}, "HX-Request", "true")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `id="post-`+itoa(expertReply.ID)+`"`) {
			t.Fatalf("htmx edit = %d", rec.Code)
		}

		// Delete own reply: it stays as a marker; the question is open again.
		if rec := coach.post("/p/"+itoa(expertReply.ID)+"/delete", url.Values{"confirmed": {"yes"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("delete = %d", rec.Code)
		}
		th, _ = st.ThreadByID(ctx, e.answered.ID)
		if th.ReplyCount != 0 || th.State != model.StateOpen {
			t.Fatalf("after deleting the only expert reply: %d replies, state %s", th.ReplyCount, th.State)
		}
		page = owner.get(threadPath(th)).Body.String()
		mustContain(t, page, "This post was deleted by its author.")
		mustNotContain(t, page, "evidence-based")
		if rec := owner.post("/p/"+itoa(expertReply.ID)+"/delete", nil); rec.Code != http.StatusForbidden {
			t.Fatalf("deleting someone else's post = %d, want 403", rec.Code)
		}
	})
}

func TestHelpfulMark(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		posts, _ := st.PostsByThread(ctx, e.answered.ID)
		reply := posts[1]
		// Only the asker (or a moderator) may mark.
		other := e.as(e.spouse)
		other.get("/")
		if rec := other.post("/t/"+itoa(e.answered.ID)+"/helpful", url.Values{"post": {itoa(reply.ID)}}); rec.Code != http.StatusForbidden {
			t.Fatalf("someone else marks helpful = %d", rec.Code)
		}
		asker := e.as(e.parent)
		page := asker.get(threadPath(e.answered)).Body.String()
		mustContain(t, page, "This helped me")
		if rec := asker.post("/t/"+itoa(e.answered.ID)+"/helpful", url.Values{"post": {itoa(posts[0].ID)}}); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("marking the question itself = %d, want 422", rec.Code)
		}
		if rec := asker.post("/t/"+itoa(e.answered.ID)+"/helpful", url.Values{"post": {itoa(reply.ID)}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("mark helpful = %d", rec.Code)
		}
		th, _ := st.ThreadByID(ctx, e.answered.ID)
		if th.State != model.StateResolved {
			t.Fatalf("state = %s", th.State)
		}
		// Resolved everywhere: home, tag page, thread.
		for _, p := range []string{"/", "/tags/mat", threadPath(th)} {
			body := asker.get(p).Body.String()
			i := strings.Index(body, th.Title)
			if i < 0 || !strings.Contains(body, "Resolved") {
				t.Errorf("%s does not show the thread resolved", p)
			}
		}
	})
}

func TestRelatedThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		// Automatic: threads sharing a tag.
		page := e.as(e.parent).get(threadPath(e.resolved)).Body.String()
		mustContain(t, page, "More on these topics", e.answered.Title)
		// Members may not link; experts may, with a note shown on both threads.
		member := e.as(e.parent)
		member.get("/")
		if rec := member.post("/t/"+itoa(e.resolved.ID)+"/related", url.Values{"other": {itoa(e.question.ID)}}); rec.Code != http.StatusForbidden {
			t.Fatalf("member links = %d", rec.Code)
		}
		coach := e.as(e.coach)
		coach.get("/")
		if rec := coach.post("/t/"+itoa(e.resolved.ID)+"/related", url.Values{"other": {"/t/" + itoa(e.question.ID) + "/x"}, "note": {"Both are about tension at home"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("expert links = %d %s", rec.Code, rec.Body)
		}
		for _, pair := range [][2]string{{threadPath(e.resolved), e.question.Title}, {threadPath(e.question), e.resolved.Title}} {
			body := member.get(pair[0]).Body.String()
			mustContain(t, body, pair[1], "Both are about tension at home")
		}
		if rec := coach.post("/t/"+itoa(e.resolved.ID)+"/related", url.Values{"other": {itoa(e.question.ID)}}); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("linking twice = %d", rec.Code)
		}
		if rec := coach.post("/t/"+itoa(e.resolved.ID)+"/related", url.Values{"other": {itoa(e.resolved.ID)}}); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("linking to itself = %d", rec.Code)
		}
		if rec := coach.post("/t/"+itoa(e.resolved.ID)+"/related", url.Values{"other": {itoa(e.question.ID)}, "unlink": {"1"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("unlink = %d", rec.Code)
		}
		mustNotContain(t, member.get(threadPath(e.question)).Body.String(), "Both are about tension at home")
	})
}

func TestTagsAndModeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		member := e.as(e.parent)
		mustContain(t, member.get("/tags").Body.String(), "CRAFT", "2 threads")
		mustContain(t, member.get("/tags/craft").Body.String(), e.resolved.Title, e.answered.Title)
		mustNotContain(t, member.get("/tags/craft").Body.String(), e.question.Title, "Manage this tag")
		if rec := member.post("/tags", url.Values{"name": {"Naloxone"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("member creates a tag = %d", rec.Code)
		}
		mod := e.as(e.moderator)
		mod.get("/tags")
		if rec := mod.post("/tags", url.Values{"name": {"N"}}); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("one-letter tag = %d", rec.Code)
		}
		if rec := mod.post("/tags", url.Values{"name": {"Naloxone"}, "description": {"Carrying and using naloxone."}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("create tag = %d", rec.Code)
		}
		if rec := mod.post("/tags", url.Values{"name": {"Naloxone"}}); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("duplicate tag = %d", rec.Code)
		}
		if rec := mod.post("/tags/naloxone", url.Values{"name": {"Naloxone (Narcan)"}, "slug": {"naloxone"}, "description": {"Reversing an opioid overdose."}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("rename tag = %d", rec.Code)
		}
		mustContain(t, member.get("/tags/naloxone").Body.String(), "Naloxone (Narcan)", "Reversing an opioid overdose.")
		// Merge MAT into CRAFT: the MAT thread moves, /tags/mat redirects.
		mat, _ := st.TagBySlug(context.Background(), "mat")
		craft, _ := st.TagBySlug(context.Background(), "craft")
		if rec := mod.post("/tags/mat/merge", url.Values{"into": {itoa(craft.ID)}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("merge = %d", rec.Code)
		}
		_ = mat
		if rec := member.get("/tags/mat"); rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != "/tags/craft" {
			t.Fatalf("merged tag = %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		craft, _ = st.TagBySlug(context.Background(), "craft")
		if craft.ThreadCount != 2 {
			t.Fatalf("CRAFT counts %d threads after the merge, want 2", craft.ThreadCount)
		}
		// Hide and restore a post.
		posts, _ := st.PostsByThread(context.Background(), e.resolved.ID)
		if rec := mod.post("/p/"+itoa(posts[1].ID)+"/moderate", url.Values{"action": {"hide"}, "note": {"Names a clinic"}, "confirmed": {"yes"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("hide post = %d", rec.Code)
		}
		mustContain(t, member.get(threadPath(e.resolved)).Body.String(), "hidden by a moderator")
		mustNotContain(t, member.get(threadPath(e.resolved)).Body.String(), "We practiced with a counselor first.")
		mustContain(t, mod.get(threadPath(e.resolved)).Body.String(), "We practiced with a counselor first.", "Restore")
	})
}

func TestListsPaginate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		for i := 0; i < 30; i++ {
			if _, err := e.forum.Ask(context.Background(), e.parent, forum.AskInput{Title: "Question number " + strconv.Itoa(i) + " about boundaries", Body: "Body", Tags: []string{"boundaries"}}); err != nil {
				t.Fatalf("ask %d: %v", i, err)
			}
		}
		// Posting is rate limited per client.
		c.get("/ask")
		limited := false
		for i := 0; i < 25 && !limited; i++ {
			limited = c.post("/ask", url.Values{"title": {"x"}}).Code == http.StatusTooManyRequests
		}
		if !limited {
			t.Error("25 quick posts were never limited")
		}
		page := c.get("/").Body.String()
		next := regexp.MustCompile(`href="(/\?after=[^"]+)"`).FindStringSubmatch(page)
		if next == nil {
			t.Fatal("no load-more link")
		}
		if strings.Count(page, `class="thread-item"`) != 25 {
			t.Fatalf("first page has %d threads", strings.Count(page, `class="thread-item"`))
		}
		link := strings.ReplaceAll(next[1], "&amp;", "&")
		more := c.get(link, "HX-Request", "true").Body.String()
		mustNotContain(t, more, "<html", "Latest discussions")
		if n := strings.Count(more, `class="thread-item"`); n != 8 {
			t.Fatalf("second page has %d threads, want 8", n)
		}
		// The same link works without JavaScript as a whole page.
		mustContain(t, c.get(link).Body.String(), "<html", "Question number 0 about boundaries")
		mustContain(t, e.as(e.coach).get("/unanswered").Body.String(), "Question number 29")
		mustNotContain(t, e.as(e.coach).get("/unanswered").Body.String(), e.resolved.Title)
		mine := c.get("/mine").Body.String()
		mustContain(t, mine, "Question number 29")
		mustNotContain(t, mine, e.question.Title)
	})
}

func TestArticles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		member := e.as(e.parent)
		mustNotContain(t, member.get("/ask").Body.String(), `value="article"`)
		if rec := member.post("/ask", url.Values{"kind": {"article"}, "title": {"An article by a member"}, "body": {"Text"}, "tags": {"craft"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("member writes an article = %d, want 403", rec.Code)
		}
		coach := e.as(e.coach)
		mustContain(t, coach.get("/ask?kind=article").Body.String(), "Write an article", `value="article" checked`)
		rec := coach.post("/ask", url.Values{"kind": {"article"}, "title": {"Three things to try this week"}, "body": {"### One\n\nListen first."}, "tags": {"craft"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("expert writes an article = %d", rec.Code)
		}
		page := member.get(rec.Header().Get("Location")).Body.String()
		mustContain(t, page, "Article", "<h5>One</h5>", "Your reply")
		mustNotContain(t, page, "Awaiting an answer")
		// Members comment on it like a thread.
		id := threadLocation.FindStringSubmatch(rec.Header().Get("Location"))[1]
		if r := member.post("/t/"+id+"/reply", url.Values{"body": {"Thank you for this."}}); r.Code != http.StatusSeeOther {
			t.Fatalf("comment on an article = %d", r.Code)
		}
	})
}
