package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

func TestPseudonymRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.spouse)
		c.get("/account")
		cases := []struct{ name, want string }{
			{"", "Choose a name"},
			{"ab", "3 to 30"},
			{"has space", "3 to 30"},
			{"MAPLE_MOM", "taken"},
			{"Moderator", "kept for staff"},
			{"Anonymous", "reserved"},
			{"member-123", "reserved"},
			{strings.Repeat("x", 31), "3 to 30"},
		}
		for _, tc := range cases {
			rec := c.post("/account/pseudonym", url.Values{"pseudonym": {tc.name}})
			if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("pseudonym %q = %d, want 422 with %q", tc.name, rec.Code, tc.want)
			}
			// The rejected name comes back in the form.
			if tc.name != "" && !strings.Contains(rec.Body.String(), `value="`+tc.name+`"`) {
				t.Errorf("pseudonym %q not kept in the form", tc.name)
			}
		}
		if rec := c.post("/account/pseudonym", url.Values{"pseudonym": {"Still_Water"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("valid pseudonym = %d", rec.Code)
		}
		if u, _ := st.UserByPseudonym(context.Background(), "still_water"); u == nil || u.ID != e.spouse.ID {
			t.Fatal("pseudonym not saved")
		}
	})
}

func TestSessionsListAndRevoke(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		laptop, phone := e.as(e.parent), e.as(e.parent)
		page := laptop.get("/account").Body.String()
		if n := strings.Count(page, "/revoke"); n != 2 {
			t.Fatalf("account page lists %d sessions, want 2", n)
		}
		mustContain(t, page, "This browser")
		// Revoke the phone's session from the laptop.
		ids := regexp.MustCompile(`/account/sessions/(\d+)/revoke`).FindAllStringSubmatch(page, -1)
		cur := currentSessionID(t, st, laptop)
		for _, m := range ids {
			if m[1] != cur {
				if rec := laptop.post("/account/sessions/"+m[1]+"/revoke", nil); rec.Code != http.StatusSeeOther {
					t.Fatalf("revoke = %d", rec.Code)
				}
			}
		}
		if rec := phone.get(threadPath(e.resolved)); rec.Code != http.StatusUnauthorized {
			t.Fatalf("revoked phone session = %d, want 401", rec.Code)
		}
		if rec := laptop.get(threadPath(e.resolved)); rec.Code != http.StatusOK {
			t.Fatalf("laptop session = %d", rec.Code)
		}
		// Someone else's session cannot be revoked.
		other := e.as(e.spouse)
		if rec := other.post("/account/sessions/"+cur+"/revoke", nil); rec.Code != http.StatusNotFound {
			t.Fatalf("revoking another member's session = %d, want 404", rec.Code)
		}
	})
}

func currentSessionID(t *testing.T, st *store.Store, c *client) string {
	t.Helper()
	_, sess, err := auth.NewSessions(st).Lookup(context.Background(), c.cookies[auth.CookieName])
	if err != nil {
		t.Fatal(err)
	}
	return itoa(sess.ID)
}

