package changelog

import (
	"context"
	"slices"
	"sort"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// fakeLog is a change log whose rows become visible in any order, as commits do.
type fakeLog struct{ rows map[int64]bool }

func (f *fakeLog) commit(ids ...int64) {
	for _, id := range ids {
		f.rows[id] = true
	}
}

func (f *fakeLog) ChangesAfter(_ context.Context, after int64, limit int) ([]model.Change, error) {
	var ids []int64
	for id := range f.rows {
		if id > after {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	if len(ids) > limit {
		ids = ids[:limit]
	}
	out := make([]model.Change, len(ids))
	for i, id := range ids {
		out[i] = model.Change{ID: id, ThreadID: id}
	}
	return out, nil
}

func (f *fakeLog) LatestChangeID(context.Context) (int64, error) {
	var last int64
	for id := range f.rows {
		last = max(last, id)
	}
	return last, nil
}

func ids(cs []model.Change) []int64 {
	out := make([]int64, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func TestReaderReturnsLateCommitsOnce(t *testing.T) {
	ctx := context.Background()
	log := &fakeLog{rows: map[int64]bool{}}
	log.commit(1, 2)
	r, err := NewReader(ctx, log)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1000, 0)
	r.now = func() time.Time { return now }
	next := func(want ...int64) {
		t.Helper()
		got, err := r.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids(got), want) {
			t.Fatalf("read %v, want %v", ids(got), want)
		}
	}
	next() // the rows before the reader are not its
	log.commit(3, 5, 6)
	next(3, 5, 6)
	if r.Waiting() != 1 {
		t.Fatalf("waiting for %d ids, want 1 (id 4)", r.Waiting())
	}
	next()
	log.commit(4, 7) // 4 committed after 5 and 6
	next(4, 7)
	next()
	if r.Waiting() != 0 {
		t.Fatalf("still waiting for %d ids", r.Waiting())
	}

	// An id that never comes (a rollback) is waited for a while, then forgotten.
	log.commit(9)
	next(9)
	now = now.Add(gapWait + time.Second)
	next()
	if r.Waiting() != 0 {
		t.Fatal("a missing id is waited for forever")
	}
	log.commit(8) // far too late
	next()

	// A bulk write longer than a batch is read whole, in order.
	var bulk []int64
	for id := int64(10); id < 10+3*batch+7; id++ {
		bulk = append(bulk, id)
	}
	log.commit(bulk...)
	next(bulk...)
}

// TestReaderSeesCommitsOutOfOrder writes with two transactions on PostgreSQL, the one holding
// the lower id committing last: a reader that read in between still gets that row.
func TestReaderSeesCommitsOutOfOrder(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, config.DriverPostgres)
	r, err := NewReader(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	wrote, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- st.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.AddChange(ctx, "thread", 1, 1, "update", time.Now().UTC()); err != nil {
				return err
			}
			close(wrote)
			<-release
			return nil
		})
	}()
	<-wrote
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		return tx.AddChange(ctx, "thread", 2, 2, "update", time.Now().UTC())
	}); err != nil {
		t.Fatal(err)
	}
	first, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != 1 || first[0].ThreadID != 2 {
		t.Fatalf("first read %v, want the change of thread 2 only", first)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	second, err := r.Next(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 1 || second[0].ThreadID != 1 || second[0].ID >= first[0].ID {
		t.Fatalf("second read %v, want the change of thread 1, with the lower id, committed last", second)
	}
}
