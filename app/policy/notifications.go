package policy

import "forum/app/model"

// CanFollowThread reports whether v may follow thread t: a member who may read it.
func CanFollowThread(v *model.User, t *model.Thread) bool { return IsMember(v) && CanView(v, t) }

// CanFollowTopic reports whether v may follow topics (experts do, to hear of new
// questions): members.
func CanFollowTopic(v *model.User) bool { return IsMember(v) }

// ThreadLevel is the level at which v follows thread t, given followed, the level of the
// follow v has ("" when none). Without one, the author of the thread hears of answers to
// their own question (normal); anyone else follows nothing ("").
func ThreadLevel(v *model.User, t *model.Thread, followed model.Level) model.Level {
	switch {
	case followed != "":
		return followed
	case v != nil && t != nil && v.ID == t.AuthorID:
		return model.LevelNormal
	}
	return ""
}

// CanStopFollowing reports whether v is offered "not following" for thread t: anyone but
// its author, for whom no follow means normal (ThreadLevel) and who mutes it instead.
func CanStopFollowing(v *model.User, t *model.Thread) bool {
	return v != nil && t != nil && v.ID != t.AuthorID
}

// CanReadNotices reports whether v has notifications, a page of them and a count in the
// header: members.
func CanReadNotices(v *model.User) bool { return IsMember(v) }

// CanCompleteNames reports whether v may look up members' pseudonyms by their first
// letters, to mention them: members.
func CanCompleteNames(v *model.User) bool { return IsMember(v) }

// Mentionable reports whether u is offered when a member types a mention: an active
// member who chose a pseudonym.
func Mentionable(u *model.User) bool { return IsMember(u) && u.PseudonymChosenAt != nil }

// IsModerationNotice reports whether a notification of kind tells of a moderator's action
// on the recipient's own post.
func IsModerationNotice(kind model.NotifyKind) bool {
	return kind == model.NotifyPostHidden || kind == model.NotifyPostRestored || kind == model.NotifyPostEdited
}

// MayNotify reports whether recipient may be told, now, of an event of kind about post p
// of thread t (both nil for an event about the account, such as its approval). Nobody but
// an active member is told anything. Of a moderator's action on their post, its author is
// told while the post is not deleted; of a report's handling, the member who reported;
// of a report that someone may be in danger, every moderator. Of anything else in a thread, only a reader of the
// thread is told, and never of a post that is deleted or hidden.
func MayNotify(recipient *model.User, kind model.NotifyKind, t *model.Thread, p *model.Post) bool {
	if !IsMember(recipient) {
		return false
	}
	switch {
	case kind == model.NotifyApproved, kind == model.NotifyFlagHandled:
		return true
	case kind == model.NotifyFlagDanger:
		return CanHandleFlags(recipient) && p != nil
	case IsModerationNotice(kind):
		return p != nil && p.AuthorID == recipient.ID && p.DeletedAt == nil
	case kind == model.NotifyPostDeclined:
		// About a post never published: only its author is ever named as the recipient.
		return true
	case kind == model.NotifyPostApproved:
		return p != nil && p.AuthorID == recipient.ID && p.DeletedAt == nil
	case kind == model.NotifyDanger:
		return CanBeToldOfDanger(recipient, t, p)
	}
	return CanView(recipient, t) && (p == nil || (p.ThreadID == t.ID && p.DeletedAt == nil && p.HiddenAt == nil))
}

// CanReadNotice reports whether v may read, now, what a notification of kind about post p
// of thread t says: who did what, in which thread. One whose thread or post v may no longer
// read (hidden or deleted since) shows without them. Of a moderator's action, its author
// reads what was done and why, and the thread's title while they may read the thread.
func CanReadNotice(v *model.User, kind model.NotifyKind, t *model.Thread, p *model.Post) bool {
	if !CanReadNotices(v) {
		return false
	}
	switch {
	case kind == model.NotifyApproved, kind == model.NotifyFlagHandled:
		// A flagger reads what was done, never the post's words.
		return true
	case kind == model.NotifyFlagDanger:
		return CanHandleFlags(v) && p != nil
	case IsModerationNotice(kind):
		return p != nil && p.AuthorID == v.ID
	case kind == model.NotifyPostDeclined:
		return true
	case kind == model.NotifyPostApproved:
		return p != nil && p.AuthorID == v.ID && p.DeletedAt == nil
	case kind == model.NotifyDanger:
		return CanBeToldOfDanger(v, t, p)
	}
	return CanView(v, t) && p != nil && p.ThreadID == t.ID && p.DeletedAt == nil && p.HiddenAt == nil
}

// CanChooseEmail reports whether v may choose which notifications reach them by e-mail:
// anyone signed in, a person awaiting approval too (to hear of it).
func CanChooseEmail(v *model.User) bool { return Active(v) }
