package web_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/demo"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// follow requests the address a 303 answer sends the browser to.
func (c *client) follow(t *testing.T, rec interface {
	Header() http.Header
}, want string) string {
	t.Helper()
	loc := rec.Header().Get("Location")
	if !strings.HasPrefix(loc, want) {
		t.Fatalf("redirected to %q, want %q", loc, want)
	}
	loc, _, _ = strings.Cut(loc, "#") // a browser keeps the fragment to itself
	return c.get(loc).Body.String()
}

// TestVisitorSearchWithNoPublicMatchInvitesToJoin: a visitor whose words match nothing in
// the public archive is not told to try fewer words (members may well have talked about
// it): they are invited to join and ask, by a sign-in that brings them back.
func TestVisitorSearchWithNoPublicMatchInvitesToJoin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.sync()
		for _, h := range [][]string{nil, {"HX-Request", "true"}} {
			body := e.as(nil).get("/search?q=defensive", h...).Body.String()
			mustNotContain(t, body, "Try fewer words")
			mustContain(t, body, "Join to read and ask your own question", `href="/login?next=%2Fsearch%3Fq%3Ddefensive"`)
		}
		// Members with no match are told to try other words, or to ask.
		body := e.as(e.parent).get("/search?q=zebrafinch").Body.String()
		mustContain(t, body, "Try fewer words", `href="/ask"`)
	})
}

// TestDemoBoardShowsEveryFeature seeds the demo board as `make run` does and visits it as
// a visitor and as the personas: the public archive holds answered questions a visitor's
// search finds, and the board has something for every feature.
func TestDemoBoardShowsEveryFeature(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnvWith(t, st, envOptions{dev: true})
		ctx := context.Background()
		res, err := demo.Seed(ctx, st, e.forum, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if res.Published < 5 || res.Links < 5 {
			t.Fatalf("seeded %d public questions and %d links", res.Published, res.Links)
		}
		e.sync()
		visitor := e.as(nil)

		// A visitor searching "relapse" finds public threads; the home page lists the archive.
		rec := visitor.get("/search?q=relapse")
		if rec.Code != http.StatusOK {
			t.Fatalf("visitor search = %d", rec.Code)
		}
		body := rec.Body.String()
		mustContain(t, body, "after 90 days. I feel like we are back at zero.", `class="search-hit"`)
		mustNotContain(t, body, "0 threads in the public archive", "Try fewer words")
		home := visitor.get("/").Body.String()
		mustContain(t, home, "How do I start a conversation about treatment without a fight?")
		mustNotContain(t, home, "Nothing has been published yet")

		// A public thread reads whole, names nobody, and ends with an invitation to join.
		relapse := demoThread(t, st, "relapse-after-90-days")
		body = visitor.get(threadPath(relapse)).Body.String()
		mustContain(t, body, "You are not back at zero", "An expert", "Have a question of your own?")
		mustNotContain(t, body, "coach_dana", "maple_mom")

		// Members see every feature: a content note, an anonymous post, a resolved question
		// with its helpful answer, an article, related links, an edited post with history.
		maple := e.as(demoUser(t, st, "parent"))
		mustContain(t, maple.get(threadPath(demoThread(t, st, "naloxone-at-home"))).Body.String(),
			"Content note: mentions overdose", "The answer that helped", "Related threads", "Harm reduction at home: test strips")
		mustContain(t, maple.get(threadPath(demoThread(t, st, "holiday-gatherings"))).Body.String(), "A member of the community")
		mustContain(t, maple.get(threadPath(demoThread(t, st, "article-craft-basics"))).Body.String(), "Article", "CRAFT in five minutes")
		iop := maple.get(threadPath(demoThread(t, st, "iop-or-residential"))).Body.String()
		mustContain(t, iop, "He starts IOP on Monday")
		history := regexp.MustCompile(`href="(/p/\d+/history)"`).FindStringSubmatch(iop)
		if history == nil {
			t.Fatal("the edited post has no history link")
		}
		mustContain(t, maple.get(history[1]).Body.String(), "Edit history", "Before ", "We are scared it is not enough")

		// The experts' profiles show their answers.
		for _, name := range []string{"coach_dana", "dr_okafor"} {
			p := maple.get("/u/" + name).Body.String()
			mustContain(t, p, "Answers", "marked helpful by the family who asked")
			if strings.Count(p, `class="answer-list"`) != 1 || strings.Count(p, "<li>") < 5 {
				t.Errorf("%s's profile lists too few answers", name)
			}
		}
		// The moderators see what the person awaiting approval said brings them here.
		mustContain(t, e.as(demoUser(t, st, "moderator")).get("/mod/members").Body.String(),
			"new_here_22", "My nephew has been using since he lost his job")

		// Seeding again writes nothing, and keeps what is there.
		again, err := demo.Seed(ctx, st, e.forum, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if again != (demo.Result{}) {
			t.Fatalf("the second seed wrote %+v", again)
		}
	})
}

