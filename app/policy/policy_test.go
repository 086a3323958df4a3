package policy_test

import (
	"fmt"
	"testing"
	"time"

	"forum/app/model"
	"forum/app/policy"
)

func user(id int64, role model.Role, status model.Status) *model.User {
	return &model.User{ID: id, Role: role, Status: status}
}

func idOf(v *model.User) int64 {
	if v == nil {
		return -1
	}
	return v.ID
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
	at := time.Now()
	opening := &model.Post{ID: 21, ThreadID: 10, AuthorID: 2, Opening: true}
	reply := &model.Post{ID: 22, ThreadID: 10, AuthorID: 3}
	hiddenReply := &model.Post{ID: 23, ThreadID: 10, AuthorID: 3, HiddenAt: &at}
	deletedReply := &model.Post{ID: 24, ThreadID: 10, AuthorID: 3, DeletedAt: &at}
	elsewhere := &model.Post{ID: 25, ThreadID: 99, AuthorID: 3}
	helpful := int64(22)
	resolved := &model.Thread{ID: 10, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers,
		State: model.StateResolved, HelpfulPostID: &helpful}
	discussion := &model.Thread{ID: 10, AuthorID: 2, Kind: model.KindDiscussion, Visibility: model.VisibilityMembers}
	answered := &model.Thread{ID: 14, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers,
		State: model.StateAnswered, PublishConsent: true}
	unconsented := &model.Thread{ID: 15, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers,
		State: model.StateAnswered}
	unanswered := &model.Thread{ID: 16, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers,
		State: model.StateOpen, PublishConsent: true}
	suspendedMember := user(9, model.RoleMember, model.StatusSuspended)
	heldByMember := &model.HeldPost{ID: 30, AuthorID: 2}
	decidedHeld := &model.HeldPost{ID: 32, AuthorID: 2, DecidedAt: &at}
	into := int64(14)
	mergedThread := &model.Thread{ID: 17, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers, MergedInto: &into}
	declinedApplicant := user(10, model.RolePending, model.StatusDeclined)

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
		{"suspend or unsuspend a deleted account", func(v *model.User) bool {
			return policy.CanSuspend(v, user(8, model.RoleMember, model.StatusDeleted))
		}, row{}},
		{"make an expert", func(v *model.User) bool { return policy.CanSetRole(v, people["member"], model.RoleExpert) },
			row{"admin": true}},
		{"join with an invite", policy.CanJoinWithInvite, row{"pending": true}},
		{"sign in", policy.CanSignIn, row{"pending": true, "member": true, "expert": true, "moderator": true, "admin": true}},
		{"read members-only content", policy.IsMember, row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"see the unanswered queue", policy.CanSeeUnansweredQueue, row{"expert": true, "moderator": true, "admin": true}},
		{"manage roles", policy.CanManageRoles, row{"admin": true}},
		{"see the audit log", policy.CanSeeAuditLog, row{"moderator": true, "admin": true}},

		// Suspension: active accounts are suspended, suspended ones reinstated; a declined
		// account stays declined.
		{"reinstate a suspended member", func(v *model.User) bool { return policy.CanReinstate(v, suspendedMember) },
			row{"moderator": true, "admin": true}},
		{"suspend a suspended member again", func(v *model.User) bool { return policy.CanSuspend(v, suspendedMember) }, row{}},
		{"reinstate an active member", func(v *model.User) bool { return policy.CanReinstate(v, people["member"]) }, row{}},
		{"reinstate a declined account", func(v *model.User) bool { return policy.CanReinstate(v, declinedApplicant) }, row{}},
		{"suspend a declined account", func(v *model.User) bool { return policy.CanSuspend(v, declinedApplicant) }, row{}},
		{"reinstate a deleted account", func(v *model.User) bool {
			return policy.CanReinstate(v, user(8, model.RoleMember, model.StatusDeleted))
		}, row{}},

		// First-post review: a member's first two posts wait; staff never do.
		{"be held for review with no post published", func(v *model.User) bool { return policy.NeedsReview(v, 0, 2) },
			row{"member": true}},
		{"be held for review past the count", func(v *model.User) bool { return policy.NeedsReview(v, 2, 2) }, row{}},
		{"be held for review with review off", func(v *model.User) bool { return policy.NeedsReview(v, 0, 0) }, row{}},
		{"review held posts", policy.CanReviewPosts, row{"moderator": true, "admin": true}},
		{"read a member's held post", func(v *model.User) bool { return policy.CanSeeHeldPost(v, heldByMember) },
			row{"member": true, "moderator": true, "admin": true}},
		{"decide on a waiting held post", func(v *model.User) bool { return policy.CanDecideHeldPost(v, heldByMember) },
			row{"moderator": true, "admin": true}},
		{"decide on a held post already decided", func(v *model.User) bool { return policy.CanDecideHeldPost(v, decidedHeld) }, row{}},
		{"publish the held post of a suspended member", func(v *model.User) bool {
			return policy.CanPublishHeldPost(v, &model.HeldPost{ID: 31, AuthorID: 9}, suspendedMember)
		}, row{}},
		{"publish the held post of an active member", func(v *model.User) bool {
			return policy.CanPublishHeldPost(v, heldByMember, people["member"])
		}, row{"moderator": true, "admin": true}},
		{"be told of danger words", func(v *model.User) bool { return policy.CanBeToldOfDanger(v, members, reply) },
			row{"moderator": true, "admin": true}},
		{"be told of danger words in a deleted post", func(v *model.User) bool {
			return policy.CanBeToldOfDanger(v, members, deletedReply)
		}, row{}},
		{"be told of danger words in a held post", func(v *model.User) bool { return policy.CanBeToldOfDanger(v, nil, nil) },
			row{"moderator": true, "admin": true}},

		// Moving and merging threads.
		{"change a thread's topics", func(v *model.User) bool { return policy.CanMoveThread(v, members) },
			row{"moderator": true, "admin": true}},
		{"merge a thread into another", func(v *model.User) bool { return policy.CanMergeThread(v, members, answered) },
			row{"moderator": true, "admin": true}},
		{"merge a thread into itself", func(v *model.User) bool { return policy.CanMergeThread(v, members, members) }, row{}},
		{"merge a thread already merged", func(v *model.User) bool { return policy.CanMergeThread(v, mergedThread, answered) }, row{}},

		// Profiles: a member's named posts, to members.
		{"see a member's posts on their profile", func(v *model.User) bool {
			return policy.CanSeeMemberActivity(v, people["member"])
		}, row{"member": true, "expert": true, "moderator": true, "admin": true}},

		// Publishing to the public archive, and taking back.
		{"set publish consent on own question", func(v *model.User) bool { return policy.CanSetPublishConsent(v, members) },
			row{"member": true}},
		{"publish an answered question with consent", func(v *model.User) bool { return policy.CanPublish(v, answered) },
			row{"expert": true, "moderator": true, "admin": true}},
		{"publish without the asker's consent", func(v *model.User) bool { return policy.CanPublish(v, unconsented) }, row{}},
		{"publish an unanswered question", func(v *model.User) bool { return policy.CanPublish(v, unanswered) }, row{}},
		{"unpublish a public thread", func(v *model.User) bool { return policy.CanUnpublish(v, public) },
			row{"expert": true, "moderator": true, "admin": true}},

		// Earlier versions of edited posts.
		{"view history", func(v *model.User) bool { return policy.CanViewHistory(v, members, reply) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"view history of a hidden post", func(v *model.User) bool { return policy.CanViewHistory(v, members, hiddenReply) },
			row{"moderator": true, "admin": true}},
		{"view history of a deleted post", func(v *model.User) bool { return policy.CanViewHistory(v, members, deletedReply) }, row{}},
		{"view history in a hidden thread", func(v *model.User) bool { return policy.CanViewHistory(v, hidden, reply) },
			row{"moderator": true, "admin": true}},
		{"read a hidden post", policy.CanReadHiddenPost, row{"moderator": true, "admin": true}},

		// Helpful marks: the asker and moderators, on a reply that is shown.
		{"mark a reply helpful", func(v *model.User) bool { return policy.CanMarkReplyHelpful(v, members, reply) },
			row{"member": true, "moderator": true, "admin": true}},
		{"mark the opening post helpful", func(v *model.User) bool { return policy.CanMarkReplyHelpful(v, members, opening) }, row{}},
		{"mark a hidden reply helpful", func(v *model.User) bool { return policy.CanMarkReplyHelpful(v, members, hiddenReply) }, row{}},
		{"mark a deleted reply helpful", func(v *model.User) bool { return policy.CanMarkReplyHelpful(v, members, deletedReply) }, row{}},
		{"mark another thread's reply helpful", func(v *model.User) bool { return policy.CanMarkReplyHelpful(v, members, elsewhere) }, row{}},
		{"mark a reply helpful in a discussion", func(v *model.User) bool { return policy.CanMarkReplyHelpful(v, discussion, reply) }, row{}},
		{"take back the helpful mark", func(v *model.User) bool { return policy.CanUnmarkHelpful(v, resolved) },
			row{"member": true, "moderator": true, "admin": true}},
		{"take back a helpful mark never given", func(v *model.User) bool { return policy.CanUnmarkHelpful(v, members) }, row{}},

		// Quoting, and moderating a post.
		{"quote a reply", func(v *model.User) bool { return policy.CanQuote(v, members, reply) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"quote in a locked thread", func(v *model.User) bool { return policy.CanQuote(v, locked, reply) },
			row{"moderator": true, "admin": true}},
		{"quote a hidden reply", func(v *model.User) bool { return policy.CanQuote(v, members, hiddenReply) }, row{}},
		{"quote a deleted reply", func(v *model.User) bool { return policy.CanQuote(v, members, deletedReply) }, row{}},
		{"hide or restore a post", func(v *model.User) bool { return policy.CanModeratePost(v, reply) },
			row{"moderator": true, "admin": true}},
		{"hide a post its author deleted", func(v *model.User) bool { return policy.CanModeratePost(v, deletedReply) }, row{}},

		// Reports, and what moderators do about them.
		{"report someone else's reply", func(v *model.User) bool { return policy.CanFlag(v, members, reply) },
			row{"member": true, "moderator": true, "admin": true}},
		{"report a reply in a public thread", func(v *model.User) bool {
			return policy.CanFlag(v, public, &model.Post{ID: 30, ThreadID: 11, AuthorID: 3})
		}, row{"member": true, "moderator": true, "admin": true}},
		{"report one's own post", func(v *model.User) bool {
			return policy.CanFlag(v, members, &model.Post{ID: 33, ThreadID: 10, AuthorID: idOf(v)})
		}, row{}},
		{"report a hidden reply", func(v *model.User) bool { return policy.CanFlag(v, members, hiddenReply) },
			row{"moderator": true, "admin": true}},
		{"report a deleted reply", func(v *model.User) bool { return policy.CanFlag(v, members, deletedReply) }, row{}},
		{"report a reply in a hidden thread", func(v *model.User) bool {
			return policy.CanFlag(v, hidden, &model.Post{ID: 34, ThreadID: 12, AuthorID: 3})
		}, row{"moderator": true, "admin": true}},
		{"report a post of another thread", func(v *model.User) bool { return policy.CanFlag(v, members, elsewhere) }, row{}},
		{"report a 21st post in an hour", func(v *model.User) bool {
			return policy.CanFlag(v, members, reply) && policy.MayFlagMore(policy.FlagsPerHour)
		}, row{}},
		{"report a 20th post in an hour", func(v *model.User) bool {
			return policy.CanFlag(v, members, reply) && policy.MayFlagMore(policy.FlagsPerHour-1)
		}, row{"member": true, "moderator": true, "admin": true}},
		{"count towards hiding a post, approved 14 days ago", func(v *model.User) bool {
			if v != nil {
				approved := at.Add(-policy.EstablishedAfter)
				w := *v
				w.ApprovedAt = &approved
				v = &w
			}
			return policy.IsEstablished(v, at)
		}, row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"count towards hiding a post, approved 13 days ago", func(v *model.User) bool {
			if v != nil {
				approved := at.Add(-policy.EstablishedAfter + 24*time.Hour)
				w := *v
				w.ApprovedAt = &approved
				v = &w
			}
			return policy.IsEstablished(v, at)
		}, row{}},
		{"handle reports", policy.CanHandleFlags, row{"moderator": true, "admin": true}},
		{"edit or redact someone's post", func(v *model.User) bool { return policy.CanModeratorEdit(v, reply) },
			row{"moderator": true, "admin": true}},
		{"edit a post its author deleted", func(v *model.User) bool { return policy.CanModeratorEdit(v, deletedReply) }, row{}},
		{"warn a member", func(v *model.User) bool { return policy.CanWarn(v, people["member"]) },
			row{"moderator": true, "admin": true}},
		{"warn a moderator", func(v *model.User) bool { return policy.CanWarn(v, people["moderator"]) }, row{"admin": true}},
		{"warn a deleted account", func(v *model.User) bool { return policy.CanWarn(v, user(8, model.RoleMember, model.StatusDeleted)) }, row{}},
		{"read a hidden post its author deleted", func(v *model.User) bool {
			return policy.CanReadDeletedPost(v, &model.Post{ID: 35, ThreadID: 10, AuthorID: 3, HiddenAt: &at, DeletedAt: &at})
		}, row{"moderator": true, "admin": true}},
		{"read a post its author deleted", func(v *model.User) bool { return policy.CanReadDeletedPost(v, deletedReply) }, row{}},
		{"view history of a hidden post its author deleted", func(v *model.User) bool {
			return policy.CanViewHistory(v, members, &model.Post{ID: 35, ThreadID: 10, AuthorID: 3, HiddenAt: &at, DeletedAt: &at})
		}, row{"moderator": true, "admin": true}},
		{"read a version a moderator's edit replaced", func(v *model.User) bool {
			return policy.CanViewHistory(v, members, reply) && policy.CanReadRevision(v, &model.PostRevision{ModeratorOnly: true})
		}, row{"moderator": true, "admin": true}},
		{"read a version its author replaced", func(v *model.User) bool {
			return policy.CanViewHistory(v, members, reply) && policy.CanReadRevision(v, &model.PostRevision{})
		}, row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"see a question whose helpful reply is hidden as resolved", func(v *model.User) bool {
			held := int64(23)
			return policy.ShownState(v, &model.Thread{ID: 10, Kind: model.KindQuestion, State: model.StateAnswered, HeldHelpfulPostID: &held}) == model.StateResolved
		}, row{"moderator": true, "admin": true}},
		{"be told someone may be in danger", func(v *model.User) bool { return policy.MayNotify(v, model.NotifyFlagDanger, members, reply) },
			row{"moderator": true, "admin": true}},
		{"be e-mailed that someone may be in danger", func(v *model.User) bool {
			if v != nil {
				w := *v
				w.Email = "someone@example.org"
				v = &w
			}
			return policy.CanEmail(v, model.NotifyFlagDanger, members, reply)
		}, row{"moderator": true, "admin": true}},
		{"read a notice that someone may be in danger", func(v *model.User) bool {
			return policy.CanReadNotice(v, model.NotifyFlagDanger, members, hiddenReply)
		}, row{"moderator": true, "admin": true}},
		{"be offered e-mail of reports of danger", func(v *model.User) bool { return policy.HearsOfKind(v, model.NotifyFlagDanger) },
			row{"moderator": true, "admin": true}},
		{"be told one's report was handled", func(v *model.User) bool { return policy.MayNotify(v, model.NotifyFlagHandled, members, hiddenReply) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},

		// Following and notifications.
		{"follow a members thread", func(v *model.User) bool { return policy.CanFollowThread(v, members) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"follow a public thread", func(v *model.User) bool { return policy.CanFollowThread(v, public) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"follow a hidden thread", func(v *model.User) bool { return policy.CanFollowThread(v, hidden) },
			row{"moderator": true, "admin": true}},
		{"follow topics", policy.CanFollowTopic, row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"read notifications", policy.CanReadNotices, row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"complete names in a mention", policy.CanCompleteNames, row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"be told of a reply in a members thread", func(v *model.User) bool { return policy.MayNotify(v, model.NotifyReply, members, reply) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"be told of a reply in a public thread", func(v *model.User) bool {
			return policy.MayNotify(v, model.NotifyReply, public, &model.Post{ID: 30, ThreadID: 11})
		},
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"be told of a reply in a hidden thread", func(v *model.User) bool {
			return policy.MayNotify(v, model.NotifyReply, hidden, &model.Post{ID: 31, ThreadID: 12})
		},
			row{"moderator": true, "admin": true}},
		{"be told of a hidden reply", func(v *model.User) bool { return policy.MayNotify(v, model.NotifyAnswer, members, hiddenReply) }, row{}},
		{"be told of a deleted reply", func(v *model.User) bool { return policy.MayNotify(v, model.NotifyMention, members, deletedReply) }, row{}},
		{"be told of a post of another thread", func(v *model.User) bool { return policy.MayNotify(v, model.NotifyReply, members, elsewhere) }, row{}},
		{"be told of an approval", func(v *model.User) bool { return policy.MayNotify(v, model.NotifyApproved, nil, nil) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"be told a moderator hid one's own post", func(v *model.User) bool {
			return policy.MayNotify(v, model.NotifyPostHidden, members, &model.Post{ID: 32, ThreadID: 10, AuthorID: idOf(v), HiddenAt: &at})
		}, row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"be told a moderator hid someone else's post", func(v *model.User) bool { return policy.MayNotify(v, model.NotifyPostHidden, members, hiddenReply) },
			row{"expert": true}},
		{"read a notice of a reply", func(v *model.User) bool { return policy.CanReadNotice(v, model.NotifyReply, members, reply) },
			row{"member": true, "expert": true, "moderator": true, "admin": true}},
		{"read a notice of a reply hidden since", func(v *model.User) bool { return policy.CanReadNotice(v, model.NotifyReply, members, hiddenReply) }, row{}},
		{"read a notice of a thread hidden since", func(v *model.User) bool {
			return policy.CanReadNotice(v, model.NotifyReply, hidden, &model.Post{ID: 31, ThreadID: 12})
		},
			row{"moderator": true, "admin": true}},
		{"read a notice of one's own post hidden", func(v *model.User) bool {
			return policy.CanReadNotice(v, model.NotifyPostHidden, hidden, &model.Post{ID: 32, ThreadID: 12, AuthorID: idOf(v), HiddenAt: &at})
		}, row{"member": true, "expert": true, "moderator": true, "admin": true}},

		// Joining: who says what brings them, and who reads it.
		{"say what brings them", policy.CanSayWhyJoining, row{"pending": true}},
		{"read what brings people", policy.CanSeeWhyJoining, row{"moderator": true, "admin": true}},
		// The asker (only) is told what happens next, while no expert has answered.
		{"be told what happens after asking", func(v *model.User) bool { return policy.IsAskerAwaitingAnswer(v, unanswered) },
			row{"member": true}},
		{"be told so once answered", func(v *model.User) bool { return policy.IsAskerAwaitingAnswer(v, answered) }, row{}},
		{"be told so of a discussion", func(v *model.User) bool { return policy.IsAskerAwaitingAnswer(v, discussion) }, row{}},

		// "New since your last visit": visible posts by others after the read position.
		{"see a reply as new", func(v *model.User) bool { return policy.IsNewTo(v, reply, opening.ID) },
			row{"member": true, "moderator": true, "admin": true}},
		{"see a reply already read as new", func(v *model.User) bool { return policy.IsNewTo(v, reply, reply.ID) }, row{}},
		{"see a reply as new in a thread never opened", func(v *model.User) bool { return policy.IsNewTo(v, reply, 0) }, row{}},
		{"see a hidden reply as new", func(v *model.User) bool { return policy.IsNewTo(v, hiddenReply, opening.ID) }, row{}},
		{"see a deleted reply as new", func(v *model.User) bool { return policy.IsNewTo(v, deletedReply, opening.ID) }, row{}},
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
	// A member let in since they last saw the notice is owed it, once; a member let in
	// again after a demotion is owed it again.
	earlier, later := approved.Add(-time.Hour), approved.Add(time.Hour)
	for _, tc := range []struct {
		name       string
		u          *model.User
		owesNotice bool
	}{
		{"approved, never told", &model.User{ID: 30, Role: model.RoleMember, Status: model.StatusActive, ApprovedAt: &approved}, true},
		{"approved, told", &model.User{ID: 31, Role: model.RoleMember, Status: model.StatusActive, ApprovedAt: &approved, ApprovalSeenAt: &later}, false},
		{"approved again since told", &model.User{ID: 32, Role: model.RoleMember, Status: model.StatusActive, ApprovedAt: &approved, ApprovalSeenAt: &earlier}, true},
		{"never approved", &model.User{ID: 33, Role: model.RoleMember, Status: model.StatusActive}, false},
		{"demoted to pending", &model.User{ID: 34, Role: model.RolePending, Status: model.StatusActive, ApprovedAt: &approved}, false},
		{"suspended", &model.User{ID: 35, Role: model.RoleMember, Status: model.StatusSuspended, ApprovedAt: &approved}, false},
	} {
		if got := policy.OwesWelcome(tc.u); got != tc.owesNotice {
			t.Errorf("%s: owes the welcome = %v, want %v", tc.name, got, tc.owesNotice)
		}
	}
	// Nobody suspends or re-roles themselves.
	if policy.CanSuspend(people["admin"], people["admin"]) || policy.CanSetRole(people["admin"], people["admin"], model.RoleMember) {
		t.Error("an admin may act on themselves")
	}
}

// TestShowAuthor is the table of how each kind of viewer sees each kind of author, named
// and anonymous.
func TestShowAuthor(t *testing.T) {
	viewers := map[string]*model.User{
		"visitor":   nil,
		"pending":   user(1, model.RolePending, model.StatusActive),
		"member":    user(2, model.RoleMember, model.StatusActive),
		"expert":    user(3, model.RoleExpert, model.StatusActive),
		"moderator": user(4, model.RoleModerator, model.StatusActive),
		"admin":     user(5, model.RoleAdmin, model.StatusActive),
		"suspended": user(6, model.RoleModerator, model.StatusSuspended),
	}
	named := func(id int64, role model.Role, name, credential string) *model.User {
		u := user(id, role, model.StatusActive)
		u.Pseudonym, u.Credential = name, credential
		return u
	}
	parent := named(20, model.RoleMember, "maple_mom", "")
	coach := named(21, model.RoleExpert, "coach_dana", "CRAFT coach")
	mod := named(22, model.RoleModerator, "river_stone", "")
	gone := named(23, model.RoleMember, "gone_one", "")
	gone.Status = model.StatusDeleted
	anon := policy.Shown{Name: policy.AnonymousName}

	cases := []struct {
		author    *model.User
		anonymous bool
		viewers   []string
		want      policy.Shown
	}{
		// Members see pseudonyms, experts with their badge and credential.
		{parent, false, []string{"member", "expert", "moderator", "admin"}, policy.Shown{Name: "maple_mom", Profile: true}},
		{coach, false, []string{"member", "expert", "moderator", "admin"}, policy.Shown{Name: "coach_dana", Profile: true, Expert: true, Credential: "CRAFT coach"}},
		{mod, false, []string{"member", "expert"}, policy.Shown{Name: "river_stone", Profile: true}},
		// Everyone else reads the public archive, where people are named by role.
		{parent, false, []string{"visitor", "pending", "suspended"}, policy.Shown{Name: "A family member"}},
		{coach, false, []string{"visitor", "pending", "suspended"}, policy.Shown{Name: "An expert", Expert: true, Credential: "CRAFT coach"}},
		{mod, false, []string{"visitor", "pending", "suspended"}, policy.Shown{Name: "A moderator"}},
		// Anonymous is the same words for every author, to everyone but moderators.
		{parent, true, []string{"visitor", "pending", "member", "expert", "suspended"}, anon},
		{coach, true, []string{"visitor", "pending", "member", "expert", "suspended"}, anon},
		{mod, true, []string{"visitor", "pending", "member", "expert", "suspended"}, anon},
		{gone, true, []string{"visitor", "member", "expert"}, anon},
		{nil, true, []string{"visitor", "member"}, anon},
		// Moderators see who wrote it, marked as anonymous.
		{parent, true, []string{"moderator", "admin"}, policy.Shown{Name: "maple_mom", Profile: true, Anonymous: true}},
		{coach, true, []string{"moderator", "admin"}, policy.Shown{Name: "coach_dana", Profile: true, Expert: true, Credential: "CRAFT coach", Anonymous: true}},
		// A deleted account is a former member.
		{gone, false, []string{"visitor", "member", "moderator"}, policy.Shown{Name: policy.FormerMemberName}},
		{nil, false, []string{"visitor", "member", "moderator"}, policy.Shown{Name: policy.FormerMemberName}},
	}
	for _, tc := range cases {
		for _, name := range tc.viewers {
			if got := policy.ShowAuthor(viewers[name], tc.author, tc.anonymous); got != tc.want {
				t.Errorf("%s sees %v (anonymous %v) as %+v, want %+v", name, tc.author, tc.anonymous, got, tc.want)
			}
		}
	}
	// The author of an anonymous post is told that it is theirs; nobody else is.
	self := named(2, model.RoleMember, "self", "")
	if got := policy.ShowAuthor(viewers["member"], self, true); got != (policy.Shown{Name: policy.AnonymousName, Yours: true}) {
		t.Errorf("the author sees their anonymous post as %+v", got)
	}
	// Quotes and the "Posting as" line name what the readers see.
	members := &model.Thread{Visibility: model.VisibilityMembers}
	public := &model.Thread{Visibility: model.VisibilityPublic}
	for _, tc := range []struct {
		got, want string
	}{
		{policy.QuoteName(members, coach, true), policy.AnonymousName},
		{policy.QuoteName(members, coach, false), "coach_dana"},
		{policy.QuoteName(public, coach, false), "An expert"},
		{policy.QuoteName(public, mod, true), policy.AnonymousName},
		{policy.PostingAs(parent, false), "maple_mom"},
		{policy.PostingAs(coach, true), policy.AnonymousName},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	// An anonymous reply is never an expert answer.
	if policy.IsExpertAnswer(coach, true) || !policy.IsExpertAnswer(coach, false) || policy.IsExpertAnswer(parent, false) {
		t.Error("IsExpertAnswer")
	}
	if policy.ShowsAsExpertAnswer(&model.Post{Expert: true, Anonymous: true}) {
		t.Error("an anonymous post shows as an expert answer")
	}
}

// TestAudienceSharesOnlyWhatIsTheSame checks the promise of Audience: viewers of the same
// audience get the same answer from every rule about content they did not write, so a
// rendering cached for one may be shown to the other; viewers of different audiences who
// would see something different never share one.
func TestAudienceSharesOnlyWhatIsTheSame(t *testing.T) {
	var viewers []*model.User
	id := int64(100)
	for _, role := range model.Roles {
		for _, status := range []model.Status{model.StatusActive, model.StatusSuspended, model.StatusDeclined, model.StatusDeleted} {
			for i := 0; i < 2; i++ {
				id++
				viewers = append(viewers, &model.User{ID: id, Role: role, Status: status, Pseudonym: "v"})
			}
		}
	}
	viewers = append(viewers, nil)
	author := &model.User{ID: 1, Role: model.RoleExpert, Status: model.StatusActive, Pseudonym: "coach_dana", Credential: "c"}
	var threads []*model.Thread
	for _, vis := range []model.Visibility{model.VisibilityMembers, model.VisibilityPublic} {
		for _, flags := range []int{0, 1, 2, 4} {
			threads = append(threads, &model.Thread{ID: 9, AuthorID: 1, Kind: model.KindQuestion, Visibility: vis, State: model.StateAnswered,
				PublishConsent: true, Hidden: flags&1 != 0, Locked: flags&2 != 0, Pinned: flags&4 != 0})
		}
	}
	post := &model.Post{ID: 7, ThreadID: 9, AuthorID: 1}
	answers := func(v *model.User) []any {
		var out []any
		for _, anonymous := range []bool{false, true} {
			out = append(out, policy.ShowAuthor(v, author, anonymous))
		}
		for _, t := range threads {
			out = append(out, policy.CanView(v, t), policy.CanReply(v, t), policy.CanMarkHelpful(v, t), policy.CanEditPost(v, t, post),
				policy.CanDeletePost(v, t, post), policy.CanViewHistory(v, t, post), policy.CanSetPublishConsent(v, t), policy.CanPublish(v, t),
				policy.CanUnpublish(v, t), policy.CanMarkReplyHelpful(v, t, post), policy.CanUnmarkHelpful(v, t), policy.CanQuote(v, t, post))
		}
		for _, t := range threads {
			out = append(out, policy.CanFollowThread(v, t), policy.MayNotify(v, model.NotifyReply, t, post), policy.CanReadNotice(v, model.NotifyAnswer, t, post))
		}
		out = append(out, policy.CanFollowTopic(v), policy.CanReadNotices(v), policy.CanCompleteNames(v))
		return append(out, policy.CanLinkThreads(v), policy.CanModerate(v), policy.IsMember(v), policy.CanSeeAnonymousAuthor(v),
			policy.CanModeratePost(v, post), policy.CanReadHiddenPost(v), policy.CanSeeUnansweredQueue(v), policy.CanManageRoles(v))
	}
	wroteNothing := func(int64) bool { return false }
	for _, a := range viewers {
		for _, b := range viewers {
			same := policy.AudienceOf(a, wroteNothing) == policy.AudienceOf(b, wroteNothing)
			if same && fmt.Sprint(answers(a)) != fmt.Sprint(answers(b)) {
				t.Errorf("%+v and %+v share an audience but see different things", a, b)
			}
		}
	}
	// Whoever wrote something on the page has an audience of their own.
	writer := &model.User{ID: 1, Role: model.RoleMember, Status: model.StatusActive}
	other := &model.User{ID: 2, Role: model.RoleMember, Status: model.StatusActive}
	wrote := func(id int64) bool { return id == 1 }
	if policy.AudienceOf(writer, wrote) == policy.AudienceOf(other, wrote) {
		t.Error("an author shares the rendering of those who wrote nothing")
	}
	if policy.AudienceOf(&model.User{ID: 3, Role: model.RoleModerator, Status: model.StatusActive}, wrote) == policy.AudienceOf(other, wrote) {
		t.Error("a moderator shares a member's rendering")
	}
}

// TestCanEmail walks who may be e-mailed a notification, as things stand when it leaves.
func TestCanEmail(t *testing.T) {
	withEmail := func(u *model.User) *model.User { u.Email = fmt.Sprintf("u%d@example.org", u.ID); return u }
	member := withEmail(user(2, model.RoleMember, model.StatusActive))
	moderator := withEmail(user(4, model.RoleModerator, model.StatusActive))
	noAddress := user(5, model.RoleMember, model.StatusActive)
	suspended := withEmail(user(6, model.RoleMember, model.StatusSuspended))
	deleted := withEmail(user(7, model.RoleMember, model.StatusDeleted))
	pending := withEmail(user(8, model.RolePending, model.StatusActive))

	at := time.Now()
	thread := &model.Thread{ID: 10, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers}
	hiddenThread := &model.Thread{ID: 11, AuthorID: 2, Kind: model.KindQuestion, Visibility: model.VisibilityMembers, Hidden: true}
	answer := &model.Post{ID: 20, ThreadID: 10, AuthorID: 3}
	hiddenAnswer := &model.Post{ID: 21, ThreadID: 10, AuthorID: 3, HiddenAt: &at}
	deletedAnswer := &model.Post{ID: 22, ThreadID: 10, AuthorID: 3, DeletedAt: &at}
	ownHidden := &model.Post{ID: 23, ThreadID: 10, AuthorID: 2, HiddenAt: &at}
	ownRestored := &model.Post{ID: 24, ThreadID: 10, AuthorID: 2}
	inHidden := &model.Post{ID: 25, ThreadID: 11, AuthorID: 3}
	elsewhere := &model.Post{ID: 26, ThreadID: 99, AuthorID: 3}

	cases := []struct {
		name string
		to   *model.User
		kind model.NotifyKind
		t    *model.Thread
		p    *model.Post
		want bool
	}{
		{"an answer to a member", member, model.NotifyAnswer, thread, answer, true},
		{"an answer hidden since", member, model.NotifyAnswer, thread, hiddenAnswer, false},
		{"an answer deleted since", member, model.NotifyAnswer, thread, deletedAnswer, false},
		{"an answer in a thread hidden since", member, model.NotifyAnswer, hiddenThread, inHidden, false},
		{"a thread gone", member, model.NotifyReply, nil, nil, false},
		{"a post gone", member, model.NotifyReply, thread, nil, false},
		{"a post of another thread", member, model.NotifyReply, thread, elsewhere, false},
		{"a new question", member, model.NotifyNewQuestion, thread, nil, true},
		{"a new question hidden since", member, model.NotifyNewQuestion, hiddenThread, nil, false},
		{"a hidden reply to a moderator", moderator, model.NotifyReply, thread, hiddenAnswer, true},
		{"a hidden thread to a moderator", moderator, model.NotifyReply, hiddenThread, inHidden, true},
		{"no address", noAddress, model.NotifyAnswer, thread, answer, false},
		{"a suspended member", suspended, model.NotifyAnswer, thread, answer, false},
		{"a deleted account", deleted, model.NotifyAnswer, thread, answer, false},
		{"a pending account", pending, model.NotifyReply, thread, answer, false},
		{"approval", member, model.NotifyApproved, nil, nil, true},
		{"approval of someone suspended since", suspended, model.NotifyApproved, nil, nil, false},
		{"approval of someone still pending", pending, model.NotifyApproved, nil, nil, false},
		{"my post hidden", member, model.NotifyPostHidden, thread, ownHidden, true},
		{"my post hidden, restored since", member, model.NotifyPostHidden, thread, ownRestored, false},
		{"someone else's post hidden", member, model.NotifyPostHidden, thread, hiddenAnswer, false},
		{"my post restored", member, model.NotifyPostRestored, thread, ownRestored, true},
		{"my post restored, hidden again since", member, model.NotifyPostRestored, thread, ownHidden, false},
	}
	for _, c := range cases {
		if got := policy.CanEmail(c.to, c.kind, c.t, c.p); got != c.want {
			t.Errorf("%s: CanEmail = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestCountsForCrisisBox(t *testing.T) {
	at := time.Now()
	by := func(role model.Role) *model.User { return user(1, role, model.StatusActive) }
	cases := []struct {
		name string
		p    *model.Post
		want bool
	}{
		{"a member's post", &model.Post{Author: by(model.RoleMember)}, true},
		{"an expert's answer", &model.Post{Author: by(model.RoleExpert), Expert: true}, false},
		{"a moderator's post", &model.Post{Author: by(model.RoleModerator)}, false},
		{"an expert's anonymous post", &model.Post{Author: by(model.RoleExpert), Anonymous: true}, true},
		{"a former member's post", &model.Post{}, true},
		{"a hidden post", &model.Post{Author: by(model.RoleMember), HiddenAt: &at}, false},
		{"a deleted post", &model.Post{Author: by(model.RoleMember), DeletedAt: &at}, false},
		{"no post", nil, false},
	}
	for _, c := range cases {
		if got := policy.CountsForCrisisBox(c.p); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// CountNew, which lists ask for every thread they show, counts what IsNewTo counts, for
// every kind of viewer, position and author, and names the same first post.
func TestCountNewAgreesWithIsNewTo(t *testing.T) {
	viewers := []*model.User{nil, user(1, model.RolePending, model.StatusActive), user(2, model.RoleMember, model.StatusActive),
		user(3, model.RoleExpert, model.StatusSuspended), user(4, model.RoleModerator, model.StatusActive)}
	type mark struct{ id, author int64 }
	var posts []mark
	for i := int64(1); i <= 40; i++ {
		posts = append(posts, mark{id: i * 3, author: 1 + i%5}) // every viewer wrote some
	}
	for _, v := range viewers {
		for _, pos := range []int64{-1, 0, 1, 2, 3, 4, 30, 59, 60, 61, 119, 120, 121, 500} {
			wantN, wantFirst := 0, int64(0)
			for _, p := range posts {
				if policy.IsNewTo(v, &model.Post{ID: p.id, AuthorID: p.author}, pos) {
					if wantN++; wantFirst == 0 {
						wantFirst = p.id
					}
				}
			}
			n, first := policy.CountNew(v, pos, posts, func(p mark) (int64, int64) { return p.id, p.author })
			if n != wantN || first != wantFirst {
				t.Errorf("viewer %d read up to %d: CountNew = %d from %d, IsNewTo counts %d from %d", idOf(v), pos, n, first, wantN, wantFirst)
			}
		}
	}
}
