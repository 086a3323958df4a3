package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// AuthorAnswer is one of a person's expert answers, with the thread it answers.
type AuthorAnswer struct {
	Post   *model.Post
	Thread *model.Thread
}

// expertAnswersOf selects the expert answers of a person that readers see as such: not
// anonymous (an anonymous reply is never an expert answer), neither deleted nor hidden,
// in a thread that is not hidden. Posts are read through posts_author_created.
func expertAnswersOf(sel *bun.SelectQuery, authorID int64) *bun.SelectQuery {
	return sel.
		Where("post.author_id = ? AND post.expert = ? AND post.anonymous = ? AND post.opening = ?", authorID, true, false, false).
		Where("post.deleted_at IS NULL AND post.hidden_at IS NULL").
		Where("EXISTS (SELECT 1 FROM threads AS t WHERE t.id = post.thread_id AND t.hidden = ?)", false)
}

// ExpertAnswersByAuthor returns a person's latest expert answers, newest first, with
// their threads (and the threads' tags).
func (q queries) ExpertAnswersByAuthor(ctx context.Context, authorID int64, limit int) ([]AuthorAnswer, error) {
	var posts []*model.Post
	err := expertAnswersOf(q.db.NewSelect().Model(&posts), authorID).
		OrderExpr("post.created_at DESC, post.id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("answers of user %d: %w", authorID, err)
	}
	ids := make([]int64, len(posts))
	for i, p := range posts {
		ids[i] = p.ThreadID
	}
	threads, err := q.ThreadsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := make(map[int64]*model.Thread, len(threads))
	for _, t := range threads {
		byID[t.ID] = t
	}
	out := make([]AuthorAnswer, 0, len(posts))
	for _, p := range posts {
		if t, ok := byID[p.ThreadID]; ok {
			out = append(out, AuthorAnswer{Post: p, Thread: t})
		}
	}
	return out, nil
}

// ExpertAnswerCounts counts a person's expert answers (as ExpertAnswersByAuthor selects
// them) and those of them the asker marked helpful.
func (q queries) ExpertAnswerCounts(ctx context.Context, authorID int64) (answers, helpful int, err error) {
	n, err := expertAnswersOf(q.db.NewSelect().Model((*model.Post)(nil)), authorID).Count(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("count answers of user %d: %w", authorID, err)
	}
	h, err := expertAnswersOf(q.db.NewSelect().Model((*model.Post)(nil)), authorID).
		Where("EXISTS (SELECT 1 FROM threads AS h WHERE h.id = post.thread_id AND h.helpful_post_id = post.id)").
		Count(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("count helpful answers of user %d: %w", authorID, err)
	}
	return int(n), int(h), nil
}
