package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// validReason checks a moderator's reason for moving or merging: asked for, and short.
func validReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch n := utf8.RuneCountInString(reason); {
	case n == 0:
		return "", model.Invalid("reason", "Say why, in a few words, for the audit log.")
	case n > MaxModerationNote:
		return "", model.Invalid("reason", fmt.Sprintf("Keep the reason under %d characters; it has %d.", MaxModerationNote, n))
	}
	return reason, nil
}

// MoveThread gives a thread other topics (1 to MaxTags), with the moderator's reason in the
// audit log. Its topic pages and the search index follow through the change log.
func (s *Service) MoveThread(ctx context.Context, actor *model.User, threadID int64, tags []string, reason string) (*model.Thread, error) {
	if !policy.IsModerator(actor) {
		return nil, model.ErrForbidden
	}
	slugs := dedupe(tags)
	inv := &model.InvalidError{}
	switch {
	case len(slugs) == 0:
		inv.Add("tags", "Choose at least one topic.")
	case len(slugs) > MaxTags:
		inv.Add("tags", fmt.Sprintf("Choose at most %d topics.", MaxTags))
	}
	reason, err := validReason(reason)
	var bad *model.InvalidError
	if errors.As(err, &bad) {
		inv.Add("reason", bad.Fields["reason"])
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	var thread *model.Thread
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := s.threadFor(ctx, tx, actor, threadID, policy.CanMoveThread)
		if err != nil {
			return err
		}
		found, err := tx.TagsBySlugs(ctx, slugs)
		if err != nil {
			return err
		}
		if len(found) != len(slugs) {
			return model.Invalid("tags", "Choose topics from the list; "+unknownTags(slugs, found)+" is not one of them.")
		}
		ids, names := make([]int64, len(found)), make([]string, len(found))
		for i, tag := range found {
			ids[i], names[i] = tag.ID, tag.Name
		}
		if err := tx.SetThreadTags(ctx, t.ID, ids); err != nil {
			return err
		}
		t.UpdatedAt = now
		if err := tx.UpdateThread(ctx, t, "updated_at"); err != nil {
			return err
		}
		if err := tx.AddChange(ctx, "thread", t.ID, t.ID, "update", now); err != nil {
			return err
		}
		thread = t
		return s.audit(ctx, tx, actor, "move_thread", "thread", t.ID, "to "+strings.Join(names, ", ")+": "+reason, now)
	})
	return thread, err
}

// MergeThread merges thread from, a duplicate, into thread into: every post of from moves
// (its opening post becomes a reply, in the order of their times), its followers follow
// into, its address leads to into (301), and from leaves every list and the search index.
// The moderator's reason goes to the audit log.
func (s *Service) MergeThread(ctx context.Context, actor *model.User, fromID, intoID int64, reason string) (*model.Thread, error) {
	if !policy.IsModerator(actor) {
		return nil, model.ErrForbidden
	}
	reason, err := validReason(reason)
	if err != nil {
		return nil, err
	}
	if intoID <= 0 {
		return nil, model.Invalid("into", "Give the address or number of the thread to merge into.")
	}
	now := s.now()
	var target *model.Thread
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		// Lock the two threads in ascending order, so that two merges never wait on each other.
		first, second := min(fromID, intoID), max(fromID, intoID)
		a, err := tx.ThreadForUpdate(ctx, first)
		if err != nil {
			return notFoundAs(err, fromID == first)
		}
		b, err := tx.ThreadForUpdate(ctx, second)
		if err != nil {
			return notFoundAs(err, fromID == second)
		}
		from, into := a, b
		if from.ID != fromID {
			from, into = b, a
		}
		if !policy.CanView(actor, from) {
			return model.ErrNotFound
		}
		switch {
		case from.ID == into.ID:
			return model.Invalid("into", "A thread cannot be merged into itself.")
		case !policy.CanView(actor, into) || into.Hidden:
			return model.Invalid("into", "There is no visible thread with that number to merge into.")
		case !policy.CanMergeThread(actor, from, into):
			return model.Invalid("into", "One of these threads was merged already.")
		}
		if err := tx.MoveThreadContent(ctx, from.ID, into.ID, now); err != nil {
			return err
		}
		from.MergedInto, from.Hidden, from.ReplyCount, from.HelpfulPostID, from.UpdatedAt = &into.ID, true, 0, nil, now
		if err := tx.UpdateThread(ctx, from, "merged_into", "hidden", "reply_count", "helpful_post_id", "updated_at"); err != nil {
			return err
		}
		last, err := tx.LastPostTime(ctx, into.ID)
		if err != nil {
			return err
		}
		if last.After(into.LastActivityAt) {
			into.LastActivityAt = last
		}
		into.UpdatedAt = now
		if err := tx.UpdateThread(ctx, into, "last_activity_at", "updated_at"); err != nil {
			return err
		}
		// Counts, and the state: an expert's answer that moved in answers into.
		if err := s.refreshThread(ctx, tx, into); err != nil {
			return err
		}
		for _, id := range []int64{from.ID, into.ID} {
			if err := tx.AddChange(ctx, "thread", id, id, "update", now); err != nil {
				return err
			}
		}
		target = into
		return s.audit(ctx, tx, actor, "merge_thread", "thread", from.ID, fmt.Sprintf("into #%d: %s", into.ID, reason), now)
	})
	return target, err
}

// notFoundAs turns a missing thread into the right answer: the thread asked about is not
// found; a missing target is a mistake in the form.
func notFoundAs(err error, isFrom bool) error {
	if isFrom {
		return err
	}
	if errors.Is(err, model.ErrNotFound) {
		return model.Invalid("into", "There is no visible thread with that number to merge into.")
	}
	return err
}
