package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/model"
)

// InsertHeldPost writes a post held for review, with the topics chosen for a new thread.
func (tx *Tx) InsertHeldPost(ctx context.Context, h *model.HeldPost, tagIDs []int64) error {
	if _, err := tx.db.NewInsert().Model(h).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert held post: %w", mapError(err))
	}
	if err := tx.heldChange(ctx, h, "hold"); err != nil {
		return err
	}
	if len(tagIDs) == 0 {
		return nil
	}
	links := make([]model.HeldPostTag, len(tagIDs))
	for i, id := range tagIDs {
		links[i] = model.HeldPostTag{HeldPostID: h.ID, TagID: id}
	}
	if _, err := tx.db.NewInsert().Model(&links).Exec(ctx); err != nil {
		return fmt.Errorf("tag held post %d: %w", h.ID, mapError(err))
	}
	return nil
}

// heldPosts selects held posts with their authors and topics.
func (q queries) heldPosts(out *[]*model.HeldPost) *bun.SelectQuery {
	return q.db.NewSelect().Model(out).Relation("Author").
		Relation("Tags", func(sq *bun.SelectQuery) *bun.SelectQuery { return sq.Order("tag.name") })
}

// HeldPostByID returns a held post with its author and topics.
func (q queries) HeldPostByID(ctx context.Context, id int64) (*model.HeldPost, error) {
	var out []*model.HeldPost
	if err := q.heldPosts(&out).Where("held_post.id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("held post %d: %w", id, mapError(err))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("held post %d: %w", id, model.ErrNotFound)
	}
	return out[0], nil
}

// HeldPostAuthor returns the author of a held post.
func (q queries) HeldPostAuthor(ctx context.Context, id int64) (int64, error) {
	var author int64
	err := q.db.NewSelect().Model((*model.HeldPost)(nil)).Column("author_id").Where("id = ?", id).Scan(ctx, &author)
	if err != nil {
		return 0, fmt.Errorf("author of held post %d: %w", id, mapError(err))
	}
	return author, nil
}

// HeldPostForUpdate returns a held post for a moderator's decision, locked on PostgreSQL
// so that two moderators never both publish it.
func (tx *Tx) HeldPostForUpdate(ctx context.Context, id int64) (*model.HeldPost, error) {
	h := new(model.HeldPost)
	sel := tx.db.NewSelect().Model(h).Where("id = ?", id)
	if tx.store.driver == config.DriverPostgres {
		sel.For("UPDATE")
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("held post %d: %w", id, mapError(err))
	}
	return h, nil
}

// HeldTagIDs returns the ids of the topics chosen for a held new thread.
func (q queries) HeldTagIDs(ctx context.Context, heldID int64) ([]int64, error) {
	var ids []int64
	err := q.db.NewSelect().Model((*model.HeldPostTag)(nil)).Column("tag_id").
		Where("held_post_id = ?", heldID).Order("tag_id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("topics of held post %d: %w", heldID, err)
	}
	return ids, nil
}

// UpdateHeldPost writes the named columns of h.
func (tx *Tx) UpdateHeldPost(ctx context.Context, h *model.HeldPost, columns ...string) error {
	if _, err := tx.db.NewUpdate().Model(h).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update held post %d: %w", h.ID, mapError(err))
	}
	return tx.heldChange(ctx, h, "update")
}

// heldChange writes the change-log row of a write to held post h (model.ChangeHeldPost).
// The write changes what its author sees (their own lists, and the thread it answers,
// where it shows to them alone) and nothing anyone else sees: every node, this one at the
// commit and the others as they read the row, drops those pages only, not every page.
func (tx *Tx) heldChange(ctx context.Context, h *model.HeldPost, op string) error {
	var thread int64
	if h.ThreadID != nil {
		thread = *h.ThreadID
	}
	return tx.AddChange(ctx, model.ChangeHeldPost, h.ID, thread, op, time.Now().UTC())
}

