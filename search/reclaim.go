package search

import (
	"context"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

// A reply re-indexes its thread: the new version goes into a small segment and the old one
// stays, marked deleted, in the shard's large segment until a merge rewrites that segment.
// The merge plan does not merge to reclaim them (see mergePlan: it rewrote the large
// segments again and again), so on a living board the index files, and the memory they
// are mapped into, grew with every reply: 120 to 147 MB over 6,000 replies at 20,000
// threads, and by the index's whole size in the end. A shard whose replaced versions reach
// reclaimShare of its documents is merged into one segment instead, in the background: the
// files stay within about that share of their size, for one rewrite of the shard per
// reclaimShare of its threads replied to.
const (
	reclaimShare = 0.10
	// reclaimMinimum leaves a small shard, whose segments the merge plan rewrites often
	// anyway, to the merge plan.
	reclaimMinimum = 100
)

// replaced returns how many documents shard s holds in all, counting the replaced
// versions still in its segments, and how many of them are replaced.
func replaced(s bleve.Index) (all, gone int64) {
	sc := scorchOf(s)
	if sc == nil {
		return 0, 0
	}
	r, err := sc.Reader()
	if err != nil {
		return 0, 0
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if !ok || snap == nil { // nil once the shard is closed
		return 0, 0
	}
	defer snap.Close()
	for _, seg := range snap.Segments() {
		all += seg.FullSize()
		gone += seg.FullSize() - seg.LiveSize()
	}
	return all, gone
}

// due reports whether shard i's replaced versions are due to be reclaimed (reclaimShare).
func (ix *Index) due(i int) bool {
	all, gone := replaced(ix.shards[i])
	return gone >= reclaimMinimum && float64(gone) >= reclaimShare*float64(all)
}

// reclaimIfDue starts merging shard i into one segment when its replaced versions are
// due, unless that shard is merging already; the merge goes on while replies that came
// meanwhile make it due again. Called under ix.mu.
func (ix *Index) reclaimIfDue(i int) {
	if ix.reclaiming[i].Load() || !ix.due(i) {
		return
	}
	sc := scorchOf(ix.shards[i])
	if sc == nil || !ix.reclaiming[i].CompareAndSwap(false, true) {
		return
	}
	shard := ix.shards[i]
	ix.reclaims.Add(1)
	go func() {
		defer ix.reclaims.Done()
		defer ix.reclaiming[i].Store(false)
		// One shard merges at a time: a merge holds memory in proportion to its shard (at
		// 20,000 threads about 10 MB more live heap while it runs, 25-50 MB before the
		// pairs were spread over their buckets, and the old segment's pages, read through),
		// and replies reach both shards' share together.
		ix.reclaimMu.Lock()
		defer ix.reclaimMu.Unlock()
		// Its allocations are met by collecting sooner, not by a larger heap (holdMemory).
		defer holdMemory()()
		for {
			// It returns when the shard closes (replaced then finds nothing). Its only
			// error worth a word, a force merge already running, cannot happen: compact
			// waits for reclaiming. A failed merge leaves the segments as they were, and
			// the next batch tries again.
			_ = mergeShard(context.Background(), sc, &mergeplan.SingleSegmentMergePlanOptions, &ix.readThrough)
			ix.releaseSoon()
			all, gone := replaced(shard)
			if gone < reclaimMinimum || float64(gone) < reclaimShare*float64(all) {
				return
			}
		}
	}()
}

// scorchOf returns the scorch index under s, or nil for another kind.
func scorchOf(s bleve.Index) *scorch.Scorch {
	adv, err := s.Advanced()
	if err != nil {
		return nil
	}
	sc, _ := adv.(*scorch.Scorch)
	return sc
}
