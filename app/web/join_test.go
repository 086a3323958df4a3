package web_test

import (
	"context"
	"net/http"
	"testing"

	"forum/app/forum"
	"forum/app/model"
)

// TestJoinIsAPostAndOnlyForNewcomers checks that opening an invite link changes nothing,
// that accepting it is a POST, and that it makes a member only of someone who never was:
// a member demoted to pending, or a current member, gets a calm page and no change.
func TestJoinIsAPostAndOnlyForNewcomers(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		admin := e.addUser("site_admin", model.RoleAdmin, model.StatusActive)
		code, invite, err := e.forum.CreateInvite(ctx, admin, forum.InviteInput{MaxUses: 10, Days: 7})
		if err != nil {
			t.Fatal(err)
		}
		path, form := "/join/"+code, `<form method="post" action="/join/`+code+`"`
		used := func() int {
			t.Helper()
			invites, err := e.st.Invites(ctx, 1)
			if err != nil || len(invites) != 1 {
				t.Fatalf("invites: %v", err)
			}
			return invites[0].UsedCount
		}
		roleOf := func(u *model.User) model.Role {
			t.Helper()
			fresh, err := e.st.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return fresh.Role
		}

		// A newcomer opens the link: a page with a form, and nothing changes.
		newcomer := e.addUser("new_here", model.RolePending, model.StatusActive)
		nc := e.as(newcomer)
		mustContain(t, nc.get("/welcome").Body.String(), "invite link")
		rec := nc.get(path)
		if rec.Code != http.StatusOK {
			t.Fatalf("newcomer opens the invite = %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), form, "Accept the invite and join")
		if roleOf(newcomer) != model.RolePending || used() != 0 {
			t.Fatalf("opening the link changed the account (%s) or the invite (%d uses)", roleOf(newcomer), used())
		}
		// Accepting is a POST with the page's token.
		if rec := nc.post(path, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
			t.Fatalf("newcomer accepts = %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		if roleOf(newcomer) != model.RoleMember || used() != 1 {
			t.Fatalf("after accepting: %s, %d uses", roleOf(newcomer), used())
		}

		// A member demoted to pending reopens the link: a calm page, no form, no change.
		demoted := e.addUser("was_a_member", model.RolePending, model.StatusActive)
		if err := e.forum.SetRole(ctx, admin, demoted.ID, model.RoleMember, ""); err != nil {
			t.Fatal(err)
		}
		if err := e.forum.SetRole(ctx, admin, demoted.ID, model.RolePending, ""); err != nil {
			t.Fatal(err)
		}
		d := e.as(demoted)
		mustNotContain(t, d.get("/welcome").Body.String(), "invite link")
		rec = d.get(path)
		if rec.Code != http.StatusOK {
			t.Fatalf("demoted member opens the invite = %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "This invite does not change your account", "Nothing was changed")
		mustNotContain(t, rec.Body.String(), form)
		rec = d.post(path, nil)
		if rec.Code != http.StatusConflict {
			t.Fatalf("demoted member posts the invite = %d, want 409", rec.Code)
		}
		mustContain(t, rec.Body.String(), "This invite does not change your account")
		if roleOf(demoted) != model.RolePending || used() != 1 {
			t.Fatalf("the invite re-promoted a demoted member: %s, %d uses", roleOf(demoted), used())
		}

		// A current member: told so, nothing used.
		m := e.as(e.parent)
		mustContain(t, m.get(path).Body.String(), "You are already a member")
		if rec := m.post(path, nil); rec.Code != http.StatusConflict || roleOf(e.parent) != model.RoleMember || used() != 1 {
			t.Fatalf("member posts the invite = %d, %d uses", rec.Code, used())
		}

		// A visitor: the form leads to the sign-in, with the code kept until then.
		v := e.as(nil)
		rec = v.get(path)
		mustContain(t, rec.Body.String(), form, "Accept the invite and sign in")
		if rec := v.post(path, nil); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/login" || v.cookies["forum_invite"] != code {
			t.Fatalf("visitor accepts = %d to %q", rec.Code, rec.Header().Get("Location"))
		}
		if used() != 1 {
			t.Fatalf("a visitor's accepting used the invite: %d uses", used())
		}

		// A link no longer valid says so, opened or posted.
		if err := e.forum.RevokeInvite(ctx, admin, invite.ID); err != nil {
			t.Fatal(err)
		}
		other := e.addUser("late_comer", model.RolePending, model.StatusActive)
		lc := e.as(other)
		if rec := lc.get(path); rec.Code != http.StatusNotFound {
			t.Fatalf("revoked invite page = %d", rec.Code)
		}
		if rec := lc.post(path, nil); rec.Code != http.StatusNotFound || roleOf(other) != model.RolePending {
			t.Fatalf("revoked invite accepted = %d, %s", rec.Code, roleOf(other))
		}
	})
}
