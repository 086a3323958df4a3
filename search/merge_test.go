package search

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"

	"forum/app/model"
)

// mergeWritten returns the bytes bleve's merger has written in every shard so far.
func mergeWritten(t *testing.T, ix *Index) (written, onDisk uint64) {
	t.Helper()
	for _, s := range ix.shards {
		m, _ := s.StatsMap()["index"].(map[string]any)
		w, ok1 := m["TotFileMergeWrittenBytes"].(uint64)
		d, ok2 := m["CurOnDiskBytes"].(uint64)
		if !ok1 || !ok2 {
			t.Fatalf("bleve's statistics changed: %v", m)
		}
		written += w
		onDisk += d
	}
	return written, onDisk
}

// threadDoc is thread id's document as re-indexed for the round-th time: n words of the
// community's, each followed by one of distinct words of the thread's own.
func threadDoc(id int64, round, n, distinct int) Document {
	words := strings.Fields("relapse boundaries treatment recovery probation detox rehab sober craving trust money court therapist medication naloxone")
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "%s w%d_%d ", words[(int(id)+i)%len(words)], id, i%distinct)
	}
	fmt.Fprintf(&b, "reply%d", round)
	text := b.String()
	return Document{ID: id, Text: text, All: text, Title: fmt.Sprintf("Thread %d", id), Body: text,
		Kind: "question", State: "open", Visibility: "members", Created: time.Now(), LastActivity: time.Now()}
}

// A reply re-indexes its thread in a small batch of its own. On a small board (fewer than a
// few thousand threads a shard) bleve's default merge plan merged every such batch with the
// whole shard, so the index was rewritten several times a second while people wrote.
func TestSmallBatchesAreNotMergedIntoTheWholeIndex(t *testing.T) {
	ix, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	doc := func(id int64, round int) Document { return threadDoc(id, round, 120, 120) }
	var docs []Document
	for id := int64(1); id <= 600; id++ {
		docs = append(docs, doc(id, 0))
	}
	if err := ix.Apply(docs, nil, model.ChangePosition{ID: 1}); err != nil {
		t.Fatal(err)
	}
	settle := func() (uint64, uint64) {
		var last uint64
		for i := 0; i < 200; i++ {
			w, d := mergeWritten(t, ix)
			if i > 0 && w == last {
				return w, d
			}
			last = w
			time.Sleep(50 * time.Millisecond)
		}
		return mergeWritten(t, ix)
	}
	before, size := settle()
	// Forty replies, each re-indexing one thread in a batch of its own, as the syncer does
	// when replies come one at a time.
	for i := 0; i < 40; i++ {
		if err := ix.Apply([]Document{doc(int64(1+i*13%600), i+1)}, nil, model.ChangePosition{ID: int64(i + 2)}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond) // room for the merger to act on each batch, as between real replies
	}
	after, _ := settle()
	if merged := after - before; merged > 2*size {
		t.Errorf("40 one-thread batches made bleve's merger write %d KB, %.1f times the whole index (%d KB): "+
			"small batches are being merged into the large segments", merged/1024, float64(merged)/float64(size), size/1024)
	}
	if n, err := ix.Count(); err != nil || n != 600 {
		t.Errorf("the index holds %d threads (%v), want 600", n, err)
	}
	t.Logf("merged %d KB for an index of %d KB", (after-before)/1024, size/1024)
}

// BenchmarkApplyOneThread re-indexes one thread in a batch of its own, as the syncer does
// for each reply: its allocations (B/op) are what a reply costs the search index.
func BenchmarkApplyOneThread(b *testing.B) {
	ix, err := Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ix.Close() })
	doc := func(id int64, round int) Document { return threadDoc(id, round, 2000, 300) } // some twenty posts
	var docs []Document
	for id := int64(1); id <= 200; id++ {
		docs = append(docs, doc(id, 0))
	}
	if err := ix.Apply(docs, nil, model.ChangePosition{ID: 1}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := ix.Apply([]Document{doc(int64(1+i%200), i+1)}, nil, model.ChangePosition{ID: int64(i + 2)}); err != nil {
			b.Fatal(err)
		}
	}
}

