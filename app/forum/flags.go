package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// What a moderator does about a reported post.
const (
	FlagDismiss = "dismiss" // nothing is wrong: the reports are closed (a post hidden by them comes back)
	FlagHide    = "hide"    // the post is hidden; its author is told why
	FlagEdit    = "edit"    // the moderator edits or redacts it; the earlier version is for moderators only
	FlagWarn    = "warn"    // its author is warned, once, at their next visit
	FlagSuspend = "suspend" // its author is suspended until a day
)

// ErrFlagLimit says that a member reported as many posts as an hour allows.
var ErrFlagLimit = errors.New("too many reports in an hour")

// FlagInput is a member's report of a post.
type FlagInput struct {
	Reason model.FlagReason
	Note   string
}

// FlagResult says what a report did.
type FlagResult struct {
	Post   *model.Post
	Thread *model.Thread
	// Again: the member had reported this post already; nothing changed.
	Again bool
	// Hidden: with this report, enough established members reported the post to hide it
	// until a moderator decides.
	Hidden bool
}

// autoHideReason is what the author of a post hidden by members' reports is told.
const autoHideReason = "Several members reported this post, so it is hidden until a moderator looks at it."

// Flag reports a post the member can read. A second report of the same post by the same
// member changes nothing; a member reports at most policy.FlagsPerHour posts an hour.
// "Someone may be in danger" reaches every moderator at once; reports of established
// members hide the post until a moderator decides (policy.FlagsHide).
func (s *Service) Flag(ctx context.Context, v *model.User, postID int64, in FlagInput) (*FlagResult, error) {
	if !policy.IsMember(v) {
		return nil, model.ErrForbidden
	}
	in.Note = strings.TrimSpace(in.Note)
	now := s.now()
	res := &FlagResult{}
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		*res = FlagResult{}
		p, t, err := tx.PostForUpdate(ctx, postID)
		if err != nil {
			return err
		}
		if !policy.CanView(v, t) || p.DeletedAt != nil || (p.HiddenAt != nil && !policy.CanReadHiddenPost(v)) {
			return model.ErrNotFound
		}
		if !policy.CanFlag(v, t, p) {
			return model.ErrForbidden
		}
		res.Post, res.Thread = p, t
		if _, err := tx.FlagOf(ctx, p.ID, v.ID); err == nil {
			res.Again = true
			return nil
		} else if !errors.Is(err, model.ErrNotFound) {
			return err
		}
		inv := &model.InvalidError{}
		switch {
		case in.Reason == "":
			inv.Add("reason", "Choose what is wrong with this post.")
		case !policy.ValidFlagReason(in.Reason):
			inv.Add("reason", "Choose one of the reasons in the list.")
		case policy.FlagNeedsNote(in.Reason) && in.Note == "":
			inv.Add("note", "Say in a few words what is wrong, so that a moderator knows what to look for.")
		}
		if n := utf8.RuneCountInString(in.Note); n > policy.MaxFlagNote {
			inv.Add("note", fmt.Sprintf("Keep the note under %d characters (this one has %d).", policy.MaxFlagNote, n))
		}
		if err := inv.Err(); err != nil {
			return err
		}
		n, err := tx.FlagsSince(ctx, v.ID, now.Add(-time.Hour))
		if err != nil {
			return err
		}
		if !policy.MayFlagMore(n) {
			return ErrFlagLimit
		}
		f := &model.Flag{PostID: p.ID, ThreadID: t.ID, FlaggerID: v.ID, Reason: in.Reason, Note: in.Note, CreatedAt: now}
		if err := tx.InsertFlag(ctx, f); err != nil {
			return err
		}
		if in.Reason == model.FlagDanger {
			// Every moderator, at once (the fan-out finds them).
			if err := tx.InsertNotifyEvent(ctx, event(model.NotifyFlagDanger, v, t, p, now)); err != nil {
				return err
			}
		}
		if p.HiddenAt != nil {
			return nil
		}
		open, err := tx.OpenFlagsOfPosts(ctx, []int64{p.ID})
		if err != nil {
			return err
		}
		ids := make([]int64, 0, len(open[p.ID]))
		for _, f := range open[p.ID] {
			ids = append(ids, f.FlaggerID)
		}
		flaggers, err := tx.UsersByIDs(ctx, ids)
		if err != nil {
			return err
		}
		established := 0
		for _, u := range flaggers {
			if policy.IsEstablished(u, now) {
				established++
			}
		}
		if !policy.FlagsHide(established) {
			return nil
		}
		res.Hidden = true
		if err := s.hideOrRestore(ctx, tx, nil, t, p, true, true, autoHideReason, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, nil, "flags_hid_post", "post", p.ID, fmt.Sprintf("%d members reported it", established), now)
	})
	if errors.Is(err, model.ErrConflict) {
		// The same member's report arrived twice at once: the first one counts.
		return res, nil
	}
	if err != nil {
		return nil, err
	}
	s.eventWritten()
	return res, nil
}

