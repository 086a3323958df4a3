package store_test

import (
	"context"
	"testing"
	"time"

	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// settled waits until every row of the change log is final (no transaction of the database
// server older than one of them is still open: the horizon is the server's, and other
// tests run there) and returns them.
func settled(t *testing.T, st *store.Store) []model.Change {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rows, held, err := st.ChangesSince(context.Background(), model.ChangePosition{}, 100_000)
		if err != nil {
			t.Fatal(err)
		}
		if !held {
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatal("change-log rows still held back by an open transaction after 30 s")
		}
	}
}

// TestPruneChangesBelowEveryReader prunes the change log as readers move: only rows every
// reader heard of within a week has applied go, never rows younger than the safety age nor
// the newest row, and the highest pruned id is recorded for readers that come back.
func TestPruneChangesBelowEveryReader(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		const week, day = 7 * 24 * time.Hour, 24 * time.Hour
		for i := 0; i < 12; i++ {
			at := now.Add(-48 * time.Hour)
			if i >= 10 {
				at = now.Add(-time.Hour) // the last two rows are recent
			}
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.AddChange(ctx, "thread", int64(i+1), int64(i+1), "update", at) }); err != nil {
				t.Fatal(err)
			}
		}
		rows := settled(t, st)
		if len(rows) != 12 {
			t.Fatalf("change log: %d rows", len(rows))
		}
		id := func(n int) int64 { return rows[n-1].ID }                         // the id of the nth row
		pos := func(n int) model.ChangePosition { return rows[n-1].Position() } // and its position
		remaining := func() []int64 {
			t.Helper()
			cs, err := st.ChangesAfter(ctx, 0, 100)
			if err != nil {
				t.Fatal(err)
			}
			var out []int64
			for _, c := range cs {
				out = append(out, c.ID)
			}
			return out
		}
		prune := func(step string, wantRemoved int64, wantFirst int, wantThrough model.ChangePosition) {
			t.Helper()
			n, err := st.PruneChanges(ctx, now, week, day)
			if err != nil {
				t.Fatalf("%s: %v", step, err)
			}
			left := remaining()
			through, err := st.ChangeLogPrunedThrough(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != wantRemoved || len(left) == 0 || left[0] != id(wantFirst) || through != wantThrough {
				t.Fatalf("%s: removed %d rows, %v left, pruned through %v; want %d removed, from row %d, through %v",
					step, n, left, through, wantRemoved, wantFirst, wantThrough)
			}
		}
		set := func(node string, row int, at time.Time) {
			t.Helper()
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.SetReaderPosition(ctx, node, "search", pos(row), at) }); err != nil {
				t.Fatal(err)
			}
		}

		prune("no reader", 0, 1, model.ChangePosition{})
		set("a", 8, now)
		set("b", 5, now.Add(-time.Hour))
		set("gone", 1, now.Add(-8*24*time.Hour)) // a node stopped eight days ago
		prune("readers at 8 and 5", 5, 6, pos(5))
		if ps, err := st.ReaderPositions(ctx); err != nil || len(ps) != 2 || ps[0].Node != "a" || ps[1].Node != "b" {
			t.Fatalf("the stale reader is still there: %+v %v", ps, err)
		}
		set("a", 12, now)
		set("b", 12, now)
		// Every reader applied everything: the rows older than a day go, not the recent ones.
		prune("readers at the end", 5, 11, pos(10))
		prune("again", 0, 11, pos(10))
	})
}

// TestPruneChangesInChunks prunes a log longer than one pruning transaction takes.
func TestPruneChangesInChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC().Truncate(time.Second)
		const rows = 12_000
		old := now.Add(-72 * time.Hour)
		for from := 0; from < rows; from += 1000 {
			batch := make([]model.Change, 1000)
			for i := range batch {
				n := int64(from + i + 1)
				batch[i] = model.Change{Entity: "thread", EntityID: n, ThreadID: n, Op: "update", CreatedAt: old}
			}
			if _, err := store.DBOf(st).NewInsert().Model(&batch).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		latest, err := st.LatestChangeID(ctx)
		if err != nil {
			t.Fatal(err)
		}
		settled(t, st)
		head, err := st.ChangeHead(ctx) // after every row written so far, now that all are final
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.SetReaderPosition(ctx, "a", "search", head, now) }); err != nil {
			t.Fatal(err)
		}
		n, err := st.PruneChanges(ctx, now, 7*24*time.Hour, 24*time.Hour)
		if err != nil || n != rows-1 {
			t.Fatalf("pruned %d rows (%v), want %d: all but the newest", n, err, rows-1)
		}
		if after, err := st.LatestChangeID(ctx); err != nil || after != latest {
			t.Fatalf("the latest change id went from %d to %d (%v)", latest, after, err)
		}
		if through, err := st.ChangeLogPrunedThrough(ctx); err != nil || through.ID != latest-1 {
			t.Fatalf("pruned through %v (%v), want row %d", through, err, latest-1)
		}
	})
}
