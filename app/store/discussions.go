package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/model"
)

// Draft is a thread or reply being written, saved as the member types.
type Draft struct {
	bun.BaseModel `bun:"table:drafts"`

	UserID         int64     `bun:"user_id,pk"`
	Key            string    `bun:"draft_key,pk"`
	Kind           string    `bun:"kind,notnull"` // of a new thread; empty for a reply
	Title          string    `bun:"title,notnull"`
	Body           string    `bun:"body,notnull"`
	ContentNote    string    `bun:"content_note,notnull"`
	Tags           string    `bun:"tags,notnull"` // comma-separated slugs
	Anonymous      bool      `bun:"anonymous,notnull"`
	PublishConsent bool      `bun:"publish_consent,notnull"`
	UpdatedAt      time.Time `bun:"updated_at,notnull"`
}

// SaveDraft writes or replaces a draft, then drops the member's oldest drafts beyond keep.
func (tx *Tx) SaveDraft(ctx context.Context, d *Draft, keep int) error {
	// Drafts show on no cached page; remembered draft lookups are dropped after the commit.
	tx.drafts = true
	_, err := tx.db.NewInsert().Model(d).
		On("CONFLICT (user_id, draft_key) DO UPDATE").
		Set("kind = EXCLUDED.kind, title = EXCLUDED.title, body = EXCLUDED.body, content_note = EXCLUDED.content_note").
		Set("tags = EXCLUDED.tags, anonymous = EXCLUDED.anonymous, publish_consent = EXCLUDED.publish_consent").
		Set("updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("save draft: %w", err)
	}
	// The draft just saved is kept whatever the clocks say; of the others, the newest.
	drop := tx.db.NewDelete().Model((*Draft)(nil)).Where("user_id = ? AND draft_key <> ?", d.UserID, d.Key)
	if keep > 1 {
		newest := tx.db.NewSelect().Model((*Draft)(nil)).Column("draft_key").
			Where("user_id = ? AND draft_key <> ?", d.UserID, d.Key).
			OrderExpr("updated_at DESC, draft_key DESC").Limit(int64(keep - 1))
		drop = drop.Where("draft_key NOT IN (?)", newest)
	}
	_, err = drop.Exec(ctx)
	if err != nil {
		return fmt.Errorf("drop old drafts: %w", err)
	}
	return nil
}

// DraftByKey returns a member's draft, or ErrNotFound. Every thread page a member opens
// asks for the draft of its reply, and most have none: a lookup is remembered for
// draftCacheTTL, until this process writes a draft or commits a transaction. A draft saved
// through another node is found after at most draftCacheTTL.
func (s *Store) DraftByKey(ctx context.Context, userID int64, key string) (*Draft, error) {
	k := draftKey{userID, key}
	gen, dgen, now := s.gen.Load(), s.drafts.gen.Load(), time.Now()
	s.drafts.mu.Lock()
	e, ok := s.drafts.m[k]
	s.drafts.mu.Unlock()
	if ok && e.gen == gen && e.dgen == dgen && now.Sub(e.at) < draftCacheTTL && !now.Before(e.at) {
		if e.draft == nil {
			return nil, fmt.Errorf("draft: %w", model.ErrNotFound)
		}
		d := *e.draft
		return &d, nil
	}
	d := new(Draft)
	err := s.db.NewSelect().Model(d).Where("user_id = ? AND draft_key = ?", userID, key).Scan(ctx)
	err = mapError(err)
	switch {
	case errors.Is(err, model.ErrNotFound):
		s.drafts.remember(k, draftEntry{gen: gen, dgen: dgen, at: now})
		return nil, fmt.Errorf("draft: %w", err)
	case err != nil:
		return nil, fmt.Errorf("draft: %w", err)
	}
	kept := *d
	s.drafts.remember(k, draftEntry{draft: &kept, gen: gen, dgen: dgen, at: now})
	return d, nil
}

const (
	draftCacheTTL  = 5 * time.Second
	draftCacheSize = 20_000
)

type draftKey struct {
	user int64
	key  string
}

type draftEntry struct {
	draft     *Draft // nil: none
	gen, dgen uint64
	at        time.Time
}

