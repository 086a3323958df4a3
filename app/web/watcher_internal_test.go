package web

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/forum"
	"forum/app/live"
	"forum/app/markdown"
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

// ownRowsCheck is a query hook that, at every query, checks what a change watcher reading
// the log at that moment would find: a row of this node's already marked as invalidated
// for (so skipped) while its thread's snapshot still holds.
type ownRowsCheck struct {
	s      *Server
	thread int64
	armed  atomic.Bool
	stale  atomic.Int64 // queries run at such a moment
}

func (h *ownRowsCheck) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	if !h.armed.Load() {
		return ctx
	}
	h.s.own.mu.Lock()
	marked := len(h.s.own.ids) > 0
	h.s.own.mu.Unlock()
	if marked && h.s.pages.Peek(threadKey(h.thread)) != nil {
		h.stale.Add(1)
	}
	return ctx
}

func (h *ownRowsCheck) AfterQuery(context.Context, *bun.QueryEvent) {}

// TestOwnRowsMarkedAfterTheirThreadIsDropped: after a commit, this node's rows are marked
// as already invalidated for (so the change watcher skips them and hands them straight to
// the live updates, which render from the thread's snapshot) only once the thread's
// snapshot is dropped. Marked before, a watcher reading the log while the rest of the
// invalidation queried the database pushed the thread as it was before the reply, and
// the reply never reached the open pages (seen as a live test that failed now and then).
func TestOwnRowsMarkedAfterTheirThreadIsDropped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		base, _ := url.Parse("http://127.0.0.1:8080")
		cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Driver: st.Driver(), BaseURL: base,
			SessionSecret: []byte("test-secret-test-secret-test-secret!")}
		svc := forum.New(st, markdown.New())
		s, err := New(Options{Config: cfg, Store: st, Forum: svc, Version: "test"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		key := "asker"
		u := &model.User{DemoKey: &key, Pseudonym: "asker", Email: "asker@example.invalid", Role: model.RoleMember,
			Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		tag := model.Tag{Name: "Boundaries", Slug: "boundaries", CreatedAt: now, UpdatedAt: now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertTag(ctx, &tag) }); err != nil {
			t.Fatal(err)
		}
		th, err := svc.Ask(ctx, u, forum.AskInput{Title: "How do we talk about the weekend?", Body: "He comes home on Friday.", Tags: []string{"boundaries"}})
		if err != nil {
			t.Fatal(err)
		}
		check := &ownRowsCheck{s: s, thread: th.ID}
		storetest.HookQueries(st, check)
		for i := range 3 {
			if _, err := s.threads.get(ctx, th.ID); err != nil {
				t.Fatal(err)
			}
			if s.pages.Peek(threadKey(th.ID)) == nil {
				t.Fatal("the thread's snapshot was not kept")
			}
			s.own = ownChanges{} // as a watcher that read every row back leaves it
			check.armed.Store(true)
			_, err := svc.Reply(ctx, u, th.ID, forum.ReplyInput{Body: fmt.Sprintf("Reply %d: we will keep it short.", i)})
			check.armed.Store(false)
			if err != nil {
				t.Fatal(err)
			}
			if n := check.stale.Load(); n > 0 {
				t.Fatalf("reply %d: %d queries ran while its rows were marked as invalidated for and the thread's snapshot still held", i, n)
			}
			if s.pages.Peek(threadKey(th.ID)) != nil {
				t.Fatalf("reply %d: the thread's snapshot still holds after the commit", i)
			}
		}
	})
}
