package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"forum/app/danger"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// holdIfNew holds what author wrote for review when they are a new member
// (policy.NeedsReview): a new thread (t nil, with its topics) or a reply to t. It returns
// nil when the post is to be published at once. A held post writes nothing others can
// see: no thread, post, change-log row or event for the followers; only the moderators
// are told when its words suggest immediate danger.
func (s *Service) holdIfNew(ctx context.Context, tx *store.Tx, author *model.User, t *model.Thread, w writing,
	tagIDs []int64, now time.Time) (*model.HeldPost, error) {
	if s.ReviewFirstPosts <= 0 || !policy.NeedsReview(author, 0, s.ReviewFirstPosts) {
		return nil, nil
	}
	published, err := tx.PublishedPostCount(ctx, author.ID)
	if err != nil {
		return nil, err
	}
	if !policy.NeedsReview(author, published, s.ReviewFirstPosts) {
		return nil, nil
	}
	h := &model.HeldPost{AuthorID: author.ID, Kind: w.Kind, Title: w.Title, BodySource: w.Body, BodyHTML: w.HTML,
		ContentNote: w.ContentNote, Anonymous: w.Anonymous, PublishConsent: w.PublishConsent, CreatedAt: now}
	draft := DraftKeyAsk()
	if t != nil {
		h.ThreadID, h.Kind, draft = &t.ID, "", DraftKeyReply(t.ID)
	}
	if err := tx.InsertHeldPost(ctx, h, tagIDs); err != nil {
		return nil, err
	}
	if err := tx.DeleteDraft(ctx, author.ID, draft); err != nil {
		return nil, err
	}
	if danger.Match(w.Title, w.Body) {
		// About the queue, where every moderator may read the post: no post to name yet.
		e := event(model.NotifyDanger, author, t, nil, now)
		if err := tx.InsertNotifyEvent(ctx, e); err != nil {
			return nil, err
		}
	}
	h.Author = author
	return h, nil
}

// tellDanger tells every moderator when the words of post p of t suggest immediate danger.
func (s *Service) tellDanger(ctx context.Context, tx *store.Tx, author *model.User, t *model.Thread, p *model.Post,
	w writing, now time.Time) error {
	if !danger.Match(w.Title, w.Body) {
		return nil
	}
	return tx.InsertNotifyEvent(ctx, event(model.NotifyDanger, author, t, p, now))
}

// HeldPost returns held post id for v: its author or a moderator; not found for anyone
// else, who must not learn that it exists.
func (s *Service) HeldPost(ctx context.Context, v *model.User, id int64) (*model.HeldPost, error) {
	h, err := s.store.HeldPostByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if !policy.CanSeeHeldPost(v, h) {
		return nil, model.ErrNotFound
	}
	return h, nil
}

// MaxDeclineReason bounds the reason a moderator gives the author of a declined post.
const MaxDeclineReason = 500

