package changelog

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// follower is a reader of the change log, as the search index and the caches follow it.
type follower interface {
	Next(ctx context.Context) ([]model.Change, error)
}

// afterLastID is the reader the change log must not have: it reads the rows whose id is
// above the last id it read.
type afterLastID struct {
	st   *store.Store
	last int64
}

func (r *afterLastID) Next(ctx context.Context) ([]model.Change, error) {
	rows, err := r.st.ChangesAfter(ctx, r.last, 10_000)
	if len(rows) > 0 {
		r.last = rows[len(rows)-1].ID
	}
	return rows, err
}

// outcome is what a follower read while writers committed.
type outcome struct {
	held      int64   // the id of the row whose transaction stayed open while later ones committed
	committed []int64 // every row committed
	missed    []int64 // committed rows the follower never read
	twice     []int64 // rows it read more than once
}

// commitOutOfOrder writes change-log rows from concurrent writers while f reads: on
// PostgreSQL one transaction writes its row first and stays open while later writers
// commit theirs and f reads them, many times over; then many writers commit at once, each
// holding its transaction open for a random moment after writing, so that their commits
// come out of the order of their ids. SQLite's writers take turns, so there the writers
// only run at once. It returns what f read, after the last commit, once f read nothing
// new twice.
func commitOutOfOrder(t *testing.T, st *store.Store, f follower) outcome {
	t.Helper()
	ctx := context.Background()
	var (
		mu        sync.Mutex
		committed []int64
		seen      = map[int64]int{}
	)
	write := func(hold func(id int64)) (int64, error) {
		var id int64
		err := st.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.AddChange(ctx, "thread", 1, 1, "update", time.Now().UTC()); err != nil {
				return err
			}
			id = tx.WrittenChangeID()
			hold(id)
			return nil
		})
		if err == nil {
			mu.Lock()
			committed = append(committed, id)
			mu.Unlock()
		}
		return id, err
	}
	read := func() {
		t.Helper()
		rows, err := f.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range rows {
			seen[c.ID]++
		}
	}
	var out outcome
	if st.Driver() == config.DriverPostgres {
		wrote, release, done := make(chan int64, 1), make(chan struct{}), make(chan error, 1)
		go func() {
			_, err := write(func(id int64) {
				wrote <- id
				<-release
			})
			done <- err
		}()
		out.held = <-wrote
		for range 20 {
			if _, err := write(func(int64) {}); err != nil {
				t.Fatal(err)
			}
			read()
		}
		for range 10 { // the row stays held for a while, read after read
			time.Sleep(20 * time.Millisecond)
			read()
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			select {
			case <-stop:
				return
			default:
			}
			read()
			time.Sleep(time.Millisecond)
		}
	}()
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 1))
			for range 25 {
				pause := time.Duration(rnd.IntN(15)) * time.Millisecond
				if st.Driver() != config.DriverPostgres {
					pause = 0 // one writer at a time: a pause would only hold the others up
				}
				if _, err := write(func(int64) { time.Sleep(pause) }); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-readerDone
	// Every writer has committed: two reads in a row that find nothing new end it.
	for quiet, n := 0, len(seen); quiet < 2; {
		time.Sleep(20 * time.Millisecond)
		read()
		if h, ok := f.(interface{ Held() bool }); ok && h.Held() {
			quiet = 0 // rows wait behind a transaction of the server (other tests run there)
		} else if len(seen) == n {
			quiet++
		} else {
			quiet, n = 0, len(seen)
		}
	}
	slices.Sort(committed)
	out.committed = committed
	for _, id := range committed {
		switch seen[id] {
		case 0:
			out.missed = append(out.missed, id)
		case 1:
		default:
			out.twice = append(out.twice, id)
		}
	}
	return out
}

// TestReaderNeverSkipsOutOfOrderCommits: whatever the order of the commits, the reader
// returns every committed row once.
func TestReaderNeverSkipsOutOfOrderCommits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		r, err := NewReader(context.Background(), st)
		if err != nil {
			t.Fatal(err)
		}
		out := commitOutOfOrder(t, st, r)
		if len(out.missed) > 0 || len(out.twice) > 0 {
			t.Fatalf("of %d committed rows (the one held open: %d), missed %v, read twice %v",
				len(out.committed), out.held, out.missed, out.twice)
		}
		if len(out.committed) < 200 {
			t.Fatalf("only %d rows committed", len(out.committed))
		}
	})
}

// TestAfterLastIDSkipsOutOfOrderCommits shows what the reader is for: on PostgreSQL, a
// reader of "the rows after the last id I read" loses the row whose transaction committed
// after later ones.
func TestAfterLastIDSkipsOutOfOrderCommits(t *testing.T) {
	st := storetest.Open(t, config.DriverPostgres)
	out := commitOutOfOrder(t, st, &afterLastID{st: st})
	if !slices.Contains(out.missed, out.held) {
		t.Fatalf("the reader after the last id read the row held open (%d); missed %v", out.held, out.missed)
	}
	t.Logf("after the last id: missed %d of %d committed rows, among them the one held open", len(out.missed), len(out.committed))
}

