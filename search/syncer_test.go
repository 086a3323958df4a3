package search_test

import (
	"context"
	"log/slog"
	gosync "sync"
	"testing"
	"time"

	"forum/app/benchdata"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/search"
)

// logHook keeps the syncer's log records and calls on with each.
type logHook struct {
	mu      gosync.Mutex
	records []slog.Record
	on      func(slog.Record)
}

func (h *logHook) Enabled(context.Context, slog.Level) bool { return true }
func (h *logHook) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logHook) WithGroup(string) slog.Handler            { return h }

func (h *logHook) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.records = append(h.records, r.Clone())
	on := h.on
	h.mu.Unlock()
	if on != nil {
		on(r)
	}
	return nil
}

// chunks returns the "threads" of each chunk the syncer began, and takes the records.
func (h *logHook) chunks() []int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []int64
	for _, r := range h.records {
		if r.Message == "search index: applying changes" {
			r.Attrs(func(a slog.Attr) bool {
				if a.Key == "threads" {
					out = append(out, a.Value.Int64())
				}
				return true
			})
		}
	}
	h.records = nil
	return out
}

// cancelOnFirstChunk cancels ctx as the syncer begins its first chunk of threads.
func (h *logHook) cancelOnFirstChunk(cancel context.CancelFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.on = func(r slog.Record) {
		if r.Message == "search index: applying changes" {
			cancel()
		}
	}
}

// lastApplied returns the id of the last change-log row the index applied.
func lastApplied(t *testing.T, ix *search.Index) int64 {
	t.Helper()
	return position(t, ix).ID
}

// position returns the index's position in the change log.
func position(t *testing.T, ix *search.Index) model.ChangePosition {
	t.Helper()
	last, err := ix.LastApplied()
	if err != nil {
		t.Fatal(err)
	}
	return last
}

// newestRow returns the position of the newest row of the change log.
func newestRow(t *testing.T, st *store.Store) model.ChangePosition {
	t.Helper()
	rows, _, err := st.ChangesSince(context.Background(), model.ChangePosition{}, 100_000)
	if err != nil || len(rows) == 0 {
		t.Fatalf("change log: %d rows, %v", len(rows), err)
	}
	return rows[len(rows)-1].Position()
}

// TestSyncerFinishesItsChunkWhenStopped stops the syncer as it begins its first chunk of
// a batch: it finishes that chunk, records the last change of it (in the index and as the
// node's position), and stops there; the next run goes on from it.
func TestSyncerFinishesItsChunkWhenStopped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: 450, Posts: 900, Seed: 5}, nil); err != nil {
			t.Fatal(err)
		}
		changes, err := st.ChangesAfter(ctx, 0, 1000)
		if err != nil || len(changes) != 450 {
			t.Fatalf("%d changes, %v", len(changes), err)
		}
		ix := openIndex(t)
		hook := &logHook{}
		s := search.NewSyncer(st, ix, slog.New(hook))
		stop, cancel := context.WithCancel(ctx)
		hook.cancelOnFirstChunk(cancel)
		n, err := s.SyncOnce(stop)
		if err != nil {
			t.Fatalf("a stopped batch: %v", err)
		}
		// One change per thread: the first chunk is the first 200 changes.
		want := changes[199].ID
		if got := lastApplied(t, ix); got != want || n != 200 {
			t.Fatalf("stopped at change %d after %d changes, want the end of the first chunk, %d after 200", got, n, want)
		}
		if count, _ := ix.Count(); count != 200 {
			t.Fatalf("the index holds %d threads, want the first chunk's 200", count)
		}
		positions, err := st.ReaderPositions(ctx)
		if err != nil || len(positions) != 1 || positions[0].Node != ix.Node() || positions[0].Reader != "search" || positions[0].AppliedID != want {
			t.Fatalf("positions %+v (%v), want %s at %d", positions, err, ix.Node(), want)
		}

		hook.cancelOnFirstChunk(func() {})
		sync(t, s)
		if got := lastApplied(t, ix); got != changes[449].ID {
			t.Fatalf("after the next run: at change %d, want %d", got, changes[449].ID)
		}
		if count, _ := ix.Count(); count != 450 {
			t.Fatalf("the index holds %d threads, want 450", count)
		}
	})
}

