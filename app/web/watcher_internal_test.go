package web

import (
	"context"
	"testing"
	"time"

	"forum/app/live"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestWatcherSeesWritesFromBeforeItStarted: caches may be filled before the change
// watcher starts, and another node may write in between; the watcher's first look must
// not take that write for one the caches have seen.
func TestWatcherSeesWritesFromBeforeItStarted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		gen := st.Generation()
		other := storetest.OtherNode(st)
		if err := other.Tx(ctx, func(tx *store.Tx) error {
			return tx.AddChange(ctx, "thread", 1, 1, "update", time.Now().UTC())
		}); err != nil {
			t.Fatal(err)
		}
		s := &Server{store: st, live: live.NewBroker(nil, nil, live.Options{})}
		done := make(chan struct{})
		go func() { s.watchChanges(ctx, nil); close(done) }()
		defer func() { cancel(); <-done }()
		for deadline := time.Now().Add(10 * time.Second); st.Generation() == gen; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("a write made before the watcher started never reached the caches")
			}
		}
	})
}

// TestOwnChangesAreInvalidatedOnce: the rows this node committed (and invalidated for at
// the commit) are skipped when the watcher reads them back; other nodes' rows are not.
func TestOwnChangesAreInvalidatedOnce(t *testing.T) {
	var own ownChanges
	own.add([]model.Change{{ID: 4}, {ID: 5}})
	got := own.others([]model.Change{{ID: 3}, {ID: 4}, {ID: 5}, {ID: 6}})
	if len(got) != 2 || got[0].ID != 3 || got[1].ID != 6 {
		t.Fatalf("others = %+v, want rows 3 and 6", got)
	}
	// Read back once: a row seen again (a re-read window) is another node's to this one.
	if again := own.others([]model.Change{{ID: 4}}); len(again) != 1 {
		t.Fatalf("a row read back twice was skipped twice: %+v", again)
	}
}
