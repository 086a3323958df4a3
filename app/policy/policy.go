// Package policy answers every who-may-do-what question of the forum.
//
// The functions are pure: they look at the viewer (nil for a visitor) and the content,
// never at the database. app/forum asks them to enforce a rule, app/web asks them to
// decide what to show. A rule lives here and nowhere else.
package policy

import (
	"cmp"
	"slices"

	"forum/app/model"
)

// Active reports whether v is signed in and neither suspended, declined nor deleted.
func Active(v *model.User) bool {
	return v != nil && v.Status == model.StatusActive
}

// has reports whether v is active and holds at least role.
func has(v *model.User, role model.Role) bool {
	return Active(v) && v.Role.AtLeast(role)
}

// IsMember reports whether v may read members-only content.
func IsMember(v *model.User) bool { return has(v, model.RoleMember) }

// IsModerator reports whether v moderates (moderators and admins).
func IsModerator(v *model.User) bool { return has(v, model.RoleModerator) }

// IsAdmin reports whether v administers the forum.
func IsAdmin(v *model.User) bool { return has(v, model.RoleAdmin) }

// CanView reports whether v may read thread t.
func CanView(v *model.User, t *model.Thread) bool {
	if t == nil {
		return false
	}
	if t.Hidden {
		return IsModerator(v)
	}
	if t.Visibility == model.VisibilityPublic {
		return true
	}
	return IsMember(v)
}

// CanAsk reports whether v may start a question or discussion.
func CanAsk(v *model.User) bool { return IsMember(v) }

// CanWriteArticle reports whether v may write an article: experts, and moderators who curate them.
func CanWriteArticle(v *model.User) bool { return has(v, model.RoleExpert) }

// CanReply reports whether v may reply in t. Locked threads take replies from moderators only.
func CanReply(v *model.User, t *model.Thread) bool {
	if !CanView(v, t) || !IsMember(v) {
		return false
	}
	return !t.Locked || IsModerator(v)
}

// CanMarkHelpful reports whether v may mark a reply in t as the helpful one:
// the asker of a question, or a moderator.
func CanMarkHelpful(v *model.User, t *model.Thread) bool {
	if t == nil || t.Kind != model.KindQuestion || !CanView(v, t) {
		return false
	}
	return (IsMember(v) && v.ID == t.AuthorID) || IsModerator(v)
}

// CanMarkReplyHelpful reports whether v may mark post p of t as the reply that helped:
// one who may mark t (CanMarkHelpful), and a reply of t that is shown, never its opening
// post nor a reply deleted or hidden.
func CanMarkReplyHelpful(v *model.User, t *model.Thread, p *model.Post) bool {
	return CanMarkHelpful(v, t) && p != nil && p.ThreadID == t.ID && !p.Opening && p.DeletedAt == nil && p.HiddenAt == nil
}

// CanUnmarkHelpful reports whether v may take back the helpful mark of t: one who may
// mark it, once a reply is marked.
func CanUnmarkHelpful(v *model.User, t *model.Thread) bool {
	return CanMarkHelpful(v, t) && t.HelpfulPostID != nil
}

// CanQuote reports whether v may quote post p of t in a reply: one who may reply, and a
// post whose words are shown (not deleted, not hidden).
func CanQuote(v *model.User, t *model.Thread, p *model.Post) bool {
	return CanReply(v, t) && p != nil && p.DeletedAt == nil && p.HiddenAt == nil
}

// CanSeeAnonymousAuthor reports whether v may see who wrote an anonymous post.
func CanSeeAnonymousAuthor(v *model.User) bool { return IsModerator(v) }

// CanSignIn reports whether the account u may start a session: an active one. Suspended,
// declined and deleted accounts are told why they may not.
func CanSignIn(u *model.User) bool { return Active(u) }

// IsPending reports whether v signed in but awaits approval.
func IsPending(v *model.User) bool { return Active(v) && v.Role == model.RolePending }

// IsAskerAwaitingAnswer reports whether v asked question t and no expert has answered it
// yet: the thread page tells them what happens next.
func IsAskerAwaitingAnswer(v *model.User, t *model.Thread) bool {
	return IsMember(v) && t != nil && t.AuthorID == v.ID && t.Kind == model.KindQuestion && t.State == model.StateOpen && !t.Hidden
}

// CanSayWhyJoining reports whether v may tell the moderators what brings them here: a person
// awaiting approval, before the moderators decide.
func CanSayWhyJoining(v *model.User) bool { return IsPending(v) }

// CanSeeWhyJoining reports whether v may read what people awaiting approval said brings
// them here: those who decide on them.
func CanSeeWhyJoining(v *model.User) bool { return CanApproveMembers(v) }

