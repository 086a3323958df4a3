package forum_test

import (
	"context"
	"errors"
	"testing"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestInviteMakesMembersOnlyOfNewcomers signs people in with an invite: it makes a member
// of a new account and of one that never was a member, and changes nothing for a member
// who was demoted, declined or suspended, however often the link is used again.
func TestInviteMakesMembersOnlyOfNewcomers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := forum.New(st, markdown.New())
		signIn := func(subject, code string) *model.User {
			t.Helper()
			u, err := svc.SignIn(ctx, forum.ExternalAccount{Provider: "dev", Subject: subject}, code)
			if err != nil {
				t.Fatalf("sign in %s: %v", subject, err)
			}
			return u
		}
		admin := signIn("first", "")
		if admin.Role != model.RoleAdmin {
			t.Fatalf("first account = %s", admin.Role)
		}
		code, invite, err := svc.CreateInvite(ctx, admin, forum.InviteInput{MaxUses: 20, Days: 7})
		if err != nil {
			t.Fatal(err)
		}
		uses := func() int {
			t.Helper()
			invites, err := st.Invites(ctx, 1)
			if err != nil || len(invites) != 1 || invites[0].ID != invite.ID {
				t.Fatalf("invites: %v", err)
			}
			return invites[0].UsedCount
		}

		// A new account with the invite: a member at once.
		if u := signIn("newcomer", code); u.Role != model.RoleMember || u.ApprovedAt == nil {
			t.Fatalf("new account with an invite = %s", u.Role)
		}
		// An account that was never approved joins when it signs in with the invite.
		if u := signIn("waited", ""); u.Role != model.RolePending {
			t.Fatalf("new account without an invite = %s", u.Role)
		}
		if u := signIn("waited", code); u.Role != model.RoleMember {
			t.Fatalf("pending account with an invite = %s", u.Role)
		}
		if uses() != 2 {
			t.Fatalf("uses = %d, want 2", uses())
		}

		// A member demoted to pending: neither a sign-in with the invite nor redeeming it
		// makes them a member again.
		demoted := signIn("demoted", code)
		if err := svc.SetRole(ctx, admin, demoted.ID, model.RolePending, ""); err != nil {
			t.Fatal(err)
		}
		if u := signIn("demoted", code); u.Role != model.RolePending {
			t.Fatalf("demoted member signed in with the invite: %s", u.Role)
		}
		u, _ := st.UserByID(ctx, demoted.ID)
		if err := svc.RedeemInvite(ctx, u, code); !errors.Is(err, forum.ErrInviteNotApplicable) {
			t.Fatalf("demoted member redeems the invite: %v", err)
		}
		if u, _ := st.UserByID(ctx, demoted.ID); u.Role != model.RolePending {
			t.Fatalf("demoted member after redeeming: %s", u.Role)
		}
		// A member approved by a moderator, then demoted: the same.
		approved := signIn("approved", "")
		if err := svc.DecideMembership(ctx, admin, approved.ID, forum.DecisionApprove, ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetRole(ctx, admin, approved.ID, model.RolePending, ""); err != nil {
			t.Fatal(err)
		}
		if u := signIn("approved", code); u.Role != model.RolePending {
			t.Fatalf("approved then demoted member signed in with the invite: %s", u.Role)
		}

		// Declined and suspended people stay as the moderators left them.
		declined := signIn("declined", "")
		if err := svc.DecideMembership(ctx, admin, declined.ID, forum.DecisionDecline, ""); err != nil {
			t.Fatal(err)
		}
		if u := signIn("declined", code); u.Role != model.RolePending || u.Status != model.StatusDeclined {
			t.Fatalf("declined person signed in with the invite: %s, %s", u.Role, u.Status)
		}
		suspended := signIn("suspended", "")
		if err := svc.Suspend(ctx, admin, suspended.ID, ""); err != nil {
			t.Fatal(err)
		}
		if u := signIn("suspended", code); u.Role != model.RolePending || u.Status != model.StatusSuspended {
			t.Fatalf("suspended person signed in with the invite: %s, %s", u.Role, u.Status)
		}
		// A current member redeeming: no change, no use.
		member, _ := st.UserByID(ctx, approved.ID)
		member.Role = model.RoleMember
		if err := svc.SetRole(ctx, admin, member.ID, model.RoleMember, ""); err != nil {
			t.Fatal(err)
		}
		if err := svc.RedeemInvite(ctx, member, code); !errors.Is(err, forum.ErrInviteNotApplicable) {
			t.Fatalf("member redeems the invite: %v", err)
		}
		if uses() != 3 {
			t.Fatalf("uses = %d, want 3 (the newcomers only)", uses())
		}
	})
}
