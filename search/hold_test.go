package search

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"testing"
)

func TestHoldMemoryLimitsTheRuntimeUntilReleased(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(math.MaxInt64))
	limit := func() int64 { return debug.SetMemoryLimit(-1) }

	release := holdMemory()
	held := limit()
	if held == math.MaxInt64 {
		t.Fatal("no memory limit while a merge holds the memory")
	}
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if used := int64(s[0].Value.Uint64() - s[1].Value.Uint64()); held < used {
		t.Errorf("held at %d bytes, under the %d the runtime uses: the collector would run without pause", held, used)
	}

	inner := holdMemory()
	if got := limit(); got != held {
		t.Errorf("a second hold moved the limit from %d to %d", held, got)
	}
	release()
	if got := limit(); got != held {
		t.Errorf("the limit was %d after one of two holds ended; want %d until both have", got, held)
	}
	release() // once only: the other hold still counts
	if got := limit(); got != held {
		t.Errorf("releasing a hold twice ended the other one (limit %d)", got)
	}
	inner()
	if got := limit(); got != math.MaxInt64 {
		t.Errorf("the limit is %d after every hold ended; want the one before (none)", got)
	}

	// An operator's lower limit stays while a merge holds the memory, and after.
	lower := held / 2
	debug.SetMemoryLimit(lower)
	release = holdMemory()
	if got := limit(); got != lower {
		t.Errorf("the operator's limit %d became %d while held", lower, got)
	}
	release()
	if got := limit(); got != lower {
		t.Errorf("the operator's limit %d became %d after the hold", lower, got)
	}
}
