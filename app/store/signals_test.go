package store_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"forum/app/benchdata"
	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// heard collects what a Listen call heard.
type heard struct {
	changed chan struct{}
	mu      sync.Mutex
	users   [][]int64
	usersCh chan struct{}
}

func listen(t *testing.T, st *store.Store) *heard {
	t.Helper()
	h := &heard{changed: make(chan struct{}, 100), usersCh: make(chan struct{}, 100)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	connected := make(chan struct{}, 1)
	l := store.Listeners{
		Changed: func() {
			h.changed <- struct{}{}
			select {
			case connected <- struct{}{}:
			default:
			}
		},
		UsersNotified: func(ids []int64) {
			h.mu.Lock()
			h.users = append(h.users, ids)
			h.mu.Unlock()
			h.usersCh <- struct{}{}
		},
		Trouble: func(err error) { t.Logf("listener: %v", err) },
	}
	st.Hear(ctx, l)
	go func() {
		defer close(done)
		st.ListenOtherNodes(ctx, l)
	}()
	t.Cleanup(func() { cancel(); <-done })
	if st.HearsOtherNodes() {
		// PostgreSQL: ListenOtherNodes says Changed once it listens, for what it could not hear before.
		select {
		case <-connected:
		case <-time.After(10 * time.Second):
			t.Fatal("the listener did not connect within 10 s")
		}
		h.drain()
	}
	return h
}

func (h *heard) drain() {
	for {
		select {
		case <-h.changed:
		default:
			return
		}
	}
}

// within reports whether ch gets something within d.
func within(ch <-chan struct{}, d time.Duration) bool {
	select {
	case <-ch:
		return true
	case <-time.After(d):
		return false
	}
}

func addChange(t *testing.T, st *store.Store, fail bool) {
	t.Helper()
	errRollback := errors.New("roll back")
	err := st.Tx(context.Background(), func(tx *store.Tx) error {
		if err := tx.AddChange(context.Background(), "thread", 1, 1, "update", time.Now().UTC()); err != nil {
			return err
		}
		if fail {
			return errRollback
		}
		return nil
	})
	if fail != errors.Is(err, errRollback) {
		t.Fatalf("transaction: %v", err)
	}
}

// TestListenHearsCommittedChanges: a committed change-log row is heard at once, a rolled
// back one and a transaction without change rows are not.
func TestListenHearsCommittedChanges(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		h := listen(t, st)
		addChange(t, st, false)
		if !within(h.changed, 5*time.Second) {
			t.Fatal("a committed change was not heard")
		}
		addChange(t, st, true)
		if err := st.Tx(context.Background(), func(tx *store.Tx) error {
			return tx.SetReaderPosition(context.Background(), "n", "r", model.ChangePosition{Tx: 1, ID: 1}, time.Now().UTC())
		}); err != nil {
			t.Fatal(err)
		}
		if within(h.changed, 300*time.Millisecond) {
			t.Fatal("a rolled back change, or a write without a change row, was heard")
		}

		// Announced notifications reach this process's listeners once.
		if err := st.AnnounceNotified(context.Background(), []int64{7, 9}); err != nil {
			t.Fatal(err)
		}
		if !within(h.usersCh, 5*time.Second) {
			t.Fatal("announced notifications were not heard")
		}
		if within(h.usersCh, 300*time.Millisecond) {
			t.Fatal("this node heard its own announcement twice")
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.users) != 1 || !slices.Equal(h.users[0], []int64{7, 9}) {
			t.Fatalf("heard %v, want [[7 9]]", h.users)
		}
	})
}