func demoThread(t *testing.T, st *store.Store, key string) *model.Thread {
	t.Helper()
	th, err := st.ThreadByDemoKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return th
}

func demoUser(t *testing.T, st *store.Store, key string) *model.User {
	t.Helper()
	u, err := st.UserByDemoKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestPublicThreadInvitesVisitorsToJoin: a thread in the public archive ends, for a
// visitor, with an invitation to join and ask that brings them back to it; members are not
// invited, and a person awaiting approval is told they are nearly in.
func TestPublicThreadInvitesVisitorsToJoin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		if err := e.forum.SetPublishConsent(ctx, e.parent, e.resolved.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := e.forum.Publish(ctx, e.coach, e.resolved.ID, true); err != nil {
			t.Fatal(err)
		}
		path := threadPath(e.resolved)
		for i := 0; i < 2; i++ { // the second view comes from the cache
			body := e.as(nil).get(path).Body.String()
			mustContain(t, body, "Have a question of your own?", `href="/login?next=`+url.QueryEscape(path)+`"`)
			mustNotContain(t, e.as(e.spouse).get(path).Body.String(), "Have a question of your own?")
			pending := e.as(e.addUser(fmt.Sprintf("waiting_%d", i), model.RolePending, model.StatusActive)).get(path).Body.String()
			mustContain(t, pending, "waiting for a moderator's welcome")
			mustNotContain(t, pending, "Have a question of your own?")
		}
	})
}

// TestPendingSaysWhatBringsThem: the welcome page asks one optional question; the answer
// is kept, confirmed, shown to moderators beside the account, and a long one comes back
// with the message beside the field and every word kept.
func TestPendingSaysWhatBringsThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		u := e.addUser("worried_aunt", model.RolePending, model.StatusActive)
		c := e.as(u)
		mustContain(t, c.get("/welcome").Body.String(), "What brings you here?", `name="join_reason"`, "Send to the moderators")

		long := strings.Repeat("My nephew is using. ", 30)
		rec := c.post("/welcome/reason", url.Values{"join_reason": {long}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("a long reason = %d, want 422", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Keep it under 500 characters", `id="join-reason-error"`, strings.TrimSpace(long))

		rec = c.post("/welcome/reason", url.Values{"join_reason": {"My nephew has started using again; his mother asked me to learn how to help."}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("reason = %d", rec.Code)
		}
		body := c.follow(t, rec, "/welcome?done=reason")
		mustContain(t, body, "Thank you. The moderators will read this", "his mother asked me", "Save changes")

		mod := e.as(e.moderator).get("/mod/members").Body.String()
		mustContain(t, mod, "worried_aunt", "What brings them here:", "his mother asked me")
		// It is theirs: their data export holds it.
		mustContain(t, c.get("/account/export").Body.String(), `"what_brings_you_here": "My nephew has started using again`)
		// Someone who said nothing is shown so.
		e.addUser("quiet_one", model.RolePending, model.StatusActive)
		mustContain(t, e.as(e.moderator).get("/mod/members").Body.String(), "They did not say what brings them here.")

		// Members have nothing to say here; visitors must sign in.
		if rec := e.as(e.parent).post("/welcome/reason", url.Values{"join_reason": {"x"}}); rec.Code != http.StatusSeeOther {
			t.Errorf("member = %d", rec.Code)
		}
		if rec := e.as(nil).post("/welcome/reason", url.Values{"join_reason": {"x"}}); rec.Code != http.StatusUnauthorized {
			t.Errorf("visitor = %d", rec.Code)
		}
		if got, _ := st.UserByID(context.Background(), e.parent.ID); got.JoinReason != "" {
			t.Errorf("a member's reason was kept: %q", got.JoinReason)
		}
	})
}

// TestApprovalIsConfirmedAndTheMemberWelcomedOnce: approving says so to the moderator;
// the member's next page says they are in, and only that page.
func TestApprovalIsConfirmedAndTheMemberWelcomedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		u := e.addUser("worried_aunt", model.RolePending, model.StatusActive)
		newcomer := e.as(u)
		mustNotContain(t, newcomer.get("/welcome").Body.String(), "Welcome in")

		mod := e.as(e.moderator)
		mod.get("/mod/members")
		rec := mod.post("/mod/members/"+itoa(u.ID)+"/decide", url.Values{"decision": {"approve"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("approve = %d", rec.Code)
		}
		mustContain(t, mod.follow(t, rec, "/mod/members?approve="+itoa(u.ID)), "worried_aunt is now a member.")
		mustNotContain(t, mod.get("/mod/members").Body.String(), "is now a member")

		// The newcomer reloads the welcome page: it sends them home, which welcomes them.
		rec = newcomer.get("/welcome")
		body := newcomer.follow(t, rec, "/")
		mustContain(t, body, "Welcome in, worried_aunt", "You are now a member of Kinship")
		mustNotContain(t, newcomer.get("/").Body.String(), "Welcome in")
		mustNotContain(t, newcomer.get("/tags").Body.String(), "Welcome in")

		// Declining says so too.
		other := e.addUser("not_sure", model.RolePending, model.StatusActive)
		rec = mod.post("/mod/members/"+itoa(other.ID)+"/decide", url.Values{"decision": {"decline"}})
		mustContain(t, mod.follow(t, rec, "/mod/members?decline="), "The request from not_sure was declined.")
		// Suspending and reinstating.
		rec = mod.post("/mod/members/"+itoa(e.spouse.ID)+"/suspend", url.Values{"action": {"suspend"}, "note": {"Threats"}, "confirmed": {"yes"}})
		mustContain(t, mod.follow(t, rec, "/mod/members?suspend="), "quiet_harbor is suspended")
		rec = mod.post("/mod/members/"+itoa(e.spouse.ID)+"/suspend", url.Values{"action": {"unsuspend"}, "note": {"Apologised"}})
		mustContain(t, mod.follow(t, rec, "/mod/members?unsuspend="), "quiet_harbor is reinstated")
	})
}

