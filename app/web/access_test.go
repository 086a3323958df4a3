package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// routePath fills a route's parameters with plausible values.
func routePath(path string, id int64) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		switch {
		case strings.HasPrefix(p, ":"):
			parts[i] = strconv.FormatInt(id, 10)
		case p == "*":
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}

// TestEveryStateChangeNeedsCSRF walks every registered route that changes state and
// proves it answers 403 without a CSRF token, even for a signed-in admin.
func TestEveryStateChangeNeedsCSRF(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	admin := e.addUser("site_admin", model.RoleAdmin, model.StatusActive)
	routes := e.srv.Echo().Routes()
	checked := 0
	for _, r := range routes {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions, "echo_route_not_found":
			continue
		}
		if r.Path == "/unsubscribe/:token" {
			// The one exception: mail clients post there without a session (RFC 8058); the
			// signed token is its authority (TestOneClickUnsubscribe).
			continue
		}
		checked++
		c := e.as(admin)
		c.get("/") // the browser holds its CSRF cookie
		path := routePath(r.Path, e.parent.ID)
		rec := c.postWithoutCSRF(path, url.Values{"decision": {"approve"}, "role": {"member"}, "pseudonym": {"changed_name"}})
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s %s without CSRF token = %d, want 403", r.Method, path, rec.Code)
		}
		// A token for another browser's cookie is refused too.
		other := e.as(admin)
		other.get("/")
		rec = c.do(r.Method, path, strings.NewReader(url.Values{"_csrf": {other.csrf + "x"}}.Encode()))
		if rec.Code != http.StatusForbidden {
			t.Errorf("%s %s with a wrong CSRF token = %d, want 403", r.Method, path, rec.Code)
		}
	}
	if checked < 10 {
		t.Fatalf("only %d state-changing routes found", checked)
	}
	// Nothing changed.
	if u, _ := e.st.UserByID(context.Background(), e.parent.ID); u.Pseudonym != "maple_mom" {
		t.Fatalf("a request without CSRF token changed the pseudonym to %q", u.Pseudonym)
	}
}