// FlagAction is a moderator's decision on a reported post.
type FlagAction struct {
	Action string // FlagDismiss, FlagHide, FlagEdit, FlagWarn or FlagSuspend
	// Reason is why (required): the audit log keeps it; a hidden or edited post's author is
	// told it.
	Reason string
	// Body is the post's new text (FlagEdit).
	Body string
	// Message is what the warned member reads (FlagWarn).
	Message string
	// Until is the day a suspension ends (FlagSuspend).
	Until time.Time
}

// flagOutcomes are what the members who reported a post are told of each decision.
var flagOutcomes = map[string]string{
	FlagDismiss: "A moderator looked at the post you reported and left it as it is.",
	FlagHide:    "A moderator looked at the post you reported and hid it.",
	FlagEdit:    "A moderator looked at the post you reported and edited it.",
	FlagWarn:    "A moderator looked at the post you reported and spoke to its author.",
	FlagSuspend: "A moderator looked at the post you reported and acted on it.",
}

// ActOnFlags carries out a moderator's decision on a reported post (or any post) and
// closes its open reports; those who reported it are told it was handled, never what
// the moderator wrote, and its author never learns who reported it.
func (s *Service) ActOnFlags(ctx context.Context, actor *model.User, postID int64, a FlagAction) (*model.Thread, error) {
	if !policy.CanHandleFlags(actor) {
		return nil, model.ErrForbidden
	}
	a.Reason = strings.TrimSpace(a.Reason)
	inv := &model.InvalidError{}
	if msg := policy.ReasonProblem(a.Reason); msg != "" {
		inv.Add("reason", msg)
	}
	now := s.now()
	switch a.Action {
	case FlagDismiss, FlagHide:
	case FlagEdit:
		validateBody(inv, a.Body)
	case FlagWarn:
		a.Message = strings.TrimSpace(a.Message)
		switch n := utf8.RuneCountInString(a.Message); {
		case n == 0:
			inv.Add("message", "Write what the member will read.")
		case n > policy.MaxWarning:
			inv.Add("message", fmt.Sprintf("Keep the warning under %d characters (this one has %d).", policy.MaxWarning, n))
		}
	case FlagSuspend:
		if !a.Until.After(now) {
			inv.Add("until", "Choose a day after today.")
		}
	default:
		return nil, model.Invalid("action", "Choose dismiss, hide, edit, warn or suspend.")
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	var thread *model.Thread
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		p, t, err := tx.PostForUpdate(ctx, postID)
		if err != nil {
			return err
		}
		thread = t
		switch a.Action {
		case FlagDismiss:
			if p.FlagHidden {
				// Members' reports hid it; the moderator found nothing wrong.
				if err := s.hideOrRestore(ctx, tx, actor, t, p, false, false, "A moderator looked at it: it is shown again.", now); err != nil {
					return err
				}
			}
			if err := s.audit(ctx, tx, actor, "dismiss_flags", "post", p.ID, a.Reason, now); err != nil {
				return err
			}
		case FlagHide:
			if !policy.CanModeratePost(actor, p) {
				return model.ErrForbidden
			}
			if err := s.hideOrRestore(ctx, tx, actor, t, p, true, false, a.Reason, now); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, actor, "hide_post", "post", p.ID, a.Reason, now); err != nil {
				return err
			}
		case FlagEdit:
			if err := s.moderatorEdit(ctx, tx, actor, t, p, a.Body, now); err != nil {
				return err
			}
			if p.AuthorID != actor.ID {
				// The author is told, with the moderator's reason; never who reported it.
				e := event(model.NotifyPostEdited, actor, t, p, now)
				e.UserID, e.Reason = &p.AuthorID, a.Reason
				if err := tx.InsertNotifyEvent(ctx, e); err != nil {
					return err
				}
			}
			if err := s.audit(ctx, tx, actor, "edit_post", "post", p.ID, a.Reason, now); err != nil {
				return err
			}
		case FlagWarn, FlagSuspend:
			author, err := tx.UserByID(ctx, p.AuthorID)
			if err != nil {
				return err
			}
			if a.Action == FlagWarn {
				if !policy.CanWarn(actor, author) {
					return model.Invalid("message", "This member cannot be warned (a moderator, or an account no longer active).")
				}
				w := &model.Warning{UserID: author.ID, ModeratorID: &actor.ID, PostID: &p.ID, Message: a.Message, CreatedAt: now}
				if err := tx.InsertWarning(ctx, w); err != nil {
					return err
				}
				if err := s.audit(ctx, tx, actor, "warn", "user", author.ID, a.Reason, now); err != nil {
					return err
				}
			} else {
				if !policy.CanSuspend(actor, author) {
					return model.Invalid("until", "This member cannot be suspended (a moderator, or an account no longer active).")
				}
				until := a.Until.UTC()
				if err := s.suspendIn(ctx, tx, actor, author, true, &until, a.Reason, now); err != nil {
					return err
				}
			}
		}
		return s.handleFlags(ctx, tx, actor, t, p, a.Action, now)
	})
	if err != nil {
		return nil, err
	}
	s.eventWritten()
	return thread, nil
}

