package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// Cursor marks a place in a list ordered by last activity, newest first.
type Cursor struct {
	LastActivity time.Time
	ID           int64
}

// ThreadQuery selects threads for a list.
type ThreadQuery struct {
	Limit      int
	After      *Cursor // continue after this thread (keyset pagination)
	PublicOnly bool    // only threads published to the public archive
	Pinned     *bool   // only pinned (true) or only not pinned (false) threads
	TagID      int64   // only threads with this tag
	States     []model.State
	Kinds      []model.Kind
	AuthorID   int64
}

// Threads returns threads ordered by last activity, newest first, with authors and tags.
// Hidden threads are never listed. Each kind of list reads its page through an index
// that selects and orders it (see the list_plan_indexes migration and
// TestListQueriesUseIndexes): a topic's threads come in order from thread_tags, which
// keeps a copy of each thread's activity, hidden flag and visibility.
func (q queries) Threads(ctx context.Context, tq ThreadQuery) ([]*model.Thread, error) {
	if tq.Limit <= 0 || tq.Limit > 200 {
		tq.Limit = 30
	}
	var threads []*model.Thread
	sel := q.db.NewSelect().Model(&threads).
		Relation("Author").
		Relation("Tags", func(sq *bun.SelectQuery) *bun.SelectQuery { return sq.Order("tag.name") }).
		Where("thread.hidden = ?", false).
		Limit(int64(tq.Limit))
	activity, id := bun.Ident("thread.last_activity_at"), bun.Ident("thread.id")
	if tq.TagID != 0 {
		activity, id = bun.Ident("tt.last_activity_at"), bun.Ident("tt.thread_id")
		sel.Join("JOIN thread_tags AS tt ON tt.thread_id = thread.id").
			Where("tt.tag_id = ? AND tt.hidden = ?", tq.TagID, false)
		if tq.PublicOnly {
			sel.Where("tt.visibility = ?", model.VisibilityPublic)
		}
	}
	sel.OrderExpr("? DESC, ? DESC", activity, id)
	if tq.PublicOnly {
		sel.Where("thread.visibility = ?", model.VisibilityPublic)
	}
	if tq.Pinned != nil {
		sel.Where("thread.pinned = ?", *tq.Pinned)
	}
	if len(tq.States) > 0 {
		sel.Where("thread.state IN (?)", bun.List(tq.States))
	}
	if len(tq.Kinds) > 0 {
		sel.Where("thread.kind IN (?)", bun.List(tq.Kinds))
	}
	if tq.AuthorID != 0 {
		sel.Where("thread.author_id = ?", tq.AuthorID)
	}
	if tq.After != nil {
		// The same as (activity, id) < (after), written so that both databases read it
		// as a range of the index.
		sel.Where("? <= ? AND (? < ? OR ? < ?)", activity, tq.After.LastActivity,
			activity, tq.After.LastActivity, id, tq.After.ID)
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list threads: %w", err)
	}
	return threads, nil
}

// ThreadByID returns a thread with its author and tags.
func (q queries) ThreadByID(ctx context.Context, id int64) (*model.Thread, error) {
	t := new(model.Thread)
	err := q.db.NewSelect().Model(t).
		Relation("Author").
		Relation("Tags", func(sq *bun.SelectQuery) *bun.SelectQuery { return sq.Order("tag.name") }).
		Where("thread.id = ?", id).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("thread %d: %w", id, mapError(err))
	}
	return t, nil
}

// ThreadRow returns a thread without its author and tags, for a rule that needs only
// the thread's own columns (may this member write a draft in it?).
func (q queries) ThreadRow(ctx context.Context, id int64) (*model.Thread, error) {
	t := new(model.Thread)
	if err := q.db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("thread %d: %w", id, mapError(err))
	}
	return t, nil
}

// ThreadByDemoKey returns the demo thread with the given key.
func (q queries) ThreadByDemoKey(ctx context.Context, key string) (*model.Thread, error) {
	t := new(model.Thread)
	if err := q.db.NewSelect().Model(t).Where("demo_key = ?", key).Scan(ctx); err != nil {
		return nil, fmt.Errorf("demo thread %q: %w", key, mapError(err))
	}
	return t, nil
}

