package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// SetThreadTags gives a thread exactly the topics tagIDs, and recounts the topics it
// gained or lost. The topic pages' copies of the thread's activity and visibility are
// written by the thread_tags triggers.
func (tx *Tx) SetThreadTags(ctx context.Context, threadID int64, tagIDs []int64) error {
	current, err := tx.ThreadTagIDs(ctx, threadID)
	if err != nil {
		return err
	}
	var added, removed []int64
	for _, id := range tagIDs {
		if !slices.Contains(current, id) {
			added = append(added, id)
		}
	}
	for _, id := range current {
		if !slices.Contains(tagIDs, id) {
			removed = append(removed, id)
		}
	}
	if len(removed) > 0 {
		if _, err := tx.write().NewDelete().Model((*model.ThreadTag)(nil)).
			Where("thread_id = ? AND tag_id IN (?)", threadID, bun.List(removed)).Exec(ctx); err != nil {
			return fmt.Errorf("untag thread %d: %w", threadID, err)
		}
	}
	if len(added) > 0 {
		links := make([]model.ThreadTag, len(added))
		for i, id := range added {
			links[i] = model.ThreadTag{ThreadID: threadID, TagID: id}
		}
		if _, err := tx.write().NewInsert().Model(&links).Exec(ctx); err != nil {
			return fmt.Errorf("tag thread %d: %w", threadID, mapError(err))
		}
	}
	return tx.recountTags(ctx, append(added, removed...))
}

// recountTags counts again the threads of each topic.
func (tx *Tx) recountTags(ctx context.Context, tagIDs []int64) error {
	if len(tagIDs) == 0 {
		return nil
	}
	if _, err := tx.write().NewRaw(`UPDATE tags SET thread_count = (SELECT COUNT(*) FROM thread_tags WHERE thread_tags.tag_id = tags.id)
		WHERE id IN (?)`, bun.List(tagIDs)).Exec(ctx); err != nil {
		return fmt.Errorf("recount topics: %w", err)
	}
	return nil
}

// MoveThreadContent moves everything members gave in thread from to thread into, for a
// merge: every post (the opening post becomes a reply), the list of who wrote in it, its
// followers (a member following both keeps the closer level of into), the replies waiting
// for review and its related links. Read positions in from are dropped.
func (tx *Tx) MoveThreadContent(ctx context.Context, from, into int64, at time.Time) error {
	db := tx.write()
	if _, err := db.NewUpdate().Model((*model.Post)(nil)).Set("thread_id = ?, opening = ?", into, false).
		Where("thread_id = ?", from).Exec(ctx); err != nil {
		return fmt.Errorf("move posts of thread %d: %w", from, err)
	}
	if _, err := db.NewRaw(`INSERT INTO thread_participants (user_id, thread_id, last_activity_at, hidden)
		SELECT DISTINCT p.author_id, t.id, t.last_activity_at, t.hidden FROM posts p JOIN threads t ON t.id = p.thread_id
		JOIN users u ON u.id = p.author_id
		WHERE p.thread_id = ? AND u.deleted_at IS NULL
		ON CONFLICT (user_id, thread_id) DO NOTHING`, into).Exec(ctx); err != nil {
		return fmt.Errorf("writers of thread %d: %w", into, err)
	}
	if _, err := db.NewDelete().TableExpr("thread_participants").Where("thread_id = ?", from).Exec(ctx); err != nil {
		return fmt.Errorf("writers of thread %d: %w", from, err)
	}
	var followers []int64
	if err := tx.db.NewSelect().Model((*model.Follow)(nil)).Column("user_id").Where("thread_id = ?", from).Scan(ctx, &followers); err != nil {
		return fmt.Errorf("followers of thread %d: %w", from, err)
	}
	tx.memberChanged(followers...)
	if _, err := db.NewRaw(`INSERT INTO follows (user_id, thread_id, tag_id, level, auto, created_at, updated_at)
		SELECT f.user_id, ?, NULL, f.level, f.auto, f.created_at, ? FROM follows f
		WHERE f.thread_id = ?
		ON CONFLICT (user_id, thread_id) WHERE thread_id IS NOT NULL DO NOTHING`, into, at, from).Exec(ctx); err != nil {
		return fmt.Errorf("move followers of thread %d: %w", from, err)
	}
	if _, err := db.NewDelete().Model((*model.Follow)(nil)).Where("thread_id = ?", from).Exec(ctx); err != nil {
		return fmt.Errorf("followers of thread %d: %w", from, err)
	}
	if _, err := db.NewDelete().Model((*model.ThreadRead)(nil)).Where("thread_id = ?", from).Exec(ctx); err != nil {
		return fmt.Errorf("read positions in thread %d: %w", from, err)
	}
	if err := tx.MoveHeldReplies(ctx, from, into); err != nil {
		return err
	}
	return tx.moveRelatedLinks(ctx, from, into)
}

// moveRelatedLinks gives into the related links of from that it lacks (a link between the
// two is dropped), and removes from's.
func (tx *Tx) moveRelatedLinks(ctx context.Context, from, into int64) error {
	var links []model.RelatedLink
	if err := tx.db.NewSelect().Model(&links).Where("thread_id = ? OR other_id = ?", from, from).Order("id").Scan(ctx); err != nil {
		return fmt.Errorf("links of thread %d: %w", from, err)
	}
	if _, err := tx.write().NewDelete().Model((*model.RelatedLink)(nil)).Where("thread_id = ? OR other_id = ?", from, from).Exec(ctx); err != nil {
		return fmt.Errorf("links of thread %d: %w", from, err)
	}
	for _, l := range links {
		other := l.OtherID
		if other == from {
			other = l.ThreadID
		}
		if other == into {
			continue
		}
		a, b := min(into, other), max(into, other)
		exists, err := tx.db.NewSelect().Model((*model.RelatedLink)(nil)).Where("thread_id = ? AND other_id = ?", a, b).Exists(ctx)
		if err != nil {
			return fmt.Errorf("links of thread %d: %w", into, err)
		}
		if exists {
			continue
		}
		moved := &model.RelatedLink{ThreadID: a, OtherID: b, Note: l.Note, CreatedBy: l.CreatedBy, CreatedAt: l.CreatedAt}
		if err := tx.InsertRelatedLink(ctx, moved); err != nil {
			return err
		}
	}
	return nil
}

// LastPostTime returns when the latest visible post of a thread was written (zero: none).
func (q queries) LastPostTime(ctx context.Context, threadID int64) (time.Time, error) {
	var at []time.Time
	err := q.db.NewSelect().Model((*model.Post)(nil)).Column("created_at").
		Where("thread_id = ? AND deleted_at IS NULL AND hidden_at IS NULL", threadID).
		OrderExpr("created_at DESC").Limit(1).Scan(ctx, &at)
	if err != nil {
		return time.Time{}, fmt.Errorf("latest post of thread %d: %w", threadID, err)
	}
	if len(at) == 0 {
		return time.Time{}, nil
	}
	return at[0], nil
}
