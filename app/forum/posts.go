package forum

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// EditInput is an edited post as submitted; Title applies to an opening post only.
type EditInput struct {
	Title       string
	Body        string
	ContentNote string
	// Anonymous, when set, is whether the post is signed AnonymousName from now on; nil
	// leaves it as it is, so that a form that did not offer the choice never changes it.
	Anonymous *bool
}

// EditPost changes a post the actor wrote, keeping the earlier version as a revision. Its
// author may also sign it anonymously, or by name again; an opening post takes its thread
// along, and an expert's reply stops (or starts again) counting as an expert answer.
func (s *Service) EditPost(ctx context.Context, actor *model.User, postID int64, in EditInput) (*model.Post, *model.Thread, error) {
	in.Title, in.ContentNote = strings.TrimSpace(in.Title), strings.TrimSpace(in.ContentNote)
	now := s.now()
	var (
		post   *model.Post
		thread *model.Thread
	)
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		p, t, err := s.postFor(ctx, tx, actor, postID, policy.CanEditPost)
		if err != nil {
			return err
		}
		inv := &model.InvalidError{}
		if p.Opening {
			validateTitle(inv, in.Title)
		}
		validateBody(inv, in.Body)
		validateNote(inv, in.ContentNote)
		if err := inv.Err(); err != nil {
			return err
		}
		columns := []string{"updated_at"}
		p.UpdatedAt = now
		if in.Body != p.BodySource || in.ContentNote != p.ContentNote || (p.Opening && in.Title != t.Title) {
			html, err := s.render(in.Body)
			if err != nil {
				return err
			}
			rev := &model.PostRevision{PostID: p.ID, EditorID: actor.ID, BodySource: p.BodySource, CreatedAt: now}
			if p.Opening {
				rev.Title = t.Title
			}
			if err := tx.InsertRevision(ctx, rev); err != nil {
				return err
			}
			p.BodySource, p.BodyHTML, p.ContentNote, p.EditedAt = in.Body, html, in.ContentNote, &now
			columns = append(columns, "body_source", "body_html", "content_note", "edited_at")
		}
		anonymityChanged := in.Anonymous != nil && *in.Anonymous != p.Anonymous
		if anonymityChanged {
			p.Anonymous = *in.Anonymous
			p.Expert = !p.Opening && policy.IsExpertAnswer(actor, p.Anonymous)
			columns = append(columns, "anonymous", "expert")
		}
		if err := tx.UpdatePost(ctx, p, columns...); err != nil {
			return err
		}
		var threadColumns []string
		if p.Opening && in.Title != t.Title {
			t.Title, t.Slug = in.Title, Slugify(in.Title)
			threadColumns = append(threadColumns, "title", "slug")
		}
		if p.Opening && t.Anonymous != p.Anonymous {
			t.Anonymous = p.Anonymous
			threadColumns = append(threadColumns, "anonymous")
		}
		if len(threadColumns) > 0 {
			t.UpdatedAt = now
			if err := tx.UpdateThread(ctx, t, append(threadColumns, "updated_at")...); err != nil {
				return err
			}
		}
		if anonymityChanged && !p.Opening {
			// An expert's reply signed anonymously no longer answers the question.
			if err := s.refreshThread(ctx, tx, t); err != nil {
				return err
			}
		}
		post, thread = p, t
		return tx.AddChange(ctx, "post", p.ID, t.ID, "update", now)
	})
	return post, thread, err
}

// DeletePost deletes a post its author no longer wants shown. The post stays as a marker
// ("deleted by its author") so the conversation around it still reads; a question whose
// opening post is deleted before anyone replied disappears entirely.
func (s *Service) DeletePost(ctx context.Context, actor *model.User, postID int64) (*model.Thread, error) {
	now := s.now()
	var thread *model.Thread
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		p, t, err := s.postFor(ctx, tx, actor, postID, policy.CanDeletePost)
		if err != nil {
			return err
		}
		p.DeletedAt, p.UpdatedAt = &now, now
		if err := tx.UpdatePost(ctx, p, "deleted_at", "updated_at"); err != nil {
			return err
		}
		if err := s.refreshThread(ctx, tx, t); err != nil {
			return err
		}
		if p.Opening && t.ReplyCount == 0 {
			t.Hidden = true
			if err := tx.UpdateThread(ctx, t, "hidden"); err != nil {
				return err
			}
		}
		thread = t
		return tx.AddChange(ctx, "post", p.ID, t.ID, "delete", now)
	})
	return thread, err
}

// postFor loads a post and its thread for actor: not found when the actor may not read
// the thread, forbidden when allowed says no.
func (s *Service) postFor(ctx context.Context, tx *store.Tx, actor *model.User, postID int64,
	allowed func(*model.User, *model.Thread, *model.Post) bool) (*model.Post, *model.Thread, error) {
	p, t, err := tx.PostForUpdate(ctx, postID)
	if err != nil {
		return nil, nil, err
	}
	if !policy.CanView(actor, t) {
		return nil, nil, model.ErrNotFound
	}
	if !allowed(actor, t, p) {
		return nil, nil, model.ErrForbidden
	}
	return p, t, nil
}

