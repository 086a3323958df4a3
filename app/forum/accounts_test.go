package forum_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/app/demo"
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
			u, err := svc.SignIn(ctx, forum.ExternalAccount{Provider: "dev", Issuer: "dev", Subject: subject}, code)
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
		if err := svc.Suspend(ctx, admin, suspended.ID, "a moderator's reason"); err != nil {
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

// TestStaffLikeNamesAreForStaff checks which names sound like the forum's staff: members
// may not take them, moderators and admins may, and every demo persona's name passes for
// the persona's role.
func TestStaffLikeNamesAreForStaff(t *testing.T) {
	member := &model.User{ID: 1, Role: model.RoleMember, Status: model.StatusActive}
	moderator := &model.User{ID: 2, Role: model.RoleModerator, Status: model.StatusActive}
	staffLike := []string{"Kinship_Team", "kinship_team", "KinshipTeam", "KINSHIPTEAM", "moderator1", "Moderator_1",
		"m0derator", "rnoderator", "аdmin_2", "adm1n", "the_admins", "TheTeam", "support-desk", "official_expert",
		"SUPPORT", "Team.Kinship", "mods_42", "staff99", "2_experts", "sysop", "kinship"}
	for _, name := range staffLike {
		err := forum.CheckPseudonym(member, name)
		var inv *model.InvalidError
		if !errors.As(err, &inv) || !strings.Contains(inv.Fields["pseudonym"], "kept for staff") {
			t.Errorf("member takes %q: %v, want the staff-name message", name, err)
		}
	}
	for _, name := range []string{"Kinship_Team", "moderator1", "support-desk"} {
		if err := forum.CheckPseudonym(moderator, name); err != nil {
			t.Errorf("moderator takes %q: %v", name, err)
		}
	}
	ordinary := []string{"maple_mom", "quiet_harbor", "modern_mom", "supportive_sister", "teammate_dad", "steamboat",
		"expertise_seeker", "admiral_ann", "Moda_Lisa", "hopeful_2024", "Стефания", "river.stone"}
	for _, name := range ordinary {
		if err := forum.CheckPseudonym(member, name); err != nil {
			t.Errorf("member takes %q: %v", name, err)
		}
	}
	for _, p := range demo.Personas {
		u := &model.User{Role: model.Role(p.Role), Status: model.StatusActive}
		if err := forum.CheckPseudonym(u, p.Pseudonym); err != nil {
			t.Errorf("demo persona %s (%s) may not take %q: %v", p.Key, p.Role, p.Pseudonym, err)
		}
	}
	// The names the forum gives itself are reserved for everyone, whatever they look like.
	for _, name := range []string{"member-1a2b3c", "Member_abc", "former-member-12", "Anonymous", "a_family_member"} {
		if err := forum.CheckPseudonym(moderator, name); err == nil {
			t.Errorf("%q is not reserved", name)
		}
	}
}

// TestLookAlikePseudonymsAreRefused sets pseudonyms through the operation people use: a
// name that looks like a taken one is refused with its own message, the owner may change
// the case of their own name, and a deleted account's name is free again.
func TestLookAlikePseudonymsAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := forum.New(st, markdown.New())
		now := time.Now().UTC()
		mk := func(name string) *model.User {
			u := &model.User{Pseudonym: name, Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
				t.Fatal(err)
			}
			return u
		}
		maple, other := mk("maple_mom"), mk("quiet_harbor")
		message := func(name string) string {
			t.Helper()
			err := svc.SetPseudonym(ctx, other, name)
			var inv *model.InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("SetPseudonym(%q) = %v, want a message", name, err)
			}
			if other.Pseudonym != "quiet_harbor" {
				t.Fatalf("a refused name stayed on the account: %q", other.Pseudonym)
			}
			return inv.Fields["pseudonym"]
		}
		for _, name := range []string{"mаple_mom", "mapIe_mom", "rnaple_mom", "maple.mom", "ｍaple_mom", "MАPLE-MOM"} {
			if m := message(name); !strings.Contains(m, "looks almost the same") {
				t.Errorf("%q: %q, want the look-alike message", name, m)
			}
		}
		if m := message("Maple_Mom"); !strings.Contains(m, "taken") {
			t.Errorf("Maple_Mom: %q, want the taken message", m)
		}
		if u, _ := st.UserByID(ctx, other.ID); u.Pseudonym != "quiet_harbor" {
			t.Fatalf("stored pseudonym = %q", u.Pseudonym)
		}
		if err := svc.SetPseudonym(ctx, maple, "Maple_Mom"); err != nil || maple.Pseudonym != "Maple_Mom" {
			t.Fatalf("owner changes the case of their name: %v", err)
		}
		if err := svc.DeleteAccount(ctx, maple, false); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetPseudonym(ctx, other, "mаple_mom"); err != nil {
			t.Fatalf("the name of a deleted account: %v", err)
		}
	})
}

// TestFirstSignInsAtOnceMakeOneAdmin signs eight people in at the same moment on an empty
// board: exactly one of them becomes admin, however the transactions interleave.
func TestFirstSignInsAtOnceMakeOneAdmin(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			const people, rounds = 8, 3
			for round := range rounds {
				st := storetest.Open(t, driver)
				svc := forum.New(st, markdown.New())
				ctx := context.Background()
				start := make(chan struct{})
				var wg sync.WaitGroup
				errs := make(chan error, people)
				for i := range people {
					wg.Go(func() {
						<-start
						_, err := svc.SignIn(ctx, forum.ExternalAccount{Provider: "dev", Issuer: "dev",
							Subject: fmt.Sprintf("person-%d", i)}, "")
						errs <- err
					})
				}
				close(start)
				wg.Wait()
				close(errs)
				for err := range errs {
					if err != nil {
						t.Fatalf("round %d: sign in: %v", round, err)
					}
				}
				all, err := st.Users(ctx, store.UserQuery{})
				if err != nil {
					t.Fatal(err)
				}
				admins, err := st.Users(ctx, store.UserQuery{Role: model.RoleAdmin})
				if err != nil {
					t.Fatal(err)
				}
				if len(all) != people || len(admins) != 1 {
					t.Fatalf("round %d: %d accounts, %d of them admins; want %d accounts and one admin", round, len(all), len(admins), people)
				}
			}
		})
	}
}
