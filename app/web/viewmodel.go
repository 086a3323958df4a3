package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"forum/app/model"
	"forum/app/policy"
)

// threadItem is a thread as lists and the thread page show it.
type threadItem struct {
	ID           int64
	URL          string
	Title        string
	Kind         model.Kind
	KindLabel    string
	State        model.State
	Author       string
	Replies      int
	LastActivity time.Time
	Pinned       bool
	Locked       bool
	Hidden       bool
	Tags         []*model.Tag
	// NewCount posts in the thread are new to the viewer, the first of them FirstNew: set
	// per request on lists (markUnread), never in a rendering shared between viewers.
	NewCount int
	FirstNew int64
	// HiddenReplies counts, for moderators on the thread page, the replies a moderator hid:
	// the count of replies leaves them out.
	HiddenReplies int
}

// IsQuestion reports whether the thread is a question (the others are discussions and articles).
func (t threadItem) IsQuestion() bool { return t.Kind == model.KindQuestion }

// Answered reports whether an expert answered the question and nobody marked a reply helpful yet.
func (t threadItem) Answered() bool { return t.State == model.StateAnswered }

// Resolved reports whether the asker (or a moderator) marked a reply helpful.
func (t threadItem) Resolved() bool { return t.State == model.StateResolved }

func threadURL(t *model.Thread) string { return fmt.Sprintf("/t/%d/%s", t.ID, t.Slug) }

// kindLabels name the kinds of thread on lists and pages.
var kindLabels = map[model.Kind]string{model.KindQuestion: "Question", model.KindDiscussion: "Discussion", model.KindArticle: "Article"}

func newThreadItem(v *model.User, t *model.Thread) threadItem {
	label := kindLabels[t.Kind]
	return threadItem{
		ID: t.ID, URL: threadURL(t), Title: t.Title, Kind: t.Kind, KindLabel: label, State: policy.ShownState(v, t),
		Author:  policy.ShowAuthor(v, t.Author, t.Anonymous).Name,
		Replies: t.ReplyCount, LastActivity: t.LastActivityAt, Pinned: t.Pinned, Locked: t.Locked, Hidden: t.Hidden, Tags: t.Tags,
	}
}

func threadItems(v *model.User, ts []*model.Thread) []threadItem {
	out := make([]threadItem, len(ts))
	for i, t := range ts {
		out[i] = newThreadItem(v, t)
	}
	return out
}

// postView is a post as the thread page shows it, with the author shown as app/policy
// says (ShowAuthor).
type postView struct {
	ID         int64
	Author     string
	AuthorURL  string
	Credential string
	// Expert shows the Expert badge; ExpertAnswer marks the reply as an expert's answer.
	Expert               bool
	ExpertAnswer         bool
	Helpful              bool
	Edited               bool
	AnonymousToModerator bool
	// AnonymousByViewer tells the author of an anonymous post that others see it so.
	AnonymousByViewer bool
	CreatedAt         time.Time
	Body              template.HTML
	ContentNote       string
	Removed           string

	ThreadID int64
	Opening  bool
	Hidden   bool // hidden by a moderator; only moderators see its text
	// FlagHidden: members' reports hid it until a moderator decides (moderators see it).
	FlagHidden bool
	// DeletedByAuthor: its author deleted it after a moderator hid it; moderators still read it.
	DeletedByAuthor bool
	CanFlag         bool
	CanEdit         bool
	CanDelete       bool
	CanMarkHelpful  bool
	CanQuote        bool
	CanModerate     bool
	CanSeeHistory   bool
	CSRF            string
	// Before goes before the post: "new since your last visit", or its slot.
	Before template.HTML
}

