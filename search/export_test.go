package search

// Segments returns how many segments each shard's current snapshot holds, in memory and
// in files.
func Segments(ix *Index) []uint64 {
	var out []uint64
	for _, s := range ix.shards {
		m, _ := s.StatsMap()["index"].(map[string]any)
		mem, _ := m["TotMemorySegmentsAtRoot"].(uint64)
		files, _ := m["TotFileSegmentsAtRoot"].(uint64)
		out = append(out, mem+files)
	}
	return out
}

// Replaced returns, per shard, how many documents its segments hold and how many of them
// are versions replaced since.
func Replaced(ix *Index) (all, gone []int64) {
	for _, s := range ix.shards {
		a, g := replaced(s)
		all, gone = append(all, a), append(gone, g)
	}
	return all, gone
}