func TestSuspensionSignsOutEverywhere(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		a, b := e.as(e.spouse), e.as(e.spouse)
		mod := e.as(e.moderator)
		mod.get("/mod/members")
		if rec := mod.post("/mod/members/"+itoa(e.spouse.ID)+"/suspend", url.Values{"action": {"suspend"}, "note": {"Threats"}, "confirmed": {"yes"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("suspend = %d", rec.Code)
		}
		for _, c := range []*client{a, b} {
			if rec := c.get(threadPath(e.resolved)); rec.Code != http.StatusUnauthorized {
				t.Fatalf("suspended member's session = %d, want 401", rec.Code)
			}
		}
		// A moderator cannot suspend an admin or another moderator.
		if rec := mod.post("/mod/members/"+itoa(e.moderator.ID)+"/suspend", url.Values{"action": {"suspend"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("self-suspension = %d, want 403", rec.Code)
		}
		entries, _ := st.AuditLog(context.Background(), store.AuditQuery{Limit: 10})
		if len(entries) == 0 || entries[0].Action != "suspend" || *entries[0].ActorID != e.moderator.ID {
			t.Fatalf("audit log lacks the suspension: %+v", entries)
		}
	})
}

func TestInviteMakesAMemberAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOIDCEnv(t, st, true)
		admin := o.addUser("site_admin", model.RoleAdmin, model.StatusActive)
		a := o.as(admin)
		a.get("/admin/invites")
		rec := a.post("/admin/invites", url.Values{"max_uses": {"1"}, "days": {"7"}, "note": {"for my sister"}})
		m := regexp.MustCompile(`/join/([A-Za-z0-9_-]+)`).FindStringSubmatch(rec.Body.String())
		if rec.Code != http.StatusOK || m == nil {
			t.Fatalf("create invite = %d, no link", rec.Code)
		}
		code := m[1]
		// Bad input is explained beside the field.
		if rec := a.post("/admin/invites", url.Values{"max_uses": {"0"}, "days": {"400"}}); rec.Code != http.StatusUnprocessableEntity ||
			!strings.Contains(rec.Body.String(), "1 to 500 times") || !strings.Contains(rec.Body.String(), "1 to 90 days") {
			t.Fatalf("bad invite = %d", rec.Code)
		}

		c := browserClient(t)
		resp, page := fetch(t, c, http.MethodGet, o.base+"/join/"+code, nil)
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, `action="/join/`+code+`"`) {
			t.Fatalf("invite page = %d, without its form", resp.StatusCode)
		}
		resp, _ = fetch(t, c, http.MethodPost, o.base+"/join/"+code, url.Values{"_csrf": {csrfOf(t, page)}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
			t.Fatalf("join = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page = fetch(t, c, http.MethodGet, o.base+"/login", nil)
		mustContain(t, page, "Your invite is ready")
		fetch(t, c, http.MethodGet, o.beginSignIn(t, c, "sister", "sister@example.org"), nil)
		id, err := st.IdentityByIssuerSubject(context.Background(), o.oidc.Issuer(), "sister")
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := st.UserByID(context.Background(), id.UserID); u.Role != model.RoleMember {
			t.Fatalf("invited account role = %s, want member", u.Role)
		}
		// The single-use invite is used up.
		resp, page = fetch(t, browserClient(t), http.MethodGet, o.base+"/join/"+code, nil)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "no longer valid") {
			t.Fatalf("used invite = %d", resp.StatusCode)
		}
		if resp, _ := fetch(t, browserClient(t), http.MethodGet, o.base+"/join/not-a-code", nil); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("unknown invite = %d", resp.StatusCode)
		}
		// A pending member who is already signed in accepts an invite: a member at once.
		rec = a.post("/admin/invites", url.Values{"max_uses": {"3"}, "days": {"1"}})
		code2 := regexp.MustCompile(`/join/([A-Za-z0-9_-]+)`).FindStringSubmatch(rec.Body.String())[1]
		waiting := o.addUser("still_waiting", model.RolePending, model.StatusActive)
		w := o.as(waiting)
		w.get("/join/" + code2)
		if rec := w.post("/join/"+code2, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
			t.Fatalf("signed-in pending accepts an invite = %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		if u, _ := st.UserByID(context.Background(), waiting.ID); u.Role != model.RoleMember {
			t.Fatalf("role after the invite = %s", u.Role)
		}
	})
}

func TestExportAndDeleteAccount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		c := e.as(e.parent)
		rec := c.get("/account/export")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Disposition"), "attachment") {
			t.Fatalf("export = %d", rec.Code)
		}
		var ex forum.Export
		if err := json.Unmarshal(rec.Body.Bytes(), &ex); err != nil {
			t.Fatal(err)
		}
		if ex.Account.Email != "maple_mom@example.invalid" || len(ex.Threads) != 2 || len(ex.Posts) != 2 || len(ex.Sessions) != 1 {
			t.Fatalf("export = %+v", ex)
		}

		// Deleting needs a choice and a confirmation; the form says so.
		if rec := c.post("/account/delete", url.Values{"posts": {"keep"}}); rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("delete without confirmation = %d", rec.Code)
		}
		rec = deleteAccount(t, c, "keep")
		if rec.Code != http.StatusOK {
			t.Fatalf("delete = %d", rec.Code)
		}
		// The goodbye page is a visitor's, and its token serves the visitor the browser became.
		mustNotContain(t, rec.Body.String(), "Sign out")
		if rec := c.post("/logout", nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("a form on the goodbye page = %d", rec.Code)
		}
		if rec := c.get("/account"); rec.Code != http.StatusUnauthorized {
			t.Fatalf("deleted account still signed in: %d", rec.Code)
		}
		u, _ := st.UserByID(ctx, e.parent.ID)
		if u.Status != model.StatusDeleted || u.Email != "" || u.Pseudonym == "maple_mom" {
			t.Fatalf("deleted user = %+v", u)
		}
		// Kept posts are shown as a former member's.
		body := e.as(e.spouse).get(threadPath(e.resolved)).Body.String()
		mustContain(t, body, "A former member", "He gets defensive")
		mustNotContain(t, body, "maple_mom")

		// Removing posts empties them.
		c2 := e.as(e.coach)
		c2.get("/account")
		if rec := deleteAccount(t, c2, "remove"); rec.Code != http.StatusOK {
			t.Fatalf("delete with removal = %d", rec.Code)
		}
		body = e.as(e.spouse).get(threadPath(e.resolved)).Body.String()
		mustNotContain(t, body, "Pick a calm moment", "Medication for opioid")
	})
}