// OwesWelcome reports whether member v was let in (approved) since they last saw the notice
// that says so: their next page tells them, once.
func OwesWelcome(v *model.User) bool {
	return IsMember(v) && v.ApprovedAt != nil && (v.ApprovalSeenAt == nil || v.ApprovalSeenAt.Before(*v.ApprovedAt))
}

// CanJoinWithInvite reports whether an invite makes v a member: only a person who was never
// one, an active account awaiting approval that nobody ever approved. Someone demoted to
// pending, declined, suspended or deleted waits for the moderators' decision instead, so an
// old invite link cannot undo it; a member needs no invite.
func CanJoinWithInvite(v *model.User) bool { return IsPending(v) && v.ApprovedAt == nil }

// CanTakeStaffName reports whether v may choose a pseudonym that sounds like the forum's
// staff ("Kinship_Team", "moderator1"): moderators and admins, who are staff.
func CanTakeStaffName(v *model.User) bool { return IsModerator(v) }

// CanApproveMembers reports whether v may approve or decline people awaiting approval.
func CanApproveMembers(v *model.User) bool { return IsModerator(v) }

// CanSeeAuditLog reports whether v may read the moderators' audit log.
func CanSeeAuditLog(v *model.User) bool { return IsModerator(v) }

// CanManageInvites reports whether v may create and revoke invite links.
func CanManageInvites(v *model.User) bool { return IsAdmin(v) }

// CanManageRoles reports whether v may see every account with its role, and give roles.
func CanManageRoles(v *model.User) bool { return IsAdmin(v) }

// CanSetRole reports whether v may give target the role: admins only, never on themselves
// (so that the last admin cannot lock everyone out by accident).
func CanSetRole(v, target *model.User, role model.Role) bool {
	return CanManageRoles(v) && target != nil && target.ID != v.ID && role.Valid()
}

// CanSuspend reports whether v may suspend target, an active account: moderators may
// suspend people ranked below them; nobody suspends themselves.
func CanSuspend(v, target *model.User) bool {
	return actsOnAccount(v, target) && target.Status == model.StatusActive
}

// CanReinstate reports whether v may lift the suspension of target: who may suspend it.
// Only a suspended account is reinstated: a deleted account stays deleted, and a declined
// one stays declined (reinstating it would make it an active account awaiting approval,
// which an old invite link could then turn into a member).
func CanReinstate(v, target *model.User) bool {
	return actsOnAccount(v, target) && target.Status == model.StatusSuspended
}

// actsOnAccount reports whether moderator v ranks above target, someone else.
func actsOnAccount(v, target *model.User) bool {
	return IsModerator(v) && target != nil && target.ID != v.ID && target.Role.Rank() < v.Role.Rank()
}

// CanViewProfile reports whether v may see a member's profile page.
func CanViewProfile(v, target *model.User) bool {
	if target == nil || target.Status == model.StatusDeleted {
		return false
	}
	if v != nil && v.ID == target.ID {
		return true
	}
	return IsMember(v) && target.Role != model.RolePending
}

// CanEditPost reports whether v may edit post p of thread t: its author, while the
// thread is open to replies, and never a hidden or deleted post.
func CanEditPost(v *model.User, t *model.Thread, p *model.Post) bool {
	if !IsMember(v) || !CanView(v, t) || p.DeletedAt != nil || p.HiddenAt != nil {
		return false
	}
	return p.AuthorID == v.ID && (!t.Locked || IsModerator(v))
}

// CanDeletePost reports whether v may delete post p: its author. Moderators hide posts instead.
func CanDeletePost(v *model.User, t *model.Thread, p *model.Post) bool {
	return IsMember(v) && CanView(v, t) && p.DeletedAt == nil && p.AuthorID == v.ID
}

// CanViewHistory reports whether v may read the earlier versions of post p of t: every
// member who can read the thread, so that edits stay honest; of a hidden one only who may
// read it (CanReadHiddenPost); of a deleted one only who may still read it (CanReadDeletedPost).
func CanViewHistory(v *model.User, t *model.Thread, p *model.Post) bool {
	if !IsMember(v) || !CanView(v, t) || p == nil || (p.DeletedAt != nil && !CanReadDeletedPost(v, p)) {
		return false
	}
	return p.HiddenAt == nil || CanReadHiddenPost(v)
}

// CanReadHiddenPost reports whether v may read the words of a post a moderator hid.
func CanReadHiddenPost(v *model.User) bool { return IsModerator(v) }

// CanLinkThreads reports whether v may link two threads as related: experts and moderators.
func CanLinkThreads(v *model.User) bool { return has(v, model.RoleExpert) }

