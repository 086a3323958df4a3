package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// postHeader finds the header of post id: the author and the badges, before the time.
func postHeader(t *testing.T, body string, id int64) string {
	t.Helper()
	re := regexp.MustCompile(`(?s)id="post-` + itoa(id) + `">\s*<header class="post-header">(.*?)<a class="permalink"`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("post %d is not on the page", id)
	}
	return strings.Join(strings.Fields(m[1]), " ")
}

// TestAnonymousIsTheSameWhoeverWrote checks that an anonymous post reads the same whether
// a member, an expert or a moderator wrote it, to members and to visitors on the public
// archive, on every page that shows it; moderators alone see who wrote it. A moderator
// renders the thread first, so that their cached rendering would show if it leaked.
func TestAnonymousIsTheSameWhoeverWrote(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		reply := func(u *model.User, th *model.Thread, body string, anonymous bool) *model.Post {
			p, err := e.forum.Reply(ctx, u, th.ID, forum.ReplyInput{Body: body, Anonymous: anonymous})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		// The question was asked anonymously by the spouse and has no answer yet.
		byMember := reply(e.parent, e.question, "From a parent: we went through this too.", true)
		byExpert := reply(e.coach, e.question, "From my own family: zorbleword helped us.", true)
		byModerator := reply(e.moderator, e.question, "Speaking for myself: it does get easier.", true)
		// The anonymous expert's reply does not answer the question: that would tell its role.
		th, err := e.st.ThreadByID(ctx, e.question.ID)
		if err != nil {
			t.Fatal(err)
		}
		if th.State != model.StateOpen {
			t.Errorf("state = %s: an anonymous expert's reply answered the question", th.State)
		}
		// An edit puts the expert's reply in the edit history too.
		if _, _, err := e.forum.EditPost(ctx, e.coach, byExpert.ID, forum.EditInput{Body: "From my own family: zorbleword helped us a lot."}); err != nil {
			t.Fatal(err)
		}
		path := threadPath(e.question)
		anonymous := []int64{byMember.ID, byExpert.ID, byModerator.ID}
		want := "<span class=\"author\">A member of the community</span>"

		mod := e.as(e.moderator).get(path).Body.String()
		for _, id := range anonymous {
			mustContain(t, postHeader(t, mod, id), "posted anonymously")
		}
		mustContain(t, postHeader(t, mod, byExpert.ID), "coach_dana", "badge-expert")
		mustContain(t, postHeader(t, mod, byModerator.ID), "river_stone")

		check := func(who, body string) {
			t.Helper()
			for _, id := range anonymous {
				if h := postHeader(t, body, id); h != want {
					t.Errorf("%s sees post %d signed %q, want %q", who, id, h, want)
				}
			}
			mustNotContain(t, body, "coach_dana", "river_stone", "quiet_harbor", "CRAFT-certified", "An expert", "A moderator",
				"badge-expert", "post-expert", "Expert answered", "posted anonymously")
		}
		// Members and experts who wrote none of them (the authors see "you, anonymously").
		newMember := e.addUser("new_member", model.RoleMember, model.StatusActive)
		for _, v := range []*model.User{newMember, e.addUser("other_expert", model.RoleExpert, model.StatusActive)} {
			for _, h := range [][]string{nil, {"HX-Request", "true"}} {
				check(v.Pseudonym, e.as(v).get(path, h...).Body.String())
			}
		}
		// The edit history, the lists and search say no more.
		history := e.as(newMember).get("/p/" + itoa(byExpert.ID) + "/history").Body.String()
		if h := postHeader(t, history, byExpert.ID); h != want {
			t.Errorf("history: post signed %q", h)
		}
		home := e.as(newMember).get("/").Body.String()
		mustContain(t, home, "by A member of the community")
		mustNotContain(t, home, "quiet_harbor")
		e.sync()
		mustNotContain(t, e.as(newMember).get("/search?q=by:expert").Body.String(), e.question.Title)
		mustContain(t, e.as(newMember).get("/search?q=zorbleword").Body.String(), e.question.Title)
		// Its author is told that others see it so.
		mustContain(t, postHeader(t, e.as(e.coach).get(path).Body.String(), byExpert.ID), "you, anonymously")

		// On the public archive, visitors see named people by role and anonymous ones alike.
		if err := e.forum.SetPublishConsent(ctx, e.spouse, e.question.ID, true); err != nil {
			t.Fatal(err)
		}
		reply(e.coach, e.question, "As a coach: set one clear rule, again.", false)
		if err := e.forum.Publish(ctx, e.coach, e.question.ID, true); err != nil {
			t.Fatal(err)
		}
		e.sync()
		visitor := e.as(nil).get(path).Body.String()
		for _, id := range anonymous {
			if h := postHeader(t, visitor, id); h != want {
				t.Errorf("visitor sees post %d signed %q, want %q", id, h, want)
			}
		}
		mustContain(t, visitor, "An expert", "CRAFT-certified")
		mustNotContain(t, visitor, "coach_dana", "river_stone", "quiet_harbor", "A moderator", "/u/")
		feed := e.as(nil).get("/archive.atom").Body.String()
		mustContain(t, feed, e.question.Title)
		mustNotContain(t, feed, "coach_dana", "river_stone", "quiet_harbor")
		found := e.as(nil).get("/search?q=zorbleword").Body.String()
		mustContain(t, found, e.question.Title)
		mustNotContain(t, found, "coach_dana", "quiet_harbor", "An expert")
	})
}