// TestListenHearsOtherNodes: on PostgreSQL a write committed by another node reaches this
// node's listener through NOTIFY within a moment, and so do its announced notifications;
// a listener that checks its quiet connection now and then keeps hearing.
func TestListenHearsOtherNodes(t *testing.T) {
	st := storetest.Open(t, config.DriverPostgres)
	other := storetest.OtherNode(st)
	t.Cleanup(store.SetListenCheckEvery(50 * time.Millisecond)) // put back once the listener stopped
	h := listen(t, st)
	time.Sleep(300 * time.Millisecond) // quiet: the connection is checked a few times
	if within(h.changed, 0) {
		t.Fatal("a quiet listener heard a change")
	}

	var worst time.Duration
	for i := range 5 {
		start := time.Now()
		addChange(t, other, false)
		if !within(h.changed, 5*time.Second) {
			t.Fatalf("write %d on another node was not heard within 5 s", i)
		}
		worst = max(worst, time.Since(start))
	}
	t.Logf("another node's commit heard through NOTIFY within %v (worst of 5, commit included)", worst)
	if worst > time.Second {
		t.Errorf("another node's write took %v to be heard; NOTIFY should take milliseconds", worst)
	}

	ids := make([]int64, 3000) // more than one NOTIFY payload holds
	for i := range ids {
		ids[i] = int64(i + 1)
	}
	if err := other.AnnounceNotified(context.Background(), ids); err != nil {
		t.Fatal(err)
	}
	var got []int64
	deadline := time.After(5 * time.Second)
	for len(got) < len(ids) {
		select {
		case <-h.usersCh:
		case <-deadline:
			t.Fatalf("heard %d of %d announced members", len(got), len(ids))
		}
		h.mu.Lock()
		got = got[:0]
		for _, part := range h.users {
			got = append(got, part...)
		}
		h.mu.Unlock()
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("heard %d members, not the %d announced in order", len(got), len(ids))
	}
}

// TestMembersOwnChangesReachOtherNodes: on PostgreSQL a member's own change committed on
// another node (a thread followed, notifications read) is announced at its commit: this
// node drops what it remembers of the member before its listeners hear of it, so the
// member's next page here shows the change; a rolled back change is not announced.
func TestMembersOwnChangesReachOtherNodes(t *testing.T) {
	st := storetest.Open(t, config.DriverPostgres)
	ctx := context.Background()
	if _, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: 3, Posts: 3, Seed: 5}, nil); err != nil {
		t.Fatal(err)
	}
	ids, err := st.ThreadIDsAfter(ctx, 0, 1)
	if err != nil || len(ids) != 1 {
		t.Fatalf("threads %v, %v", ids, err)
	}
	th, err := st.ThreadByID(ctx, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	member := th.AuthorID + 1 // not its author: follows it at no level of their own
	other := storetest.OtherNode(st)
	h := listen(t, st)
	follow := func(level model.Level, fail bool) {
		t.Helper()
		errRollback := errors.New("roll back")
		err := other.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.SetThreadFollow(ctx, member, th.ID, level, time.Now().UTC()); err != nil {
				return err
			}
			if fail {
				return errRollback
			}
			return nil
		})
		if fail != errors.Is(err, errRollback) {
			t.Fatalf("follow: %v", err)
		}
	}
	for _, level := range []model.Level{model.LevelWatching, model.LevelMuted} {
		before, err := st.ThreadFollowLevel(ctx, member, th.ID) // remembered here
		if err != nil || before == level {
			t.Fatalf("level before %q, %v", before, err)
		}
		follow(level, false)
		if !within(h.usersCh, 5*time.Second) {
			t.Fatalf("following at %q on another node was not announced", level)
		}
		if got, err := st.ThreadFollowLevel(ctx, member, th.ID); err != nil || got != level {
			t.Fatalf("after another node's change this node answers %q (%v), want %q", got, err, level)
		}
	}
	follow(model.LevelWatching, true)
	if within(h.usersCh, 300*time.Millisecond) {
		t.Fatal("a rolled back change was announced")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, heard := range h.users {
		if !slices.Equal(heard, []int64{member}) {
			t.Fatalf("heard members %v, want only %d", heard, member)
		}
	}
}
