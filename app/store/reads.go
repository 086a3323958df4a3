package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/model"
)

// Read positions (thread_reads) and the threads of a member (thread_participants, follows):
// what "N new" on a list, "new since your last visit" on a thread and /mine read.

// SaveReadPositions writes members' read positions, each only forward: a position at or
// below the stored one changes nothing, so that a late or repeated batch never moves a
// member back. Positions of deleted accounts are left out (deletion deletes), and no page
// in a cache shows a position, so the generation stays as it is.
func (tx *Tx) SaveReadPositions(ctx context.Context, reads []model.ThreadRead) error {
	if len(reads) == 0 {
		return nil
	}
	seen := map[int64]bool{}
	var users []int64
	for _, r := range reads {
		if !seen[r.UserID] {
			seen[r.UserID] = true
			users = append(users, r.UserID)
		}
	}
	var present []int64
	sel := tx.db.NewSelect().Model((*model.User)(nil)).Column("id").
		Where("id IN (?) AND deleted_at IS NULL", bun.List(users)).Order("id")
	if tx.store.driver == config.DriverPostgres {
		// An account deletion running now waits for this transaction, or this one for it:
		// either way, no position of a deleted account is left behind. (In the order of
		// the ids, as every flush takes them.)
		sel = sel.For("SHARE")
	}
	if err := sel.Scan(ctx, &present); err != nil {
		return fmt.Errorf("accounts of read positions: %w", err)
	}
	active := make(map[int64]bool, len(present))
	for _, id := range present {
		active[id] = true
	}
	keep := make([]model.ThreadRead, 0, len(reads))
	for _, r := range reads {
		if active[r.UserID] && r.LastReadPostID > 0 {
			keep = append(keep, r)
		}
	}
	for from := 0; from < len(keep); from += batchRows {
		part := keep[from:min(from+batchRows, len(keep))]
		_, err := tx.db.NewInsert().Model(&part).
			On("CONFLICT (user_id, thread_id) DO UPDATE").
			Set("last_read_post_id = EXCLUDED.last_read_post_id, read_at = EXCLUDED.read_at").
			Where("?TableAlias.last_read_post_id < EXCLUDED.last_read_post_id").
			Exec(ctx)
		if err != nil {
			return fmt.Errorf("save %d read positions: %w", len(part), mapError(err))
		}
	}
	return nil
}

// ReadPosition returns a member's stored read position in a thread: the newest post they
// have seen, or 0 when they never opened it.
func (q queries) ReadPosition(ctx context.Context, userID, threadID int64) (int64, error) {
	var pos int64
	err := q.db.NewSelect().Model((*model.ThreadRead)(nil)).Column("last_read_post_id").
		Where("user_id = ? AND thread_id = ?", userID, threadID).Scan(ctx, &pos)
	if err = mapError(err); errors.Is(err, model.ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("read position of user %d in thread %d: %w", userID, threadID, err)
	}
	return pos, nil
}

// ReadPositions returns the stored read positions of a user in threads, by thread; a
// thread never opened is left out.
func (q queries) ReadPositions(ctx context.Context, userID int64, threadIDs []int64) (map[int64]int64, error) {
	out := map[int64]int64{}
	if len(threadIDs) == 0 {
		return out, nil
	}
	var rows []model.ThreadRead
	err := q.db.NewSelect().Model(&rows).Column("thread_id", "last_read_post_id").
		Where("user_id = ? AND thread_id IN (?)", userID, bun.List(threadIDs)).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("read positions of user %d: %w", userID, err)
	}
	for _, r := range rows {
		out[r.ThreadID] = r.LastReadPostID
	}
	return out, nil
}

// PostMark is a post as counted among what is new to a reader: its id and author.
type PostMark struct {
	ThreadID int64 `bun:"thread_id"`
	ID       int64 `bun:"id"`
	AuthorID int64 `bun:"author_id"`
}

// Post returns the mark's post id and author (for policy.CountNew).
func (m PostMark) Post() (id, author int64) { return m.ID, m.AuthorID }

