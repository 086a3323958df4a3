package search

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
)

// A merge reads every page of the segments it rewrites, through the same mappings the
// searches read them by, and a page once read counts as the process's own until the
// segment is closed: a shard's merge at 20,000 threads raised the resident part of its
// large segment from 31 MB (what searches use) to 53 MB for the 10-20 s it took, the
// word pairs and stored text that searches seldom read (seen file by file in
// /proc/<pid>/smaps through a soak). A merge's read is one pass that nothing needs again,
// as a database's sequential scan is, so while it runs the pages it brought in are let go
// of behind it (readThrough): the process keeps what searches used before the merge
// began, and the kernel keeps the rest in its page cache, to take back first under
// pressure and to drop when the old segment's file is removed after the merge.

// trimEvery is how often a running merge's pages are let go of: at 20,000 threads a
// shard's merge reads about 1 MB of its old segment in that time (53 MB in 10-20 s).
const trimEvery = 250 * time.Millisecond

// mergeShard merges shard sc by plan mo, letting go of the pages the merge reads in the
// segments it rewrites as it goes (readThrough); dropped counts their bytes.
func mergeShard(ctx context.Context, sc *scorch.Scorch, mo *mergeplan.MergePlanOptions, dropped *atomic.Int64) error {
	// The reader holds the segments the merge rewrites, so they stay mapped, and their
	// pages stay theirs, until the trimming has stopped.
	r, err := sc.Reader()
	if err != nil {
		return err
	}
	snap, ok := r.(*scorch.IndexSnapshot)
	if ok && snap == nil {
		// The shard was closed (a reclaim that went on as the index closed): nothing to
		// merge, and nothing to close.
		return nil
	}
	defer r.Close()
	var ws *workingSet
	if ok {
		ws = newWorkingSet(snap)
	}
	defer ws.close()
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(trimEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				dropped.Add(ws.trim())
			case <-stop:
				return
			}
		}
	}()
	err = sc.ForceMerge(ctx, mo)
	close(stop)
	<-stopped
	if err == nil {
		// The merged segment is in place: what searches kept of the ones it replaced goes
		// too, at once, rather than when the last search reading them closes them. Until
		// then both were mapped in, the new one as searches began to read it: seen each
		// second in /proc/<pid>/smaps at a shard's reclaim (SQLite, 20,000 threads), 14-16
		// MB of the old segments beside the new one's first reads.
		ws.forgetKept()
	}
	dropped.Add(ws.trim())
	return err
}
