package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/model"
)

// The queries that erase a person who deletes their account: every row that carries
// their words or traces. They run inside the one transaction of the deletion.

// DeleteSessions removes every session of a user, with the browser and address it kept.
func (tx *Tx) DeleteSessions(ctx context.Context, userID int64) error {
	if _, err := tx.write().NewDelete().Model((*model.Session)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete sessions of user %d: %w", userID, err)
	}
	return nil
}

// DeleteDrafts removes every draft of a user.
func (tx *Tx) DeleteDrafts(ctx context.Context, userID int64) error {
	tx.drafts = true
	_, err := tx.db.NewDelete().Model((*Draft)(nil)).Where("user_id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete drafts of user %d: %w", userID, err)
	}
	return nil
}

// ClearInviteNotes empties the notes a user wrote on the invites they created. The
// invites themselves stay valid: the people they were sent to may still use them.
func (tx *Tx) ClearInviteNotes(ctx context.Context, userID int64) error {
	_, err := tx.write().NewUpdate().Model((*model.Invite)(nil)).Set("note = ''").
		Where("created_by = ? AND note <> ''", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("clear invite notes of user %d: %w", userID, err)
	}
	return nil
}

// ClearRelatedLinkNotes empties the notes a user wrote on the related links they added;
// the links stay, as they join other people's threads.
func (tx *Tx) ClearRelatedLinkNotes(ctx context.Context, userID int64) ([]int64, error) {
	var links []*model.RelatedLink
	err := tx.db.NewSelect().Model(&links).Column("thread_id", "other_id").
		Where("created_by = ? AND note <> ''", userID).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("related links of user %d: %w", userID, err)
	}
	if len(links) == 0 {
		return nil, nil
	}
	if _, err := tx.write().NewUpdate().Model((*model.RelatedLink)(nil)).Set("note = ''").
		Where("created_by = ? AND note <> ''", userID).Exec(ctx); err != nil {
		return nil, fmt.Errorf("clear related link notes of user %d: %w", userID, err)
	}
	var threads []int64
	for _, l := range links {
		threads = append(threads, l.ThreadID, l.OtherID)
	}
	return threads, nil
}

// DeleteRevisionsByAuthor removes the earlier versions of every post a user wrote.
func (tx *Tx) DeleteRevisionsByAuthor(ctx context.Context, userID int64) error {
	_, err := tx.write().NewDelete().Model((*model.PostRevision)(nil)).
		Where("post_id IN (?)", tx.db.NewSelect().Model((*model.Post)(nil)).Column("id").Where("author_id = ?", userID)).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete revisions of user %d: %w", userID, err)
	}
	return nil
}

// ThreadIDsByPostAuthor returns the threads where a user wrote a post, in order.
func (q queries) ThreadIDsByPostAuthor(ctx context.Context, userID int64) ([]int64, error) {
	var ids []int64
	err := q.db.NewSelect().Model((*model.Post)(nil)).ColumnExpr("DISTINCT thread_id").
		Where("author_id = ?", userID).OrderExpr("thread_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("threads of user %d: %w", userID, err)
	}
	return ids, nil
}

// structuredAuditNotes are the audit actions whose note the forum composes itself (a
// role, a tag's name, a thread number) rather than a person's own words. Every other
// note is free text, and goes when the person who wrote it or whom it is about leaves.
var structuredAuditNotes = []string{"set_role", "create_tag", "update_tag", "merge_tag", "unlink_threads", "join_with_invite"}

// AuditNotesOf selects the audit rows whose notes ScrubAuditNotes empties.
type AuditNotesOf struct {
	UserID int64 // rows by this user, and rows about this user's account
	// AboutContent adds the rows about the user's posts and threads (when they go).
	AboutContent bool
}

// ScrubAuditNotes empties the free-text notes of the audit rows of w. The rows stay:
// who did what, to what and when is the forum's record. A link note keeps the number of
// the linked thread.
func (tx *Tx) ScrubAuditNotes(ctx context.Context, w AuditNotesOf) error {
	scope := "(actor_id = ? OR (target_type = 'user' AND target_id = ?)"
	args := []any{w.UserID, w.UserID}
	if w.AboutContent {
		scope += " OR (target_type = 'post' AND target_id IN (?)) OR (target_type = 'thread' AND target_id IN (?))"
		args = append(args,
			tx.db.NewSelect().Model((*model.Post)(nil)).Column("id").Where("author_id = ?", w.UserID),
			tx.db.NewSelect().Model((*model.Thread)(nil)).Column("id").Where("author_id = ?", w.UserID))
	}
	scope += ")"
	_, err := tx.write().NewUpdate().Model((*model.AuditEntry)(nil)).Set("note = ''").
		Where("note <> '' AND action NOT IN (?)", bun.List(append([]string{"link_threads"}, structuredAuditNotes...))).
		Where(scope, args...).Exec(ctx)
	if err != nil {
		return fmt.Errorf("scrub audit notes of user %d: %w", w.UserID, err)
	}
	// "#41 the note": the thread number is the forum's, the note its writer's.
	var links []*model.AuditEntry
	err = tx.db.NewSelect().Model(&links).Column("id", "note").
		Where("action = 'link_threads' AND note LIKE '% %'").Where(scope, args...).Scan(ctx)
	if err != nil {
		return fmt.Errorf("audit link notes of user %d: %w", w.UserID, err)
	}
	for _, e := range links {
		number, _, _ := strings.Cut(e.Note, " ")
		if _, err := tx.write().NewUpdate().Model((*model.AuditEntry)(nil)).Set("note = ?", number).Where("id = ?", e.ID).Exec(ctx); err != nil {
			return fmt.Errorf("scrub audit note %d: %w", e.ID, err)
		}
	}
	return nil
}

// Checkpoint moves what the SQLite write-ahead log holds into the database file and
// empties the log, so that text deleted by the last transactions is gone from both files
// (secure_delete, set on every connection, zeroes what deletion freed). It waits for
// readers up to the busy timeout. On PostgreSQL it does nothing: dead row versions stay
// in the table files until VACUUM reuses their space.
func (s *Store) Checkpoint(ctx context.Context) error {
	if s.driver != config.DriverSQLite {
		return nil
	}
	s.checkpointing.Lock()
	defer s.checkpointing.Unlock()
	var busy, logFrames, checkpointed int
	if err := s.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &logFrames, &checkpointed); err != nil {
		return fmt.Errorf("checkpoint the write-ahead log: %w", err)
	}
	if busy != 0 {
		return fmt.Errorf("checkpoint the write-ahead log: readers kept it busy (%d of %d frames copied)", checkpointed, logFrames)
	}
	return nil
}