// TestAuditLogNamesAFormerMember: after an expert deletes their account, the audit log
// keeps their actions, names them "A former member" and keeps none of their words.
func TestAuditLogNamesAFormerMember(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		if err := e.forum.LinkThreads(context.Background(), e.coach, e.question.ID, e.answered.ID, "Wrenfallow explains this"); err != nil {
			t.Fatal(err)
		}
		mod := e.as(e.moderator)
		mustContain(t, mod.get("/mod/audit").Body.String(), "coach_dana", "Wrenfallow")
		c := e.as(e.coach)
		c.get("/account")
		if rec := deleteAccount(t, c, "keep"); rec.Code != http.StatusOK {
			t.Fatalf("delete = %d", rec.Code)
		}
		rec := mod.get("/mod/audit")
		if rec.Code != http.StatusOK {
			t.Fatalf("audit log = %d", rec.Code)
		}
		body := rec.Body.String()
		mustContain(t, body, "A former member linked <a href=\""+threadPath(e.question)+"\"><em>", "#"+itoa(e.answered.ID))
		mustNotContain(t, body, "coach_dana", "former member #", "Wrenfallow")
	})
}

// TestDeleteAccountWhileTheJournalIsBusy: a reader holds the SQLite write-ahead log, so
// the checkpoint after the deletion cannot empty it. The account is deleted all the same,
// the member is told so, and the server logs that the log still holds the old text.
func TestDeleteAccountWhileTheJournalIsBusy(t *testing.T) {
	ctx := context.Background()
	driver, dsn, path := storetest.DSN(t, config.DriverSQLite)
	// A short busy timeout, so that the checkpoint gives up quickly.
	dsn = strings.Replace(dsn, "busy_timeout%2810000%29", "busy_timeout%28200%29", 1)
	st, err := store.Open(ctx, driver, dsn, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, st)
	c := e.as(e.parent)
	c.get("/account")

	release := storetest.HoldReader(t, st)

	rec := deleteAccount(t, c, "remove")
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Your account is deleted") {
		t.Fatalf("delete while the journal is busy = %d", rec.Code)
	}
	if u, _ := st.UserByID(ctx, e.parent.ID); u.Status != model.StatusDeleted {
		t.Fatalf("account is %s", u.Status)
	}
	mustContain(t, e.logs(), "write-ahead log not emptied yet")
	release()
	if err := st.Checkpoint(ctx); err != nil {
		t.Fatalf("checkpoint once the reader is gone: %v", err)
	}
}

func TestSignInIsRateLimited(t *testing.T) {
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	c := e.as(nil)
	limited := false
	for i := 0; i < 30; i++ {
		if rec := c.get("/auth/nosuch"); rec.Code == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Fatal("30 quick sign-in requests were never limited")
	}
}

// deleteAccount deletes c's account, keeping or removing its posts, as a browser does: the
// form posts, the answer sends the browser to the goodbye page, which it then loads. It
// returns that page.
func deleteAccount(t *testing.T, c *client, posts string) *httptest.ResponseRecorder {
	t.Helper()
	rec := c.post("/account/delete", url.Values{"posts": {posts}, "confirm": {"delete"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/account/deleted" {
		t.Fatalf("delete = %d to %q, want 303 to /account/deleted", rec.Code, rec.Header().Get("Location"))
	}
	return c.get("/account/deleted")
}
