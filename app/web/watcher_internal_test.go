package web

import (
	"context"
	"testing"
	"time"

	"forum/app/live"
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
