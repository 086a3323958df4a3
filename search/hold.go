package search

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// A shard's merge allocates in proportion to the shard (at 20,000 threads the live heap
// rises by about 10 MB while it runs: the term dictionaries it builds, its write buffers),
// and the collector lets the heap grow to twice what it keeps, so the process's memory rose
// by 20-25 MB for the half minute a shard merged (+28% over a soak's first minute, with a
// GOMEMLIMIT of 96 MiB that it never reached). While a reclaim merges, the Go runtime's
// memory is held to what it used before the merge began (the heap at its collection goal,
// and the rest as it is) plus holdMargin: the collector runs sooner instead, for those
// seconds only. An operator's lower limit (GOMEMLIMIT) stays; the limit before is put back
// when the merge ends.
const holdMargin = 4 << 20

var holdState struct {
	sync.Mutex
	holders int
	before  int64 // the limit before the first hold
}

// holdMemory holds the Go runtime's memory near what it uses now until the returned
// function is called. Holds may overlap: the first sets the limit, the last puts the one
// before back.
func holdMemory() (release func()) {
	holdState.Lock()
	defer holdState.Unlock()
	holdState.holders++
	if holdState.holders == 1 {
		holdState.before = debug.SetMemoryLimit(-1)
		if limit := heldLimit(); limit < holdState.before {
			debug.SetMemoryLimit(limit)
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			holdState.Lock()
			defer holdState.Unlock()
			holdState.holders--
			if holdState.holders == 0 {
				debug.SetMemoryLimit(holdState.before)
			}
		})
	}
}

// heldLimit is the memory the Go runtime counts against its limit (everything it maps
// but what it gave back to the system) with the heap taken at its collection goal, the
// size it grows to between collections, plus holdMargin.
func heldLimit() int64 {
	s := []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/heap/unused:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/gc/heap/goal:bytes"},
	}
	metrics.Read(s)
	v := make([]int64, len(s))
	for i := range s {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return math.MaxInt64 // unknown here: no hold
		}
		v[i] = int64(s[i].Value.Uint64())
	}
	total, released, objects, unused, free, goal := v[0], v[1], v[2], v[3], v[4], v[5]
	used := total - released
	heap := objects + unused + free
	return max(used, used-heap+goal) + holdMargin
}