// handleFlags closes the open reports of post p with outcome and tells each member who
// reported it.
func (s *Service) handleFlags(ctx context.Context, tx *store.Tx, actor *model.User, t *model.Thread, p *model.Post, outcome string, now time.Time) error {
	flags, err := tx.HandleFlags(ctx, p.ID, actor.ID, outcome, now)
	if err != nil {
		return err
	}
	told := map[int64]bool{}
	for _, f := range flags {
		if told[f.FlaggerID] {
			continue
		}
		told[f.FlaggerID] = true
		e := event(model.NotifyFlagHandled, actor, t, p, now)
		e.UserID, e.Reason = &f.FlaggerID, flagOutcomes[outcome]
		if err := tx.InsertNotifyEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// moderatorEdit replaces the text of post p with body; the earlier version is kept for
// moderators only.
func (s *Service) moderatorEdit(ctx context.Context, tx *store.Tx, actor *model.User, t *model.Thread, p *model.Post, body string, now time.Time) error {
	if !policy.CanModeratorEdit(actor, p) {
		return model.ErrForbidden
	}
	if body == p.BodySource {
		return model.Invalid("body", "The text is unchanged: edit or redact it, or choose another action.")
	}
	html, err := s.render(body)
	if err != nil {
		return err
	}
	rev := &model.PostRevision{PostID: p.ID, EditorID: actor.ID, BodySource: p.BodySource, CreatedAt: now, ModeratorOnly: true}
	if p.Opening {
		rev.Title = t.Title
	}
	if err := tx.InsertRevision(ctx, rev); err != nil {
		return err
	}
	p.BodySource, p.BodyHTML, p.EditedAt, p.UpdatedAt = body, html, &now, now
	if err := tx.UpdatePost(ctx, p, "body_source", "body_html", "edited_at", "updated_at"); err != nil {
		return err
	}
	return tx.AddChange(ctx, "post", p.ID, t.ID, "update", now)
}

// AcknowledgeWarning records that a member read a moderator's warning: it shows no more.
func (s *Service) AcknowledgeWarning(ctx context.Context, v *model.User, id int64) error {
	if v == nil {
		return model.ErrForbidden
	}
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		ok, err := tx.AcknowledgeWarning(ctx, v.ID, id, now)
		if err != nil {
			return err
		}
		if !ok {
			return model.ErrNotFound
		}
		return nil
	})
}