// VisiblePostMarks returns the posts of threads that are neither deleted nor hidden, by
// thread, oldest first: what a list counts as new to each reader (policy.IsNewTo).
func (q queries) VisiblePostMarks(ctx context.Context, threadIDs []int64) (map[int64][]PostMark, error) {
	out := map[int64][]PostMark{}
	if len(threadIDs) == 0 {
		return out, nil
	}
	var rows []PostMark
	err := q.db.NewSelect().TableExpr("posts AS p").ColumnExpr("p.thread_id, p.id, p.author_id").
		Where("p.thread_id IN (?) AND p.deleted_at IS NULL AND p.hidden_at IS NULL", bun.List(threadIDs)).
		OrderExpr("p.thread_id, p.id").Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("posts of %d threads: %w", len(threadIDs), err)
	}
	for _, r := range rows {
		out[r.ThreadID] = append(out[r.ThreadID], r)
	}
	return out, nil
}

// DeleteReadPositions removes every read position of a user and the list of the threads
// they wrote in (an account deletion).
func (tx *Tx) DeleteReadPositions(ctx context.Context, userID int64) error {
	if _, err := tx.db.NewDelete().Model((*model.ThreadRead)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete read positions of user %d: %w", userID, err)
	}
	if _, err := tx.db.NewDelete().Table("thread_participants").Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete the threads of user %d: %w", userID, err)
	}
	return nil
}

// Unread is what a member has not read of a thread: Count visible posts by others after
// their read position, the first of them First.
type Unread struct {
	ThreadID int64 `bun:"thread_id"`
	Count    int   `bun:"n"`
	First    int64 `bun:"first"`
}

// UnreadCounts counts, for each of threadIDs that the member has a read position in, the
// posts after it that are neither deleted nor hidden nor their own (policy.IsNewTo), in one
// query: through the primary key of thread_reads, and one range of posts_thread_visible per
// thread. Threads they never opened have no count. newer holds positions not yet stored
// (recorded in the last moments, see app/unread), which count over the stored ones, also
// in a thread with no stored position yet. Threads with nothing unread are left out.
func (q queries) UnreadCounts(ctx context.Context, userID int64, threadIDs []int64, newer map[int64]int64) (map[int64]Unread, error) {
	out := map[int64]Unread{}
	if len(threadIDs) == 0 {
		return out, nil
	}
	visible := "p.deleted_at IS NULL AND p.hidden_at IS NULL AND p.author_id <> ?"
	// A row for every stored position, with what is new after it and after the newer one.
	on := "p.thread_id = r.thread_id AND p.id > r.last_read_post_id AND " + visible
	args := []any{userID}
	if len(newer) > 0 {
		var b strings.Builder
		b.WriteString(" AND p.id > CASE p.thread_id")
		for t, pos := range newer {
			b.WriteString(" WHEN ? THEN ?")
			args = append(args, t, pos)
		}
		b.WriteString(" ELSE 0 END")
		on += b.String()
	}
	sel := q.db.NewSelect().
		TableExpr("thread_reads AS r").
		Join("LEFT JOIN posts AS p ON "+on, args...).
		ColumnExpr("r.thread_id, COUNT(p.id) AS n, MIN(p.id) AS first, ? AS stored", true).
		Where("r.user_id = ? AND r.thread_id IN (?)", userID, bun.List(threadIDs)).
		GroupExpr("r.thread_id")
	// And what is new after each newer position, for threads without a stored one.
	listed := make(map[int64]bool, len(threadIDs))
	for _, t := range threadIDs {
		listed[t] = true
	}
	for t, pos := range newer {
		if !listed[t] {
			continue
		}
		sel = sel.UnionAll(q.db.NewSelect().TableExpr("posts AS p").
			ColumnExpr("p.thread_id, COUNT(*) AS n, MIN(p.id) AS first, ? AS stored", false).
			Where("p.thread_id = ? AND p.id > ? AND "+visible, t, pos, userID).
			GroupExpr("p.thread_id"))
	}
	var rows []struct {
		Unread
		Stored bool `bun:"stored"`
	}
	if err := sel.Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("unread posts of user %d: %w", userID, err)
	}
	stored := map[int64]bool{}
	for _, r := range rows {
		if r.Stored {
			stored[r.ThreadID] = true
		}
	}
	for _, r := range rows {
		if r.Count > 0 && (r.Stored || !stored[r.ThreadID]) {
			out[r.ThreadID] = r.Unread
		}
	}
	return out, nil
}

