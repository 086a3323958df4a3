package search

import (
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// While a shard merges, the live heap rises by what the merge holds (at 20,000 threads from
// about 25 to 37 MB: the term dictionaries it builds, its write buffers), and the collector
// lets the heap grow to twice what the last collection kept before it runs again, so the
// process's memory rose by twice the merge's: 20-30 MB for the 10-60 seconds a shard took,
// the highest samples of every soak (a third of them above the first minute's by more than
// a tenth, seen in the Go runtime's own figures every 2 seconds). While a merge runs the
// collector's headroom (GOGC) is a third of what it was, so the heap's goal stays about
// where it was (37 MB and a third is 49 MB; 25 MB and as much again, 50): the merge costs
// more frequent collections while it runs instead of memory.

// mergeHeadroom is the share of the collector's headroom kept while a merge runs.
const mergeHeadroom = 3 // a third

var gcHeadroom struct {
	sync.Mutex
	merges int // running
	before int // GOGC before the first of them
}

// lowerGCHeadroom lowers the collector's headroom for a merge until the returned func is
// called; with several merges at once, until the last ends. A collector turned off
// (GOGC=off) stays off.
func lowerGCHeadroom() (restore func()) {
	gcHeadroom.Lock()
	defer gcHeadroom.Unlock()
	if gcHeadroom.merges == 0 {
		gcHeadroom.before = gogc()
		if gcHeadroom.before > 0 {
			debug.SetGCPercent(max(gcHeadroom.before/mergeHeadroom, 10))
		}
	}
	gcHeadroom.merges++
	var once sync.Once
	return func() {
		once.Do(func() {
			gcHeadroom.Lock()
			defer gcHeadroom.Unlock()
			if gcHeadroom.merges--; gcHeadroom.merges == 0 && gcHeadroom.before > 0 {
				debug.SetGCPercent(gcHeadroom.before)
			}
		})
	}
}

// gogc returns the collector's headroom in percent (GOGC), -1 when it is off.
func gogc() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	return int(int64(s[0].Value.Uint64())) // off is -1, reported as 1<<64-1
}