// ApproveHeldPost publishes a post that waited for review, as its author wrote it and with
// its original time: a new thread, or a reply to the thread it answers. Followers and
// watchers of its topics are then told as of any post, and its author is told it is out.
func (s *Service) ApproveHeldPost(ctx context.Context, actor *model.User, id int64) (Posted, error) {
	if !policy.CanReviewPosts(actor) {
		return Posted{}, model.ErrForbidden
	}
	now := s.now()
	var out Posted
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		out = Posted{}
		h, err := tx.HeldPostForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if !h.Waiting() {
			return model.Invalid("held", "Another moderator has already decided on this post.")
		}
		author, err := tx.UserByID(ctx, h.AuthorID)
		if err != nil {
			return err
		}
		if !policy.CanPublishHeldPost(actor, h, author) {
			return model.Invalid("held", "Its author is no longer an active member: decline it instead.")
		}
		w := writing{Kind: h.Kind, Title: h.Title, Body: h.BodySource, HTML: h.BodyHTML, ContentNote: h.ContentNote,
			Anonymous: h.Anonymous, PublishConsent: h.PublishConsent}
		if h.ThreadID == nil {
			ids, err := tx.HeldTagIDs(ctx, h.ID)
			if err != nil {
				return err
			}
			if out.Thread, out.Post, err = s.publishThread(ctx, tx, author, w, ids, h.CreatedAt, now, false); err != nil {
				return err
			}
		} else {
			t, err := tx.ThreadForUpdate(ctx, *h.ThreadID)
			if err != nil {
				return err
			}
			if t.MergedInto != nil {
				if t, err = tx.ThreadForUpdate(ctx, *t.MergedInto); err != nil {
					return err
				}
			}
			if !policy.CanReply(author, t) {
				// Locked or hidden while the reply waited: the author could not post it now.
				return model.Invalid("held", "The thread was locked or hidden after this reply was written: decline it, or unlock the thread first.")
			}
			if out.Post, err = s.publishReply(ctx, tx, author, t, w, h.CreatedAt, now, false); err != nil {
				return err
			}
			out.Thread = t
		}
		h.DecidedAt, h.DecidedBy, h.PostID = &now, &actor.ID, &out.Post.ID
		if err := tx.UpdateHeldPost(ctx, h, "decided_at", "decided_by", "post_id"); err != nil {
			return err
		}
		e := event(model.NotifyPostApproved, actor, out.Thread, out.Post, now)
		e.UserID = &h.AuthorID
		if err := tx.InsertNotifyEvent(ctx, e); err != nil {
			return err
		}
		out.Held = h
		return s.audit(ctx, tx, actor, "approve_post", "post", out.Post.ID, "", now)
	})
	if err != nil {
		return Posted{}, err
	}
	s.eventWritten()
	return out, nil
}

// DeclineHeldPost declines a post that waited for review: it is never published, and its
// author is told why. The author keeps their words: the post stays readable to them, with
// the reason, among their posts waiting for review.
func (s *Service) DeclineHeldPost(ctx context.Context, actor *model.User, id int64, reason string) (*model.HeldPost, error) {
	if !policy.CanReviewPosts(actor) {
		return nil, model.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return nil, model.Invalid("reason", "Say why, in a few words: the author reads it.")
	case n > MaxDeclineReason:
		return nil, model.Invalid("reason", fmt.Sprintf("Keep the reason under %d characters; it has %d.", MaxDeclineReason, n))
	}
	now := s.now()
	var held *model.HeldPost
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		h, err := tx.HeldPostForUpdate(ctx, id)
		if err != nil {
			return err
		}
		if !policy.CanDecideHeldPost(actor, h) {
			return model.Invalid("held", "Another moderator has already decided on this post.")
		}
		h.DecidedAt, h.DecidedBy, h.Declined, h.Reason = &now, &actor.ID, true, reason
		if err := tx.UpdateHeldPost(ctx, h, "decided_at", "decided_by", "declined", "reason"); err != nil {
			return err
		}
		e := &model.NotifyEvent{Kind: model.NotifyPostDeclined, ThreadID: h.ThreadID, ActorID: &actor.ID,
			UserID: &h.AuthorID, Reason: reason, CreatedAt: now}
		if err := tx.InsertNotifyEvent(ctx, e); err != nil {
			return err
		}
		held = h
		return s.audit(ctx, tx, actor, "decline_post", "held_post", h.ID, reason, now)
	})
	if err != nil {
		return nil, err
	}
	s.eventWritten()
	return held, nil
}

// ReviewQueue returns the posts waiting for review, oldest first, after the cursor.
func (s *Service) ReviewQueue(ctx context.Context, v *model.User, after *store.HeldCursor, limit int) ([]*model.HeldPost, error) {
	if !policy.CanReviewPosts(v) {
		return nil, model.ErrForbidden
	}
	return s.store.WaitingHeldPosts(ctx, after, limit)
}

// MyHeldPosts returns v's latest posts that were held for review, newest first.
func (s *Service) MyHeldPosts(ctx context.Context, v *model.User, limit int) ([]*model.HeldPost, error) {
	if !policy.Active(v) {
		return nil, model.ErrForbidden
	}
	hs, err := s.store.HeldPostsByAuthor(ctx, v.ID, limit)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil
	}
	return hs, err
}
