package store

import (
	"strings"
	"testing"
)

func TestChannelNames(t *testing.T) {
	for _, tc := range []struct{ schema, changes string }{
		{"", "forum_changes"},
		{"public", "forum_changes"},
		{"test_0a1b2c", "forum_changes_test_0a1b2c"},
		{strings.Repeat("s", 60), ""}, // too long: hashed
	} {
		got := channelsOf(tc.schema)
		if len(got.changes) > 63 || len(got.notified) > 63 || len(got.generation) > 63 {
			t.Errorf("schema %q: channel names %+v are longer than PostgreSQL takes", tc.schema, got)
		}
		if len(tc.schema) < 40 && got.changes != tc.changes {
			t.Errorf("schema %q: channel %q, want %q", tc.schema, got.changes, tc.changes)
		}
		if got.changes == got.notified || got.changes == got.generation || got.notified == got.generation {
			t.Errorf("schema %q: one channel for two signals: %+v", tc.schema, got)
		}
	}
	if a, b := channelsOf(strings.Repeat("a", 60)), channelsOf(strings.Repeat("a", 59)+"b"); a == b {
		t.Error("two long schema names share channels")
	}
}

func TestIDPayloadsStayBelowTheLimit(t *testing.T) {
	ids := make([]int64, 5000)
	for i := range ids {
		ids[i] = int64(1_000_000 + i)
	}
	var back []int64
	payloads := idPayloads("node1", ids)
	if len(payloads) < 2 {
		t.Fatalf("%d payloads for 5,000 ids", len(payloads))
	}
	for _, p := range payloads {
		if len(p) > maxPayload {
			t.Fatalf("payload of %d bytes", len(p))
		}
		from, rest, _ := strings.Cut(p, " ")
		if from != "node1" {
			t.Fatalf("payload from %q", from)
		}
		back = append(back, parseIDs(rest)...)
	}
	if len(back) != len(ids) || back[0] != ids[0] || back[len(back)-1] != ids[len(ids)-1] {
		t.Fatalf("got %d ids back of %d", len(back), len(ids))
	}
	if got := parseIDs("1,x,-3,4"); len(got) != 2 || got[0] != 1 || got[1] != 4 {
		t.Fatalf("parseIDs kept %v", got)
	}
}
