package search

import (
	"runtime/debug"
	"testing"
)

// While merges run the collector's headroom is a third of what it was, and it is what it
// was once the last of them ends.
func TestMergesLowerTheCollectorsHeadroom(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(90))
	first := lowerGCHeadroom()
	if got := gogc(); got != 30 {
		t.Fatalf("GOGC %d while a merge runs, want 30", got)
	}
	second := lowerGCHeadroom()
	first()
	first() // again: no effect
	if got := gogc(); got != 30 {
		t.Fatalf("GOGC %d while the second merge runs, want 30", got)
	}
	second()
	if got := gogc(); got != 90 {
		t.Fatalf("GOGC %d after the merges, want 90", got)
	}

	debug.SetGCPercent(-1) // GOGC=off stays off
	lowerGCHeadroom()()
	if got := gogc(); got != -1 {
		t.Fatalf("GOGC %d after a merge with the collector off, want -1", got)
	}
}