func newPostView(v *model.User, t *model.Thread, p *model.Post) postView {
	who := policy.ShowAuthor(v, p.Author, p.Anonymous)
	pv := postView{
		ID: p.ID, Author: who.Name, Expert: who.Expert, Credential: who.Credential,
		ExpertAnswer:         policy.ShowsAsExpertAnswer(p),
		AnonymousToModerator: who.Anonymous, AnonymousByViewer: who.Yours,
		Helpful: (t.HelpfulPostID != nil && *t.HelpfulPostID == p.ID) ||
			// Moderators see the kept mark of a hidden reply.
			(t.HeldHelpfulPostID != nil && *t.HeldHelpfulPostID == p.ID && policy.CanReadHiddenPost(v)),
		Edited:    p.EditedAt != nil,
		CreatedAt: p.CreatedAt, ContentNote: p.ContentNote,
		// BodyHTML was sanitized by app/markdown when the post was written.
		Body: template.HTML(p.BodyHTML),
	}
	if who.Profile {
		pv.AuthorURL = profileURL(who.Name)
	}
	pv.ThreadID, pv.Opening = t.ID, p.Opening
	pv.CanEdit = policy.CanEditPost(v, t, p)
	pv.CanDelete = policy.CanDeletePost(v, t, p)
	pv.CanModerate = policy.CanModeratePost(v, p)
	pv.CanSeeHistory = pv.Edited && policy.CanViewHistory(v, t, p)
	pv.CanQuote = policy.CanQuote(v, t, p)
	pv.CanFlag = policy.CanFlag(v, t, p)
	// The reply already marked is not offered again.
	pv.CanMarkHelpful = !pv.Helpful && policy.CanMarkReplyHelpful(v, t, p)
	switch {
	case p.DeletedAt != nil && policy.CanReadDeletedPost(v, p):
		pv.Hidden, pv.DeletedByAuthor = true, true
	case p.DeletedAt != nil:
		pv.Removed, pv.Body = "This post was deleted by its author.", ""
	case p.HiddenAt != nil && policy.CanReadHiddenPost(v):
		pv.Hidden, pv.FlagHidden = true, p.FlagHidden
	case p.HiddenAt != nil:
		pv.Removed, pv.Body = "This post was hidden by a moderator.", ""
	}
	return pv
}

// profileURL is the address of the profile of the member with pseudonym name.
func profileURL(name string) string { return "/u/" + url.PathEscape(name) }

// ago says how long ago t was, the way people say it.
func ago(t time.Time) string {
	d := time.Since(t)
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute") + " ago"
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour") + " ago"
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " ago"
	case d < 365*24*time.Hour:
		return t.UTC().Format("2 Jan")
	}
	return t.UTC().Format("2 Jan 2006")
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return fmt.Sprintf("%d %ss", n, unit)
}

// roleLabel names a role as people say it.
func roleLabel(r model.Role) string {
	switch r {
	case model.RolePending:
		return "awaiting approval"
	case model.RoleMember:
		return "family member"
	case model.RoleExpert:
		return "expert"
	case model.RoleModerator:
		return "moderator"
	case model.RoleAdmin:
		return "administrator"
	}
	return string(r)
}

// browserName gives a recognisable name for a session's browser.
func browserName(ua string) string {
	for _, b := range []struct{ token, name string }{
		{"Edg/", "Edge"}, {"Firefox/", "Firefox"}, {"Chrome/", "Chrome"}, {"Safari/", "Safari"}, {"curl/", "curl"},
	} {
		if strings.Contains(ua, b.token) {
			os := ""
			switch {
			case strings.Contains(ua, "Android"):
				os = " on Android"
			case strings.Contains(ua, "iPhone"), strings.Contains(ua, "iPad"):
				os = " on iOS"
			case strings.Contains(ua, "Windows"):
				os = " on Windows"
			case strings.Contains(ua, "Mac OS"):
				os = " on macOS"
			case strings.Contains(ua, "Linux"):
				os = " on Linux"
			}
			return b.name + os
		}
	}
	if ua == "" {
		return "A browser"
	}
	return "Another browser"
}

// hiddenReplies counts the replies of posts that v reads though a moderator hid them (0
// for anyone who does not read hidden posts).
func hiddenReplies(v *model.User, posts []*model.Post) int {
	if !policy.CanReadHiddenPost(v) {
		return 0
	}
	n := 0
	for _, p := range posts {
		if !p.Opening && p.HiddenAt != nil && p.DeletedAt == nil {
			n++
		}
	}
	return n
}