// Replies replace their threads' documents; the merge plan leaves the replaced versions in
// the large segments (it does not merge to reclaim them), so without more the index files
// grew with every reply. A shard whose replaced versions reach a tenth of its documents is
// merged into one segment.
func TestReplacedVersionsAreReclaimed(t *testing.T) {
	limitBefore := debug.SetMemoryLimit(-1)
	ix, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	doc := func(id int64, round int) Document { return threadDoc(id, round, 40, 40) }
	var docs []Document
	for id := int64(1); id <= 1000; id++ {
		docs = append(docs, doc(id, 0))
	}
	if err := ix.Apply(docs, nil, model.ChangePosition{ID: 1}); err != nil {
		t.Fatal(err)
	}
	// 300 replies to distinct threads, one batch each: 150 a shard, each version they
	// replace in the shard's large segment.
	for i := 0; i < 300; i++ {
		if err := ix.Apply([]Document{doc(int64(1+i*3), 1)}, nil, model.ChangePosition{ID: int64(i + 2)}); err != nil {
			t.Fatal(err)
		}
	}
	var all, gone []int64
	for try := 0; try < 400; try++ { // until the merges end: 20 s at most
		if !ix.reclaiming[0].Load() && !ix.reclaiming[1].Load() {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The reclaim's goroutine puts the limit back as it returns, just after the merge is in place.
	for end := time.Now().Add(5 * time.Second); debug.SetMemoryLimit(-1) != limitBefore && time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
	}
	if limit := debug.SetMemoryLimit(-1); limit != limitBefore {
		t.Errorf("the Go runtime's memory limit is %d after the reclaims ended; want %d, as before them (holdMemory)", limit, limitBefore)
	}
	all, gone = Replaced(ix)
	for i := range all {
		if gone[i] >= reclaimMinimum && float64(gone[i]) >= reclaimShare*float64(all[i]) {
			t.Errorf("shard %d holds %d replaced versions among %d documents after 150 replies: they are not reclaimed", i, gone[i], all[i])
		}
	}
	if n, err := ix.Count(); err != nil || n != 1000 {
		t.Errorf("the index holds %d threads (%v), want 1000", n, err)
	}
	t.Logf("documents per shard %v, replaced %v", all, gone)
}

// A shard closed while it merges to reclaim ends its merge; nothing reads it afterwards.
func TestCloseWhileReclaiming(t *testing.T) {
	for round := 0; round < 3; round++ {
		ix, err := Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		var docs []Document
		for id := int64(1); id <= 1000; id++ {
			docs = append(docs, threadDoc(id, 0, 40, 40))
		}
		if err := ix.Apply(docs, nil, model.ChangePosition{ID: 1}); err != nil {
			t.Fatal(err)
		}
		for i := 0; !ix.reclaiming[0].Load() && !ix.reclaiming[1].Load(); i++ {
			if i == 1000 {
				t.Fatal("1000 replies started no reclaim")
			}
			if err := ix.Apply([]Document{threadDoc(int64(1+i), 1, 40, 40)}, nil, model.ChangePosition{ID: int64(i + 2)}); err != nil {
				t.Fatal(err)
			}
		}
		if err := ix.Close(); err != nil {
			t.Fatal(err)
		}
		if ix.reclaiming[0].Load() || ix.reclaiming[1].Load() {
			t.Error("a reclaim is still running after Close")
		}
	}
}

// A reclaim that goes on as the index closes finds its shard closed: its merge ends
// quietly (scorch then gives a nil snapshot as the shard's reader, which the merge neither
// reads nor closes).
func TestMergeOfAClosedShardEndsQuietly(t *testing.T) {
	ix := indexOfThreads(t, 50)
	sc := scorchOf(ix.shards[0])
	if err := ix.Close(); err != nil {
		t.Fatal(err)
	}
	var dropped atomic.Int64
	if err := mergeShard(context.Background(), sc, &mergeplan.SingleSegmentMergePlanOptions, &dropped); err != nil {
		t.Fatalf("merging a closed shard: %v", err)
	}
	if n := dropped.Load(); n != 0 {
		t.Fatalf("merging a closed shard let go of %d bytes", n)
	}
}

// The pairs of words that find phrases are most of the index's distinct terms, and bleve
// builds each field's dictionary of terms whole in memory as it merges segments: in one
// field, a merge of a shard held tens of megabytes for it at 20,000 threads. Spread over
// their buckets, no field's dictionary holds a large share of the terms.
func TestNoFieldHoldsMostOfTheTerms(t *testing.T) {
	ix := indexOfThreads(t, 300)
	terms := map[string]int{}
	total := 0
	for _, s := range ix.shards {
		adv, err := s.Advanced()
		if err != nil {
			t.Fatal(err)
		}
		r, err := adv.Reader()
		if err != nil {
			t.Fatal(err)
		}
		fields, err := r.Fields()
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fields {
			d, err := r.FieldDict(f)
			if err != nil {
				t.Fatal(err)
			}
			for {
				e, err := d.Next()
				if err != nil {
					t.Fatal(err)
				}
				if e == nil {
					break
				}
				terms[f]++
				total++
			}
			d.Close()
		}
		r.Close()
	}
	buckets := 0
	for f, n := range terms {
		if strings.HasPrefix(f, pairsPath+".") {
			buckets++
		}
		if n*3 > total {
			t.Errorf("field %s holds %d of the index's %d terms: its dictionary is built whole in memory by every merge", f, n, total)
		}
	}
	if buckets != pairBuckets {
		t.Errorf("the pairs are in %d fields, want %d: %v", buckets, pairBuckets, terms)
	}
	t.Logf("terms by field: %v", terms)
}

// indexOfThreads returns an index of n threads of 200 words, applied in one batch.
func indexOfThreads(t *testing.T, n int64) *Index {
	t.Helper()
	ix, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	var docs []Document
	for id := int64(1); id <= n; id++ {
		docs = append(docs, threadDoc(id, 0, 200, 200))
	}
	if err := ix.Apply(docs, nil, model.ChangePosition{ID: 1}); err != nil {
		t.Fatal(err)
	}
	return ix
}