// threadAt is a thread's place in a list by activity.
type threadAt struct {
	ID           int64     `bun:"id"`
	LastActivity time.Time `bun:"last_activity_at"`
}

// before reports whether a comes before b in a list newest first.
func (a threadAt) before(b threadAt) bool {
	if !a.LastActivity.Equal(b.LastActivity) {
		return a.LastActivity.After(b.LastActivity)
	}
	return a.ID > b.ID
}

// MemberThreads returns the threads a member started, replied to (anonymously too: it is
// their own list) or follows at a level other than muted, newest activity first, after
// the cursor, with authors and tags. Hidden threads are left out.
//
// Two reads, each in list order and from the same cursor, merged here: the threads the
// member wrote in come in order from the activity index of thread_participants (a copy of
// each thread's activity per member who wrote in it, kept by triggers); the threads they
// chose to follow are read through the index of follows on the member, then put in order.
// Automatic follows are of threads the member started or replied to, already in the first
// read, so the second holds only the member's own choices. (A copy of the activity per
// follower would spare that sort, but make every reply write one row per follower.)
func (q queries) MemberThreads(ctx context.Context, userID int64, after *Cursor, limit int) ([]*model.Thread, error) {
	if limit <= 0 || limit > 200 {
		limit = 30
	}
	var wrote, followed []threadAt
	sel := q.db.NewSelect().TableExpr("thread_participants AS tp").
		ColumnExpr("tp.thread_id AS id, tp.last_activity_at").
		Where("tp.user_id = ? AND tp.hidden = ?", userID, false).
		OrderExpr("tp.last_activity_at DESC, tp.thread_id DESC").
		Limit(int64(limit))
	if after != nil {
		sel.Where("tp.last_activity_at <= ? AND (tp.last_activity_at < ? OR tp.thread_id < ?)",
			after.LastActivity, after.LastActivity, after.ID)
	}
	if err := sel.Scan(ctx, &wrote); err != nil {
		return nil, fmt.Errorf("threads user %d wrote in: %w", userID, err)
	}
	sel = q.db.NewSelect().TableExpr("follows AS f").
		Join("JOIN threads AS t ON t.id = f.thread_id").
		ColumnExpr("t.id, t.last_activity_at").
		Where("f.user_id = ? AND f.thread_id IS NOT NULL AND f.auto = ? AND f.level <> ?", userID, false, model.LevelMuted).
		Where("t.hidden = ?", false).
		OrderExpr("t.last_activity_at DESC, t.id DESC").
		Limit(int64(limit))
	if after != nil {
		sel.Where("t.last_activity_at <= ? AND (t.last_activity_at < ? OR t.id < ?)",
			after.LastActivity, after.LastActivity, after.ID)
	}
	if err := sel.Scan(ctx, &followed); err != nil {
		return nil, fmt.Errorf("threads user %d follows: %w", userID, err)
	}
	ids := mergeByActivity(wrote, followed, limit)
	threads, err := q.ThreadsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := threads[:0]
	for _, t := range threads {
		if !t.Hidden { // hidden between the walks and the load
			out = append(out, t)
		}
	}
	return out, nil
}

// mergeByActivity merges two lists in list order into the ids of the first limit
// threads, each once.
func mergeByActivity(a, b []threadAt, limit int) []int64 {
	ids := make([]int64, 0, min(limit, len(a)+len(b)))
	seen := make(map[int64]bool, len(a)+len(b))
	for len(ids) < limit && (len(a) > 0 || len(b) > 0) {
		var next threadAt
		if len(b) == 0 || (len(a) > 0 && !b[0].before(a[0])) {
			next, a = a[0], a[1:]
		} else {
			next, b = b[0], b[1:]
		}
		if !seen[next.ID] {
			seen[next.ID] = true
			ids = append(ids, next.ID)
		}
	}
	return ids
}