// TestQuoteNamesWhatReadersSee checks that a quote is prefilled with the name the thread's
// readers see, never the name behind an anonymous post, even when a moderator quotes.
func TestQuoteNamesWhatReadersSee(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		posts, err := e.st.PostsByThread(ctx, e.question.ID) // asked anonymously by the spouse
		if err != nil {
			t.Fatal(err)
		}
		mod := e.as(e.moderator)
		for _, h := range [][]string{nil, {"HX-Request", "true"}} {
			body := mod.get(threadPath(e.question)+"?quote="+itoa(posts[0].ID), h...).Body.String()
			mustContain(t, body, "A member of the community wrote:\n&gt; My wife is 40 days sober")
			mustNotContain(t, body, "quiet_harbor wrote")
		}
		// Posted, the quote names nobody.
		rec := mod.post("/t/"+itoa(e.question.ID)+"/reply", url.Values{"body": {"A member of the community wrote:\n> My wife is 40 days sober\n\nYou are not alone."}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("reply = %d", rec.Code)
		}
		mustNotContain(t, e.as(e.parent).get(threadPath(e.question)).Body.String(), "quiet_harbor")

		// A named post is quoted by its pseudonym among members, by role once public.
		answer, err := e.st.PostsByThread(ctx, e.answered.ID)
		if err != nil {
			t.Fatal(err)
		}
		quote := threadPath(e.answered) + "?quote=" + itoa(answer[1].ID)
		mustContain(t, e.as(e.spouse).get(quote).Body.String(), "coach_dana wrote:")
		if err := e.forum.SetPublishConsent(ctx, e.parent, e.answered.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := e.forum.Publish(ctx, e.coach, e.answered.ID, true); err != nil {
			t.Fatal(err)
		}
		body := e.as(e.spouse).get(quote).Body.String()
		mustContain(t, body, "An expert wrote:")
		mustNotContain(t, body, "coach_dana wrote:")
	})
}

