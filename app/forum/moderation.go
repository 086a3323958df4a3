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

// Thread moderation actions.
const (
	ActionLock    = "lock"
	ActionUnlock  = "unlock"
	ActionPin     = "pin"
	ActionUnpin   = "unpin"
	ActionHide    = "hide"
	ActionRestore = "restore"
)

// ModerateThread locks, unlocks, pins, unpins, hides or restores a thread, with an audit
// entry and the moderator's reason (required).
func (s *Service) ModerateThread(ctx context.Context, actor *model.User, threadID int64, action, note string) (*model.Thread, error) {
	if !policy.CanModerate(actor) {
		return nil, model.ErrForbidden
	}
	note = strings.TrimSpace(note)
	if msg := policy.ReasonProblem(note); msg != "" {
		return nil, model.Invalid("note", msg)
	}
	now := s.now()
	var thread *model.Thread
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := tx.ThreadForUpdate(ctx, threadID)
		if err != nil {
			return err
		}
		var column string
		switch action {
		case ActionLock, ActionUnlock:
			t.Locked, column = action == ActionLock, "locked"
		case ActionPin, ActionUnpin:
			t.Pinned, column = action == ActionPin, "pinned"
		case ActionHide, ActionRestore:
			t.Hidden, column = action == ActionHide, "hidden"
		default:
			return model.Invalid("action", "Choose lock, unlock, pin, unpin, hide or restore.")
		}
		if err := tx.UpdateThread(ctx, t, column); err != nil {
			return err
		}
		if column == "hidden" {
			if err := tx.AddChange(ctx, "thread", t.ID, t.ID, "update", now); err != nil {
				return err
			}
		}
		thread = t
		return s.audit(ctx, tx, actor, action+"_thread", "thread", t.ID, note, now)
	})
	return thread, err
}

// MaxModerationNote bounds a moderator's note (the reason the author of a post is told).
const MaxModerationNote = policy.MaxReason

// ModeratePost hides or restores a post, with an audit entry; its author is told, with
// the moderator's reason (required). Hiding takes the post's helpful mark into keeping and
// restoring gives it back, so that the thread is as it was; open reports of the post are
// handled by the decision, and those who reported it told.
func (s *Service) ModeratePost(ctx context.Context, actor *model.User, postID int64, action, note string) (*model.Thread, error) {
	if !policy.CanModerate(actor) {
		return nil, model.ErrForbidden
	}
	note = strings.TrimSpace(note)
	if msg := policy.ReasonProblem(note); msg != "" {
		return nil, model.Invalid("note", msg)
	}
	if action != ActionHide && action != ActionRestore {
		return nil, model.Invalid("action", "Choose hide or restore.")
	}
	now := s.now()
	var thread *model.Thread
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		p, t, err := tx.PostForUpdate(ctx, postID)
		if err != nil {
			return err
		}
		if !policy.CanModeratePost(actor, p) {
			return model.ErrForbidden
		}
		outcome := FlagDismiss
		if action == ActionHide {
			outcome = FlagHide
		}
		if err := s.hideOrRestore(ctx, tx, actor, t, p, action == ActionHide, false, note, now); err != nil {
			return err
		}
		if err := s.handleFlags(ctx, tx, actor, t, p, outcome, now); err != nil {
			return err
		}
		thread = t
		return s.audit(ctx, tx, actor, action+"_post", "post", p.ID, note, now)
	})
	if err != nil {
		return nil, err
	}
	s.eventWritten()
	return thread, nil
}

// hideOrRestore hides post p of thread t (byFlags: because members reported it) or
// restores it, and tells its author why. The thread keeps what the hidden post took: the
// helpful mark is held while its reply is hidden and given back when it is restored, and
// a published thread leaves the public archive while one of its answers is hidden.
func (s *Service) hideOrRestore(ctx context.Context, tx *store.Tx, actor *model.User, t *model.Thread, p *model.Post,
	hide, byFlags bool, reason string, now time.Time) error {
	if hide {
		if p.HiddenAt == nil {
			p.HiddenAt = &now
		}
		p.FlagHidden = byFlags
		if t.HelpfulPostID != nil && *t.HelpfulPostID == p.ID {
			t.HeldHelpfulPostID, t.HelpfulPostID = &p.ID, nil
		}
	} else {
		p.HiddenAt, p.FlagHidden = nil, false
		if t.HeldHelpfulPostID != nil && *t.HeldHelpfulPostID == p.ID {
			if t.HelpfulPostID == nil {
				t.HelpfulPostID = &p.ID
			}
			t.HeldHelpfulPostID = nil
		}
	}
	if err := tx.UpdatePost(ctx, p, "hidden_at", "flag_hidden"); err != nil {
		return err
	}
	if err := s.refreshThread(ctx, tx, t); err != nil {
		return err
	}
	withheld, err := tx.HiddenAnswer(ctx, t.ID, t.HeldHelpfulPostID)
	if err != nil {
		return err
	}
	switch {
	case withheld && t.Visibility == model.VisibilityPublic:
		t.Visibility, t.ArchiveWithheld = model.VisibilityMembers, true
	case !withheld && t.ArchiveWithheld:
		t.Visibility, t.ArchiveWithheld = model.VisibilityPublic, false
	}
	if err := tx.UpdateThread(ctx, t, "held_helpful_post_id", "visibility", "archive_withheld"); err != nil {
		return err
	}
	if err := tx.AddChange(ctx, "post", p.ID, t.ID, "update", now); err != nil {
		return err
	}
	if err := tx.AddChange(ctx, "thread", t.ID, t.ID, "update", now); err != nil {
		return err
	}
	// The author is told, with the moderator's reason; never who reported the post.
	kind := model.NotifyPostHidden
	if !hide {
		kind = model.NotifyPostRestored
	}
	e := event(kind, actor, t, p, now)
	e.UserID, e.Reason = &p.AuthorID, reason
	return tx.InsertNotifyEvent(ctx, e)
}

