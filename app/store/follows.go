package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// Following (DESIGN section 12): a member follows threads and topics at a level. A follow
// changes no page that is cached for many viewers; writes record the member (Tx.members)
// so that what is remembered of them is dropped after the commit.

// SetThreadFollow makes a member follow a thread at level, chosen by the member (not auto).
func (tx *Tx) SetThreadFollow(ctx context.Context, userID, threadID int64, level model.Level, at time.Time) error {
	f := &model.Follow{UserID: userID, ThreadID: &threadID, Level: level, CreatedAt: at, UpdatedAt: at}
	tx.memberChanged(userID)
	_, err := tx.db.NewInsert().Model(f).
		On("CONFLICT (user_id, thread_id) WHERE thread_id IS NOT NULL DO UPDATE").
		Set("level = EXCLUDED.level, auto = EXCLUDED.auto, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("follow thread %d: %w", threadID, mapError(err))
	}
	return nil
}

// AutoFollowThread makes a member follow a thread at level because they started it or
// replied to it, unless they follow it already (at whatever level they chose).
func (tx *Tx) AutoFollowThread(ctx context.Context, userID, threadID int64, level model.Level, at time.Time) error {
	f := &model.Follow{UserID: userID, ThreadID: &threadID, Level: level, Auto: true, CreatedAt: at, UpdatedAt: at}
	tx.memberChanged(userID)
	_, err := tx.db.NewInsert().Model(f).
		On("CONFLICT (user_id, thread_id) WHERE thread_id IS NOT NULL DO NOTHING").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("follow thread %d: %w", threadID, mapError(err))
	}
	return nil
}

// DeleteThreadFollow stops a member following a thread.
func (tx *Tx) DeleteThreadFollow(ctx context.Context, userID, threadID int64) error {
	tx.memberChanged(userID)
	_, err := tx.db.NewDelete().Model((*model.Follow)(nil)).Where("user_id = ? AND thread_id = ?", userID, threadID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("unfollow thread %d: %w", threadID, err)
	}
	return nil
}

// SetTagFollow makes a member follow a topic at level.
func (tx *Tx) SetTagFollow(ctx context.Context, userID, tagID int64, level model.Level, at time.Time) error {
	f := &model.Follow{UserID: userID, TagID: &tagID, Level: level, CreatedAt: at, UpdatedAt: at}
	tx.memberChanged(userID)
	_, err := tx.db.NewInsert().Model(f).
		On("CONFLICT (user_id, tag_id) WHERE tag_id IS NOT NULL DO UPDATE").
		Set("level = EXCLUDED.level, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("follow topic %d: %w", tagID, mapError(err))
	}
	return nil
}

// DeleteTagFollow stops a member following a topic.
func (tx *Tx) DeleteTagFollow(ctx context.Context, userID, tagID int64) error {
	tx.memberChanged(userID)
	_, err := tx.db.NewDelete().Model((*model.Follow)(nil)).Where("user_id = ? AND tag_id = ?", userID, tagID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("unfollow topic %d: %w", tagID, err)
	}
	return nil
}

// DeleteFollows removes every follow of a member (when the account is deleted).
func (tx *Tx) DeleteFollows(ctx context.Context, userID int64) error {
	tx.memberChanged(userID)
	if _, err := tx.db.NewDelete().Model((*model.Follow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete follows of user %d: %w", userID, err)
	}
	return nil
}

// ThreadFollowOf returns a member's follow of a thread, or ErrNotFound.
func (q queries) ThreadFollowOf(ctx context.Context, userID, threadID int64) (*model.Follow, error) {
	f := new(model.Follow)
	err := q.db.NewSelect().Model(f).Where("user_id = ? AND thread_id = ?", userID, threadID).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("follow of thread %d: %w", threadID, mapError(err))
	}
	return f, nil
}

// ThreadFollowLevel returns the level at which a member follows a thread, "" when they
// do not. Every thread page a member opens asks it: an answer is remembered (memberCache).
func (s *Store) ThreadFollowLevel(ctx context.Context, userID, threadID int64) (model.Level, error) {
	now := time.Now()
	if l, ok := s.members.level(userID, threadID, now); ok {
		return l, nil
	}
	inv := s.members.inv.Load()
	f, err := s.ThreadFollowOf(ctx, userID, threadID)
	var level model.Level
	switch {
	case err == nil:
		level = f.Level
	case !errors.Is(err, model.ErrNotFound):
		return "", err
	}
	s.members.keepLevel(userID, threadID, level, now, inv)
	return level, nil
}

// ThreadFollowers returns every follow of a thread (the user and the level), for the
// fan-out of its events.
func (q queries) ThreadFollowers(ctx context.Context, threadID int64) ([]model.Follow, error) {
	var out []model.Follow
	err := q.db.NewSelect().Model(&out).Column("user_id", "level").Where("thread_id = ?", threadID).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("followers of thread %d: %w", threadID, err)
	}
	return out, nil
}

// TagFollowers returns every follow of the topics (the user, the topic and the level).
func (q queries) TagFollowers(ctx context.Context, tagIDs []int64) ([]model.Follow, error) {
	var out []model.Follow
	if len(tagIDs) == 0 {
		return out, nil
	}
	err := q.db.NewSelect().Model(&out).Column("user_id", "tag_id", "level").Where("tag_id IN (?)", bun.List(tagIDs)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("followers of topics: %w", err)
	}
	return out, nil
}

// TagFollowsOf returns a member's follows of topics.
func (q queries) TagFollowsOf(ctx context.Context, userID int64) ([]model.Follow, error) {
	var out []model.Follow
	err := q.db.NewSelect().Model(&out).Where("user_id = ? AND tag_id IS NOT NULL", userID).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("topics followed by user %d: %w", userID, err)
	}
	return out, nil
}

// ThreadFollowsOf returns up to limit of a member's follows of threads, newest thread
// first, of threads below beforeThreadID (0: from the newest).
func (q queries) ThreadFollowsOf(ctx context.Context, userID, beforeThreadID int64, limit int) ([]model.Follow, error) {
	var out []model.Follow
	sel := q.db.NewSelect().Model(&out).Where("user_id = ? AND thread_id IS NOT NULL", userID).
		OrderExpr("thread_id DESC").Limit(int64(limit))
	if beforeThreadID > 0 {
		sel.Where("thread_id < ?", beforeThreadID)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("threads followed by user %d: %w", userID, err)
	}
	return out, nil
}

// FollowsOf returns every follow of a member (for the data export).
func (q queries) FollowsOf(ctx context.Context, userID int64) ([]model.Follow, error) {
	var out []model.Follow
	if err := q.db.NewSelect().Model(&out).Where("user_id = ?", userID).OrderExpr("created_at, thread_id, tag_id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("follows of user %d: %w", userID, err)
	}
	return out, nil
}

// ThreadTagIDs returns the ids of a thread's topics.
func (q queries) ThreadTagIDs(ctx context.Context, threadID int64) ([]int64, error) {
	var ids []int64
	err := q.db.NewSelect().Model((*model.ThreadTag)(nil)).Column("tag_id").Where("thread_id = ?", threadID).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("topics of thread %d: %w", threadID, err)
	}
	return ids, nil
}
