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
// page about once every 30 seconds (releasePart). The pages stay in the kernel's page cache: a
// search that reads one again maps it back without reading the disk (a minor fault), and
// the kernel can take back first the ones nobody read again. What the process holds of the
// index is then what searches read in the last half minute or less.
//
// A part at a time, not all at once: searches map back most of what is let go of within
// seconds, so letting go of all of it every 5 seconds (tried) made the resident memory dip
// by 20-25 MB at 20,000 threads and climb back within 3 seconds, each time, and a sample's
// figure depended on when it fell.
//
// And a ceiling (LimitMapped): when the pages mapped in are more than it allows, the parts
// let go of longest ago are let go of again at once, until they are under it. Without one
// the part of the process the index holds rose by nearly half between the reclaims of a
// living board (45 to 66 MB at 20,000 threads on PostgreSQL, 150 MB in all), as the small
// segments replies write grew and searches read them whole, and rose again as a merged
// segment was read beside the one it replaced.
//
// The ceiling is looked at more often than a part is let go of (ceilingEvery): searches
// map back what they use within a second, 10-15 MB of it at 20,000 threads when the
// ceiling is under what they use, so a look every releaseEvery let the process's figure
// rise that far above it between two looks. Every 250 ms still left the files 6-11 MB over
// the ceiling for seconds at a time (seen every second in smaps), and on SQLite 2 and 10
// seconds of a soak's nine minutes more than 10% over its first minute; every 100 ms none
// on SQLite, and on PostgreSQL 3 seconds, while a shard merged (one run each). A look
// costs about 1.4 ms at 20,000 threads (BenchmarkResidentUnder): 1.4% of a core.
const (
	releaseEvery = 1200 * time.Millisecond
	releaseParts = 24
	ceilingEvery = 100 * time.Millisecond
)

// mappedFiles is the index's segment files as a moment's snapshots hold them, so they stay
// mapped until it is closed.
type mappedFiles struct {
	sets  []*workingSet
	snaps []*scorch.IndexSnapshot
}

// mapped returns the shards' segment files; nil once the index is closed. The caller
// closes it.
func (ix *Index) mapped() *mappedFiles {
	ix.mu.RLock()
	shards, closed := ix.shards, ix.closed
	ix.mu.RUnlock()
	if closed {
		return nil
	}
	m := &mappedFiles{}
	for _, s := range shards {
		sc := scorchOf(s)
		if sc == nil {
			continue
		}
		r, err := sc.Reader()
		if err != nil {
			continue
		}
		if snap, ok := r.(*scorch.IndexSnapshot); ok && snap != nil {
			if ws := noWorkingSet(snap); ws != nil {
				m.sets = append(m.sets, ws)
			}
			m.snaps = append(m.snaps, snap)
		}
	}
	return m
}

// trimPart lets go of the pages of the k-th of parts equal runs of each file, and returns
// their bytes.
func (m *mappedFiles) trimPart(k, parts int) int64 {
	if m == nil {
		return 0
	}
	var n int64
	for _, ws := range m.sets {
		n += ws.trimPart(k, parts)
	}
	return n
}

func (m *mappedFiles) close() {
	if m == nil {
		return
	}
	for _, ws := range m.sets {
		ws.close()
	}
	for _, snap := range m.snaps {
		snap.Close()
	}
}

// releasePart lets go of the mapped pages of the k-th of parts runs of each of the
// shards' segment files (parts 1 of 1: every page), and returns their bytes.
func (ix *Index) releasePart(k, parts int) int64 {
	m := ix.mapped()
	defer m.close()
	return m.trimPart(k, parts)
}

// LimitMapped sets the most bytes of the index's files the process keeps mapped in
// (FORUM_SEARCH_MEMORY_MB); 0 or less: no ceiling but the release of each page in turn.
func (ix *Index) LimitMapped(bytes int64) { ix.mappedLimit.Store(max(bytes, 0)) }

// Mapped returns the bytes of the index's files the process had mapped in when the
// release loop last looked (every releaseEvery; every ceilingEvery under a ceiling).
func (ix *Index) Mapped() int64 { return ix.mappedNow.Load() }

// release lets go of part k when rotate is set, then, while what stays mapped in is over
// the ceiling, of the parts after it, in the order they were let go of last; it returns
// the part to let go of next.
//
// What stays is measured again after each part, not reckoned from what was let go of:
// where the kernel maps a file by 2 MB pages, letting go of part of one lets go of all of
// it.
func (ix *Index) release(k int, rotate bool) int {
	limit := ix.mappedLimit.Load()
	if !rotate && limit <= 0 {
		return k
	}
	// The snapshots are taken only when a part is let go of.
	var m *mappedFiles
	defer func() { m.close() }()
	trim := func(k int) {
		if m == nil {
			m = ix.mapped()
		}
		m.trimPart(k, releaseParts)
	}
	if rotate {
		trim(k)
		k = (k + 1) % releaseParts
	}
	// Every file of the index's directory counts, in a snapshot or not (a segment written
	// and not yet in place, one replaced and still read); only the snapshots' segments can
	// make room. Where the process's memory map cannot be read, neither can its page table:
	// nothing is measured, and nothing let go of but the part in turn.
	now, _ := residentUnder(ix.path)
	for i := 0; i < releaseParts-1 && limit > 0 && now > limit; i++ {
		trim(k)
		k = (k + 1) % releaseParts
		now, _ = residentUnder(ix.path)
	}
	ix.mappedNow.Store(now)
	return k
}

// releaseLoop lets go of the index's pages, a part every releaseEvery and more over the
// ceiling, until stop is closed.
func (ix *Index) releaseLoop(stop <-chan struct{}, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(ceilingEvery)
	defer t.Stop()
	perPart := int(releaseEvery / ceilingEvery)
	for tick, k := 1, 0; ; tick++ {
		select {
		case <-t.C:
			k = ix.release(k, tick%perPart == 0)
		case <-ix.releaseNow:
			k = ix.release(k, false)
		case <-stop:
			return
		}
	}
}

// releaseSoon asks the release loop to look at the ceiling now: a merge put a segment in
// place, which searches are reading into the process.
func (ix *Index) releaseSoon() {
	select {
	case ix.releaseNow <- struct{}{}:
	default: // asked already
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