// draftCache holds recent draft lookups; gen advances after every draft write.
type draftCache struct {
	gen atomic.Uint64
	mu  sync.Mutex
	m   map[draftKey]draftEntry
}

func (c *draftCache) remember(k draftKey, e draftEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= draftCacheSize {
		c.m = map[draftKey]draftEntry{}
	}
	c.m[k] = e
}

// DeleteDraft removes a draft (after its text was posted).
func (tx *Tx) DeleteDraft(ctx context.Context, userID int64, key string) error {
	tx.drafts = true
	_, err := tx.db.NewDelete().Model((*Draft)(nil)).Where("user_id = ? AND draft_key = ?", userID, key).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete draft: %w", err)
	}
	return nil
}

// UpdatePost writes the named columns of p.
func (tx *Tx) UpdatePost(ctx context.Context, p *model.Post, columns ...string) error {
	if _, err := tx.writeContent().NewUpdate().Model(p).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update post %d: %w", p.ID, err)
	}
	return nil
}

// InsertRevision keeps the earlier version of an edited post.
func (tx *Tx) InsertRevision(ctx context.Context, r *model.PostRevision) error {
	if _, err := tx.writeContent().NewInsert().Model(r).Exec(ctx); err != nil {
		return fmt.Errorf("insert revision: %w", err)
	}
	return nil
}

// Revisions returns the earlier versions of a post, newest first.
func (q queries) Revisions(ctx context.Context, postID int64) ([]*model.PostRevision, error) {
	var out []*model.PostRevision
	if err := q.db.NewSelect().Model(&out).Where("post_id = ?", postID).OrderExpr("id DESC").Scan(ctx); err != nil {
		return nil, fmt.Errorf("revisions of post %d: %w", postID, err)
	}
	return out, nil
}

// PostWithThread returns a post and its thread, without their authors and tags.
func (q queries) PostWithThread(ctx context.Context, postID int64) (*model.Post, *model.Thread, error) {
	p, err := q.PostByID(ctx, postID)
	if err != nil {
		return nil, nil, err
	}
	t, err := q.ThreadRow(ctx, p.ThreadID)
	if err != nil {
		return nil, nil, err
	}
	return p, t, nil
}

// PostForUpdate returns a post and its thread, the thread locked as ThreadForUpdate locks it.
func (tx *Tx) PostForUpdate(ctx context.Context, postID int64) (*model.Post, *model.Thread, error) {
	p, err := tx.PostByID(ctx, postID)
	if err != nil {
		return nil, nil, err
	}
	t, err := tx.ThreadForUpdate(ctx, p.ThreadID)
	if err != nil {
		return nil, nil, err
	}
	return p, t, nil
}

// ThreadForUpdate returns a thread, without its author and tags, that the transaction will
// change. On PostgreSQL the row is locked until the transaction ends, so that concurrent
// replies never overwrite each other's counts; SQLite's immediate transactions already run
// one writer at a time.
func (tx *Tx) ThreadForUpdate(ctx context.Context, id int64) (*model.Thread, error) {
	t := new(model.Thread)
	sel := tx.db.NewSelect().Model(t).Where("id = ?", id)
	if tx.store.driver == config.DriverPostgres {
		sel = sel.For("UPDATE")
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("thread %d: %w", id, mapError(err))
	}
	return t, nil
}

// VisibleReplyCount counts the replies of a thread that are neither deleted nor hidden.
func (q queries) VisibleReplyCount(ctx context.Context, threadID int64) (int, error) {
	n, err := q.db.NewSelect().Model((*model.Post)(nil)).
		Where("thread_id = ? AND opening = ? AND deleted_at IS NULL AND hidden_at IS NULL", threadID, false).Count(ctx)
	return int(n), err
}

// RelatedThread is a thread linked to another, with the link's note.
type RelatedThread struct {
	Thread *model.Thread
	Note   string
	LinkID int64
}

// InsertRelatedLink links two threads; a link that exists yields ErrConflict.
func (tx *Tx) InsertRelatedLink(ctx context.Context, l *model.RelatedLink) error {
	if l.ThreadID > l.OtherID {
		l.ThreadID, l.OtherID = l.OtherID, l.ThreadID
	}
	if _, err := tx.writeContent().NewInsert().Model(l).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("link threads: %w", mapError(err))
	}
	return nil
}

