package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// auditPart is a piece of an audit row's sentence: words, or a link.
type auditPart struct {
	Text string
	URL  string
	// Title: the words are a thread's title (shown in italics).
	Title bool
}

type auditRow struct {
	At    time.Time
	Parts []auditPart
	Note  string
}

// auditAction is an action the log's filter offers.
type auditAction struct {
	Value, Label string
	Selected     bool
}

// auditActions name the actions of the log, as its filter offers them: each value stands
// for the actions listed after it.
var auditActions = []struct {
	value, label string
	actions      []string
}{
	{"hide", "Hid a post or thread", []string{"hide_post", "hide_thread", "flags_hid_post"}},
	{"restore", "Restored a post or thread", []string{"restore_post", "restore_thread"}},
	{"flags", "Dismissed reports", []string{"dismiss_flags"}},
	{"edit", "Edited a post", []string{"edit_post"}},
	{"warn", "Warned a member", []string{"warn"}},
	{"suspend", "Suspended or reinstated", []string{"suspend", "unsuspend", "suspension_ended"}},
	{"lock", "Locked, unlocked, pinned or unpinned", []string{"lock_thread", "unlock_thread", "pin_thread", "unpin_thread"}},
	{"members", "Approved or declined members", []string{"approve_member", "decline_member", "join_with_invite"}},
	{"roles", "Gave roles", []string{"set_role"}},
	{"archive", "Published or unpublished", []string{"publish", "unpublish"}},
	{"links", "Linked threads", []string{"link_threads", "unlink_threads"}},
	{"topics", "Changed topics", []string{"create_tag", "update_tag", "merge_tag"}},
	{"review", "Published or declined first posts", []string{"approve_post", "decline_post"}},
	{"moves", "Moved or merged threads", []string{"move_thread", "merge_thread"}},
}

// verbs say what each action did, before what it did it to.
var verbs = map[string]string{
	"hide_post": "hid", "restore_post": "restored", "edit_post": "edited", "dismiss_flags": "dismissed the reports of",
	"flags_hid_post": "hid", "hide_thread": "hid", "restore_thread": "restored", "lock_thread": "locked",
	"unlock_thread": "unlocked", "pin_thread": "pinned", "unpin_thread": "unpinned", "publish": "published",
	"unpublish": "took out of the public archive", "link_threads": "linked", "unlink_threads": "unlinked",
	"suspend": "suspended", "unsuspend": "reinstated", "suspension_ended": "saw the suspension end of", "warn": "warned",
	"approve_member": "approved", "decline_member": "declined", "set_role": "changed the role of",
	"join_with_invite": "let in with an invite", "create_tag": "created", "update_tag": "changed", "merge_tag": "merged",
	"approve_post": "published", "decline_post": "declined", "move_thread": "changed the topics of",
	"merge_thread": "merged the duplicate",
}

type auditData struct {
	Rows []auditRow
	// The filters as chosen, and what the action filter offers.
	Moderator, Member, Action, From, To string
	Actions                             []auditAction
	Errors                              map[string]string
	// Next is the address of the next (older) page, if any; First of the first page when
	// this is a later one.
	Next, First string
}

