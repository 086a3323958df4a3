package policy

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"forum/app/model"
)

// Limits of flags and of moderators' actions.
const (
	// MaxFlagNote bounds what a member adds to a report.
	MaxFlagNote = 500
	// MaxReason bounds a moderator's reason for an action (told to the author, written in
	// the audit log).
	MaxReason = 300
	// MaxWarning bounds a moderator's warning to a member.
	MaxWarning = 1000
	// FlagsPerHour is how many posts a member may report in an hour: enough for a bad
	// evening in a busy thread, too few to flag everything.
	FlagsPerHour = 20
	// FlagsToHide is how many established members' open flags hide a post until a
	// moderator decides.
	FlagsToHide = 3
	// EstablishedAfter is how long a member has been approved before their flags count
	// towards hiding a post.
	EstablishedAfter = 14 * 24 * time.Hour
	// BusyFlagger is how many reports in a day show a member on the moderators' list of
	// members reporting a lot.
	BusyFlagger = FlagsPerHour / 2
)

// FlagReasons are the reasons a member may give, in the order the form offers them.
var FlagReasons = []model.FlagReason{model.FlagDanger, model.FlagUnkind, model.FlagSpam, model.FlagIdentity,
	model.FlagOffTopic, model.FlagOther}

// FlagReasonLabel is how a reason reads.
func FlagReasonLabel(r model.FlagReason) string {
	switch r {
	case model.FlagDanger:
		return "Someone may be in danger"
	case model.FlagUnkind:
		return "Unkind or harmful"
	case model.FlagSpam:
		return "Spam or selling"
	case model.FlagIdentity:
		return "Reveals someone's identity"
	case model.FlagOffTopic:
		return "Off topic"
	case model.FlagOther:
		return "Something else"
	}
	return string(r)
}

// ValidFlagReason reports whether r is one of FlagReasons.
func ValidFlagReason(r model.FlagReason) bool {
	for _, x := range FlagReasons {
		if x == r {
			return true
		}
	}
	return false
}

// FlagNeedsNote reports whether a report for reason r must say more: "something else" does.
func FlagNeedsNote(r model.FlagReason) bool { return r == model.FlagOther }

// CanFlag reports whether v may report post p of thread t: a member who may read the post
// (a hidden post only who may read it), never their own post nor one deleted.
func CanFlag(v *model.User, t *model.Thread, p *model.Post) bool {
	if !IsMember(v) || !CanView(v, t) || p == nil || p.ThreadID != t.ID || p.DeletedAt != nil {
		return false
	}
	if p.HiddenAt != nil && !CanReadHiddenPost(v) {
		return false
	}
	return p.AuthorID != v.ID
}

// MayFlagMore reports whether a member who reported flagged posts in the last hour may
// report one more.
func MayFlagMore(flagged int) bool { return flagged < FlagsPerHour }

// IsEstablished reports whether u's flags count towards hiding a post at now: a member
// approved at least EstablishedAfter ago.
func IsEstablished(u *model.User, now time.Time) bool {
	return IsMember(u) && u.ApprovedAt != nil && !now.Before(u.ApprovedAt.Add(EstablishedAfter))
}

// FlagsHide reports whether a post with open flags from established members is hidden
// until a moderator decides.
func FlagsHide(established int) bool { return established >= FlagsToHide }

// CanHandleFlags reports whether v sees the reports queue and acts on it: moderators.
func CanHandleFlags(v *model.User) bool { return IsModerator(v) }

// CanModeratorEdit reports whether moderator v may edit or redact post p, keeping the
// earlier version for moderators only: a post not deleted by its author.
func CanModeratorEdit(v *model.User, p *model.Post) bool {
	return CanModerate(v) && p != nil && p.DeletedAt == nil
}

// CanWarn reports whether v may warn target: who may suspend them (a moderator, about an
// active account ranked below them).
func CanWarn(v, target *model.User) bool { return CanSuspend(v, target) }

// CanReadDeletedPost reports whether v may read the words of post p that its author
// deleted: moderators, of a post a moderator had hidden (deleting it takes nothing from them).
func CanReadDeletedPost(v *model.User, p *model.Post) bool {
	return CanReadHiddenPost(v) && p != nil && p.DeletedAt != nil && p.HiddenAt != nil
}

// CanReadRevision reports whether v, who may read a post's history, may read revision r:
// one a moderator's edit replaced is for moderators only.
func CanReadRevision(v *model.User, r *model.PostRevision) bool {
	return r != nil && (!r.ModeratorOnly || IsModerator(v))
}

// ShownState is the state of thread t as v sees it: a question whose helpful reply is
// hidden is Resolved to moderators, who see the reply and its kept mark; others see the
// state the thread has without it.
func ShownState(v *model.User, t *model.Thread) model.State {
	if t != nil && t.HeldHelpfulPostID != nil && t.HelpfulPostID == nil && CanReadHiddenPost(v) {
		return model.StateResolved
	}
	return t.State
}

// SuspensionOver reports whether u's suspension ended by itself at now.
func SuspensionOver(u *model.User, now time.Time) bool {
	return u != nil && u.Status == model.StatusSuspended && u.SuspendedUntil != nil && !now.Before(*u.SuspendedUntil)
}

// ReasonProblem says what is wrong with a moderator's reason for an action, or "": a
// reason is required, and at most MaxReason characters.
func ReasonProblem(reason string) string {
	n := utf8.RuneCountInString(strings.TrimSpace(reason))
	switch {
	case n == 0:
		return "Give a reason: it goes in the audit log, and the member concerned is told it."
	case n > MaxReason:
		return fmt.Sprintf("Keep the reason under %d characters (this one has %d).", MaxReason, n)
	}
	return ""
}

// HearsOfKind reports whether v may be told of notifications of kind at all, so that
// their e-mail choices offer it: reports that someone may be in danger reach moderators only.
func HearsOfKind(v *model.User, kind model.NotifyKind) bool {
	if kind == model.NotifyFlagDanger {
		return CanHandleFlags(v)
	}
	return true
}
