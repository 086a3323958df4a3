package policy

import "forum/app/model"

// NeedsReview reports whether a post author is about to write waits for a moderator
// (first-post review): a member (not an expert, moderator or admin) who has had fewer
// than firstPosts posts published. firstPosts 0 turns review off.
func NeedsReview(author *model.User, published, firstPosts int) bool {
	return IsMember(author) && author.Role == model.RoleMember && firstPosts > 0 && published < firstPosts
}

// CanReviewPosts reports whether v may see the posts waiting for review and publish or
// decline them: moderators.
func CanReviewPosts(v *model.User) bool { return IsModerator(v) }

// CanSeeHeldPost reports whether v may read held post h: its author, and moderators.
// Nobody else learns that it exists.
func CanSeeHeldPost(v *model.User, h *model.HeldPost) bool {
	if h == nil || !Active(v) {
		return false
	}
	return v.ID == h.AuthorID || CanReviewPosts(v)
}

// CanDecideHeldPost reports whether v may publish or decline h: a moderator, while no one
// has decided on it.
func CanDecideHeldPost(v *model.User, h *model.HeldPost) bool {
	return CanReviewPosts(v) && h.Waiting()
}

// CanPublishHeldPost reports whether held post h of author may be published now: its
// author is still an active member. A suspended or deleted author's post is declined
// instead.
func CanPublishHeldPost(v *model.User, h *model.HeldPost, author *model.User) bool {
	return CanDecideHeldPost(v, h) && author != nil && author.ID == h.AuthorID && IsMember(author)
}

// IsReviewNotice reports whether a notification of kind tells a member what a moderator
// decided on their held post.
func IsReviewNotice(kind model.NotifyKind) bool {
	return kind == model.NotifyPostApproved || kind == model.NotifyPostDeclined
}

// CanBeToldOfDanger reports whether v is told that a post's words suggest immediate danger
// (app/danger): moderators who may read the thread (t nil: a post held for review, which
// every moderator may read in the queue), of a post not deleted since.
func CanBeToldOfDanger(v *model.User, t *model.Thread, p *model.Post) bool {
	if !IsModerator(v) {
		return false
	}
	if t != nil && !CanView(v, t) {
		return false
	}
	return p == nil || p.DeletedAt == nil
}

// CanMoveThread reports whether v may change the topics of any thread: moderators.
func CanMoveThread(v *model.User, t *model.Thread) bool { return IsModerator(v) && t != nil }

// CanMergeThread reports whether v may merge thread from into thread into: moderators,
// two different threads, neither merged already.
func CanMergeThread(v *model.User, from, into *model.Thread) bool {
	return IsModerator(v) && from != nil && into != nil && from.ID != into.ID &&
		from.MergedInto == nil && into.MergedInto == nil
}

// DiscreetTitle reports whether pages show v only the forum's name as their title.
func DiscreetTitle(v *model.User) bool { return v != nil && v.DiscreetTitles }

// CanSeeMemberActivity reports whether v may read the list of threads and replies that
// target wrote under their name on their profile: members who may see the profile.
// Anonymous posts are never in it, for anyone.
func CanSeeMemberActivity(v, target *model.User) bool {
	return IsMember(v) && CanViewProfile(v, target)
}

// CountsForCrisisBox reports whether the words of post p (with its Author loaded) decide
// whether its thread shows readers the crisis box: a post readers see, written anonymously
// or by a family member. Experts, moderators and admins who list the signs of an overdose
// teach; they tell of no one. (An anonymous post always counts, so that the box never
// tells readers whether its author is staff.)
func CountsForCrisisBox(p *model.Post) bool {
	if p == nil || p.DeletedAt != nil || p.HiddenAt != nil {
		return false
	}
	return p.Anonymous || p.Author == nil || !p.Author.Role.AtLeast(model.RoleExpert)
}
