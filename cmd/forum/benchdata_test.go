package main

import (
	"strings"
	"testing"

	"forum/search"
)

// TestBenchDataBuildsTheIndex: a synthetic board is searchable as soon as it is written
// (its bulk writes leave no change-log rows for a server's syncer to follow), unless
// --no-index says to leave the index for forum reindex, and the command says so.
func TestBenchDataBuildsTheIndex(t *testing.T) {
	dir := t.TempDir()
	vars := map[string]string{"FORUM_DATA_DIR": dir}
	code, stdout, stderr := runCmd(t, vars, "bench-data", "--threads", "40", "--posts", "200")
	if code != 0 {
		t.Fatalf("bench-data: %s", stderr)
	}
	if !strings.Contains(stdout, "indexed 40 threads (200 posts)") {
		t.Fatalf("bench-data printed %q", stdout)
	}
	ix, err := search.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := ix.Count()
	ix.Close()
	if err != nil || n != 40 {
		t.Fatalf("the index holds %d threads (%v), want 40", n, err)
	}

	other := map[string]string{"FORUM_DATA_DIR": t.TempDir()}
	code, stdout, stderr = runCmd(t, other, "bench-data", "--threads", "40", "--posts", "200", "--no-index")
	if code != 0 {
		t.Fatalf("bench-data --no-index: %s", stderr)
	}
	if !strings.Contains(stdout, "run forum reindex before serving") {
		t.Fatalf("bench-data --no-index printed %q", stdout)
	}
}
