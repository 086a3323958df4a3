package forum

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"forum/app/model"
	"forum/app/store"
)

// ErrNotYetErased reports an account deletion that was committed while the database could
// not yet empty its write-ahead log: the deleted text stays in that file until the next
// checkpoint. The deletion itself is done; the caller logs this and carries on.
var ErrNotYetErased = errors.New("the account is deleted, but its old text stays in the write-ahead log until the next checkpoint")

// DeleteAccount deletes a member's account at their request, in one transaction, and
// then empties the SQLite write-ahead log so that the deleted text leaves the files.
//
// Whatever the choice, these go: sign-in identities, sessions (with their browser and
// address), drafts, read positions and the list of the threads they wrote in, e-mail
// address, the records of e-mail sent to them (and their messages in the development
// mailbox), name from the provider, pseudonym, bio, what they said brings them here,
// credential, the notes on invites they created, the free-text notes of audit rows
// written by them or about them (the rows stay, naming a former member), what they follow,
// the notifications they received and their e-mail choices, and the reasons they gave as
// a moderator in others' notifications (which stay, naming a former member), and their
// posts held for review that were never published.
//
// With removePosts, the text of every post they wrote is emptied and the post marked
// deleted, the earlier versions of their posts are removed, the titles of threads they
// started are replaced, and the notes of related links they added are emptied. Other
// people's replies stay, as when a member deletes one post: a thread they started stays
// (without its opening words) while others' replies show in it, and disappears when none
// does. Without removePosts, posts stay, shown as written by "A former member".
func (s *Service) DeleteAccount(ctx context.Context, u *model.User, removePosts bool) error {
	now := s.now()
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		gone, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return err
		}
		if gone.Status == model.StatusDeleted {
			return nil
		}
		for _, erase := range []func(context.Context, int64) error{
			tx.DeleteSessions, tx.DeleteIdentities, tx.DeleteDrafts, tx.ClearInviteNotes, tx.DeleteMail,
			tx.DeleteFollows, tx.DeleteNotificationsOf, tx.DeleteNotificationPrefs, tx.ScrubNotifyReasons, tx.DeleteHeldPosts,
		} {
			if err := erase(ctx, u.ID); err != nil {
				return err
			}
		}
		if err := tx.ScrubAuditNotes(ctx, store.AuditNotesOf{UserID: u.ID, AboutContent: removePosts}); err != nil {
			return err
		}
		// A name no member can choose (it has spaces), so that nobody can take it first.
		gone.Pseudonym = fmt.Sprintf("former member #%d", u.ID)
		gone.Email, gone.RealName, gone.Bio, gone.Credential, gone.JoinReason = "", "", "", "", ""
		gone.EmailTitles = false
		gone.Status, gone.DeletedAt, gone.UpdatedAt = model.StatusDeleted, &now, now
		if err := tx.UpdateUser(ctx, gone, "pseudonym", "pseudonym_lower", "email", "real_name", "bio",
			"credential", "join_reason", "email_titles", "status", "deleted_at", "updated_at"); err != nil {
			return err
		}
		// After the account is marked deleted, so that read positions being written now
		// either wait for this deletion and are refused, or are removed here.
		if err := tx.DeleteReadPositions(ctx, u.ID); err != nil {
			return err
		}

		threads, err := tx.ThreadIDsByPostAuthor(ctx, u.ID)
		if err != nil {
			return err
		}
		started, err := tx.ThreadsByAuthor(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, t := range started {
			threads = append(threads, t.ID)
		}
		slices.Sort(threads) // lock threads in ascending order, so that two deletions never wait on each other
		threads = slices.Compact(threads)
		if !removePosts {
			// The author's name changes on every thread they wrote in.
			for _, id := range threads {
				if err := tx.AddChange(ctx, "thread", id, id, "update", now); err != nil {
					return err
				}
			}
			return nil
		}

		if err := tx.DeleteRevisionsByAuthor(ctx, u.ID); err != nil {
			return err
		}
		if err := tx.RemovePostsByAuthor(ctx, u.ID, now); err != nil {
			return err
		}
		linked, err := tx.ClearRelatedLinkNotes(ctx, u.ID)
		if err != nil {
			return err
		}
		for _, id := range threads {
			t, err := tx.ThreadForUpdate(ctx, id)
			if err != nil {
				return err
			}
			// Their replies no longer count, nor mark a question answered or resolved.
			if err := s.refreshThread(ctx, tx, t); err != nil {
				return err
			}
			if t.AuthorID == u.ID {
				t.Title, t.Slug, t.UpdatedAt = removedTitle(t.Kind), "removed", now
				t.Hidden = t.Hidden || t.ReplyCount == 0
				if err := tx.UpdateThread(ctx, t, "title", "slug", "hidden", "updated_at"); err != nil {
					return err
				}
			}
			if err := tx.AddChange(ctx, "thread", id, id, "update", now); err != nil {
				return err
			}
		}
		for _, id := range linked {
			if _, done := slices.BinarySearch(threads, id); done {
				continue
			}
			if err := tx.AddChange(ctx, "thread", id, id, "update", now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// After the commit, even if the member's request has gone: the deletion is done and
	// its text must leave the log.
	if err := s.store.Checkpoint(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("%w: %v", ErrNotYetErased, err)
	}
	return nil
}

// removedTitle replaces the title of a thread its author removed.
func removedTitle(kind model.Kind) string {
	switch kind {
	case model.KindDiscussion:
		return "A discussion removed by its author"
	case model.KindArticle:
		return "An article removed by its author"
	}
	return "A question removed by its author"
}
