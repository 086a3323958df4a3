package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"forum/app/forum"
	"forum/app/store"
	"forum/app/store/storetest"
)

// addReplies writes n replies to the thread, alternating a member and the expert.
func (e *env) addReplies(threadID int64, n int) {
	e.t.Helper()
	for i := 0; i < n; i++ {
		author := e.spouse
		if i%3 == 0 {
			author = e.coach
		}
		body := fmt.Sprintf("Reply %d. We tried **this** at home:\n\n- one\n- two\n\n> a quote\n\nand it helped a little.", i)
		if _, err := e.forum.Reply(context.Background(), author, threadID, forum.ReplyInput{Body: body}); err != nil {
			e.t.Fatal(err)
		}
	}
}

// TestThreadPageQueryCountIsBounded counts the SQL queries of a thread page: the same
// handful for a thread of 2 replies and of 60, and, while nothing was written since the
// last view, only the reply draft's.
func TestThreadPageQueryCountIsBounded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		counter := storetest.CountQueries(st)
		c := e.as(e.parent)
		c.get(threadPath(e.resolved)) // settle cookies and session renewal

		st.Changed() // as after any write: nothing cached holds
		counter.Reset()
		if rec := c.get(threadPath(e.resolved)); rec.Code != http.StatusOK {
			t.Fatalf("thread = %d", rec.Code)
		}
		short := counter.Count()

		e.addReplies(e.resolved.ID, 58)
		counter.Reset()
		if rec := c.get(threadPath(e.resolved)); rec.Code != http.StatusOK {
			t.Fatalf("thread = %d", rec.Code)
		}
		long := counter.Count()
		if long != short {
			t.Fatalf("thread page ran %d queries with 2 replies and %d with 60: it must not grow with the thread", short, long)
		}
		if short > 12 {
			t.Fatalf("thread page runs %d queries, want at most 12", short)
		}
		t.Logf("thread page: %d queries, whatever its length", short)

		counter.Reset()
		if rec := c.get(threadPath(e.resolved)); rec.Code != http.StatusOK {
			t.Fatalf("thread = %d", rec.Code)
		}
		if warm := counter.Count(); warm > 1 {
			t.Fatalf("a second view with no write between ran %d queries, want only the draft's", warm)
		}

		counter.Reset()
		c.get("/")
		if n := counter.Count(); n > 12 {
			t.Fatalf("home runs %d queries, want at most 12", n)
		}
	})
}

// BenchmarkThreadPage renders a 50-post thread through the whole server (session lookup,
// queries, template) on SQLite.
func BenchmarkThreadPage(b *testing.B) {
	e := newEnv(b, storetest.Open(b, "sqlite"))
	e.addReplies(e.resolved.ID, 48)
	c := e.as(e.parent)
	path := threadPath(e.resolved)
	c.get(path)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		for k, v := range c.cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		rec := httptest.NewRecorder()
		e.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("thread = %d", rec.Code)
		}
	}
}
