package search

import (
	"time"

	"github.com/blevesearch/bleve/v2/index/scorch"
)

// Searches read the index's files through shared, read-only mappings, and a page once read
// counts as the process's own until its segment is closed, whether searches still need it or
// not. On a living board that made the resident memory a record of every page read since the
// segment was written, not of what searches use: seen file by file through a soak at
// 20,000 threads, a shard's large segment held the pages read in all its minutes, and the
// small segments replies write grew beside it until a reclaim folded them into a new
// segment, of which searches had read only part: the process's memory rose by some 4-9 MB a
// minute and fell by 30-50 MB at each reclaim, a saw-tooth of -16% to +11% around its first
// minute.
//
// So the index lets go of the pages of its files the process has mapped in, a part at a
// time: every releaseEvery one of releaseParts equal runs of each segment, in turn, so each
// page once every 30 seconds (releasePart). The pages stay in the kernel's page cache: a
// search that reads one again maps it back without reading the disk (a minor fault), and
// the kernel can take back first the ones nobody read again. What the process holds of the
// index is then what searches read in the last half minute or less.
//
// A part at a time, not all at once: searches map back most of what is let go of within
// seconds, so letting go of all of it every 5 seconds (tried) made the resident memory dip
// by 20-25 MB at 20,000 threads and climb back within 3 seconds, each time, and a sample's
// figure depended on when it fell.
const (
	releaseEvery = 5 * time.Second
	releaseParts = 6
)

// releasePart lets go of the mapped pages of the k-th of releaseParts runs of each of the
// shards' segment files (parts 1 of 1: every page), and returns their bytes.
func (ix *Index) releasePart(k, parts int) int64 {
	ix.mu.RLock()
	shards, closed := ix.shards, ix.closed
	ix.mu.RUnlock()
	if closed {
		return 0
	}
	var released int64
	for _, s := range shards {
		sc := scorchOf(s)
		if sc == nil {
			continue
		}
		// The snapshot holds its segments, so they stay mapped until it is closed.
		r, err := sc.Reader()
		if err != nil {
			continue
		}
		if snap, ok := r.(*scorch.IndexSnapshot); ok && snap != nil {
			ws := noWorkingSet(snap)
			released += ws.trimPart(k, parts)
			ws.close()
			snap.Close()
		}
	}
	return released
}

// releaseLoop lets go of the index's pages, a part every releaseEvery, until stop is
// closed.
func (ix *Index) releaseLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(releaseEvery)
	defer t.Stop()
	for k := 0; ; k = (k + 1) % releaseParts {
		select {
		case <-t.C:
			ix.releasePart(k, releaseParts)
		case <-stop:
			return
		}
	}
}

// stopReleaseLoop stops releaseLoop and waits for it to return; stopping it again does
// nothing.
func (ix *Index) stopReleaseLoop() {
	ix.stopReleasing.Do(func() {
		if ix.stopRelease != nil { // nil when Open failed
			close(ix.stopRelease)
			<-ix.releaseDone
		}
	})
}
