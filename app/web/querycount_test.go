package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/model"
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
		st.Changed() // the same cold start: a reply drops the thread, not the checked session
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

// BenchmarkHomePage renders a member's home page through the whole server on SQLite: 25
// threads with replies, each marked "N new" for a member who has read part of every one
// (the overlay's one query), beside a member who opened none of them (the same query,
// finding nothing).
func BenchmarkHomePage(b *testing.B) {
	e := newEnv(b, storetest.Open(b, "sqlite"))
	ctx := context.Background()
	reader := e.addUser("steady_reader", model.RoleMember, model.StatusActive)
	fresh := e.addUser("fresh_member", model.RoleMember, model.StatusActive)
	var reads []model.ThreadRead
	for i := range 30 {
		th, err := e.forum.Ask(ctx, e.spouse, forum.AskInput{Title: fmt.Sprintf("How do we keep going, week %d?", i),
			Body: "Some days are hard.", Tags: []string{"craft"}})
		if err != nil {
			b.Fatal(err)
		}
		first := e.replyAs(e.coach, th, "Keep the routine, and rest.")
		e.addReplies(th.ID, 5)
		reads = append(reads, model.ThreadRead{UserID: reader.ID, ThreadID: th.ID, LastReadPostID: first.ID, ReadAt: time.Now()})
	}
	if err := e.st.Tx(ctx, func(tx *store.Tx) error { return tx.SaveReadPositions(ctx, reads) }); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name    string
		who     *model.User
		markers bool
	}{{"unread-markers", reader, true}, {"no-positions", fresh, false}} {
		b.Run(bc.name, func(b *testing.B) {
			c := e.as(bc.who)
			if body := c.get("/").Body.String(); strings.Contains(body, "badge-new") != bc.markers {
				b.Fatalf("home shows unread markers: %v, want %v", !bc.markers, bc.markers)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/", nil)
				for k, v := range c.cookies {
					req.AddCookie(&http.Cookie{Name: k, Value: v})
				}
				rec := httptest.NewRecorder()
				e.srv.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("home = %d", rec.Code)
				}
			}
		})
	}
}
