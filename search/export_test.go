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
