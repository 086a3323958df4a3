package policy

import "forum/app/model"

// Names shown instead of a person's pseudonym.
const (
	// AnonymousName is how an anonymous post is signed, whoever wrote it: the same words for
	// a member, an expert or a moderator, so that the few of each are not told apart.
	AnonymousName = "A member of the community"
	// FormerMemberName signs what a deleted account wrote.
	FormerMemberName = "A former member"
)

// Shown is how an author appears to one viewer beside something they wrote.
type Shown struct {
	// Name is the pseudonym, a name by role on the public archive ("An expert"), or
	// AnonymousName / FormerMemberName.
	Name string
	// Profile: Name is a pseudonym whose profile the viewer may open.
	Profile bool
	// Expert: the Expert badge is shown.
	Expert bool
	// Credential is the expert's credential line, when shown.
	Credential string
	// Anonymous: a moderator sees the real author of an anonymous post, marked as such.
	Anonymous bool
	// Yours: the viewer wrote this anonymous post (the name others see is shown to them).
	Yours bool
}

// ShowAuthor is how viewer v sees author (nil: an account gone) as the writer of something
// posted anonymously or not.
//
// An anonymous post says AnonymousName to everyone but moderators, with no badge, no
// credential and no link, whatever the author's role. Moderators see the author, marked as
// anonymous. Members see pseudonyms, with the Expert badge and credential of experts.
// Anyone else reads only the public archive and sees people by role: "A family member",
// "An expert" (with the credential), "A moderator".
func ShowAuthor(v, author *model.User, anonymous bool) Shown {
	switch {
	case anonymous && !CanSeeAnonymousAuthor(v):
		return Shown{Name: AnonymousName, Yours: v != nil && author != nil && IsMember(v) && v.ID == author.ID}
	case author == nil || author.Status == model.StatusDeleted:
		return Shown{Name: FormerMemberName}
	}
	expert := author.IsExpert()
	s := Shown{Expert: expert, Anonymous: anonymous}
	if expert {
		s.Credential = author.Credential
	}
	if !IsMember(v) {
		s.Name = roleName(author.Role)
		return s
	}
	s.Name = author.Pseudonym
	s.Profile = CanViewProfile(v, author)
	return s
}

// roleName is how the public archive names a person who did not post anonymously.
func roleName(r model.Role) string {
	switch r {
	case model.RoleExpert:
		return "An expert"
	case model.RoleModerator, model.RoleAdmin:
		return "A moderator"
	}
	return "A family member"
}

// reader is a member with no other role: the least a member reader of the forum sees.
var reader = &model.User{Role: model.RoleMember, Status: model.StatusActive}

// QuoteName is the name a quote of author's post carries in thread t: what the thread's
// readers may see (visitors, once it is in the public archive), whoever quotes. A
// moderator who quotes an anonymous post so writes AnonymousName, not the author.
func QuoteName(t *model.Thread, author *model.User, anonymous bool) string {
	if t != nil && t.Visibility == model.VisibilityPublic {
		return ShowAuthor(nil, author, anonymous).Name
	}
	return ShowAuthor(reader, author, anonymous).Name
}

// PostingAs is the name members will see on what author posts, anonymously or not: what
// the forms say beside their submit button.
func PostingAs(author *model.User, anonymous bool) string {
	return ShowAuthor(reader, author, anonymous).Name
}

// IsExpertAnswer reports whether a reply written by author counts as an expert answer
// (badge, "answered" state, by:expert in search): an active expert's, and never an
// anonymous one, which would name its author's role.
func IsExpertAnswer(author *model.User, anonymous bool) bool {
	return !anonymous && author != nil && author.Role == model.RoleExpert && author.Status == model.StatusActive
}

// ShowsAsExpertAnswer reports whether a stored post is shown and found as an expert answer.
// Its Expert flag was set by IsExpertAnswer when it was written; an anonymous post never
// is one, whatever an older row says.
func ShowsAsExpertAnswer(p *model.Post) bool { return p != nil && p.Expert && !p.Anonymous }

// Audience tells apart viewers who see different things on a shared page. Every rule of
// this package looks at a viewer's role and status only, except where the viewer is the
// author of something the page shows (Person): two viewers with the same Audience see the
// same page, and a cached rendering is shared between them and no one else.
type Audience struct {
	// Role is the viewer's role while active; empty for visitors and for accounts that
	// are suspended, declined or deleted, which every rule treats as visitors.
	Role model.Role
	// Person is the viewer's id when they wrote something the page shows, else 0.
	Person int64
}

// AudienceOf returns the audience of viewer v on a page; wrote reports whether the person
// with that id wrote something the page shows.
func AudienceOf(v *model.User, wrote func(id int64) bool) Audience {
	if !Active(v) {
		return Audience{}
	}
	a := Audience{Role: v.Role}
	if wrote != nil && wrote(v.ID) {
		a.Person = v.ID
	}
	return a
}