// addUser writes a user with a chosen pseudonym.
func (e *env) addUser(name string, role model.Role, status model.Status) *model.User {
	e.t.Helper()
	now := time.Now().UTC()
	u := &model.User{Pseudonym: name, Email: name + "@example.invalid", Role: role, Status: status,
		CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
	if role == model.RoleExpert {
		u.Credential = "Licensed addiction counselor"
	}
	if err := e.st.Tx(context.Background(), func(tx *store.Tx) error { return tx.InsertUser(context.Background(), u) }); err != nil {
		e.t.Fatal(err)
	}
	return u
}

// TestRoleMatrix checks, through HTTP, what each kind of person may see and do.
func TestRoleMatrix(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		people := map[string]*model.User{
			"visitor":   nil,
			"pending":   e.addUser("waiting_one", model.RolePending, model.StatusActive),
			"member":    e.parent,
			"expert":    e.coach,
			"moderator": e.moderator,
			"admin":     e.addUser("site_admin", model.RoleAdmin, model.StatusActive),
			"suspended": e.addUser("paused_one", model.RoleMember, model.StatusSuspended),
		}
		type want map[string]int
		const ok, see, unauth, forbidden, notFound = 200, 303, 401, 403, 404
		gets := []struct {
			path string
			want want
		}{
			{threadPath(e.resolved), want{"visitor": unauth, "pending": see, "member": ok, "expert": ok, "moderator": ok, "admin": ok, "suspended": unauth}},
			{"/u/maple_mom", want{"visitor": unauth, "pending": notFound, "member": ok, "expert": ok, "moderator": ok, "admin": ok, "suspended": unauth}},
			{"/account", want{"visitor": unauth, "pending": ok, "member": ok, "expert": ok, "moderator": ok, "admin": ok, "suspended": unauth}},
			{"/mod/members", want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": ok, "admin": ok, "suspended": unauth}},
			{"/mod/audit", want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": ok, "admin": ok, "suspended": unauth}},
			{"/admin/users", want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": forbidden, "admin": ok, "suspended": unauth}},
			{"/admin/invites", want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": forbidden, "admin": ok, "suspended": unauth}},
			{"/welcome", want{"visitor": see, "pending": ok, "member": see, "expert": see, "moderator": see, "admin": see, "suspended": see}},
			{"/unanswered?tag=craft", want{"visitor": unauth, "pending": see, "member": ok, "expert": ok, "moderator": ok, "admin": ok, "suspended": unauth}},
			{"/account/deleted", want{"visitor": ok, "pending": see, "member": see, "expert": see, "moderator": see, "admin": see, "suspended": ok}},
		}
		for _, g := range gets {
			for role, u := range people {
				rec := e.as(u).get(g.path)
				if rec.Code != g.want[role] {
					t.Errorf("%s GET %s = %d, want %d", role, g.path, rec.Code, g.want[role])
				}
			}
		}
		// Home: members see the threads, everyone else sees none of them.
		for role, u := range people {
			body := e.as(u).get("/").Body.String()
			has := strings.Contains(body, e.resolved.Title)
			if member := role == "member" || role == "expert" || role == "moderator" || role == "admin"; has != member {
				t.Errorf("%s home shows threads = %v", role, has)
			}
		}

		// Writes: approving a pending account, suspending a member, setting a role, inviting.
		writes := []struct {
			name string
			path func() string
			form url.Values
			want want
		}{
			{"approve", func() string {
				return "/mod/members/" + itoa(e.addUser("applicant_"+strconv.Itoa(int(time.Now().UnixNano()%1e9)), model.RolePending, model.StatusActive).ID) + "/decide"
			}, url.Values{"decision": {"approve"}},
				want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": see, "admin": see, "suspended": unauth}},
			{"suspend", func() string {
				return "/mod/members/" + itoa(e.addUser("target_"+strconv.Itoa(int(time.Now().UnixNano()%1e9)), model.RoleMember, model.StatusActive).ID) + "/suspend"
			}, url.Values{"action": {"suspend"}, "note": {"Threats"}, "confirmed": {"yes"}},
				want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": see, "admin": see, "suspended": unauth}},
			{"set role", func() string {
				return "/admin/users/" + itoa(e.addUser("role_"+strconv.Itoa(int(time.Now().UnixNano()%1e9)), model.RoleMember, model.StatusActive).ID) + "/role"
			}, url.Values{"role": {"expert"}, "credential": {"Family therapist"}},
				want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": forbidden, "admin": see, "suspended": unauth}},
			{"invite", func() string { return "/admin/invites" }, url.Values{"max_uses": {"1"}, "days": {"7"}},
				want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": forbidden, "admin": ok, "suspended": unauth}},
			// Only a person awaiting approval tells the moderators what brings them; a member
			// (approved while writing) is sent home.
			{"say what brings them", func() string { return "/welcome/reason" }, url.Values{"join_reason": {"My brother."}},
				want{"visitor": unauth, "pending": see, "member": see, "expert": see, "moderator": see, "admin": see, "suspended": unauth}},
		}
		for _, w := range writes {
			for role, u := range people {
				rec := e.as(u).post(w.path(), w.form)
				if rec.Code != w.want[role] {
					t.Errorf("%s %s = %d, want %d", role, w.name, rec.Code, w.want[role])
				}
			}
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestVisitorsSeeNoMembersContent requests every page, whole and as an htmx fragment,
// as a visitor, and finds none of the members' words.
func TestVisitorsSeeNoMembersContent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		secrets := []string{e.question.Title, e.answered.Title, e.resolved.Title, "He gets defensive", "walking on eggshells",
			"Pick a calm moment", "maple_mom", "quiet_harbor", "coach_dana"}
		visitor := e.as(nil)
		pending := e.as(e.addUser("waiting_one", model.RolePending, model.StatusActive))
		for _, r := range e.srv.Echo().Routes() {
			if r.Method != http.MethodGet || strings.HasPrefix(r.Path, "/static") {
				continue
			}
			for _, id := range []int64{e.question.ID, e.resolved.ID, e.parent.ID} {
				path := routePath(r.Path, id)
				if strings.HasPrefix(r.Path, "/u/") {
					path = "/u/maple_mom"
				}
				for _, c := range []*client{visitor, pending} {
					for _, h := range [][]string{nil, {"HX-Request", "true"}} {
						rec := c.get(path, h...)
						// The sign-in link carries the path the visitor asked for, to
						// bring them back after signing in: that echo tells them nothing.
						body := strings.ReplaceAll(rec.Body.String(), "next="+url.QueryEscape(path), "")
						for _, s := range secrets {
							if strings.Contains(body, s) {
								t.Errorf("GET %s %v (status %d) shows %q to a non-member", path, h, rec.Code, s)
							}
						}
					}
				}
			}
		}
	})
}

// TestRoleMatrixThreadActions checks, through HTTP, who may publish and take back, mark and
// unmark the helpful reply, read the history of edited posts, hide posts and reinstate
// accounts, and which navigation each person is offered. Every write acts on content
// made for it, so that each person meets the same state.
func TestRoleMatrixThreadActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		people := map[string]*model.User{
			"visitor":   nil,
			"pending":   e.addUser("waiting_one", model.RolePending, model.StatusActive),
			"member":    e.parent, // the asker of every question below
			"expert":    e.coach,
			"moderator": e.moderator,
			"admin":     e.addUser("site_admin", model.RoleAdmin, model.StatusActive),
			"suspended": e.addUser("paused_one", model.RoleMember, model.StatusSuspended),
		}
		n := 0
		ask := func(consent bool) *model.Thread {
			n++
			th, err := e.forum.Ask(ctx, e.parent, forum.AskInput{Title: "How do we talk about treatment " + strconv.Itoa(n),
				Body: "Our son says he is fine.", Tags: []string{"craft"}, PublishConsent: consent})
			if err != nil {
				t.Fatal(err)
			}
			return th
		}
		reply := func(u *model.User, th *model.Thread) *model.Post {
			p, err := e.forum.Reply(ctx, u, th.ID, forum.ReplyInput{Body: "Start with what you have noticed."})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		answered := func() *model.Thread { th := ask(true); reply(e.coach, th); return th }
		published := func() *model.Thread {
			th := answered()
			must(e.forum.Publish(ctx, e.coach, th.ID, true))
			return th
		}
		edited := func(hidden bool) *model.Post {
			p := reply(e.spouse, ask(false))
			_, _, err := e.forum.EditPost(ctx, e.spouse, p.ID, forum.EditInput{Body: "Start with what you have seen."})
			must(err)
			if hidden {
				_, err = e.forum.ModeratePost(ctx, e.moderator, p.ID, forum.ActionHide, "a moderator's reason")
				must(err)
			}
			return p
		}
		type want map[string]int
		const ok, see, unauth, forbidden, notFound, conflict = 200, 303, 401, 403, 404, 409
		writes := []struct {
			name string
			path func() (string, url.Values)
			want want
		}{
			{"publish", func() (string, url.Values) { return "/t/" + itoa(answered().ID) + "/publish", nil },
				want{"visitor": notFound, "pending": notFound, "member": forbidden, "expert": see, "moderator": see, "admin": see, "suspended": notFound}},
			{"unpublish", func() (string, url.Values) {
				return "/t/" + itoa(published().ID) + "/publish", url.Values{"unpublish": {"1"}}
			}, want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": see, "moderator": see, "admin": see, "suspended": unauth}},
			{"mark helpful", func() (string, url.Values) {
				th := ask(false)
				return "/t/" + itoa(th.ID) + "/helpful", url.Values{"post": {itoa(reply(e.spouse, th).ID)}}
			}, want{"visitor": notFound, "pending": notFound, "member": see, "expert": forbidden, "moderator": see, "admin": see, "suspended": notFound}},
			{"unmark helpful", func() (string, url.Values) {
				th := ask(false)
				must(e.forum.MarkHelpful(ctx, e.parent, th.ID, reply(e.spouse, th).ID))
				return "/t/" + itoa(th.ID) + "/helpful", url.Values{"unmark": {"1"}}
			}, want{"visitor": notFound, "pending": notFound, "member": see, "expert": forbidden, "moderator": see, "admin": see, "suspended": notFound}},
			{"hide a post", func() (string, url.Values) {
				return "/p/" + itoa(reply(e.spouse, ask(false)).ID) + "/moderate", url.Values{"action": {"hide"}, "note": {"Off topic"}, "confirmed": {"yes"}}
			}, want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": see, "admin": see, "suspended": unauth}},
			{"reinstate a suspended member", func() (string, url.Values) {
				u := e.addUser("paused_"+strconv.Itoa(int(time.Now().UnixNano()%1e9)), model.RoleMember, model.StatusSuspended)
				return "/mod/members/" + itoa(u.ID) + "/suspend", url.Values{"action": {"unsuspend"}, "note": {"Served the time"}}
			}, want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": see, "admin": see, "suspended": unauth}},
			{"suspend a suspended member again", func() (string, url.Values) {
				u := e.addUser("paused_"+strconv.Itoa(int(time.Now().UnixNano()%1e9)), model.RoleMember, model.StatusSuspended)
				return "/mod/members/" + itoa(u.ID) + "/suspend", url.Values{"action": {"suspend"}}
			}, want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": conflict, "admin": conflict, "suspended": unauth}},
			{"reinstate a declined account", func() (string, url.Values) {
				u := e.addUser("declined_"+strconv.Itoa(int(time.Now().UnixNano()%1e9)), model.RolePending, model.StatusDeclined)
				return "/mod/members/" + itoa(u.ID) + "/suspend", url.Values{"action": {"unsuspend"}}
			}, want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": forbidden, "admin": forbidden, "suspended": unauth}},
		}
		for _, w := range writes {
			for role, u := range people {
				path, form := w.path()
				if rec := e.as(u).post(path, form); rec.Code != w.want[role] {
					t.Errorf("%s %s = %d, want %d", role, w.name, rec.Code, w.want[role])
				}
			}
		}

		history, hiddenHistory := edited(false), edited(true)
		gets := []struct {
			path string
			want want
		}{
			{"/p/" + itoa(history.ID) + "/history",
				want{"visitor": unauth, "pending": forbidden, "member": ok, "expert": ok, "moderator": ok, "admin": ok, "suspended": unauth}},
			{"/p/" + itoa(hiddenHistory.ID) + "/history",
				want{"visitor": unauth, "pending": forbidden, "member": notFound, "expert": notFound, "moderator": ok, "admin": ok, "suspended": unauth}},
		}
		for _, g := range gets {
			for role, u := range people {
				if rec := e.as(u).get(g.path); rec.Code != g.want[role] {
					t.Errorf("%s GET %s = %d, want %d", role, g.path, rec.Code, g.want[role])
				}
			}
		}

		// Quoting is offered to whoever may reply (the others do not see the thread).
		quoteLink := "?quote=" + itoa(e.helpfulPost.ID)
		for role, u := range people {
			body := e.as(u).get(threadPath(e.resolved)).Body.String()
			if has, want := strings.Contains(body, quoteLink), slices.Contains([]string{"member", "expert", "moderator", "admin"}, role); has != want {
				t.Errorf("%s is offered to quote = %v, want %v", role, has, want)
			}
		}

		// The navigation offers each person what they may open.
		links := map[string][]string{
			`href="/mine"`:        {"member", "expert", "moderator", "admin"},
			`href="/unanswered"`:  {"expert", "moderator", "admin"},
			`href="/mod/members"`: {"moderator", "admin"},
			`href="/admin/users"`: {"admin"},
		}
		for link, who := range links {
			for role, u := range people {
				body := e.as(u).get("/crisis").Body.String()
				if has, want := strings.Contains(body, link), slices.Contains(who, role); has != want {
					t.Errorf("%s sees %s in the navigation = %v, want %v", role, link, has, want)
				}
			}
		}
	})
}

// TestDeclinedAccountStaysDeclined: "Reinstate" lifts a suspension only. A declined account
// reinstated would be an active account awaiting approval, which an old invite link could
// then make a member.
func TestDeclinedAccountStaysDeclined(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		declined := e.addUser("turned_away", model.RolePending, model.StatusDeclined)
		for _, action := range []string{"unsuspend", "suspend"} {
			rec := e.as(e.moderator).post("/mod/members/"+itoa(declined.ID)+"/suspend", url.Values{"action": {action}})
			if rec.Code != http.StatusForbidden {
				t.Errorf("%s a declined account = %d, want 403", action, rec.Code)
			}
		}
		if u, err := e.st.UserByID(context.Background(), declined.ID); err != nil || u.Status != model.StatusDeclined {
			t.Fatalf("the declined account is now %v (%v)", u.Status, err)
		}
	})
}

// TestHistoryLinkOnlyWhereHistoryOpens: the "edited" mark links to a post's earlier
// versions only for readers whom that page then shows them: not on a post its author
// deleted, and on a hidden post for moderators only.
func TestHistoryLinkOnlyWhereHistoryOpens(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		posts := map[string]*model.Post{}
		for _, name := range []string{"shown", "hidden", "deleted"} {
			p, err := e.forum.Reply(ctx, e.spouse, e.question.ID, forum.ReplyInput{Body: "What helped us was patience."})
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.forum.EditPost(ctx, e.spouse, p.ID, forum.EditInput{Body: "What helped us was time."}); err != nil {
				t.Fatal(err)
			}
			posts[name] = p
		}
		if _, err := e.forum.ModeratePost(ctx, e.moderator, posts["hidden"].ID, forum.ActionHide, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.forum.DeletePost(ctx, e.spouse, posts["deleted"].ID); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			viewer *model.User
			links  map[string]bool
		}{
			{e.parent, map[string]bool{"shown": true, "hidden": false, "deleted": false}},
			{e.coach, map[string]bool{"shown": true, "hidden": false, "deleted": false}},
			{e.moderator, map[string]bool{"shown": true, "hidden": true, "deleted": false}},
		} {
			c := e.as(tc.viewer)
			body := c.get(threadPath(e.question)).Body.String()
			for name, want := range tc.links {
				link := "/p/" + itoa(posts[name].ID) + "/history"
				if has := strings.Contains(body, link); has != want {
					t.Errorf("%s sees the history link of the %s post = %v, want %v", tc.viewer.Pseudonym, name, has, want)
				}
				if has := strings.Contains(body, link); has {
					if code := c.get(link).Code; code != http.StatusOK {
						t.Errorf("%s follows the history link of the %s post: %d", tc.viewer.Pseudonym, name, code)
					}
				}
			}
		}
	})
}

// TestBadIDsAreNotFound walks every route with an :id and asks it, as an admin, for ids
// that name nothing: each answers 404, the page of an id that does not exist.
func TestBadIDsAreNotFound(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	admin := e.as(e.addUser("site_admin", model.RoleAdmin, model.StatusActive))
	checked := 0
	for _, r := range e.srv.Echo().Routes() {
		if !strings.Contains(r.Path, ":id") || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			continue
		}
		checked++
		for _, bad := range []string{"abc", "0", "-3", "1e3", "99999999999999999999"} {
			path := strings.ReplaceAll(r.Path, ":id", bad)
			path = strings.ReplaceAll(path, ":slug", "x")
			var rec *httptest.ResponseRecorder
			if r.Method == http.MethodGet {
				rec = admin.get(path)
			} else {
				rec = admin.post(path, url.Values{"action": {"hide"}, "decision": {"approve"}, "role": {"member"}, "body": {"Some words."}})
			}
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %s = %d, want 404", r.Method, path, rec.Code)
			}
		}
	}
	if checked < 15 {
		t.Fatalf("only %d routes with an id found", checked)
	}
}