// TestQuestionDraftKeepsEveryField saves the ask form as it autosaves, closes the tab and
// opens the form again: every field comes back, and the question posts as it was meant.
func TestQuestionDraftKeepsEveryField(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		tab := e.as(e.parent)
		first := tab.get("/ask").Body.String()
		mustContain(t, first, `<span data-posting="named">Posting as <strong>maple_mom</strong>`,
			`<span data-posting="anonymous" hidden>Posting as <strong>A member of the community</strong>`)
		draft := url.Values{"kind": {"discussion"}, "title": {"Our daughter and the probation officer"},
			"body": {"She missed a check-in."}, "tags": {"craft", "mat"}, "anonymous": {"on"},
			"content_note": {"mentions overdose"}, "publish_consent": {"on"}}
		if rec := tab.post("/ask/draft", draft, "HX-Request", "true"); rec.Code != http.StatusOK {
			t.Fatalf("save draft = %d", rec.Code)
		}
		// The tab is closed; a new one, in the same session, opens the form again.
		again := &client{e: e, cookies: map[string]string{}}
		for k, v := range tab.cookies {
			again.cookies[k] = v
		}
		body := again.get("/ask").Body.String()
		mustContain(t, body, "We kept what you were writing", `value="Our daughter and the probation officer"`, "She missed a check-in.",
			`name="anonymous" checked`, `name="publish_consent" checked`, `value="mentions overdose"`,
			`value="discussion" checked`, `value="craft" checked`, `value="mat" checked`,
			`<span data-posting="named" hidden>Posting as <strong>maple_mom</strong>`,
			`<span data-posting="anonymous">Posting as <strong>A member of the community</strong>`)

		// Posted from the restored form, it goes out as meant.
		rec := again.post("/ask", draft)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("ask = %d", rec.Code)
		}
		id := threadLocation.FindStringSubmatch(rec.Header().Get("Location"))[1]
		posts, err := e.st.PostsByThread(context.Background(), mustID(t, id))
		if err != nil {
			t.Fatal(err)
		}
		th, err := e.st.ThreadByID(context.Background(), mustID(t, id))
		if err != nil {
			t.Fatal(err)
		}
		if !th.Anonymous || !th.PublishConsent || th.Kind != model.KindDiscussion || !posts[0].Anonymous || posts[0].ContentNote != "mentions overdose" {
			t.Fatalf("posted thread = %+v, post = %+v", th, posts[0])
		}
		mustNotContain(t, again.get("/ask").Body.String(), "We kept what you were writing")

		// Unticked in a later save, the box stays unticked.
		draft.Del("anonymous")
		draft.Del("publish_consent")
		tab.post("/ask/draft", draft, "HX-Request", "true")
		body = again.get("/ask").Body.String()
		mustNotContain(t, body, `name="anonymous" checked`, `name="publish_consent" checked`)
		mustContain(t, body, `<span data-posting="named">Posting as <strong>maple_mom</strong>`)

		// A reply's draft keeps its choices too.
		tab.get(threadPath(e.answered))
		tab.post("/t/"+itoa(e.answered.ID)+"/reply/draft", url.Values{"body": {"Unsent"}, "anonymous": {"on"}, "content_note": {"mentions relapse"}}, "HX-Request", "true")
		body = again.get(threadPath(e.answered)).Body.String()
		mustContain(t, body, "Your unsent reply was kept", `name="anonymous" checked`, `value="mentions relapse"`,
			`<span data-posting="anonymous">Posting as <strong>A member of the community</strong>`)
		// Cleared, the reply leaves no draft behind, whatever its box says.
		tab.post("/t/"+itoa(e.answered.ID)+"/reply/draft", url.Values{"body": {" "}, "anonymous": {"on"}}, "HX-Request", "true")
		mustNotContain(t, again.get(threadPath(e.answered)).Body.String(), "Your unsent reply was kept", `name="anonymous" checked`)
		// Without a draft, the shared reply form says the viewer's own name.
		mustContain(t, e.as(e.spouse).get(threadPath(e.answered)).Body.String(), `<span data-posting="named">Posting as <strong>quiet_harbor</strong>`)
		mustContain(t, e.as(e.coach).get(threadPath(e.answered)).Body.String(), `<span data-posting="named">Posting as <strong>coach_dana</strong>`)
	})
}

// TestAuthorSwitchesOwnPostToAnonymous edits posts to anonymous and back: every page
// follows at once (the thread cache and the index follow the change log), an expert's
// reply stops answering the question, and only the author may do it.
func TestAuthorSwitchesOwnPostToAnonymous(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		posts, err := e.st.PostsByThread(ctx, e.answered.ID) // maple_mom asks, coach_dana answers
		if err != nil {
			t.Fatal(err)
		}
		opening, answer := posts[0], posts[1]
		path := threadPath(e.answered)
		reader := e.as(e.spouse)
		mustContain(t, reader.get(path).Body.String(), "maple_mom", "coach_dana", "Expert answered") // now cached
		e.sync()
		mustContain(t, reader.get("/search?q=by:expert").Body.String(), e.answered.Title)

		edit := func(who *model.User, p *model.Post, anonymous bool) int {
			t.Helper()
			c := e.as(who)
			form := c.get("/p/" + itoa(p.ID) + "/edit").Body.String()
			if who.ID == p.AuthorID {
				mustContain(t, form, `name="anonymity" value="offered"`, `name="anonymous"`, "Posting as")
			}
			v := url.Values{"body": {p.BodySource}, "anonymity": {"offered"}}
			if p.Opening {
				v.Set("title", e.answered.Title)
			}
			if anonymous {
				v.Set("anonymous", "on")
			}
			return c.post("/p/"+itoa(p.ID)+"/edit", v).Code
		}
		if code := edit(e.spouse, answer, false); code != http.StatusForbidden {
			t.Fatalf("someone else edits = %d", code)
		}
		if code := edit(e.parent, opening, true); code != http.StatusSeeOther {
			t.Fatalf("edit opening = %d", code)
		}
		if code := edit(e.coach, answer, true); code != http.StatusSeeOther {
			t.Fatalf("edit answer = %d", code)
		}
		body := reader.get(path).Body.String()
		mustNotContain(t, body, "maple_mom", "coach_dana", "CRAFT-certified", "Expert answered", "badge-expert")
		mustContain(t, body, "Awaiting an answer")
		if h := postHeader(t, body, answer.ID); h != `<span class="author">A member of the community</span>` {
			t.Errorf("the answer is signed %q", h)
		}
		// Only the choice changed: the text keeps no new revision, and no "edited" mark.
		if revs, _ := e.st.Revisions(ctx, answer.ID); len(revs) != 0 {
			t.Errorf("%d revisions for a change of name only", len(revs))
		}
		list := reader.get("/").Body.String()
		item := regexp.MustCompile(`(?s)` + regexp.QuoteMeta(e.answered.Title) + `</a>.*?</li>`).FindString(list)
		mustContain(t, item, "by A member of the community")
		e.sync()
		mustNotContain(t, reader.get("/search?q=by:expert").Body.String(), e.answered.Title)
		mustContain(t, reader.get("/search?q=is:unanswered").Body.String(), e.answered.Title)

		// A form that did not offer the choice leaves it as it is.
		c := e.as(e.coach)
		c.get("/p/" + itoa(answer.ID) + "/edit")
		if rec := c.post("/p/"+itoa(answer.ID)+"/edit", url.Values{"body": {"No. It is evidence-based treatment."}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("edit = %d", rec.Code)
		}
		mustNotContain(t, reader.get(path).Body.String(), "coach_dana")

		// And back: the author signs by name again.
		answer.BodySource = "No. It is evidence-based treatment."
		if code := edit(e.coach, answer, false); code != http.StatusSeeOther {
			t.Fatalf("edit back = %d", code)
		}
		mustContain(t, reader.get(path).Body.String(), "coach_dana", "CRAFT-certified", "Expert answered")
		e.sync()
		mustContain(t, reader.get("/search?q=by:expert").Body.String(), e.answered.Title)
	})
}

