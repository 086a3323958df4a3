package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// FlagOf returns the flag a member raised on a post, or model.ErrNotFound.
func (q queries) FlagOf(ctx context.Context, postID, flaggerID int64) (*model.Flag, error) {
	f := new(model.Flag)
	if err := q.db.NewSelect().Model(f).Where("post_id = ? AND flagger_id = ?", postID, flaggerID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("flag of member %d on post %d: %w", flaggerID, postID, mapError(err))
	}
	return f, nil
}

// InsertFlag writes a flag; a member's second flag of the same post is model.ErrConflict.
func (tx *Tx) InsertFlag(ctx context.Context, f *model.Flag) error {
	if _, err := tx.write().NewInsert().Model(f).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert flag: %w", mapError(err))
	}
	return nil
}

// FlagsSince counts the flags a member raised at or after since.
func (q queries) FlagsSince(ctx context.Context, flaggerID int64, since time.Time) (int, error) {
	n, err := q.db.NewSelect().Model((*model.Flag)(nil)).Where("flagger_id = ? AND created_at >= ?", flaggerID, since).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count flags of member %d: %w", flaggerID, err)
	}
	return int(n), nil
}

// OpenFlagsOfPosts returns the flags nobody handled yet of the given posts, oldest first, by post.
func (q queries) OpenFlagsOfPosts(ctx context.Context, postIDs []int64) (map[int64][]*model.Flag, error) {
	out := map[int64][]*model.Flag{}
	if len(postIDs) == 0 {
		return out, nil
	}
	var fs []*model.Flag
	if err := q.db.NewSelect().Model(&fs).Where("post_id IN (?) AND handled_at IS NULL", bun.List(postIDs)).
		OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("open flags: %w", err)
	}
	for _, f := range fs {
		out[f.PostID] = append(out[f.PostID], f)
	}
	return out, nil
}

// FlaggedPost is a post in the reports queue: how urgent it is and since when it waits.
type FlaggedPost struct {
	PostID int64 `bun:"post_id"`
	Danger bool  `bun:"danger"`
}

// OpenFlaggedPosts returns the posts with open flags, those reported as someone in danger
// first, then the longest waiting; offset skips the first ones (the queue is short: what
// moderators have not looked at yet).
func (q queries) OpenFlaggedPosts(ctx context.Context, offset, limit int) ([]FlaggedPost, error) {
	var out []FlaggedPost
	err := q.db.NewSelect().TableExpr("flags").
		ColumnExpr("post_id").
		ColumnExpr("MAX(CASE WHEN reason = ? THEN 1 ELSE 0 END) = 1 AS danger", string(model.FlagDanger)).
		Where("handled_at IS NULL").GroupExpr("post_id").
		OrderExpr("MAX(CASE WHEN reason = ? THEN 1 ELSE 0 END) DESC, MIN(id)", string(model.FlagDanger)).
		Offset(int64(offset)).Limit(int64(limit)).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("flagged posts: %w", err)
	}
	return out, nil
}

// OpenFlaggedPostCount counts the posts with open flags: the moderators' header count.
func (q queries) OpenFlaggedPostCount(ctx context.Context) (int, error) {
	var n int
	err := q.db.NewSelect().TableExpr("flags").ColumnExpr("COUNT(DISTINCT post_id)").Where("handled_at IS NULL").Scan(ctx, &n)
	if err != nil {
		return 0, fmt.Errorf("count flagged posts: %w", err)
	}
	return n, nil
}

// HandleFlags marks every open flag of a post handled by a moderator with outcome, and
// returns the flags it handled.
func (tx *Tx) HandleFlags(ctx context.Context, postID, moderatorID int64, outcome string, at time.Time) ([]*model.Flag, error) {
	var fs []*model.Flag
	if err := tx.db.NewSelect().Model(&fs).Where("post_id = ? AND handled_at IS NULL", postID).OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("open flags of post %d: %w", postID, err)
	}
	if len(fs) == 0 {
		return nil, nil
	}
	_, err := tx.write().NewUpdate().Model((*model.Flag)(nil)).
		Set("handled_at = ?", at).Set("handled_by = ?", moderatorID).Set("outcome = ?", outcome).
		Where("post_id = ? AND handled_at IS NULL", postID).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("handle flags of post %d: %w", postID, err)
	}
	return fs, nil
}

// FlagCount is how many flags a member raised.
type FlagCount struct {
	UserID int64 `bun:"flagger_id"`
	Count  int   `bun:"n"`
}