// PostsByThread returns a thread's posts in the order they were written, with authors.
// Deleted posts are returned too (the page shows that a post was removed).
func (q queries) PostsByThread(ctx context.Context, threadID int64) ([]*model.Post, error) {
	var posts []*model.Post
	err := q.db.NewSelect().Model(&posts).
		Relation("Author").
		Where("post.thread_id = ?", threadID).
		OrderExpr("post.created_at ASC, post.id ASC").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("posts of thread %d: %w", threadID, err)
	}
	return posts, nil
}

// PostsByThreads returns the posts of many threads at once, by thread, each thread's in
// the order they were written, without their authors (for the search index, which keeps
// no names). Deleted and hidden posts are returned too.
func (q queries) PostsByThreads(ctx context.Context, threadIDs []int64) (map[int64][]*model.Post, error) {
	out := make(map[int64][]*model.Post, len(threadIDs))
	if len(threadIDs) == 0 {
		return out, nil
	}
	var posts []*model.Post
	err := q.db.NewSelect().Model(&posts).
		Where("post.thread_id IN (?)", bun.List(threadIDs)).
		OrderExpr("post.thread_id, post.created_at, post.id").
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("posts of %d threads: %w", len(threadIDs), err)
	}
	for _, p := range posts {
		out[p.ThreadID] = append(out[p.ThreadID], p)
	}
	return out, nil
}

// ThreadCount counts the threads that are not hidden.
func (q queries) ThreadCount(ctx context.Context) (int, error) {
	n, err := q.db.NewSelect().Model((*model.Thread)(nil)).Where("hidden = ?", false).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count threads: %w", err)
	}
	return int(n), nil
}

// InsertThread writes a new thread and links its tags.
func (tx *Tx) InsertThread(ctx context.Context, t *model.Thread, tagIDs []int64) error {
	if _, err := tx.writeContent().NewInsert().Model(t).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert thread: %w", mapError(err))
	}
	if len(tagIDs) == 0 {
		return nil
	}
	links := make([]model.ThreadTag, len(tagIDs))
	for i, id := range tagIDs {
		links[i] = model.ThreadTag{ThreadID: t.ID, TagID: id}
	}
	if _, err := tx.writeContent().NewInsert().Model(&links).Exec(ctx); err != nil {
		return fmt.Errorf("tag thread %d: %w", t.ID, mapError(err))
	}
	if _, err := tx.writeContent().NewUpdate().Model((*model.Tag)(nil)).
		Set("thread_count = thread_count + 1").
		Where("id IN (?)", bun.List(tagIDs)).
		Exec(ctx); err != nil {
		return fmt.Errorf("count tags: %w", err)
	}
	return nil
}

// UpdateThread writes the named columns of t.
func (tx *Tx) UpdateThread(ctx context.Context, t *model.Thread, columns ...string) error {
	if _, err := tx.writeContent().NewUpdate().Model(t).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update thread %d: %w", t.ID, mapError(err))
	}
	return nil
}

// InsertPost writes a new post.
func (tx *Tx) InsertPost(ctx context.Context, p *model.Post) error {
	if _, err := tx.writeContent().NewInsert().Model(p).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert post: %w", mapError(err))
	}
	return nil
}

// PostByID returns a post.
func (q queries) PostByID(ctx context.Context, id int64) (*model.Post, error) {
	p := new(model.Post)
	if err := q.db.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("post %d: %w", id, mapError(err))
	}
	return p, nil
}

// ExpertReplied reports whether an expert wrote a visible reply in the thread.
func (q queries) ExpertReplied(ctx context.Context, threadID int64) (bool, error) {
	return q.db.NewSelect().Model((*model.Post)(nil)).
		Where("thread_id = ? AND expert = ? AND opening = ? AND deleted_at IS NULL AND hidden_at IS NULL", threadID, true, false).
		Exists(ctx)
}

// AddChange writes a change-log row; call it in the transaction that changed the content.
func (tx *Tx) AddChange(ctx context.Context, entity string, entityID, threadID int64, op string, at time.Time) error {
	c := &model.Change{Entity: entity, EntityID: entityID, ThreadID: threadID, Op: op, CreatedAt: at}
	if _, err := tx.writeContent().NewInsert().Model(c).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("write change log: %w", err)
	}
	tx.changes, tx.lastChange = true, max(tx.lastChange, c.ID)
	tx.changed = append(tx.changed, *c)
	return nil
}

