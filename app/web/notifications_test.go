package web_test

import (
	"context"
	"encoding/json"
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

// badgeOf returns the unread count the header shows ("" when it shows none).
var badgeRe = regexp.MustCompile(`<span id="notices-count" class="notices-count"(?: hx-swap-oob="true")?(?: hidden></span>|><span aria-hidden="true">([0-9+]+)</span>)`)

func badgeOf(t *testing.T, body string) string {
	t.Helper()
	m := badgeRe.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no unread count in the page")
	}
	return m[1]
}

func (e *env) unread(u *model.User) int {
	e.t.Helper()
	n, err := e.st.UnreadNotificationCount(context.Background(), u.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) notices(u *model.User) []*model.Notification {
	e.t.Helper()
	ns, err := e.st.NotificationsOf(context.Background(), u.ID, 0, 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return ns
}

func TestNotificationsPageAndHeaderCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.fanOut()
		c := e.as(e.parent)
		// The asker of two questions: an expert answered each, and the spouse replied to one.
		if n := e.unread(e.parent); n != 3 {
			t.Fatalf("the asker has %d unread notifications, want 3", n)
		}
		if got := badgeOf(t, c.get("/").Body.String()); got != "3" {
			t.Fatalf("the header says %q", got)
		}
		rec := c.get("/notifications")
		if rec.Code != http.StatusOK {
			t.Fatalf("notifications = %d", rec.Code)
		}
		body := rec.Body.String()
		mustContain(t, body, "An expert answered your question", "quiet_harbor replied", e.answered.Title, e.resolved.Title,
			`href="/notifications" aria-current="page"`, "Mark all as read")
		// Grouped by thread, the thread of the newest first: the resolved question's answer.
		if i, j := strings.Index(body, e.resolved.Title), strings.Index(body, e.answered.Title); i < 0 || j < 0 || i > j {
			t.Errorf("the groups are not newest first")
		}
		if strings.Count(body, `<h2 class="notice-thread">`) != 2 {
			t.Errorf("want two groups, one per thread:\n%s", body)
		}
		frag := c.get("/notifications", "HX-Request", "true").Body.String()
		mustContain(t, frag, "An expert answered your question")
		mustNotContain(t, frag, "<html", `id="notices-count"`)

		// Marking one read with htmx answers the notice, read, and the header's new count.
		first := e.notices(e.parent)[0]
		rec = c.post("/notifications/"+itoa(first.ID)+"/read", nil, "HX-Request", "true")
		if rec.Code != http.StatusOK {
			t.Fatalf("mark read = %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), `id="notice-`+itoa(first.ID)+`"`, `hx-swap-oob="true"`)
		mustNotContain(t, rec.Body.String(), "Mark read")
		if got := badgeOf(t, rec.Body.String()); got != "2" {
			t.Errorf("the answer's count says %q, want 2", got)
		}
		if got := badgeOf(t, c.get("/").Body.String()); got != "2" {
			t.Errorf("the header says %q after marking one read", got)
		}
		// Nobody marks another's notification.
		if rec := e.as(e.spouse).post("/notifications/"+itoa(e.notices(e.parent)[1].ID)+"/read", nil); rec.Code != http.StatusNotFound {
			t.Errorf("marking another's notification = %d", rec.Code)
		}
		// Without JavaScript, marking all goes back to the list, all read.
		if rec := c.post("/notifications/read", nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/notifications" {
			t.Fatalf("mark all read = %d %s", rec.Code, rec.Header().Get("Location"))
		}
		body = c.get("/notifications").Body.String()
		if got := badgeOf(t, body); got != "" {
			t.Errorf("the header says %q after marking all read", got)
		}
		mustNotContain(t, body, "Mark read", "Mark all as read")

		// A new answer shows in the header at once, though counts are remembered a while.
		if _, err := e.forum.Reply(context.Background(), e.coach, e.answered.ID, forum.ReplyInput{Body: "One more thought."}); err != nil {
			t.Fatal(err)
		}
		e.fanOut()
		if got := badgeOf(t, c.get("/").Body.String()); got != "1" {
			t.Errorf("the header says %q after a new answer", got)
		}
		// Each member sees their own count, on the cached thread page too.
		if _, err := e.forum.Reply(context.Background(), e.coach, e.question.ID, forum.ReplyInput{Body: "You are not alone."}); err != nil {
			t.Fatal(err)
		}
		e.fanOut()
		if got, want := badgeOf(t, e.as(e.spouse).get(threadPath(e.answered)).Body.String()), strconv.Itoa(e.unread(e.spouse)); got != want || want == "0" {
			t.Errorf("the spouse's header says %q, want %s", got, want)
		}
		if got := badgeOf(t, c.get(threadPath(e.answered)).Body.String()); got != "1" {
			t.Errorf("the asker's header on the thread page says %q", got)
		}
		// Visitors and people awaiting approval have no notifications.
		mustNotContain(t, e.as(nil).get("/crisis").Body.String(), "notices-count", "/notifications")
		pending := e.as(e.addUser("waiting_one", model.RolePending, model.StatusActive))
		mustNotContain(t, pending.get("/welcome").Body.String(), "notices-count")
		if rec := e.as(nil).get("/notifications"); rec.Code != http.StatusUnauthorized {
			t.Errorf("a visitor's notifications = %d", rec.Code)
		}
	})
}

func TestNotificationsNeverNameAnAnonymousAuthor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		e.fanOut()
		// Someone whose name appears nowhere else replies, anonymously.
		writer := e.addUser("hollow_reed", model.RoleMember, model.StatusActive)
		if _, err := e.forum.Reply(ctx, writer, e.answered.ID, forum.ReplyInput{Body: "@coach_dana we tried it too.", Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.notify.FollowThread(ctx, e.moderator, e.answered.ID, model.LevelWatching); err != nil {
			t.Fatal(err)
		}
		if _, err := e.forum.Reply(ctx, writer, e.answered.ID, forum.ReplyInput{Body: "And again.", Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		e.fanOut()
		for _, u := range []*model.User{e.parent, e.coach} {
			for _, h := range [][]string{nil, {"HX-Request", "true"}} {
				body := e.as(u).get("/notifications", h...).Body.String()
				mustContain(t, body, "A member of the community")
				mustNotContain(t, body, "hollow_reed")
			}
		}
		mustContain(t, e.as(e.coach).get("/notifications").Body.String(), "A member of the community mentioned you")
		mustContain(t, e.as(e.moderator).get("/notifications").Body.String(), "hollow_reed (anonymously) replied")
		// Hidden since: the notice no longer says who, what or where.
		ns := e.notices(e.parent)
		if _, err := e.forum.ModerateThread(ctx, e.moderator, e.answered.ID, forum.ActionHide, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		body := e.as(e.parent).get("/notifications").Body.String()
		mustContain(t, body, "no longer available")
		mustNotContain(t, body, e.answered.Title, "/t/"+itoa(e.answered.ID)+"/")
		if len(ns) == 0 {
			t.Fatal("the asker was told nothing")
		}
	})
}

var followSelected = regexp.MustCompile(`<option value="([a-z]+)" selected>`)

// levelShown returns the level the first follow form of a page shows.
func levelShown(t *testing.T, body string) string {
	t.Helper()
	m := followSelected.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no follow form with a choice in the page")
	}
	return m[1]
}

var followToken = regexp.MustCompile(`class="follow-form"[^>]*>\s*<input type="hidden" name="_csrf" value="([^"]+)">`)

// followFormCarries fails unless body's follow form carries the CSRF token of c, who read it.
func followFormCarries(t *testing.T, c *client, body string) {
	t.Helper()
	m := followToken.FindStringSubmatch(body)
	if m == nil || c.csrf == "" || m[1] != c.csrf {
		t.Errorf("the follow form carries the token %q, the reader's is %q", m, c.csrf)
	}
}

func TestFollowControls(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		path := threadPath(e.answered)
		parent, spouse := e.as(e.parent), e.as(e.spouse)
		// The asker watches; the spouse, who never took part, does not follow; each sees
		// their own, on the same cached page.
		if got := levelShown(t, parent.get(path).Body.String()); got != "watching" {
			t.Errorf("the asker's follow form says %s", got)
		}
		body := spouse.get(path).Body.String()
		if got := levelShown(t, body); got != "none" {
			t.Errorf("the spouse's follow form says %s", got)
		}
		mustContain(t, body, `action="/t/`+itoa(e.answered.ID)+`/follow"`, "Watching: tell me of every reply")
		// The form is kept once for each level: each member's carries their own token.
		followFormCarries(t, spouse, body)
		followFormCarries(t, parent, parent.get(path).Body.String())
		if parent.csrf == spouse.csrf {
			t.Fatal("two members were given one CSRF token")
		}
		mustNotContain(t, e.as(nil).get("/t/"+itoa(e.question.ID)).Body.String(), "follow-form")

		// Without JavaScript: back to the thread, now watching.
		rec := spouse.post("/t/"+itoa(e.answered.ID)+"/follow", url.Values{"level": {"watching"}, "return": {path}})
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != path+"?done=follow" {
			t.Fatalf("follow = %d %s", rec.Code, rec.Header().Get("Location"))
		}
		body = spouse.get(rec.Header().Get("Location")).Body.String()
		mustContain(t, body, "Your choice of notifications is saved.")
		if got := levelShown(t, body); got != "watching" {
			t.Errorf("after following, the form says %s", got)
		}
		// With htmx, the form comes back in place, saved.
		rec = spouse.post("/t/"+itoa(e.answered.ID)+"/follow", url.Values{"level": {"muted"}}, "HX-Request", "true")
		if rec.Code != http.StatusOK {
			t.Fatalf("follow (htmx) = %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), `id="follow-thread-`+itoa(e.answered.ID)+`"`, "Saved", `<option value="muted" selected>`)
		mustNotContain(t, rec.Body.String(), "<html")
		// A return address elsewhere is not followed.
		rec = spouse.post("/t/"+itoa(e.answered.ID)+"/follow", url.Values{"level": {"normal"}, "return": {"https://example.org/"}})
		if rec.Header().Get("Location") != path+"?done=follow" {
			t.Errorf("follow returned to %s", rec.Header().Get("Location"))
		}
		if rec := spouse.post("/t/"+itoa(e.answered.ID)+"/follow", url.Values{"level": {"loudly"}}); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("an unknown level = %d", rec.Code)
		}
		if rec := e.as(nil).post("/t/"+itoa(e.answered.ID)+"/follow", url.Values{"level": {"watching"}}); rec.Code != http.StatusUnauthorized {
			t.Errorf("a visitor follows: %d", rec.Code)
		}
		if _, err := e.forum.ModerateThread(context.Background(), e.moderator, e.question.ID, forum.ActionHide, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		if rec := spouse.post("/t/"+itoa(e.question.ID)+"/follow", url.Values{"level": {"watching"}}); rec.Code != http.StatusNotFound {
			t.Errorf("following a hidden thread = %d", rec.Code)
		}

		// The following page lists it with its level, and the topics.
		body = spouse.get("/following").Body.String()
		mustContain(t, body, e.answered.Title, "CRAFT", "Boundaries", "Watching: tell me of every new question")
		mustNotContain(t, body, e.question.Title)
		if got := levelShown(t, body); got != "normal" {
			t.Errorf("the following page shows %s", got)
		}
		// A topic, from its page: an expert watches CRAFT.
		coach := e.as(e.coach)
		body = coach.get("/tags/craft").Body.String()
		mustContain(t, body, `action="/tags/craft/follow"`)
		if rec := coach.post("/tags/craft/follow", url.Values{"level": {"watching"}, "return": {"/tags/craft"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("follow a topic = %d", rec.Code)
		}
		body = coach.get("/tags/craft").Body.String()
		if got := levelShown(t, body); got != "watching" {
			t.Errorf("the topic page shows %s", got)
		}
		followFormCarries(t, coach, body)
		body = spouse.get("/tags/craft").Body.String()
		if got := levelShown(t, body); got != "none" {
			t.Errorf("the topic page shows the spouse %s, after the coach followed it", got)
		}
		followFormCarries(t, spouse, body)
		th, err := e.forum.Ask(context.Background(), e.spouse, forum.AskInput{Title: "How do we start CRAFT at home?", Body: "Where to begin", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		e.fanOut()
		if ns := e.notices(e.coach); len(ns) == 0 || ns[0].Kind != model.NotifyNewQuestion || *ns[0].ThreadID != th.ID {
			t.Errorf("the expert watching CRAFT was told %+v", ns)
		}
		mustContain(t, coach.get("/notifications").Body.String(), "quiet_harbor asked a new question in a topic you watch")
	})
}

func TestMentionCompletion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		rec := e.as(e.spouse).get("/members/complete?q=ma")
		if rec.Code != http.StatusOK {
			t.Fatalf("complete = %d", rec.Code)
		}
		var names []string
		if err := json.Unmarshal(rec.Body.Bytes(), &names); err != nil {
			t.Fatal(err)
		}
		if len(names) != 1 || names[0] != "maple_mom" {
			t.Errorf("completions %v", names)
		}
		mustNotContain(t, rec.Body.String(), "example.invalid", "Real ")
		if rec := e.as(nil).get("/members/complete?q=ma"); rec.Code != http.StatusUnauthorized {
			t.Errorf("a visitor's completion = %d", rec.Code)
		}
		// The forms offer completion to the script, and work as text without it.
		mustContain(t, e.as(e.spouse).get(threadPath(e.answered)).Body.String(), `id="reply-body" name="body" rows="7" maxlength="60000" required data-mentions`)
		mustContain(t, e.as(e.spouse).get("/ask").Body.String(), "data-mentions")
	})
}

func TestEmailPreferencesExportAndDeletion(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		e.fanOut()
		c := e.as(e.parent)
		body := c.get("/account").Body.String()
		mustContain(t, body, `name="email_answer" value="now" checked`, `name="email_reply" value="never" checked`, "Name the thread in e-mail")
		form := url.Values{"email_titles": {"on"}}
		for _, k := range []string{"answer", "reply", "mention", "helpful", "new_question", "approved", "post_hidden", "post_restored"} {
			form.Set("email_"+k, "never")
		}
		form.Set("email_reply", "digest")
		rec := c.post("/account/notifications", form)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("save e-mail choices = %d", rec.Code)
		}
		// A browser keeps the #fragment to itself.
		next, _, _ := strings.Cut(rec.Header().Get("Location"), "#")
		body = c.get(next).Body.String()
		mustContain(t, body, "Your e-mail choices are saved.")
		mustContain(t, body, `name="email_reply" value="digest" checked`, `name="email_answer" value="never" checked`, `name="email_titles" checked`)
		form.Set("email_reply", "hourly")
		rec = c.post("/account/notifications", form)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("an unknown choice = %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Choose at once, in a daily digest, or never.")

		var ex forum.Export
		if err := json.Unmarshal(c.get("/account/export").Body.Bytes(), &ex); err != nil {
			t.Fatal(err)
		}
		n := ex.Notifications
		if n.Email["reply"] != "digest" || n.Email["answer"] != "never" || !n.EmailTitles || len(n.Following) != 2 || len(n.Received) != 3 {
			t.Fatalf("export: %+v", n)
		}
		raw := c.get("/account/export").Body.String()
		mustNotContain(t, raw, "actor")

		// The moderator hides one of the parent's posts with a reason, then leaves.
		posts, err := st.PostsByAuthor(ctx, e.parent.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.forum.ModeratePost(ctx, e.moderator, posts[0].ID, forum.ActionHide, "Thistlecombe"); err != nil {
			t.Fatal(err)
		}
		e.fanOut()
		mod := e.as(e.moderator)
		mod.get("/account")
		if rec := mod.post("/account/delete", url.Values{"posts": {"keep"}, "confirm": {"delete"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("the moderator's deletion = %d", rec.Code)
		}
		// The parent keeps the notice, without the moderator's words.
		body = c.get("/notifications").Body.String()
		mustContain(t, body, "A moderator hid your post")
		mustNotContain(t, body, "Thistlecombe")
		var words int
		storetest.Scan(t, st, &words, "SELECT COUNT(*) FROM notify_events WHERE reason LIKE '%Thistlecombe%'")
		if words != 0 {
			t.Errorf("the moderator's reason stays in %d events", words)
		}

		c.get("/account")
		if rec := c.post("/account/delete", url.Values{"posts": {"keep"}, "confirm": {"delete"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("delete = %d", rec.Code)
		}
		for _, table := range []string{"follows", "notifications", "notification_prefs"} {
			var left int
			storetest.Scan(t, st, &left, "SELECT COUNT(*) FROM "+table+" WHERE user_id = ?", e.parent.ID)
			if left != 0 {
				t.Errorf("%d rows of %s stay after the deletion", left, table)
			}
		}
		var personal int
		storetest.Scan(t, st, &personal, "SELECT COUNT(*) FROM notify_events WHERE user_id = ?", e.parent.ID)
		if personal != 0 {
			t.Errorf("%d events about the deleted member stay", personal)
		}
		if u, _ := st.UserByID(ctx, e.parent.ID); u.EmailTitles {
			t.Error("the deleted account keeps its e-mail choice")
		}
	})
}

func TestModeratorsReasonReachesTheAuthor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		posts, err := st.PostsByThread(context.Background(), e.resolved.ID)
		if err != nil {
			t.Fatal(err)
		}
		reply := posts[1] // the spouse's
		mod := e.as(e.moderator)
		body := mod.get(threadPath(e.resolved)).Body.String()
		mustContain(t, body, `name="note" maxlength="300" required placeholder="Reason (required), told to the author"`)
		if rec := mod.post("/p/"+itoa(reply.ID)+"/moderate", url.Values{"action": {"hide"}, "note": {"Please leave out names."}, "confirmed": {"yes"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("hide = %d", rec.Code)
		}
		e.fanOut()
		body = e.as(e.spouse).get("/notifications").Body.String()
		mustContain(t, body, "A moderator hid your post", "The moderator's reason: Please leave out names.")
		mustNotContain(t, body, "river_stone")
	})
}