// modAudit shows the moderation and administration actions as sentences with links,
// latest first, filtered by moderator, member, action and dates, a page at a time. The
// log is the moderators': it names the author of an anonymous post (policy.ShowAuthor).
func (s *Server) modAudit(c echo.Context) error {
	v := viewer(c)
	if !policy.CanSeeAuditLog(v) {
		return model.ErrForbidden
	}
	ctx := c.Request().Context()
	d := auditData{Moderator: strings.TrimSpace(c.QueryParam("moderator")), Member: strings.TrimSpace(c.QueryParam("member")),
		Action: c.QueryParam("action"), From: c.QueryParam("from"), To: c.QueryParam("to"), Errors: map[string]string{}}
	q := store.AuditQuery{Limit: accountsPerPage + 1}
	for _, a := range auditActions {
		d.Actions = append(d.Actions, auditAction{Value: a.value, Label: a.label, Selected: a.value == d.Action})
		if a.value == d.Action {
			q.Actions = a.actions
		}
	}
	nobody := false
	for _, f := range []struct {
		name, field string
		id          *int64
	}{{d.Moderator, "moderator", &q.ActorID}, {d.Member, "member", &q.SubjectID}} {
		if f.name == "" {
			continue
		}
		u, err := s.store.UserByPseudonym(ctx, strings.TrimPrefix(f.name, "@"))
		switch {
		case errors.Is(err, model.ErrNotFound):
			d.Errors[f.field] = "Nobody is called " + f.name + "."
			nobody = true
		case err != nil:
			return err
		default:
			*f.id = u.ID
		}
	}
	for _, f := range []struct {
		value, field string
		at           *time.Time
		days         int
	}{{d.From, "from", &q.Since, 0}, {d.To, "to", &q.Before, 1}} {
		if f.value == "" {
			continue
		}
		day, err := time.Parse("2006-01-02", f.value)
		if err != nil {
			d.Errors[f.field] = "Choose a day (year-month-day)."
			nobody = true
			continue
		}
		*f.at = day.AddDate(0, 0, f.days)
	}
	status := http.StatusOK
	if len(d.Errors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	if at, id, ok := parseKeyset(c.QueryParam("after")); ok {
		q.After = &store.CreatedCursor{CreatedAt: at, ID: id}
		d.First = auditURL(d, "")
	}
	if nobody {
		return s.render(c, status, "mod_audit", "mod", d)
	}
	entries, err := s.store.AuditLog(ctx, q)
	if err != nil {
		return err
	}
	if len(entries) > accountsPerPage {
		entries = entries[:accountsPerPage]
		last := entries[len(entries)-1]
		d.Next = auditURL(d, keyset(last.CreatedAt, last.ID))
	}
	if d.Rows, err = s.auditRows(ctx, v, entries); err != nil {
		return err
	}
	return s.render(c, status, "mod_audit", "mod", d)
}

// auditURL is the address of the log with d's filters, from the place after ("": the start).
func auditURL(d auditData, after string) string {
	q := url.Values{}
	for k, v := range map[string]string{"moderator": d.Moderator, "member": d.Member, "action": d.Action, "from": d.From, "to": d.To, "after": after} {
		if v != "" {
			q.Set(k, v)
		}
	}
	if len(q) == 0 {
		return "/mod/audit"
	}
	return "/mod/audit?" + q.Encode()
}

// auditRows turns entries into sentences: who did what to whose post in which thread,
// and why. Everything they name is loaded once per page.
func (s *Server) auditRows(ctx context.Context, v *model.User, entries []*model.AuditEntry) ([]auditRow, error) {
	var userIDs, postIDs, threadIDs, tagIDs []int64
	for _, e := range entries {
		if e.ActorID != nil {
			userIDs = append(userIDs, *e.ActorID)
		}
		if e.SubjectID != nil {
			userIDs = append(userIDs, *e.SubjectID)
		}
		if e.ThreadID != nil {
			threadIDs = append(threadIDs, *e.ThreadID)
		}
		switch e.TargetType {
		case "post":
			postIDs = append(postIDs, e.TargetID)
		case "user":
			userIDs = append(userIDs, e.TargetID)
		case "thread":
			threadIDs = append(threadIDs, e.TargetID)
		case "tag":
			tagIDs = append(tagIDs, e.TargetID)
		}
	}
	users, err := s.store.UsersByIDs(ctx, userIDs)
	if err != nil {
		return nil, err
	}
	posts, err := s.store.PostsByIDs(ctx, postIDs)
	if err != nil {
		return nil, err
	}
	for _, p := range posts {
		threadIDs = append(threadIDs, p.ThreadID)
	}
	threads, err := s.store.ThreadRowsByIDs(ctx, threadIDs)
	if err != nil {
		return nil, err
	}
	var authors []int64
	for _, p := range posts {
		if users[p.AuthorID] == nil {
			authors = append(authors, p.AuthorID)
		}
	}
	for _, t := range threads {
		if users[t.AuthorID] == nil {
			authors = append(authors, t.AuthorID)
		}
	}
	more, err := s.store.UsersByIDs(ctx, authors)
	if err != nil {
		return nil, err
	}
	for id, u := range more {
		users[id] = u
	}
	tags, err := s.store.TagsByIDs(ctx, tagIDs)
	if err != nil {
		return nil, err
	}
	person := func(u *model.User, anonymous bool) auditPart {
		who := policy.ShowAuthor(v, u, anonymous)
		part := auditPart{Text: who.Name}
		if who.Anonymous {
			part.Text += " (anonymously)"
		}
		if who.Profile {
			part.URL = profileURL(who.Name)
		}
		return part
	}
	rows := make([]auditRow, len(entries))
	for i, e := range entries {
		r := auditRow{At: e.CreatedAt, Note: e.Note}
		switch {
		case e.Action == "flags_hid_post":
			r.Parts = append(r.Parts, auditPart{Text: "Members' reports"})
		case e.Action == "suspension_ended":
			r.Parts = append(r.Parts, auditPart{Text: "The forum"})
		case e.ActorID != nil:
			r.Parts = append(r.Parts, person(users[*e.ActorID], false))
		default:
			r.Parts = append(r.Parts, auditPart{Text: "The command line"})
		}
		verb, ok := verbs[e.Action]
		if !ok {
			verb = strings.ReplaceAll(e.Action, "_", " ")
		}
		r.Parts = append(r.Parts, auditPart{Text: " " + verb + " "})
		switch e.TargetType {
		case "post":
			p := posts[e.TargetID]
			if p == nil {
				r.Parts = append(r.Parts, auditPart{Text: "a post that no longer exists"})
				break
			}
			what := "a reply by "
			if p.Opening {
				what = "the opening post by "
			}
			r.Parts = append(r.Parts, auditPart{Text: what}, person(users[p.AuthorID], p.Anonymous))
			if t := threads[p.ThreadID]; t != nil {
				r.Parts = append(r.Parts, auditPart{Text: " in "},
					auditPart{Text: t.Title, URL: threadURL(t) + "#post-" + strconv.FormatInt(p.ID, 10), Title: true})
			}
		case "thread":
			t := threads[e.TargetID]
			if t == nil {
				r.Parts = append(r.Parts, auditPart{Text: "a thread that no longer exists"})
				break
			}
			r.Parts = append(r.Parts, auditPart{Text: t.Title, URL: threadURL(t), Title: true},
				auditPart{Text: " by "}, person(users[t.AuthorID], t.Anonymous))
		case "user":
			r.Parts = append(r.Parts, person(users[e.TargetID], false))
		case "held_post":
			// Declined before anyone read it: its words stay with its author alone.
			r.Parts = append(r.Parts, auditPart{Text: "a post waiting for review"})
			if e.SubjectID != nil {
				r.Parts = append(r.Parts, auditPart{Text: " by "}, person(users[*e.SubjectID], false))
			}
		case "tag":
			name := "a topic"
			if tag := tags[e.TargetID]; tag != nil {
				name = "the topic " + tag.Name
			}
			r.Parts = append(r.Parts, auditPart{Text: name})
		default:
			r.Parts = append(r.Parts, auditPart{Text: e.TargetType + " #" + strconv.FormatInt(e.TargetID, 10)})
		}
		rows[i] = r
	}
	return rows, nil
}