// TestReaderStartsAtTheHead: a new reader returns the rows written after it was made, and
// none of those before.
func TestReaderStartsAtTheHead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		add := func(thread int64) {
			t.Helper()
			if err := st.Tx(ctx, func(tx *store.Tx) error {
				return tx.AddChange(ctx, "thread", thread, thread, "update", time.Now().UTC())
			}); err != nil {
				t.Fatal(err)
			}
		}
		add(1)
		add(2)
		r, err := NewReader(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		// On PostgreSQL, rows committed while an older transaction of the server was still
		// open come after the head too: read again, never skipped.
		exact := st.Driver() == config.DriverSQLite
		if rows, err := r.Next(ctx); err != nil || exact && len(rows) != 0 {
			t.Fatalf("a new reader read %v (%v), want nothing", rows, err)
		}
		add(3)
		rows, err := settledNext(ctx, r)
		if err != nil || len(rows) == 0 || rows[len(rows)-1].ThreadID != 3 || exact && len(rows) != 1 {
			t.Fatalf("read %v (%v), want the change of thread 3", rows, err)
		}
		// A reader taken up at a recorded position goes on from there.
		add(4)
		again := NewReaderAt(st, r.Position())
		if rows, err := settledNext(ctx, again); err != nil || len(rows) != 1 || rows[0].ThreadID != 4 {
			t.Fatalf("from the recorded position: %v (%v), want the change of thread 4", rows, err)
		}
	})
}

// settledNext reads until nothing waits behind an open transaction of the database server,
// where other tests run too.
func settledNext(ctx context.Context, r *Reader) ([]model.Change, error) {
	var out []model.Change
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		rows, err := r.Next(ctx)
		out = append(out, rows...)
		if err != nil || !r.Held() || time.Now().After(deadline) {
			return out, err
		}
	}
}

// fakeLog is a change log whose rows wait behind open transactions for as long as a test says.
type fakeLog struct {
	rows  []model.Change
	held  bool
	wakes []time.Duration
}

func (f *fakeLog) ChangesSince(_ context.Context, pos model.ChangePosition, limit int) ([]model.Change, bool, error) {
	var out []model.Change
	for _, c := range f.rows {
		if pos.Before(c.Position()) && len(out) < limit {
			out = append(out, c)
		}
	}
	return out, f.held, nil
}

func (f *fakeLog) ChangeHead(context.Context) (model.ChangePosition, error) {
	return model.ChangePosition{}, nil
}

func (f *fakeLog) WakeReadersIn(d time.Duration) { f.wakes = append(f.wakes, d) }

// TestReaderAsksToLookAgain: rows held back by an open transaction make the reader ask to be
// woken again, soon at first and less often while the transaction stays open; a read with
// nothing held starts over.
func TestReaderAsksToLookAgain(t *testing.T) {
	ctx := context.Background()
	log := &fakeLog{held: true}
	r, _ := NewReader(ctx, log)
	for range 12 {
		if _, err := r.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if !r.Held() {
		t.Fatal("Held is false while rows are held")
	}
	want := []time.Duration{2, 4, 8, 16, 32, 64, 100, 100, 100, 100, 100, 100}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(log.wakes, want) {
		t.Fatalf("asked to be woken after %v, want %v", log.wakes, want)
	}
	log.held, log.wakes = false, nil
	log.rows = []model.Change{{ID: 1, Tx: 9}, {ID: 3, Tx: 9}, {ID: 2, Tx: 10}}
	rows, _ := r.Next(ctx)
	if got := []int64{rows[0].ID, rows[1].ID, rows[2].ID}; !slices.Equal(got, []int64{1, 3, 2}) || len(log.wakes) != 0 {
		t.Fatalf("read %v and asked for %v, want rows 1, 3, 2 in the order of their transactions, no wake", got, log.wakes)
	}
	log.held = true
	_, _ = r.Next(ctx)
	_, _ = r.Next(ctx)
	if !slices.Equal(log.wakes, []time.Duration{firstRetry, 2 * firstRetry}) {
		t.Fatalf("after a read with nothing held, asked for %v, want %v then %v", log.wakes, firstRetry, 2*firstRetry)
	}
	// Rows read while others are held: the horizon moves, the next wait is short again.
	log.wakes = nil
	log.rows = append(log.rows, model.Change{ID: 4, Tx: 11})
	_, _ = r.Next(ctx)
	if !slices.Equal(log.wakes, []time.Duration{firstRetry}) {
		t.Fatalf("after a read that got rows, asked for %v, want %v", log.wakes, firstRetry)
	}
}