// WrittenChangeID returns the id of the newest change-log row this transaction wrote (0: none).
func (tx *Tx) WrittenChangeID() int64 { return tx.lastChange }

// ChangesAfter returns up to limit change-log rows with an id above after, in the order of
// their ids: a listing of the log. On PostgreSQL ids are not committed in order, so a reader
// that follows the log reads it through app/changelog (ChangesSince), never this way.
func (q queries) ChangesAfter(ctx context.Context, after int64, limit int) ([]model.Change, error) {
	var cs []model.Change
	err := q.db.NewSelect().Model(&cs).Where("id > ?", after).Order("id").Limit(int64(limit)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read change log: %w", err)
	}
	return cs, nil
}

// RemovePostsByAuthor empties every post of a user and marks it deleted.
func (tx *Tx) RemovePostsByAuthor(ctx context.Context, userID int64, at time.Time) error {
	_, err := tx.write().NewUpdate().Model((*model.Post)(nil)).
		Set("body_source = ''").Set("body_html = ''").Set("content_note = ''").
		Set("deleted_at = COALESCE(deleted_at, ?)", at).Set("updated_at = ?", at).
		Where("author_id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("remove posts of user %d: %w", userID, err)
	}
	return nil
}

// ThreadsByIDs returns the threads with the given ids, with authors and tags, in the
// order of ids; missing ids are left out.
func (q queries) ThreadsByIDs(ctx context.Context, ids []int64) ([]*model.Thread, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var threads []*model.Thread
	err := q.db.NewSelect().Model(&threads).
		Relation("Author").
		Relation("Tags", func(sq *bun.SelectQuery) *bun.SelectQuery { return sq.Order("tag.name") }).
		Where("thread.id IN (?)", bun.List(ids)).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("threads by id: %w", err)
	}
	byID := make(map[int64]*model.Thread, len(threads))
	for _, t := range threads {
		byID[t.ID] = t
	}
	out := make([]*model.Thread, 0, len(ids))
	for _, id := range ids {
		if t, ok := byID[id]; ok {
			out = append(out, t)
		}
	}
	return out, nil
}

// The bulk writes of the benchmark board (app/benchdata): rows only, in batches, with
// none of the counting InsertThread does.

// InsertThreads writes new threads, without tags.
func (tx *Tx) InsertThreads(ctx context.Context, threads []*model.Thread) error {
	for from := 0; from < len(threads); from += batchRows {
		part := threads[from:min(from+batchRows, len(threads))]
		if _, err := tx.write().NewInsert().Model(&part).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("insert threads: %w", mapError(err))
		}
	}
	return nil
}

// InsertPosts writes new posts.
func (tx *Tx) InsertPosts(ctx context.Context, posts []*model.Post) error {
	for from := 0; from < len(posts); from += batchRows {
		part := posts[from:min(from+batchRows, len(posts))]
		if _, err := tx.write().NewInsert().Model(&part).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("insert posts: %w", mapError(err))
		}
	}
	return nil
}

// InsertThreadTags links threads to tags; the tags' counts are left to RecountTags.
func (tx *Tx) InsertThreadTags(ctx context.Context, links []model.ThreadTag) error {
	for from := 0; from < len(links); from += batchRows {
		part := links[from:min(from+batchRows, len(links))]
		if _, err := tx.write().NewInsert().Model(&part).Exec(ctx); err != nil {
			return fmt.Errorf("tag threads: %w", mapError(err))
		}
	}
	return nil
}

// AddChanges writes change-log rows; call it in the transaction that changed the content.
func (tx *Tx) AddChanges(ctx context.Context, changes []model.Change) error {
	for from := 0; from < len(changes); from += batchRows {
		part := changes[from:min(from+batchRows, len(changes))]
		if _, err := tx.write().NewInsert().Model(&part).Exec(ctx); err != nil {
			return fmt.Errorf("write change log: %w", err)
		}
		tx.changes = true
	}
	return nil
}
