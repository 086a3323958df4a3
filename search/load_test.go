package search_test

import (
	"context"
	"testing"

	"forum/app/benchdata"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/search"
)

// TestIndexingReadsThreadsInChunks counts the queries of a full rebuild and of the syncer
// catching up from an empty index: threads and their posts are read many at a time, so
// the count grows with the number of chunks, not of threads.
func TestIndexingReadsThreadsInChunks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const threads = 450
		if _, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: threads, Posts: 2 * threads, Seed: 3}, nil); err != nil {
			t.Fatal(err)
		}
		counter := storetest.CountQueries(st)

		ix := openIndex(t)
		sum, err := search.Rebuild(ctx, st, ix, nil)
		if err != nil || sum.Threads != threads {
			t.Fatalf("rebuild: %+v %v", sum, err)
		}
		rebuild := counter.Count()

		counter.Reset()
		sync(t, search.NewSyncer(st, openIndex(t), nil))
		syncing := counter.Count()
		t.Logf("%d threads: rebuild %d queries (%.3f a thread), syncer %d queries (%.3f a thread)",
			threads, rebuild, float64(rebuild)/threads, syncing, float64(syncing)/threads)
		// 200 threads at a time: the rebuild reads 3 chunks in 4 queries each; the syncer
		// reads 2 batches of changes in 3 chunks of 3 queries, with a few queries a batch.
		if rebuild > 20 || syncing > 30 {
			t.Fatalf("indexing %d threads ran %d queries (rebuild) and %d (syncer)", threads, rebuild, syncing)
		}
	})
}