// CanModerate reports whether v may lock, pin, hide and restore threads and posts.
func CanModerate(v *model.User) bool { return IsModerator(v) }

// CanModeratePost reports whether v is offered to hide or restore post p: moderators,
// while its author has not deleted it.
func CanModeratePost(v *model.User, p *model.Post) bool {
	return CanModerate(v) && p != nil && p.DeletedAt == nil
}

// CanManageTags reports whether v may create, rename, describe and merge tags.
func CanManageTags(v *model.User) bool { return IsModerator(v) }

// CanSeeUnansweredQueue reports whether v is offered the unanswered-questions queue.
func CanSeeUnansweredQueue(v *model.User) bool { return has(v, model.RoleExpert) }

// CanSetPublishConsent reports whether v may agree (or stop agreeing) to publish thread t
// to the public archive: its asker.
func CanSetPublishConsent(v *model.User, t *model.Thread) bool {
	return IsMember(v) && t != nil && t.AuthorID == v.ID && t.Kind == model.KindQuestion
}

// CanPublish reports whether v may publish t to the public archive: an expert or moderator,
// for an answered question whose asker agreed.
func CanPublish(v *model.User, t *model.Thread) bool {
	return has(v, model.RoleExpert) && t != nil && !t.Hidden && t.Kind == model.KindQuestion &&
		t.PublishConsent && t.State != model.StateOpen
}

// CanUnpublish reports whether v may take t out of the public archive: whoever may
// publish, experts and moderators, whatever the thread's state, so that a conversation
// that should not be public can always be taken back. (The asker takes it back by
// withdrawing consent: CanSetPublishConsent.)
func CanUnpublish(v *model.User, t *model.Thread) bool { return has(v, model.RoleExpert) && t != nil }

// IsNewTo reports whether post p is new to v, a member who has seen its thread up to post
// readUpTo: a later post that is neither deleted nor hidden (not even for moderators: it
// is no news to anyone) and that v did not write. A thread v never opened (readUpTo 0)
// has nothing new: only threads a member has opened, or started, count what came since.
// store.UnreadCounts counts the same posts for lists.
func IsNewTo(v *model.User, p *model.Post, readUpTo int64) bool {
	return IsMember(v) && p != nil && readUpTo > 0 && p.ID > readUpTo && p.AuthorID != v.ID &&
		p.DeletedAt == nil && p.HiddenAt == nil
}

// CountNew counts the posts new to v (IsNewTo) among posts, a thread's posts that are
// neither deleted nor hidden, oldest first, whose ids and authors post gives, and returns
// the first of them. It asks the viewer's questions once and passes over the posts up to
// readUpTo without a look: a list asks it for every thread it shows.
func CountNew[P any](v *model.User, readUpTo int64, posts []P, post func(P) (id, author int64)) (n int, first int64) {
	if !IsMember(v) || readUpTo <= 0 {
		return 0, 0
	}
	from, _ := slices.BinarySearchFunc(posts, readUpTo+1, func(p P, target int64) int {
		id, _ := post(p)
		return cmp.Compare(id, target)
	})
	for _, p := range posts[from:] {
		if id, author := post(p); id > readUpTo && author != v.ID {
			if n++; first == 0 {
				first = id
			}
		}
	}
	return n, first
}

// CanEmail reports whether recipient may be e-mailed a notification of kind about thread t
// and post p (nil when the kind concerns neither, or when they are gone), as things are
// when the message is about to leave: an active account with an address, who may read the
// thread now, about a post neither deleted nor hidden from them. The notice that a
// moderator hid the recipient's own post is the exception: it is about a hidden post, and
// tells none of its words.
func CanEmail(recipient *model.User, kind model.NotifyKind, t *model.Thread, p *model.Post) bool {
	if !Active(recipient) || recipient.Email == "" {
		return false
	}
	switch kind {
	case model.NotifyApproved, model.NotifyFlagHandled:
		return IsMember(recipient)
	case model.NotifyFlagDanger:
		return CanHandleFlags(recipient) && p != nil
	}
	if !CanView(recipient, t) {
		return false
	}
	if p == nil {
		// A post the notification named is gone; a new question is about its thread.
		return kind == model.NotifyNewQuestion
	}
	switch {
	case p.ThreadID != t.ID || p.DeletedAt != nil:
		return false
	case kind == model.NotifyPostHidden:
		return p.HiddenAt != nil && p.AuthorID == recipient.ID
	case kind == model.NotifyPostRestored:
		return p.HiddenAt == nil && p.AuthorID == recipient.ID
	case kind == model.NotifyPostEdited:
		return p.AuthorID == recipient.ID
	case p.HiddenAt != nil:
		return CanReadHiddenPost(recipient)
	}
	return true
}