// navCount is the count after the moderation link, if any.
var navCount = regexp.MustCompile(`>Moderation <span class="nav-count">(\d+)<`)

// TestModeratorNavCountsAccountsAwaitingApproval: the moderation link carries the number
// of accounts awaiting approval, on every page, cached layout or not; it follows each
// decision, and nobody else sees it.
func TestModeratorNavCountsAccountsAwaitingApproval(t *testing.T) {
	for _, dev := range []bool{false, true} {
		t.Run(fmt.Sprintf("dev=%v", dev), func(t *testing.T) {
			e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: dev})
			mod := e.as(e.moderator)
			count := func(path string) string {
				t.Helper()
				m := navCount.FindStringSubmatch(mod.get(path).Body.String())
				if m == nil {
					return ""
				}
				return m[1]
			}
			if n := count("/"); n != "" {
				t.Fatalf("nobody waits, yet the count is %s", n)
			}
			a := e.addUser("waiting_a", model.RolePending, model.StatusActive)
			e.addUser("waiting_b", model.RolePending, model.StatusActive)
			for _, p := range []string{"/", "/mod/members", threadPath(e.resolved), "/account"} {
				if n := count(p); n != "2" {
					t.Errorf("GET %s: count %q, want 2", p, n)
				}
			}
			mustContain(t, mod.get("/").Body.String(), "2<span class=\"visually-hidden\"> awaiting approval</span>")
			mod.post("/mod/members/"+itoa(a.ID)+"/decide", url.Values{"decision": {"approve"}})
			if n := count("/"); n != "1" {
				t.Errorf("after an approval the count is %q, want 1", n)
			}
			if strings.Contains(e.as(e.coach).get("/").Body.String(), "nav-count") {
				t.Error("an expert sees the count")
			}
		})
	}
}

