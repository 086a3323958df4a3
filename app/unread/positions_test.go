package unread_test

import (
	"context"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/app/unread"
)

type fixture struct {
	st             *store.Store
	asker, reader  *model.User
	thread         *model.Thread
	answer, second *model.Post
}

func newFixture(t *testing.T, st *store.Store) *fixture {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	user := func(name string, role model.Role) *model.User {
		u := &model.User{Pseudonym: name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		return u
	}
	f := &fixture{st: st, asker: user("asker", model.RoleMember), reader: user("reader", model.RoleMember)}
	coach := user("coach", model.RoleExpert)
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	svc := forum.New(st, markdown.New())
	var err error
	if f.thread, err = svc.Ask(ctx, f.asker, forum.AskInput{Title: "How do I start a CRAFT conversation?", Body: "He gets defensive.", Tags: []string{"craft"}}); err != nil {
		t.Fatal(err)
	}
	if f.answer, err = svc.Reply(ctx, coach, f.thread.ID, forum.ReplyInput{Body: "Pick a calm moment."}); err != nil {
		t.Fatal(err)
	}
	if f.second, err = svc.Reply(ctx, coach, f.thread.ID, forum.ReplyInput{Body: "And keep it short."}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) stored(t *testing.T, u *model.User) int64 {
	t.Helper()
	pos, err := f.st.ReadPosition(context.Background(), u.ID, f.thread.ID)
	if err != nil {
		t.Fatal(err)
	}
	return pos
}

// TestPositionsAreBufferedThenWritten: recording writes nothing; the member's own reads
// see the recorded position at once; a flush writes the highest recorded, and a later,
// lower one never moves it back.
func TestPositionsAreBufferedThenWritten(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		p := unread.New(st, nil)
		counter := storetest.CountQueries(st)

		p.Record(f.reader.ID, f.thread.ID, f.answer.ID)
		p.Record(f.reader.ID, f.thread.ID, f.answer.ID-1) // an older page, opened in another tab
		if n := counter.Count(); n != 0 {
			t.Fatalf("recording a position ran %d queries", n)
		}
		if got := f.stored(t, f.reader); got != 0 {
			t.Fatalf("a position was stored before any flush: %d", got)
		}
		if got, err := p.Position(ctx, f.reader.ID, f.thread.ID); err != nil || got != f.answer.ID {
			t.Fatalf("Position before the flush = %d, %v; want %d", got, err, f.answer.ID)
		}
		// The asker's position, stored when they asked, counts the answer as new; the
		// reader's, recorded a moment ago, counts only the second reply.
		for _, tc := range []struct {
			who   *model.User
			count int
			first int64
		}{{f.asker, 2, f.answer.ID}, {f.reader, 1, f.second.ID}} {
			got, err := p.Counts(ctx, tc.who.ID, []int64{f.thread.ID})
			if err != nil {
				t.Fatal(err)
			}
			if u := got[f.thread.ID]; u.Count != tc.count || u.First != tc.first {
				t.Fatalf("%s: %+v, want %d new from %d", tc.who.Pseudonym, u, tc.count, tc.first)
			}
		}

		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.stored(t, f.reader); got != f.answer.ID {
			t.Fatalf("stored after the flush: %d, want %d", got, f.answer.ID)
		}
		got, err := p.Counts(ctx, f.reader.ID, []int64{f.thread.ID})
		if err != nil || got[f.thread.ID].Count != 1 || got[f.thread.ID].First != f.second.ID {
			t.Fatalf("reader after the flush: %+v, %v; want the second reply new", got, err)
		}

		p.Record(f.reader.ID, f.thread.ID, f.answer.ID-1)
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := f.stored(t, f.reader); got != f.answer.ID {
			t.Fatalf("a lower position moved the stored one back to %d", got)
		}
		if got, _ := p.Position(ctx, f.reader.ID, f.thread.ID); got != f.answer.ID {
			t.Fatalf("Position = %d after a lower one was recorded, want %d", got, f.answer.ID)
		}
	})
}