// refreshThread recounts a thread's visible replies and recomputes its state after a
// reply disappeared or came back.
func (s *Service) refreshThread(ctx context.Context, tx *store.Tx, t *model.Thread) error {
	n, err := tx.VisibleReplyCount(ctx, t.ID)
	if err != nil {
		return err
	}
	t.ReplyCount = n
	if t.HelpfulPostID != nil {
		hp, err := tx.PostByID(ctx, *t.HelpfulPostID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		switch {
		case hp == nil || hp.DeletedAt != nil:
			t.HelpfulPostID = nil
		case hp.HiddenAt != nil:
			// Kept, for the reply's restore (hideOrRestore).
			t.HelpfulPostID, t.HeldHelpfulPostID = nil, &hp.ID
		}
	}
	if t.HeldHelpfulPostID != nil {
		// A kept mark goes with its reply once its author deletes it.
		hp, err := tx.PostByID(ctx, *t.HeldHelpfulPostID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		if hp == nil || hp.DeletedAt != nil {
			t.HeldHelpfulPostID = nil
		}
	}
	expert, err := tx.ExpertReplied(ctx, t.ID)
	if err != nil {
		return err
	}
	switch {
	case t.HelpfulPostID != nil:
		t.State = model.StateResolved
	case expert:
		t.State = model.StateAnswered
	default:
		t.State = model.StateOpen
	}
	return tx.UpdateThread(ctx, t, "reply_count", "helpful_post_id", "held_helpful_post_id", "state")
}

// UnmarkHelpful takes back the helpful mark of a question.
func (s *Service) UnmarkHelpful(ctx context.Context, actor *model.User, threadID int64) error {
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := s.threadFor(ctx, tx, actor, threadID, policy.CanMarkHelpful)
		if err != nil {
			return err
		}
		t.HelpfulPostID = nil
		if err := s.refreshThread(ctx, tx, t); err != nil {
			return err
		}
		return tx.AddChange(ctx, "thread", t.ID, t.ID, "update", now)
	})
}

// Drafts are keyed "ask" for a new thread and "reply:ID" for a reply.
const (
	draftAsk   = "ask"
	draftReply = "reply:"
)

// MaxDrafts is how many drafts a member keeps; saving one more drops the oldest.
const MaxDrafts = 50

// Tags are kept in a draft as checked, before they are validated on posting: as many as
// a form could reasonably hold, each no longer than a slug.
const (
	maxDraftTags   = 50
	maxDraftTagLen = 60
)

// maxDraftTitle is the longest title a draft keeps.
const maxDraftTitle = 4 * MaxTitle

// DraftKeyReply is the draft key of a reply to a thread.
func DraftKeyReply(threadID int64) string { return draftReply + strconv.FormatInt(threadID, 10) }

// DraftKeyAsk is the draft key of a new thread.
func DraftKeyAsk() string { return draftAsk }

// DraftInput is what a member has written so far in a form: every field of it, so that
// a restored draft posts as the member meant (anonymously, with its content note, with or
// without consent to the archive), not only with the same words.
type DraftInput struct {
	Kind           model.Kind // ask form: question, discussion or article
	Title          string
	Body           string
	ContentNote    string
	Tags           []string
	Anonymous      bool
	PublishConsent bool
}

// SaveDraft keeps what a member is writing, so that it survives a closed tab. A reply
// draft needs a thread the member may reply to; a draft is no longer than a post may be,
// and a member keeps at most MaxDrafts of them.
func (s *Service) SaveDraft(ctx context.Context, u *model.User, key string, in DraftInput) error {
	if !policy.IsMember(u) {
		return model.ErrForbidden
	}
	switch {
	case key == draftAsk:
	case strings.HasPrefix(key, draftReply):
		id, err := strconv.ParseInt(strings.TrimPrefix(key, draftReply), 10, 64)
		if err != nil {
			return model.ErrNotFound
		}
		t, err := s.store.ThreadRow(ctx, id)
		if err != nil {
			return err
		}
		if !policy.CanReply(u, t) {
			return model.ErrNotFound
		}
	default:
		return model.ErrNotFound
	}
	// A title a little too long is kept, so that the member can shorten it later; it
	// weighs nothing beside the body.
	if n := utf8.RuneCountInString(in.Title); n > maxDraftTitle {
		return model.Invalid("title", fmt.Sprintf("Not saved as a draft: the title has %d characters; the limit is %d.", n, MaxTitle))
	}
	if n := utf8.RuneCountInString(in.Body); n > MaxBody {
		return model.Invalid("body", fmt.Sprintf("Not saved as a draft: this is %d characters; the limit is %d.", n, MaxBody))
	}
	if n := utf8.RuneCountInString(in.ContentNote); n > 4*MaxContentNote {
		return model.Invalid("content_note", fmt.Sprintf("Not saved as a draft: the content note has %d characters; the limit is %d.", n, MaxContentNote))
	}
	if len(in.Kind) > 20 {
		return model.Invalid("kind", "Not saved as a draft: choose a question, a discussion or an article.")
	}
	var kept []string
	for _, tag := range dedupe(in.Tags) {
		if len(tag) <= maxDraftTagLen && len(kept) < maxDraftTags {
			kept = append(kept, tag)
		}
	}
	d := &store.Draft{UserID: u.ID, Key: key, Kind: string(in.Kind), Title: in.Title, Body: in.Body,
		ContentNote: in.ContentNote, Tags: strings.Join(kept, ","), Anonymous: in.Anonymous,
		PublishConsent: in.PublishConsent, UpdatedAt: s.now()}
	return s.store.Tx(ctx, func(tx *store.Tx) error { return tx.SaveDraft(ctx, d, MaxDrafts) })
}

// Draft returns a member's saved draft, or nil.
func (s *Service) Draft(ctx context.Context, u *model.User, key string) (*store.Draft, error) {
	d, err := s.store.DraftByKey(ctx, u.ID, key)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	return d, err
}

// DiscardDraft removes a draft.
func (s *Service) DiscardDraft(ctx context.Context, u *model.User, key string) error {
	return s.store.Tx(ctx, func(tx *store.Tx) error { return tx.DeleteDraft(ctx, u.ID, key) })
}