// TestSavedSettingsSaySo: saving a bio or a pseudonym, the asker's answer about the
// archive, a topic, a role or revoking an invite confirms it on the page that follows.
func TestSavedSettingsSaySo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		c.get("/account")
		rec := c.post("/account/bio", url.Values{"bio": {"Mother of three."}})
		mustContain(t, c.follow(t, rec, "/account?done=bio"), "Your profile text is saved.", "Mother of three.")
		rec = c.post("/account/pseudonym", url.Values{"pseudonym": {"maple_mother"}})
		mustContain(t, c.follow(t, rec, "/account?done=name"), "Your pseudonym is saved.")
		mustNotContain(t, c.get("/account").Body.String(), "is saved.")
		// The address cannot put words of its own on a page.
		mustNotContain(t, c.get("/account?done=%3Cb%3Ehello").Body.String(), "hello")

		rec = c.post("/t/"+itoa(e.resolved.ID)+"/consent", url.Values{"consent": {"on"}})
		mustContain(t, c.follow(t, rec, threadPath(e.resolved)+"?done=consent"), "Your choice is saved")

		mod := e.as(e.moderator)
		mod.get("/tags/craft")
		rec = mod.post("/tags/craft", url.Values{"name": {"CRAFT"}, "slug": {"craft"}, "description": {"Community Reinforcement."}})
		mustContain(t, mod.follow(t, rec, "/tags/craft?done=tag"), "The topic is saved.")

		admin := e.as(e.addUser("site_admin", model.RoleAdmin, model.StatusActive))
		admin.get("/admin/users")
		rec = admin.post("/admin/users/"+itoa(e.spouse.ID)+"/role", url.Values{"role": {"expert"}, "credential": {"Family therapist"}})
		mustContain(t, admin.follow(t, rec, "/admin/users?changed="), "quiet_harbor is now an expert.")
		code, _, err := e.forum.CreateInvite(context.Background(), demoAdmin(admin, e), forum.InviteInput{MaxUses: 1, Days: 7})
		if err != nil || code == "" {
			t.Fatal(err)
		}
		invites, err := st.Invites(context.Background(), 1)
		if err != nil {
			t.Fatal(err)
		}
		rec = admin.post("/admin/invites/"+itoa(invites[0].ID)+"/revoke", nil)
		mustContain(t, admin.follow(t, rec, "/admin/invites?done=invite"), "The invite link is revoked")
	})
}