// TestFailedFlushKeepsPositions: positions a flush could not write are written by the
// next one.
func TestFailedFlushKeepsPositions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		p := unread.New(st, nil)
		p.Record(f.reader.ID, f.thread.ID, f.second.ID)
		gone, cancel := context.WithCancel(context.Background())
		cancel()
		if err := p.Flush(gone); err == nil {
			t.Fatal("a flush with a cancelled context succeeded")
		}
		if got, err := p.Position(context.Background(), f.reader.ID, f.thread.ID); err != nil || got != f.second.ID {
			t.Fatalf("after the failed flush Position = %d, %v; want %d", got, err, f.second.ID)
		}
		if err := p.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := f.stored(t, f.reader); got != f.second.ID {
			t.Fatalf("stored after the second flush: %d, want %d", got, f.second.ID)
		}
	})
}

// TestRunWritesEverySecondAndAtShutdown: Run writes what was recorded within about a
// second, and when stopped, waits until the server has answered its last request before
// it writes what that request recorded.
func TestRunWritesEverySecondAndAtShutdown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		p := unread.New(st, nil)
		ctx, cancel := context.WithCancel(context.Background())
		drained := make(chan struct{})
		done := make(chan struct{})
		go func() { defer close(done); p.Run(ctx, drained, time.Minute) }()

		p.Record(f.reader.ID, f.thread.ID, f.answer.ID)
		deadline := time.Now().Add(10 * unread.FlushInterval)
		for f.stored(t, f.reader) != f.answer.ID {
			if time.Now().After(deadline) {
				t.Fatalf("not written within %s", 10*unread.FlushInterval)
			}
			time.Sleep(50 * time.Millisecond)
		}

		cancel() // the server is stopping, a last request is still being answered
		time.Sleep(2 * unread.FlushInterval)
		p.Record(f.asker.ID, f.thread.ID, f.second.ID) // that request
		select {
		case <-done:
			t.Fatal("Run returned before the server had answered its last request")
		default:
		}
		close(drained)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after the server stopped")
		}
		if got := f.stored(t, f.asker); got != f.second.ID {
			t.Fatalf("the position recorded during shutdown: stored %d, want %d", got, f.second.ID)
		}
	})
}

// TestListPositionsAreRememberedBriefly: a member going from list to list reads their
// positions once; what they read on this node shows at once, before and after it is
// written; what another node wrote shows once the remembered positions expire.
func TestListPositionsAreRememberedBriefly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		f := newFixture(t, st)
		ctx := context.Background()
		p := unread.New(st, nil)
		now := time.Now()
		p.SetClock(func() time.Time { return now })
		threads := []int64{f.thread.ID, f.thread.ID + 1000}

		got, err := p.Positions(ctx, f.reader.ID, threads)
		if err != nil || len(got) != 0 {
			t.Fatalf("a reader who opened nothing: %v, %v", got, err)
		}
		counter := storetest.CountQueries(st)
		if got, _ = p.Positions(ctx, f.reader.ID, threads); len(got) != 0 {
			t.Fatalf("second read: %v", got)
		}
		if n := counter.Count(); n != 0 {
			t.Fatalf("the second list within seconds ran %d queries, want 0", n)
		}

		// Read on this node: shown at once, and still after the flush wrote it.
		p.Record(f.reader.ID, f.thread.ID, f.answer.ID)
		if got, _ = p.Positions(ctx, f.reader.ID, threads); got[f.thread.ID] != f.answer.ID {
			t.Fatalf("after reading: %v, want %d", got, f.answer.ID)
		}
		if err := p.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got, _ = p.Positions(ctx, f.reader.ID, threads); got[f.thread.ID] != f.answer.ID {
			t.Fatalf("after the flush: %v, want %d (the remembered position lagged behind)", got, f.answer.ID)
		}

		// Another node records the second reply as read.
		other := unread.New(st, nil)
		other.Record(f.reader.ID, f.thread.ID, f.second.ID)
		if err := other.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		now = now.Add(6 * time.Second)
		if got, _ = p.Positions(ctx, f.reader.ID, threads); got[f.thread.ID] != f.second.ID {
			t.Fatalf("another node's position after the remembered one expired: %v, want %d", got, f.second.ID)
		}
	})
}
