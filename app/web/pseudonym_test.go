package web_test

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"testing"

	"forum/app/model"
	"forum/app/store"
)

// TestLookAlikeAndStaffNamesAreRefusedBesideTheField chooses names through the pages: a
// name that looks like a member's, or sounds like staff, comes back in the form with a
// clear message beside the field, and nothing changes.
func TestLookAlikeAndStaffNamesAreRefusedBesideTheField(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		newcomer := e.addUser("member-0a1b2c3d4e", model.RolePending, model.StatusActive)
		newcomer.PseudonymChosenAt = nil
		if err := e.st.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, newcomer, "pseudonym_chosen_at") }); err != nil {
			t.Fatal(err)
		}
		c, member := e.as(newcomer), e.as(e.spouse)
		c.get("/welcome/name")
		member.get("/account")
		cases := []struct{ name, message string }{
			{"mаple_mom", "looks almost the same as another member"}, // a Cyrillic а
			{"river.stone", "looks almost the same as another member"},
			{"Kinship_Team", "kept for staff"},
			{"moderator1", "kept for staff"},
		}
		for _, tc := range cases {
			for path, who := range map[string]*client{"/welcome/name": c, "/account/pseudonym": member} {
				rec := who.post(path, url.Values{"pseudonym": {tc.name}})
				if rec.Code != http.StatusUnprocessableEntity {
					t.Fatalf("%s %q = %d, want 422", path, tc.name, rec.Code)
				}
				body := html.UnescapeString(rec.Body.String())
				mustContain(t, body, `id="pseudonym-error"`, tc.message, `value="`+tc.name+`"`)
			}
		}
		if u, _ := e.st.UserByID(ctx, newcomer.ID); u.Pseudonym != "member-0a1b2c3d4e" || u.PseudonymChosenAt != nil {
			t.Fatalf("a refused name changed the account: %q", u.Pseudonym)
		}
		if u, _ := e.st.UserByID(ctx, e.spouse.ID); u.Pseudonym != "quiet_harbor" {
			t.Fatalf("a refused name changed the account: %q", u.Pseudonym)
		}
		if rec := c.post("/welcome/name", url.Values{"pseudonym": {"harbor_light"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("a fine name = %d", rec.Code)
		}
		if u, _ := e.st.UserByID(ctx, newcomer.ID); u.Pseudonym != "harbor_light" {
			t.Fatalf("pseudonym = %q", u.Pseudonym)
		}
		// The moderator persona may keep a staff-like name.
		m := e.as(e.moderator)
		m.get("/account")
		if rec := m.post("/account/pseudonym", url.Values{"pseudonym": {"Kinship_Team"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("moderator takes a staff name = %d", rec.Code)
		}
	})
}