// DeleteRelatedLink removes the link between two threads.
func (tx *Tx) DeleteRelatedLink(ctx context.Context, a, b int64) (bool, error) {
	if a > b {
		a, b = b, a
	}
	res, err := tx.writeContent().NewDelete().Model((*model.RelatedLink)(nil)).Where("thread_id = ? AND other_id = ?", a, b).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("unlink threads: %w", err)
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// RelatedLinks returns the threads linked to a thread, both ways, that are not hidden.
func (q queries) RelatedLinks(ctx context.Context, threadID int64) ([]RelatedThread, error) {
	var links []*model.RelatedLink
	if err := q.db.NewSelect().Model(&links).Where("thread_id = ? OR other_id = ?", threadID, threadID).
		OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("related links of %d: %w", threadID, err)
	}
	if len(links) == 0 {
		return nil, nil
	}
	ids := make([]int64, len(links))
	for i, l := range links {
		ids[i] = l.OtherID
		if l.OtherID == threadID {
			ids[i] = l.ThreadID
		}
	}
	var threads []*model.Thread
	if err := q.db.NewSelect().Model(&threads).Where("id IN (?) AND hidden = ?", bun.List(ids), false).Scan(ctx); err != nil {
		return nil, fmt.Errorf("related threads of %d: %w", threadID, err)
	}
	byID := map[int64]*model.Thread{}
	for _, t := range threads {
		byID[t.ID] = t
	}
	var out []RelatedThread
	for i, l := range links {
		if t, ok := byID[ids[i]]; ok {
			out = append(out, RelatedThread{Thread: t, Note: l.Note, LinkID: l.ID})
		}
	}
	return out, nil
}

// candidatesPerTag bounds the work of finding related threads: only the most recent
// threads of each shared tag are considered, however large the tag.
const candidatesPerTag = 60

// ThreadsSharingTags returns threads that share tags with a thread, most shared tags first,
// then the most recently active, leaving out the thread itself and those in exclude.
// Its cost does not grow with the size of the board.
func (q queries) ThreadsSharingTags(ctx context.Context, threadID int64, exclude []int64, limit int) ([]*model.Thread, error) {
	var tagIDs []int64
	if err := q.db.NewSelect().Model((*model.ThreadTag)(nil)).Column("tag_id").Where("thread_id = ?", threadID).Scan(ctx, &tagIDs); err != nil {
		return nil, fmt.Errorf("tags of thread %d: %w", threadID, err)
	}
	if len(tagIDs) == 0 {
		return nil, nil
	}
	// One query: the newest candidates of each tag, side by side.
	var union *bun.SelectQuery
	for i, tagID := range tagIDs {
		sub := q.db.NewSelect().TableExpr("(?) AS ?",
			q.db.NewSelect().Table("thread_tags").Column("thread_id").
				Where("tag_id = ? AND thread_id <> ?", tagID, threadID).
				OrderExpr("thread_id DESC").Limit(candidatesPerTag),
			bun.Ident(fmt.Sprintf("c%d", i))).Column("thread_id")
		if union == nil {
			union = sub
		} else {
			union = union.UnionAll(sub)
		}
	}
	var candidates []int64
	if err := union.Scan(ctx, &candidates); err != nil {
		return nil, fmt.Errorf("threads sharing tags with %d: %w", threadID, err)
	}
	shared := map[int64]int{}
	skip := map[int64]bool{}
	for _, id := range exclude {
		skip[id] = true
	}
	var ids []int64
	for _, id := range candidates {
		if skip[id] {
			continue
		}
		if shared[id] == 0 {
			ids = append(ids, id)
		}
		shared[id]++
	}
	if len(ids) == 0 {
		return nil, nil
	}
	var threads []*model.Thread
	if err := q.db.NewSelect().Model(&threads).Where("id IN (?) AND hidden = ?", bun.List(ids), false).Scan(ctx); err != nil {
		return nil, fmt.Errorf("related threads of %d: %w", threadID, err)
	}
	sort.Slice(threads, func(i, j int) bool {
		a, b := threads[i], threads[j]
		if shared[a.ID] != shared[b.ID] {
			return shared[a.ID] > shared[b.ID]
		}
		if !a.LastActivityAt.Equal(b.LastActivityAt) {
			return a.LastActivityAt.After(b.LastActivityAt)
		}
		return a.ID > b.ID
	})
	if len(threads) > limit {
		threads = threads[:limit]
	}
	return threads, nil
}