// demoAdmin returns the admin a client is signed in as.
func demoAdmin(c *client, e *env) *model.User {
	u, err := e.st.UserByPseudonym(context.Background(), "site_admin")
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// TestAccountDeletionKeepsTheChoice: a wrong confirmation word brings the form back with
// the choice for the posts still made and the word as typed, each message beside its
// field; a right one deletes and sends the browser to a page that reloads harmlessly.
func TestAccountDeletionKeepsTheChoice(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		c.get("/account")
		rec := c.post("/account/delete", url.Values{"posts": {"remove"}, "confirm": {"delte"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("wrong word = %d", rec.Code)
		}
		body := rec.Body.String()
		mustContain(t, body, `value="remove" checked`, `value="delte"`, "That is not the word delete")
		mustNotContain(t, body, `value="keep" checked`, "Choose what happens to your posts")
		rec = c.post("/account/delete", url.Values{"confirm": {"delete"}})
		mustContain(t, rec.Body.String(), "Choose what happens to your posts", `value="delete"`)

		rec = c.post("/account/delete", url.Values{"posts": {"keep"}, "confirm": {"delete"}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/account/deleted" {
			t.Fatalf("delete = %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		for i := 0; i < 2; i++ { // a reload shows the same page and sends nothing
			rec = c.get("/account/deleted")
			if rec.Code != http.StatusOK {
				t.Fatalf("goodbye page = %d", rec.Code)
			}
			mustContain(t, rec.Body.String(), "Your account is deleted")
		}
		// Someone signed in is not told their account is deleted.
		if rec := e.as(e.spouse).get("/account/deleted"); rec.Code != http.StatusSeeOther {
			t.Errorf("a member on the goodbye page = %d", rec.Code)
		}
	})
}

// TestUnansweredQueueByTopic: the experts' queue narrows to one topic with a plain GET
// form; its next pages keep the topic; an unknown topic is a 404.
func TestUnansweredQueueByTopic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		for i := 0; i < 27; i++ {
			if _, err := e.forum.Ask(ctx, e.parent, forum.AskInput{Title: fmt.Sprintf("A boundaries question number %d", i),
				Body: "How do we say no?", Tags: []string{"boundaries"}}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.forum.Ask(ctx, e.parent, forum.AskInput{Title: "A question on medication only", Body: "Which one?", Tags: []string{"mat"}}); err != nil {
			t.Fatal(err)
		}
		expert := e.as(e.coach)
		all := expert.get("/unanswered").Body.String()
		mustContain(t, all, `<select id="filter-tag" name="tag">`, `<option value="">All topics</option>`, "A question on medication only")

		rec := expert.get("/unanswered?tag=mat")
		body := rec.Body.String()
		mustContain(t, body, "Unanswered questions on MAT", "A question on medication only", `<option value="mat" selected>`)
		mustNotContain(t, body, "A boundaries question", "load-more")

		body = expert.get("/unanswered?tag=boundaries").Body.String()
		mustNotContain(t, body, "A question on medication only")
		mustContain(t, body, "A boundaries question number 26")
		next := regexp.MustCompile(`class="load-more"><a href="([^"]+)"`).FindStringSubmatch(body)
		if next == nil {
			t.Fatal("no next page")
		}
		nextURL := strings.ReplaceAll(next[1], "&amp;", "&")
		if !strings.Contains(nextURL, "tag=boundaries") {
			t.Fatalf("the next page forgets the topic: %s", nextURL)
		}
		for _, h := range [][]string{nil, {"HX-Request", "true"}} {
			page := expert.get(nextURL, h...).Body.String()
			mustContain(t, page, "A boundaries question number 0", e.question.Title) // the fixture's, oldest
			mustNotContain(t, page, "A question on medication only", "A boundaries question number 26")
		}
		if rec := expert.get("/unanswered?tag=nosuchtopic"); rec.Code != http.StatusNotFound {
			t.Errorf("unknown topic = %d", rec.Code)
		}
	})
}

// TestAskerIsToldWhatHappensNext: the asker of a question no expert answered yet reads on
// its page what happens next; others do not, nor the asker once an expert answered.
func TestAskerIsToldWhatHappensNext(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		c.get("/ask")
		rec := c.post("/ask", url.Values{"kind": {"question"}, "title": {"Our daughter moved back home, what now?"},
			"body": {"She has been using again."}, "tags": {"boundaries"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("ask = %d", rec.Code)
		}
		path := rec.Header().Get("Location")
		mustContain(t, c.get(path).Body.String(), "What happens next", "experts' queue", `href="/mine"`)
		mustNotContain(t, e.as(e.spouse).get(path).Body.String(), "What happens next")
		mustNotContain(t, e.as(e.coach).get(path).Body.String(), "What happens next")
		// The anonymous asker is told too.
		mustContain(t, e.as(e.spouse).get(threadPath(e.question)).Body.String(), "What happens next")
		// Once an expert answered, the note has done its work.
		mustNotContain(t, c.get(threadPath(e.answered)).Body.String(), "What happens next")
	})
}

// TestFavicon: browsers find the icon at /favicon.ico, and pages link the SVG one.
func TestFavicon(t *testing.T) {
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	rec := e.get("/favicon.ico")
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/x-icon" {
		t.Fatalf("favicon = %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if !bytes.HasPrefix(rec.Body.Bytes(), []byte{0, 0, 1, 0}) || rec.Header().Get("Set-Cookie") != "" {
		t.Fatal("favicon.ico is not an icon, or sets a cookie")
	}
	icon := regexp.MustCompile(`<link rel="icon" href="(/static/icons/favicon\.[0-9a-f]+\.svg)" type="image/svg\+xml">`).
		FindStringSubmatch(e.get("/").Body.String())
	if icon == nil {
		t.Fatal("the page links no icon")
	}
	if rec := e.get(icon[1]); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "<svg") {
		t.Fatalf("the linked icon = %d", rec.Code)
	}
}

// TestProfileListsAnExpertsAnswers: an expert's profile lists their answers, with how many
// helped; an anonymous reply is not among them.
func TestProfileListsAnExpertsAnswers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		if _, err := e.forum.Reply(context.Background(), e.coach, e.question.ID, forum.ReplyInput{Body: "Quietly.", Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		body := e.as(e.parent).get("/u/coach_dana").Body.String()
		mustContain(t, body, e.resolved.Title, e.answered.Title, "2 answers; 1 marked helpful", "Helped the asker",
			"#post-"+itoa(e.helpfulPost.ID))
		mustNotContain(t, body, e.question.Title)
		mustNotContain(t, e.as(e.parent).get("/u/quiet_harbor").Body.String(), "answer-list")
	})
}
