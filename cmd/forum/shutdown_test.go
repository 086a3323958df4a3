package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/search"
)

// lockedBuffer is a log destination that goroutines write to while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the JSON log records written so far with the given message.
func (b *lockedBuffer) records(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b.buf.Bytes()))
	for sc.Scan() {
		var r map[string]any
		if json.Unmarshal(sc.Bytes(), &r) == nil && r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// TestStopWaitsForTheSyncer stops serve (as SIGTERM does) while the search syncer is in
// the middle of a batch: serve returns only once the syncer has finished the chunk of
// threads it was indexing and stopped, and the index then opens as it was left: not
// replaced, at the last change of that chunk, with exactly the threads of the changes up
// to it, and the node's position in the change log recorded at the same place.
func TestStopWaitsForTheSyncer(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			dir := t.TempDir()
			vars := map[string]string{"FORUM_DATA_DIR": dir, "FORUM_ADDR": "127.0.0.1:0", "FORUM_LOG_LEVEL": "debug"}
			if driver == config.DriverPostgres {
				_, dsn, _ := storetest.DSN(t, driver)
				vars["FORUM_DATABASE_URL"] = dsn
			}
			// A board whose change log takes the syncer a few seconds: 1,500 threads with
			// their posts, one change-log row each, and an index that has applied none.
			if code, _, stderr := runCmd(t, vars, "bench-data", "--threads", "1500", "--posts", "9000", "--no-index"); code != 0 {
				t.Fatalf("bench-data: %s", stderr)
			}

			logs := &lockedBuffer{}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ready := make(chan string, 1)
			done := make(chan error, 1)
			go func() { done <- serve(ctx, nil, envOf(vars), logs, logs, ready) }()
			select {
			case <-ready:
			case err := <-done:
				t.Fatalf("serve: %v", err)
			case <-time.After(30 * time.Second):
				t.Fatal("serve did not start")
			}
			// Stop once the syncer has begun its second chunk of threads: in the middle of
			// its first batch of change-log rows.
			deadline := time.Now().Add(60 * time.Second)
			for len(logs.records("search index: applying changes")) < 2 {
				if time.Now().After(deadline) {
					t.Fatal("the syncer did not begin a second chunk within 60 s")
				}
				time.Sleep(2 * time.Millisecond)
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("serve after stop: %v", err)
				}
			case <-time.After(60 * time.Second):
				t.Fatal("serve did not return after the stop")
			}

			// serve returned: the syncer, the watcher and its listener, the live updates and
			// the writer of read positions must have returned before it.
			stack := make([]byte, 1<<20)
			stack = stack[:runtime.Stack(stack, true)]
			for _, fn := range []string{"search.(*Syncer).Run", "web.(*Server).watchChanges", "unread.(*Positions).Run",
				"live.(*Broker).Run", "store.(*Store).ListenOtherNodes"} {
				if bytes.Contains(stack, []byte(fn)) {
					t.Errorf("%s still runs after serve returned", fn)
				}
			}
			stopped := logs.records("search syncer stopped")
			if len(stopped) != 1 {
				t.Fatalf("serve returned before the syncer stopped (%d stop records)", len(stopped))
			}
			began := logs.records("search index: applying changes")
			inFlight := int64(began[len(began)-1]["through_change"].(float64))
			if got := int64(stopped[0]["last_applied_change"].(float64)); got != inFlight {
				t.Fatalf("the syncer stopped at change %d; the chunk it had begun ends at %d", got, inFlight)
			}
			if strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Fatalf("errors logged while stopping:\n%s", logs.String())
			}

			ix, err := search.Open(dir)
			if err != nil {
				t.Fatalf("the index does not open after the stop: %v", err)
			}
			defer ix.Close()
			if ix.Replaced() {
				t.Fatal("the index was left unfinished and replaced")
			}
			lastPos, err := ix.LastApplied()
			last := lastPos.ID
			if err != nil || last != inFlight {
				t.Fatalf("the index is at change %d (%v), want %d", last, err, inFlight)
			}
			cfg, err := config.Load(envOf(vars), nil)
			if err != nil {
				t.Fatal(err)
			}
			st, err := store.Open(context.Background(), cfg.Driver, cfg.DatabaseDSN, cfg.DatabaseLabel)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			var threads, total int
			storetest.Scan(t, st, &threads, "SELECT COUNT(DISTINCT thread_id) FROM changes WHERE id <= ?", last)
			storetest.Scan(t, st, &total, "SELECT COUNT(*) FROM changes")
			if n, err := ix.Count(); err != nil || int(n) != threads || threads >= total {
				t.Fatalf("the index holds %d threads (%v); the changes up to %d name %d of the log's %d", n, err, last, threads, total)
			}
			positions, err := st.ReaderPositions(context.Background())
			if err != nil || len(positions) != 1 || positions[0].Node != ix.Node() || positions[0].AppliedID != last {
				t.Fatalf("recorded positions %+v (%v), want %s at %d", positions, err, ix.Node(), last)
			}
		})
	}
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