// TagByID returns a tag.
func (q queries) TagByID(ctx context.Context, id int64) (*model.Tag, error) {
	t := new(model.Tag)
	if err := q.db.NewSelect().Model(t).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tag %d: %w", id, mapError(err))
	}
	return t, nil
}

// UpdateTag writes the named columns of a tag.
func (tx *Tx) UpdateTag(ctx context.Context, t *model.Tag, columns ...string) error {
	if _, err := tx.write().NewUpdate().Model(t).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update tag %d: %w", t.ID, mapError(err))
	}
	return nil
}

// MergeTag moves every thread of tag from onto tag into, marks from as merged, and
// recounts both. It returns the threads whose tags changed.
func (tx *Tx) MergeTag(ctx context.Context, from, into *model.Tag, at time.Time) ([]int64, error) {
	var threadIDs []int64
	if err := tx.db.NewSelect().Model((*model.ThreadTag)(nil)).Column("thread_id").Where("tag_id = ?", from.ID).Scan(ctx, &threadIDs); err != nil {
		return nil, err
	}
	if _, err := tx.write().NewRaw(`INSERT INTO thread_tags (thread_id, tag_id)
		SELECT thread_id, ? FROM thread_tags WHERE tag_id = ?
		AND thread_id NOT IN (SELECT thread_id FROM thread_tags WHERE tag_id = ?)`, into.ID, from.ID, into.ID).Exec(ctx); err != nil {
		return nil, fmt.Errorf("merge tags: %w", err)
	}
	if _, err := tx.write().NewDelete().Model((*model.ThreadTag)(nil)).Where("tag_id = ?", from.ID).Exec(ctx); err != nil {
		return nil, err
	}
	from.MergedInto, from.ThreadCount, from.UpdatedAt = &into.ID, 0, at
	if err := tx.UpdateTag(ctx, from, "merged_into", "thread_count", "updated_at"); err != nil {
		return nil, err
	}
	if _, err := tx.write().NewRaw(`UPDATE tags SET thread_count = (SELECT COUNT(*) FROM thread_tags WHERE tag_id = ?), updated_at = ? WHERE id = ?`,
		into.ID, at, into.ID).Exec(ctx); err != nil {
		return nil, err
	}
	return threadIDs, nil
}

// ThreadIDsWithTag returns up to limit ids of the threads that carry a tag, above after and
// in order, so that a tag of any size is read a page at a time.
func (q queries) ThreadIDsWithTag(ctx context.Context, tagID, after int64, limit int) ([]int64, error) {
	var ids []int64
	err := q.db.NewSelect().Model((*model.ThreadTag)(nil)).Column("thread_id").
		Where("tag_id = ? AND thread_id > ?", tagID, after).Order("thread_id").Limit(int64(limit)).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("threads with tag %d: %w", tagID, err)
	}
	return ids, nil
}

// LatestChangeID returns the id of the newest change-log row (0 when there is none).
func (q queries) LatestChangeID(ctx context.Context) (int64, error) {
	var id int64
	err := q.db.NewSelect().Model((*model.Change)(nil)).ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &id)
	if err != nil {
		return 0, fmt.Errorf("latest change: %w", err)
	}
	return id, nil
}

// ThreadIDsAfter returns up to limit thread ids above after, in order (for a full reindex).
func (q queries) ThreadIDsAfter(ctx context.Context, after int64, limit int) ([]int64, error) {
	var ids []int64
	err := q.db.NewSelect().Model((*model.Thread)(nil)).Column("id").Where("id > ?", after).Order("id").Limit(int64(limit)).Scan(ctx, &ids)
	if err != nil {
		return nil, fmt.Errorf("thread ids: %w", err)
	}
	return ids, nil
}
