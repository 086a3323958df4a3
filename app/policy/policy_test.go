package policy_test

import (
	"testing"
	"time"

	"forum/app/model"
	"forum/app/policy"
)

func user(id int64, role model.Role, status string) *model.User {
	return &model.User{ID: id, Role: role, Status: status}
}

func TestMatrix(t *testing.T) {
	people := map[string]*model.User{
		"visitor":   nil,
		"pending":   user(1, model.RolePending, model.StatusActive),
		"member":    user(2, model.RoleMember, model.StatusActive),
		"expert":    user(3, model.RoleExpert, model.StatusActive),
		"moderator": user(4, model.RoleModerator, model.StatusActive),
		"admin":     user(5, model.RoleAdmin, model.StatusActive),
		"suspended": user(6, model.RoleModerator, model.StatusSuspended),
		"declined":  user(7, model.RolePending, model.StatusDeclined),
	}
	members := &model.Thread{ID: 10, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers}
	public := &model.Thread{ID: 11, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityPublic}
	hidden := &model.Thread{ID: 12, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers, Hidden: true}
	locked := &model.Thread{ID: 13, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers, Locked: true}
	ownPost := &model.Post{ID: 20, ThreadID: 10, AuthorID: 2}

	type row map[string]bool
	cases := []struct {
		action string
		can    func(v *model.User) bool
		want   row
	}{
		{"view members thread", func(v *model.User) bool { return policy.CanView(v, members) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"view public thread", func(v *model.User) bool { return policy.CanView(v, public) },
			row{"visitor": true, "pending": true, "member": true, "expert": true, "moderator": true, "admin": true, "suspended": true, "declined": true}},
		{"view hidden thread", func(v *model.User) bool { return policy.CanView(v, hidden) },
			row{"moderator": true, "admin": true}},
		{"ask", policy.CanAsk, row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"write article", policy.CanWriteArticle, row{"expert": true, "moderator": true, "admin": true}},
		{"reply", func(v *model.User) bool { return policy.CanReply(v, members) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"reply to locked", func(v *model.User) bool { return policy.CanReply(v, locked) },
			row{"moderator": true, "admin": true}},
		{"mark helpful", func(v *model.User) bool { return policy.CanMarkHelpful(v, members) },
			row{"member": true, "moderator": true, "admin": true}},
		{"edit own post", func(v *model.User) bool { return policy.CanEditPost(v, members, ownPost) },
			row{"member": true}},
		{"see anonymous author", policy.CanSeeAnonymousAuthor, row{"moderator": true, "admin": true}},
		{"link threads", policy.CanLinkThreads, row{"expert": true, "moderator": true, "admin": true}},
		{"approve members", policy.CanApproveMembers, row{"moderator": true, "admin": true}},
		{"manage invites", policy.CanManageInvites, row{"admin": true}},
		{"manage tags", policy.CanManageTags, row{"moderator": true, "admin": true}},
		{"suspend a member", func(v *model.User) bool { return policy.CanSuspend(v, people["member"]) },
			row{"moderator": true, "admin": true}},
		{"suspend a moderator", func(v *model.User) bool { return policy.CanSuspend(v, people["moderator"]) },
			row{"admin": true}},
		{"make an expert", func(v *model.User) bool { return policy.CanSetRole(v, people["member"], model.RoleExpert) },
			row{"admin": true}},
		{"join with an invite", policy.CanJoinWithInvite, row{"pending": true}},
	}
	for _, tc := range cases {
		for name, v := range people {
			if got := tc.can(v); got != tc.want[name] {
				t.Errorf("%s may %s = %v, want %v", name, tc.action, got, tc.want[name])
			}
		}
	}
	// An invite does not bring back someone who was a member before.
	approved := time.Now()
	demoted := &model.User{ID: 8, Role: model.RolePending, Status: model.StatusActive, ApprovedAt: &approved}
	if policy.CanJoinWithInvite(demoted) {
		t.Error("a demoted member may join again with an invite")
	}
	// Nobody suspends or re-roles themselves.
	if policy.CanSuspend(people["admin"], people["admin"]) || policy.CanSetRole(people["admin"], people["admin"], model.RoleMember) {
		t.Error("an admin may act on themselves")
	}
}