// HeldCursor marks a place in the moderators' queue, oldest first.
type HeldCursor struct {
	CreatedAt time.Time
	ID        int64
}

// WaitingHeldPosts returns up to limit held posts no moderator has decided on, oldest
// first, after the cursor (nil: from the start), through held_posts_waiting.
func (q queries) WaitingHeldPosts(ctx context.Context, after *HeldCursor, limit int) ([]*model.HeldPost, error) {
	var out []*model.HeldPost
	sel := q.heldPosts(&out).Where("held_post.decided_at IS NULL").
		OrderExpr("held_post.created_at, held_post.id").Limit(int64(limit))
	if after != nil {
		sel.Where("(held_post.created_at, held_post.id) > (?, ?)", after.CreatedAt, after.ID)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("review queue: %w", err)
	}
	return out, nil
}

// WaitingHeldCount counts the held posts no moderator has decided on: moderators read it
// on every page.
func (q queries) WaitingHeldCount(ctx context.Context) (int, error) {
	n, err := q.db.NewSelect().Model((*model.HeldPost)(nil)).Where("decided_at IS NULL").Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count the review queue: %w", err)
	}
	return int(n), nil
}

// HeldPostsByAuthor returns a member's latest held posts, waiting, declined or published,
// newest first.
func (q queries) HeldPostsByAuthor(ctx context.Context, authorID int64, limit int) ([]*model.HeldPost, error) {
	var out []*model.HeldPost
	if err := q.heldPosts(&out).Where("held_post.author_id = ?", authorID).
		OrderExpr("held_post.created_at DESC, held_post.id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("held posts of user %d: %w", authorID, err)
	}
	return out, nil
}

// WaitingHeldReplies returns the replies to a thread that wait for review, oldest first.
func (q queries) WaitingHeldReplies(ctx context.Context, threadID int64) ([]*model.HeldPost, error) {
	var out []*model.HeldPost
	if err := q.db.NewSelect().Model(&out).Where("thread_id = ? AND decided_at IS NULL", threadID).
		OrderExpr("created_at, id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("held replies of thread %d: %w", threadID, err)
	}
	return out, nil
}

// PublishedPostCount counts the posts a member has had published, whatever became of
// them since: first-post review holds a member's posts until it reaches a number.
func (q queries) PublishedPostCount(ctx context.Context, authorID int64) (int, error) {
	n, err := q.db.NewSelect().Model((*model.Post)(nil)).Where("author_id = ?", authorID).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count posts of user %d: %w", authorID, err)
	}
	return int(n), nil
}

// MoveHeldReplies moves the replies waiting for review in one thread to another (a merge).
func (tx *Tx) MoveHeldReplies(ctx context.Context, from, to int64) error {
	if _, err := tx.write().NewUpdate().Model((*model.HeldPost)(nil)).Set("thread_id = ?", to).
		Where("thread_id = ? AND decided_at IS NULL", from).Exec(ctx); err != nil {
		return fmt.Errorf("move held replies of thread %d: %w", from, err)
	}
	return nil
}

// DeleteHeldPosts removes every held post of a member (their account is deleted): none
// was ever published, so nothing of them stays.
func (tx *Tx) DeleteHeldPosts(ctx context.Context, authorID int64) error {
	if _, err := tx.write().NewDelete().Model((*model.HeldPost)(nil)).Where("author_id = ? AND post_id IS NULL", authorID).Exec(ctx); err != nil {
		return fmt.Errorf("delete held posts of user %d: %w", authorID, err)
	}
	// Those published are posts now: what stays of them is in posts, as the member chose.
	if _, err := tx.write().NewUpdate().Model((*model.HeldPost)(nil)).
		Set("title = '', body_source = '', body_html = '', content_note = '', reason = ''").
		Where("author_id = ?", authorID).Exec(ctx); err != nil {
		return fmt.Errorf("empty held posts of user %d: %w", authorID, err)
	}
	return nil
}
