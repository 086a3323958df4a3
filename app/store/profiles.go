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
	return q.withThreads(ctx, posts)
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

// TopicCount is a topic and how many of something fall under it.
type TopicCount struct {
	Tag   *model.Tag
	Count int
}

// ExpertAnswerTopics returns the topics of the threads a person answered most as an
// expert (as ExpertAnswersByAuthor selects the answers), most first, up to limit; each
// thread counts once per topic, however many answers it holds.
func (q queries) ExpertAnswerTopics(ctx context.Context, authorID int64, limit int) ([]TopicCount, error) {
	var rows []struct {
		TagID int64 `bun:"tag_id"`
		N     int   `bun:"n"`
	}
	sub := expertAnswersOf(q.db.NewSelect().Model((*model.Post)(nil)).Column("post.thread_id"), authorID)
	err := q.db.NewSelect().TableExpr("thread_tags AS tt").ColumnExpr("tt.tag_id, COUNT(*) AS n").
		Where("tt.thread_id IN (?)", sub).
		GroupExpr("tt.tag_id").OrderExpr("n DESC, tt.tag_id").Limit(int64(limit)).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("topics answered by user %d: %w", authorID, err)
	}
	out := make([]TopicCount, 0, len(rows))
	for _, r := range rows {
		tag, err := q.TagByID(ctx, r.TagID)
		if err != nil {
			return nil, err
		}
		out = append(out, TopicCount{Tag: tag, Count: r.N})
	}
	return out, nil
}

// NamedPostsByAuthor returns a person's latest posts signed with their name, newest first,
// with their threads: never an anonymous post (nor the opening post of an anonymous
// thread), nor one deleted or hidden, nor one in a hidden thread. Profiles list these.
func (q queries) NamedPostsByAuthor(ctx context.Context, authorID int64, opening bool, limit int) ([]AuthorAnswer, error) {
	var posts []*model.Post
	err := q.db.NewSelect().Model(&posts).
		Where("post.author_id = ? AND post.anonymous = ? AND post.opening = ?", authorID, false, opening).
		Where("post.deleted_at IS NULL AND post.hidden_at IS NULL").
		Where("EXISTS (SELECT 1 FROM threads AS t WHERE t.id = post.thread_id AND t.hidden = ? AND (t.anonymous = ? OR post.opening = ?))", false, false, false).
		OrderExpr("post.created_at DESC, post.id DESC").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("named posts of user %d: %w", authorID, err)
	}
	return q.withThreads(ctx, posts)
}

// withThreads pairs each post with its thread (and the thread's tags), in the posts' order,
// reading the threads in one query.
func (q queries) withThreads(ctx context.Context, posts []*model.Post) ([]AuthorAnswer, error) {
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