// TestRenamedTopicIsReindexedInBoundedChunks renames a topic of 450 threads: the syncer
// reindexes them 200 at a time. Stopped after the first chunk, it keeps its position
// before the rename, so that the next run reindexes the topic's threads again, all of them.
func TestRenamedTopicIsReindexedInBoundedChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newBoard(t, st)
		if _, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: 450, Posts: 900, Seed: 9}, nil); err != nil {
			t.Fatal(err)
		}
		craft, err := st.TagBySlug(ctx, "craft")
		if err != nil {
			t.Fatal(err)
		}
		// Every thread carries the topic.
		storetest.Exec(t, st, `INSERT INTO thread_tags (thread_id, tag_id) SELECT id, ? FROM threads
			WHERE id NOT IN (SELECT thread_id FROM thread_tags WHERE tag_id = ?)`, craft.ID, craft.ID)
		ix := openIndex(t)
		hook := &logHook{}
		s := search.NewSyncer(st, ix, slog.New(hook))
		sync(t, s)
		hook.chunks()
		before := lastApplied(t, ix)

		mod := &model.User{ID: b.member.ID, Role: model.RoleModerator, Status: model.StatusActive}
		if _, err := b.svc.UpdateTag(ctx, mod, craft.ID, forum.TagInput{Name: "CRAFT approach", Slug: "craft-approach"}); err != nil {
			t.Fatal(err)
		}
		stop, cancel := context.WithCancel(ctx)
		hook.cancelOnFirstChunk(cancel)
		if _, err := s.SyncOnce(stop); err != nil {
			t.Fatal(err)
		}
		if got := lastApplied(t, ix); got != before {
			t.Fatalf("stopped in the middle of the rename, the index is at change %d, want %d (before it)", got, before)
		}
		hook.cancelOnFirstChunk(func() {})
		hook.chunks()
		sync(t, s)
		chunks := hook.chunks()
		if len(chunks) < 3 {
			t.Fatalf("the rename was applied in %d chunks (%v), want 450 threads in chunks of at most 200", len(chunks), chunks)
		}
		total := int64(0)
		for _, c := range chunks {
			if c > 200 {
				t.Fatalf("a chunk of %d threads (%v)", c, chunks)
			}
			total += c
		}
		if total != 450 {
			t.Fatalf("the rename reindexed %d threads (%v), want 450", total, chunks)
		}
		r, err := ix.Search(ctx, search.Request{Query: search.ParseQuery("tag:craft-approach")})
		if err != nil || r.Total != 450 {
			t.Fatalf("tag:craft-approach finds %d threads (%v), want 450", r.Total, err)
		}
	})
}

// TestSyncerRebuildsBehindThePrunedLog: a node stopped for longer than readers are waited
// for comes back to a log pruned past its position; its syncer rebuilds the index from the
// database instead of skipping the rows it missed.
func TestSyncerRebuildsBehindThePrunedLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newBoard(t, st)
		b.ask(t, "Before the node stopped", "naltrexone at night", "craft")
		ix := openIndex(t)
		s := search.NewSyncer(st, ix, nil)
		sync(t, s)
		// The node stops; eight days later the other nodes have gone on and pruned.
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.SetReaderPosition(ctx, ix.Node(), "search", position(t, ix), time.Now().UTC().Add(-8*24*time.Hour))
		}); err != nil {
			t.Fatal(err)
		}
		missed := b.ask(t, "While the node was stopped", "naltrexone in the morning", "craft")
		b.ask(t, "The newest thread", "something else entirely", "mat")
		latest := newestRow(t, st)
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.SetReaderPosition(ctx, "other-node", "search", latest, time.Now().UTC())
		}); err != nil {
			t.Fatal(err)
		}
		if n, err := st.PruneChanges(ctx, time.Now().UTC().Add(48*time.Hour), 7*24*time.Hour, 24*time.Hour); err != nil || n == 0 {
			t.Fatalf("pruned %d rows: %v", n, err)
		}

		sync(t, s)
		if got := find(t, ix, "naltrexone"); !contains(got, missed.ID) {
			t.Fatalf("after coming back: %v, without %d whose change was pruned", got, missed.ID)
		}
		// The rebuild starts from the head of the log it took before reading the threads.
		got := position(t, ix)
		if got.Before(latest) {
			t.Fatalf("the index is at %v, before the newest row %v", got, latest)
		}
		positions, err := st.ReaderPositions(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range positions {
			if p.Node == ix.Node() && p.Applied() != got {
				t.Fatalf("the node's recorded position is %v, want %v", p.Applied(), got)
			}
		}
	})
}

// TestHeldPostsAreNotIndexed: a post held for review is in no thread's document until it
// is published; the syncer reads past its change-log row and indexes nothing for it.
func TestHeldPostsAreNotIndexed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: 10, Posts: 20, Seed: 5}, nil); err != nil {
			t.Fatal(err)
		}
		ix := openIndex(t)
		s := search.NewSyncer(st, ix, slog.New(&logHook{}))
		sync(t, s)
		version := ix.Version()
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.AddChange(ctx, model.ChangeHeldPost, 1, 3, "hold", time.Now().UTC())
		}); err != nil {
			t.Fatal(err)
		}
		sync(t, s)
		if got, want := position(t, ix), newestRow(t, st); got != want {
			t.Fatalf("the index stands at %+v, want past the held post's row at %+v", got, want)
		}
		if threads, ok := ix.ChangedSince(version); !ok || len(threads) != 0 {
			t.Fatalf("a held post's row had threads %v indexed again (%v)", threads, ok)
		}
	})
}
