package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

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
	if err := e.st.InsertUser(context.Background(), e.st.DB, u); err != nil {
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
			}, url.Values{"action": {"suspend"}},
				want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": see, "admin": see, "suspended": unauth}},
			{"set role", func() string {
				return "/admin/users/" + itoa(e.addUser("role_"+strconv.Itoa(int(time.Now().UnixNano()%1e9)), model.RoleMember, model.StatusActive).ID) + "/role"
			}, url.Values{"role": {"expert"}, "credential": {"Family therapist"}},
				want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": forbidden, "admin": see, "suspended": unauth}},
			{"invite", func() string { return "/admin/invites" }, url.Values{"max_uses": {"1"}, "days": {"7"}},
				want{"visitor": unauth, "pending": forbidden, "member": forbidden, "expert": forbidden, "moderator": forbidden, "admin": ok, "suspended": unauth}},
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