// LinkThreads links two threads as related, with an optional note shown on both.
func (s *Service) LinkThreads(ctx context.Context, actor *model.User, threadID, otherID int64, note string) error {
	if !policy.CanLinkThreads(actor) {
		return model.ErrForbidden
	}
	note = strings.TrimSpace(note)
	switch {
	case threadID == otherID:
		return model.Invalid("other", "A thread cannot be related to itself.")
	case utf8.RuneCountInString(note) > 200:
		return model.Invalid("note", "Keep the note under 200 characters.")
	}
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		for _, id := range []int64{threadID, otherID} {
			t, err := tx.ThreadForUpdate(ctx, id)
			if err != nil || !policy.CanView(actor, t) {
				return model.Invalid("other", fmt.Sprintf("There is no thread #%d.", id))
			}
		}
		err := tx.InsertRelatedLink(ctx, &model.RelatedLink{ThreadID: threadID, OtherID: otherID, Note: note, CreatedBy: actor.ID, CreatedAt: now})
		if err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "link_threads", "thread", threadID, fmt.Sprintf("#%d %s", otherID, note), now)
	})
}

// UnlinkThreads removes the link between two threads.
func (s *Service) UnlinkThreads(ctx context.Context, actor *model.User, threadID, otherID int64) error {
	if !policy.CanLinkThreads(actor) {
		return model.ErrForbidden
	}
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		ok, err := tx.DeleteRelatedLink(ctx, threadID, otherID)
		if err != nil {
			return err
		}
		if !ok {
			return model.ErrNotFound
		}
		return s.audit(ctx, tx, actor, "unlink_threads", "thread", threadID, fmt.Sprintf("#%d", otherID), now)
	})
}

// TagInput is a tag as a moderator fills it in.
type TagInput struct {
	Name        string
	Slug        string
	Description string
}

func validateTag(in *TagInput) error {
	in.Name, in.Description = strings.TrimSpace(in.Name), strings.TrimSpace(in.Description)
	in.Slug = Slugify(strings.TrimSpace(in.Slug))
	if strings.TrimSpace(in.Slug) == "" || in.Slug == "thread" {
		in.Slug = Slugify(in.Name)
	}
	inv := &model.InvalidError{}
	if n := utf8.RuneCountInString(in.Name); n < 2 || n > 40 {
		inv.Add("name", "A tag name has 2 to 40 characters.")
	}
	if utf8.RuneCountInString(in.Description) > 300 {
		inv.Add("description", "Keep the description under 300 characters.")
	}
	return inv.Err()
}

// CreateTag adds a tag to the curated list.
func (s *Service) CreateTag(ctx context.Context, actor *model.User, in TagInput) (*model.Tag, error) {
	if !policy.CanManageTags(actor) {
		return nil, model.ErrForbidden
	}
	if err := validateTag(&in); err != nil {
		return nil, err
	}
	now := s.now()
	tag := &model.Tag{Name: in.Name, Slug: in.Slug, Description: in.Description, CreatedAt: now, UpdatedAt: now}
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertTag(ctx, tag); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "create_tag", "tag", tag.ID, tag.Name, now)
	})
	if errors.Is(err, model.ErrConflict) {
		return nil, model.Invalid("name", "A tag with this name already exists.")
	}
	return tag, err
}

// UpdateTag renames or describes a tag. Its threads change in the search index.
func (s *Service) UpdateTag(ctx context.Context, actor *model.User, id int64, in TagInput) (*model.Tag, error) {
	if !policy.CanManageTags(actor) {
		return nil, model.ErrForbidden
	}
	if err := validateTag(&in); err != nil {
		return nil, err
	}
	now := s.now()
	var tag *model.Tag
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := tx.TagByID(ctx, id)
		if err != nil {
			return err
		}
		t.Name, t.Slug, t.Description, t.UpdatedAt = in.Name, in.Slug, in.Description, now
		if err := tx.UpdateTag(ctx, t, "name", "slug", "description", "updated_at"); err != nil {
			return err
		}
		if err := tx.AddChange(ctx, "tag", t.ID, 0, "update", now); err != nil {
			return err
		}
		tag = t
		return s.audit(ctx, tx, actor, "update_tag", "tag", t.ID, t.Name, now)
	})
	if errors.Is(err, model.ErrConflict) {
		return nil, model.Invalid("slug", "Another tag already uses this address.")
	}
	return tag, err
}

// MergeTags moves every thread of one tag onto another and retires the first.
func (s *Service) MergeTags(ctx context.Context, actor *model.User, fromID, intoID int64) error {
	if !policy.CanManageTags(actor) {
		return model.ErrForbidden
	}
	if fromID == intoID {
		return model.Invalid("into", "Choose another tag to merge into.")
	}
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		from, err := tx.TagByID(ctx, fromID)
		if err != nil {
			return err
		}
		into, err := tx.TagByID(ctx, intoID)
		if err != nil || into.MergedInto != nil {
			return model.Invalid("into", "Choose a tag from the list.")
		}
		threads, err := tx.MergeTag(ctx, from, into, now)
		if err != nil {
			return err
		}
		for _, id := range threads {
			if err := tx.AddChange(ctx, "thread", id, id, "update", now); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, "merge_tag", "tag", from.ID, "into "+into.Name, now)
	})
}