// sameForVisitors checks that a visitor's search for word, on the page and in the
// fragment, reads exactly as a search for absent, a word nobody wrote.
func sameForVisitors(t *testing.T, e *env, word, absent string) {
	t.Helper()
	visitor := e.as(nil)
	// (Few enough requests for the search's rate limit.)
	for _, q := range []string{"%s", "%%22%s+question%%22", "tag:craft+%s"} {
		for _, h := range [][]string{nil, {"HX-Request", "true"}} {
			get := func(w string) string {
				rec := visitor.get("/search?q="+fmt.Sprintf(q, w), h...)
				if rec.Code != http.StatusOK {
					t.Fatalf("visitor search %q = %d", w, rec.Code)
				}
				return strings.ReplaceAll(rec.Body.String(), w, "WORD")
			}
			if a, b := get(word), get(absent); a != b {
				t.Errorf("q=%s %v: a visitor tells %q, written in members-only threads, from %q, written nowhere:\n%s\n---\n%s",
					q, h, word, absent, a, b)
			}
		}
	}
}

// TestVisitorSearchIsNoOracle checks that a visitor's search says nothing that one
// members-only thread's words decide: a word written only in members-only posts or titles
// reads as a word written nowhere. Many members-only threads on a topic do invite them in.
func TestVisitorSearchIsNoOracle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		if _, err := e.forum.Reply(ctx, e.spouse, e.question.ID, forum.ReplyInput{Body: "She works at the okonkwobakery on Fridays."}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.forum.Ask(ctx, e.parent, forum.AskInput{Title: "Our vandersloot question about relapse", Body: "Private.", Tags: []string{"craft"}}); err != nil {
			t.Fatal(err)
		}
		e.sync()
		sameForVisitors(t, e, "okonkwobakery", "okonkwopharmacy")
		sameForVisitors(t, e, "vandersloot", "vanderbilt")
		mustContain(t, e.as(nil).get("/search?q=vandersloot").Body.String(), "Members also talk about", "Join to read")

		// Many members-only threads on naloxone: visitors are told so, without a number.
		for i := 0; i < 10; i++ {
			if _, err := e.forum.Ask(ctx, e.parent, forum.AskInput{Title: fmt.Sprintf("Naloxone at home, question %d", i), Body: "Where?", Tags: []string{"mat"}}); err != nil {
				t.Fatal(err)
			}
		}
		e.sync()
		body := e.as(nil).get("/search?q=naloxone").Body.String()
		mustContain(t, body, "Many more discussions for members are about this")
		mustNotContain(t, body, "Naloxone at home", "10 more")
		mustNotContain(t, e.as(nil).get("/search?q=naloxone+okonkwobakery").Body.String(), "Many more discussions")
	})
}

func mustID(t *testing.T, s string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscan(s, &id); err != nil {
		t.Fatal(err)
	}
	return id
}