// BusyFlaggers returns the members who raised at least min flags since, most first.
func (q queries) BusyFlaggers(ctx context.Context, since time.Time, min, limit int) ([]FlagCount, error) {
	var out []FlagCount
	err := q.db.NewSelect().TableExpr("flags").ColumnExpr("flagger_id").ColumnExpr("COUNT(*) AS n").
		Where("created_at >= ?", since).GroupExpr("flagger_id").Having("COUNT(*) >= ?", min).
		OrderExpr("COUNT(*) DESC, flagger_id").Limit(int64(limit)).Scan(ctx, &out)
	if err != nil {
		return nil, fmt.Errorf("busy flaggers: %w", err)
	}
	return out, nil
}

// PostNeighbours returns the posts just before and after a post in its thread (nil where
// there is none), whatever their state: a moderator reads a post in its context.
func (q queries) PostNeighbours(ctx context.Context, threadID, postID int64) (before, after *model.Post, err error) {
	var b, a []*model.Post
	if err := q.db.NewSelect().Model(&b).Where("thread_id = ? AND id < ?", threadID, postID).OrderExpr("id DESC").Limit(1).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("post before %d: %w", postID, err)
	}
	if err := q.db.NewSelect().Model(&a).Where("thread_id = ? AND id > ?", threadID, postID).OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		return nil, nil, fmt.Errorf("post after %d: %w", postID, err)
	}
	if len(b) > 0 {
		before = b[0]
	}
	if len(a) > 0 {
		after = a[0]
	}
	return before, after, nil
}

// HiddenAnswer reports whether a thread has an answer a moderator hid (and its author did
// not delete): an expert's reply, or the reply whose helpful mark is held.
func (q queries) HiddenAnswer(ctx context.Context, threadID int64, heldHelpful *int64) (bool, error) {
	sel := q.db.NewSelect().Model((*model.Post)(nil)).
		Where("thread_id = ? AND opening = ? AND hidden_at IS NOT NULL AND deleted_at IS NULL", threadID, false)
	if heldHelpful != nil {
		sel.WhereGroup(" AND ", func(s *bun.SelectQuery) *bun.SelectQuery {
			return s.Where("expert = ?", true).WhereOr("id = ?", *heldHelpful)
		})
	} else {
		sel.Where("expert = ?", true)
	}
	ok, err := sel.Exists(ctx)
	if err != nil {
		return false, fmt.Errorf("hidden answers of thread %d: %w", threadID, err)
	}
	return ok, nil
}

// ModeratorIDs returns the ids of every active moderator and admin.
func (q queries) ModeratorIDs(ctx context.Context) ([]int64, error) {
	var ids []int64
	err := q.db.NewSelect().Model((*model.User)(nil)).Column("id").
		Where("status = ? AND role IN (?)", model.StatusActive, bun.List([]model.Role{model.RoleModerator, model.RoleAdmin})).
		OrderExpr("id").Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("moderators: %w", err)
	}
	return ids, nil
}

// InsertWarning writes a moderator's warning to a member.
func (tx *Tx) InsertWarning(ctx context.Context, w *model.Warning) error {
	if _, err := tx.write().NewInsert().Model(w).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert warning: %w", err)
	}
	tx.memberChanged(w.UserID) // the member's pages show it
	return nil
}

// OpenWarning returns the oldest warning a member has not acknowledged, or nil.
func (q queries) OpenWarning(ctx context.Context, userID int64) (*model.Warning, error) {
	var ws []*model.Warning
	if err := q.db.NewSelect().Model(&ws).Where("user_id = ? AND acknowledged_at IS NULL", userID).OrderExpr("id").Limit(1).Scan(ctx); err != nil {
		return nil, fmt.Errorf("open warning of member %d: %w", userID, err)
	}
	if len(ws) == 0 {
		return nil, nil
	}
	return ws[0], nil
}

// AcknowledgeWarning records that a member read their warning; false when it is not
// theirs or was acknowledged already.
func (tx *Tx) AcknowledgeWarning(ctx context.Context, userID, id int64, at time.Time) (bool, error) {
	res, err := tx.write().NewUpdate().Model((*model.Warning)(nil)).Set("acknowledged_at = ?", at).
		Where("id = ? AND user_id = ? AND acknowledged_at IS NULL", id, userID).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("acknowledge warning %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if n > 0 {
		tx.memberChanged(userID) // the member's pages stop showing it
	}
	return n > 0, err
}
