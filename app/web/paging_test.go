package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestModerationListsPage: the members, the accounts awaiting approval, the accounts of
// the roles page and the audit log are read a page at a time, with a "Next page" link
// that works without JavaScript, until every row was shown once. (They used to stop at
// 500, 200, 500 and 200 rows, without saying so.)
func TestModerationListsPage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		admin := e.addUser("site_admin", model.RoleAdmin, model.StatusActive)
		base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
		add := func(prefix string, n int, role model.Role) []string {
			var names []string
			for i := 0; i < n; i++ {
				name := fmt.Sprintf("%s%03d", prefix, i)
				// Some accounts share a creation time: the pages still part between them.
				at := base.Add(time.Duration(i/3) * time.Second)
				u := &model.User{Pseudonym: name, Email: name + "@example.invalid", Role: role, Status: model.StatusActive,
					CreatedAt: at, UpdatedAt: at, PseudonymChosenAt: &at}
				if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
					t.Fatal(err)
				}
				names = append(names, name)
			}
			return names
		}
		members := add("fam", 510, model.RoleMember)
		pending := add("wait", 205, model.RolePending)
		gone := add("gone", 2, model.RoleMember)
		for _, name := range gone {
			u, err := st.UserByPseudonym(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			u.Status = model.StatusDeleted
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u, "status") }); err != nil {
				t.Fatal(err)
			}
		}
		for i := 0; i < 205; i++ {
			at := base.Add(time.Duration(i/4) * time.Second)
			if err := st.Tx(ctx, func(tx *store.Tx) error {
				return tx.InsertAudit(ctx, &model.AuditEntry{ActorID: &admin.ID, Action: "test_action", TargetType: "user",
					TargetID: int64(i), Note: fmt.Sprintf("note-%03d.", i), CreatedAt: at})
			}); err != nil {
				t.Fatal(err)
			}
		}

		// walk follows the link named next from start and returns every page's body.
		walk := func(u *model.User, start string, next *regexp.Regexp) []string {
			t.Helper()
			var pages []string
			c := e.as(u)
			for path := start; path != ""; {
				rec := c.get(path)
				if rec.Code != 200 {
					t.Fatalf("GET %s = %d", path, rec.Code)
				}
				body := rec.Body.String()
				pages = append(pages, body)
				path = ""
				if m := next.FindStringSubmatch(body); m != nil {
					path = strings.ReplaceAll(m[1], "&amp;", "&")
				}
				if len(pages) > 20 {
					t.Fatalf("%s: the pages do not end", start)
				}
			}
			return pages
		}
		// count reports how many times each name appears in the pages, as the text of a row.
		count := func(pages []string, names []string, row func(string) string) map[string]int {
			seen := map[string]int{}
			for _, p := range pages {
				for _, n := range names {
					seen[n] += strings.Count(p, row(n))
				}
			}
			return seen
		}
		once := func(what string, seen map[string]int) {
			t.Helper()
			for n, k := range seen {
				if k != 1 {
					t.Errorf("%s: %s shown %d times, want once", what, n, k)
				}
			}
		}

		memberRow := func(n string) string { return `<a href="/u/` + n + `">` + n + `</a>` }
		pages := walk(e.moderator, "/mod/members", regexp.MustCompile(`<a href="([^"]+)">Next page of members</a>`))
		if len(pages) < 6 {
			t.Errorf("members: %d pages, want at least 6", len(pages))
		}
		once("members", count(pages, members, memberRow))
		for n, k := range count(pages, append(gone, pending...), memberRow) {
			if k != 0 {
				t.Errorf("members: %s (deleted or awaiting approval) shown %d times", n, k)
			}
		}

		pendingRow := func(n string) string { return `<strong>` + n + `</strong> <span class="muted">signed up` }
		pages = walk(e.moderator, "/mod/members", regexp.MustCompile(`<a href="([^"]+)">Next page of accounts awaiting approval</a>`))
		if len(pages) != 3 {
			t.Errorf("awaiting approval: %d pages, want 3", len(pages))
		}
		once("awaiting approval", count(pages, pending, pendingRow))

		roleRow := func(n string) string { return `<strong>` + n + `</strong> <span class="badge">` }
		pages = walk(admin, "/admin/users", regexp.MustCompile(`<a href="([^"]+)">Next page</a>`))
		once("roles", count(pages, append(append([]string{}, members...), pending...), roleRow))

		var notes []string
		for i := 0; i < 205; i++ {
			notes = append(notes, fmt.Sprintf("note-%03d.", i))
		}
		pages = walk(e.moderator, "/mod/audit", regexp.MustCompile(`<a href="([^"]+)">Older actions</a>`))
		if len(pages) != 3 {
			t.Errorf("audit log: %d pages, want 3", len(pages))
		}
		once("audit log", count(pages, notes, func(n string) string { return `<span class="audit-note">` + n + "</span>" }))
	})
}
