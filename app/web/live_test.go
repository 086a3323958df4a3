package web_test

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/forum"
	"forum/app/live"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestReplyInPlaceUpdatesThePage posts an expert's first answer with htmx: besides the new
// post, the same answer swaps the heading, the count of replies and the state badge, which
// said "No replies yet", "0 replies" and "Awaiting an answer" until a reload.
func TestReplyInPlaceUpdatesThePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.coach)
		page := c.get(threadPath(e.question)).Body.String()
		mustContain(t, page, `<span id="thread-state" class="thread-state"><span class="state state-open">Awaiting an answer</span></span>`,
			`<span id="reply-count">0 replies</span>`, `No replies yet</h2>`)

		rec := c.post("/t/"+itoa(e.question.ID)+"/reply", url.Values{"body": {"Start with one calm evening a week."}}, "HX-Request", "true")
		if rec.Code != http.StatusOK {
			t.Fatalf("htmx reply = %d", rec.Code)
		}
		body := rec.Body.String()
		mustContain(t, body, "Start with one calm evening a week.",
			`<span id="thread-state" class="thread-state" hx-swap-oob="true"><span class="state state-answered">Expert answered</span></span>`,
			`<span id="reply-count" hx-swap-oob="true">1 reply</span>`)
		if !regexp.MustCompile(`<h2 id="replies-h" class="section-title" hx-swap-oob="true">Replies</h2>`).MatchString(body) {
			t.Errorf("the heading over the replies is not swapped to %q:\n%s", "Replies", body)
		}
		mustNotContain(t, body, "No replies yet", "Awaiting an answer", "<html")
		mustContain(t, body, `<div id="asker-note" hx-swap-oob="true"></div>`)

		// The page, reloaded, says the same.
		page = c.get(threadPath(e.question)).Body.String()
		mustContain(t, page, "Expert answered", `<span id="reply-count">1 reply</span>`, `<h2 id="replies-h" class="section-title">Replies</h2>`)
	})
}

// sseEvent is one Server-Sent Event as a browser receives it.
type sseEvent struct{ name, id, data string }

// sseStream reads a stream of live updates from a real server, as a browser's EventSource.
type sseStream struct {
	t      *testing.T
	resp   *http.Response
	mu     sync.Mutex
	events []sseEvent
	raw    strings.Builder
	done   chan struct{}
}

// served runs the environment's server on a loopback listener, as serve does, until the
// test ends; it returns the server's address and a function that stops it and reports how
// long Serve took to return.
func (e *env) served(t *testing.T) (base string, stop func() time.Duration) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	var once sync.Once
	var took time.Duration
	stop = func() time.Duration {
		once.Do(func() {
			start := time.Now()
			cancel()
			select {
			case err := <-served:
				if err != nil {
					t.Errorf("Serve: %v", err)
				}
			case <-time.After(40 * time.Second):
				t.Error("Serve did not return within 40 s of the shutdown")
			}
			took = time.Since(start)
		})
		return took
	}
	t.Cleanup(func() { stop() })
	return "http://" + ln.Addr().String(), stop
}

// sessionCookie returns a cookie of a new session of u.
func (e *env) sessionCookie(u *model.User) string {
	e.t.Helper()
	token, _, err := auth.NewSessions(e.st).Create(context.Background(), u.ID, "test", "127.0.0.1")
	if err != nil {
		e.t.Fatal(err)
	}
	return auth.CookieName + "=" + token
}

// openSSE requests url with cookie ("" for a visitor). When the answer is a stream it is
// read in the background; otherwise the response is returned with a nil stream.
func openSSE(t *testing.T, url, cookie string, headers ...string) (*sseStream, *http.Response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if cookie != "" {
		req.Header.Set("Cookie", cookie)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	// Transport's own gzip is off, to see what the server sends.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, resp
	}
	s := &sseStream{t: t, resp: resp, done: make(chan struct{})}
	t.Cleanup(func() { resp.Body.Close(); <-s.done })
	go s.read()
	return s, resp
}

func (s *sseStream) read() {
	defer close(s.done)
	r := bufio.NewReader(s.resp.Body)
	var ev sseEvent
	var data []string
	for {
		line, err := r.ReadString('\n')
		s.mu.Lock()
		s.raw.WriteString(line)
		s.mu.Unlock()
		if err != nil {
			return
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "":
			if ev.name != "" || len(data) > 0 {
				ev.data = strings.Join(data, "\n")
				s.mu.Lock()
				s.events = append(s.events, ev)
				s.mu.Unlock()
			}
			ev, data = sseEvent{}, nil
		case strings.HasPrefix(line, "event: "):
			ev.name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "id: "):
			ev.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "data: "):
			data = append(data, strings.TrimPrefix(line, "data: "))
		}
	}
}

// waitFor returns the first event named name whose data holds every one of wants, waiting
// up to d for it.
func (s *sseStream) waitFor(d time.Duration, name string, wants ...string) (sseEvent, bool) {
	deadline := time.Now().Add(d)
	for {
		s.mu.Lock()
		for _, ev := range s.events {
			if ev.name != name {
				continue
			}
			all := true
			for _, w := range wants {
				all = all && strings.Contains(ev.data, w)
			}
			if all {
				s.mu.Unlock()
				return ev, true
			}
		}
		s.mu.Unlock()
		if time.Now().After(deadline) {
			return sseEvent{}, false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *sseStream) mustGet(name string, wants ...string) sseEvent {
	s.t.Helper()
	ev, ok := s.waitFor(5*time.Second, name, wants...)
	if !ok {
		s.t.Fatalf("no %q event with %q within 5 s; the stream so far:\n%s", name, wants, s.text())
	}
	return ev
}

// text returns everything the stream received so far.
func (s *sseStream) text() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.raw.String()
}

// ended reports whether the server ended the stream within d.
func (s *sseStream) ended(d time.Duration) bool {
	select {
	case <-s.done:
		return true
	case <-time.After(d):
		return false
	}
}

func (e *env) threadStreamURL(base string, th *model.Thread) string {
	posts, err := e.st.PostsByThread(context.Background(), th.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	var newest int64
	for _, p := range posts {
		newest = max(newest, p.ID)
	}
	return base + "/live/thread/" + itoa(th.ID) + "?after=" + itoa(newest)
}

// TestLiveThreadStream opens the live updates of a question as its anonymous asker, another
// member and a moderator, over a real server: an anonymous reply reaches each as they may
// see it, the expert's answer and the question's new state reach all within a moment, and
// streams outlive the server's timeouts.
func TestLiveThreadStream(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		// A stream must outlast the server's timeouts, which bound ordinary requests.
		e.srv.ReadTimeout, e.srv.WriteTimeout = 500*time.Millisecond, 500*time.Millisecond
		base, _ := e.served(t)
		url := e.threadStreamURL(base, e.question)

		asker, resp := openSSE(t, url, e.sessionCookie(e.spouse), "Accept-Encoding", "gzip")
		if asker == nil {
			t.Fatalf("asker's stream = %d", resp.StatusCode)
		}
		if ct, cc, enc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"), resp.Header.Get("Content-Encoding"); !strings.HasPrefix(ct, "text/event-stream") || cc != "no-store" || enc != "" {
			t.Fatalf("stream headers: Content-Type %q, Cache-Control %q, Content-Encoding %q", ct, cc, enc)
		}
		member, _ := openSSE(t, url, e.sessionCookie(e.parent))
		moderator, _ := openSSE(t, url, e.sessionCookie(e.moderator))
		if _, resp := openSSE(t, url, ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a visitor's stream of a members-only thread = %d, want 404", resp.StatusCode)
		}
		// Each stream starts with the thread's state as it is now; the asker's with the note
		// that tells them what happens next.
		for _, s := range []*sseStream{asker, member, moderator} {
			s.mustGet("thread", "Awaiting an answer", `<span id="reply-count" hx-swap-oob="true">0 replies</span>`, "No replies yet")
		}
		asker.mustGet("thread", "What happens next")
		member.mustGet("thread", `<div id="asker-note" hx-swap-oob="true"></div>`)
		time.Sleep(700 * time.Millisecond) // past the server's timeouts

		ctx := context.Background()
		words := "We tried a calm evening once a week."
		if _, err := e.forum.Reply(ctx, e.spouse, e.question.ID, forum.ReplyInput{Body: words, Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		ev := member.mustGet("post", words)
		mustContain(t, ev.data, "A member of the community")
		mustNotContain(t, ev.data, "quiet_harbor", "/u/quiet_harbor", "posted anonymously")
		mod := moderator.mustGet("post", words)
		mustContain(t, mod.data, "quiet_harbor", "posted anonymously")
		own := asker.mustGet("post", words)
		mustContain(t, own.data, "you, anonymously", "A member of the community")
		mustNotContain(t, own.data, "quiet_harbor")
		for _, s := range []*sseStream{asker, member} {
			mustNotContain(t, s.text(), "quiet_harbor")
		}
		if ev.id == "" {
			t.Fatalf("a new post's event has no id (the browser's Last-Event-ID)")
		}

		start := time.Now()
		answer, err := e.forum.Reply(ctx, e.coach, e.question.ID, forum.ReplyInput{Body: "Start small, and lead with love."})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []*sseStream{asker, member, moderator} {
			if _, ok := s.waitFor(2*time.Second, "post", "Start small, and lead with love.", "coach_dana"); !ok {
				t.Fatalf("the expert's answer did not arrive within 2 s:\n%s", s.text())
			}
			s.mustGet("thread", "Expert answered", `<span id="reply-count" hx-swap-oob="true">2 replies</span>`, `hx-swap-oob="true">Replies</h2>`)
		}
		t.Logf("%s: an answer reached three streams %v after its operation began", st.Driver(), time.Since(start).Round(time.Millisecond))
		asker.mustGet("thread", "Expert answered", `<div id="asker-note" hx-swap-oob="true"></div>`)
		mustNotContain(t, member.text(), "What happens next")
		// The notifications' fan-out tells the asker of the answer: their header count.
		asker.mustGet("notices-count", `<span id="notices-count" class="notices-count" hx-swap-oob="true"><span aria-hidden="true">1</span>`)
		if _, ok := moderator.waitFor(300*time.Millisecond, "notices-count", ", 1 unread"); ok {
			t.Error("another member's page got the asker's count")
		}
		if ev := asker.mustGet("post", "Start small"); ev.id != itoa(answer.ID) {
			t.Errorf("the answer's event id = %q, want its post id %d", ev.id, answer.ID)
		}
	})
}

// TestLiveHidesWhatViewersMayNotRead: a post hidden by a moderator reaches members without
// its words, and a page that connects after it was hidden is not sent it at all; a signed
// out member's stream is stopped and sent nothing more; a hidden thread stops its members'
// streams.
func TestLiveHidesWhatViewersMayNotRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		base, _ := e.served(t)
		ctx := context.Background()
		before := e.threadStreamURL(base, e.answered)
		words := "Call this number and ask for my cousin, he sells it cheaper."
		spam, err := e.forum.Reply(ctx, e.spouse, e.answered.ID, forum.ReplyInput{Body: words})
		if err != nil {
			t.Fatal(err)
		}
		parentCookie := e.sessionCookie(e.parent)
		member, _ := openSSE(t, e.threadStreamURL(base, e.answered), parentCookie)
		moderator, _ := openSSE(t, e.threadStreamURL(base, e.answered), e.sessionCookie(e.moderator))
		member.mustGet("thread", "Expert answered")
		moderator.mustGet("thread", "Expert answered")

		if _, err := e.forum.ModeratePost(ctx, e.moderator, spam.ID, "hide", "selling"); err != nil {
			t.Fatal(err)
		}
		ev := member.mustGet("post", `id="post-`+itoa(spam.ID)+`"`, "This post was hidden by a moderator.")
		mustNotContain(t, ev.data, words)
		moderator.mustGet("post", `id="post-`+itoa(spam.ID)+`"`, words, "Hidden by a moderator")

		// A page from before the post, connecting now, catches up without the hidden post;
		// a moderator's does get it.
		late, _ := openSSE(t, before, e.sessionCookie(e.parent))
		late.mustGet("thread", "Expert answered")
		lateMod, _ := openSSE(t, before, e.sessionCookie(e.moderator))
		lateMod.mustGet("post", words)
		if _, ok := late.waitFor(300*time.Millisecond, "post"); ok {
			t.Fatalf("a hidden post was sent to a member's page:\n%s", late.text())
		}

		// Signed out (here: every session revoked): the next change is not sent, and the
		// page is told to stop.
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.RevokeSessions(ctx, e.parent.ID, time.Now().UTC()) }); err != nil {
			t.Fatal(err)
		}
		if _, err := e.forum.Reply(ctx, e.coach, e.answered.ID, forum.ReplyInput{Body: "Said after the sign-out."}); err != nil {
			t.Fatal(err)
		}
		moderator.mustGet("post", "Said after the sign-out.")
		if !member.ended(5 * time.Second) {
			t.Fatal("a signed-out member's stream stayed open")
		}
		mustNotContain(t, member.text(), "Said after the sign-out.")
		if !strings.HasSuffix(member.text(), "event: live-end\ndata: \n\n") {
			t.Fatalf("a signed-out member's page was not told to stop:\n%s", member.text())
		}

		// A hidden thread stops its members' pages; moderators still read it.
		other, _ := openSSE(t, e.threadStreamURL(base, e.answered), e.sessionCookie(e.spouse))
		other.mustGet("thread")
		if _, err := e.forum.ModerateThread(ctx, e.moderator, e.answered.ID, "hide", "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		if !other.ended(5 * time.Second) {
			t.Fatal("a member's stream of a hidden thread stayed open")
		}
		if moderator.ended(300 * time.Millisecond) {
			t.Fatal("a moderator's stream of a hidden thread was ended")
		}
	})
}

// TestLiveForVisitors: a visitor may follow a thread of the public archive, where people are
// named by role only, and is stopped when it leaves the archive.
func TestLiveForVisitors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		base, _ := e.served(t)
		ctx := context.Background()
		if err := e.forum.SetPublishConsent(ctx, e.parent, e.answered.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := e.forum.Publish(ctx, e.coach, e.answered.ID, true); err != nil {
			t.Fatal(err)
		}
		visitor, resp := openSSE(t, e.threadStreamURL(base, e.answered), "")
		if visitor == nil {
			t.Fatalf("a visitor's stream of a public thread = %d", resp.StatusCode)
		}
		visitor.mustGet("thread", "Expert answered")
		if _, err := e.forum.Reply(ctx, e.spouse, e.answered.ID, forum.ReplyInput{Body: "Thank you both."}); err != nil {
			t.Fatal(err)
		}
		ev := visitor.mustGet("post", "Thank you both.", "A family member")
		mustNotContain(t, ev.data, "quiet_harbor", "/u/", "_csrf")
		if _, resp := openSSE(t, base+"/live/me", ""); resp.StatusCode != http.StatusNotFound {
			t.Fatalf("a visitor's /live/me = %d, want 404", resp.StatusCode)
		}

		if err := e.forum.Publish(ctx, e.coach, e.answered.ID, false); err != nil {
			t.Fatal(err)
		}
		if !visitor.ended(5 * time.Second) {
			t.Fatal("a visitor's stream of a thread taken out of the archive stayed open")
		}
		if !strings.HasSuffix(visitor.text(), "event: live-end\ndata: \n\n") {
			t.Fatalf("the visitor's page was not told to stop:\n%s", visitor.text())
		}
	})
}

// TestLiveHeaderCount pushes a member's count of unread notifications to their open pages,
// and to nobody else's.
func TestLiveHeaderCount(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	counts := map[int64]int{e.parent.ID: 2, e.spouse.ID: 5}
	var mu sync.Mutex
	e.srv.SetNotificationCounter(live.CounterFunc(func(_ context.Context, id int64) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return counts[id], nil
	}))
	base, _ := e.served(t)
	parent, _ := openSSE(t, base+"/live/me", e.sessionCookie(e.parent))
	onThread, _ := openSSE(t, e.threadStreamURL(base, e.answered), e.sessionCookie(e.parent))
	spouse, _ := openSSE(t, base+"/live/me", e.sessionCookie(e.spouse))
	// Each page starts with the count as it is.
	parent.mustGet("notices-count", `<span id="notices-count" class="notices-count" hx-swap-oob="true"><span aria-hidden="true">2</span><span class="visually-hidden">, 2 unread</span></span>`)
	onThread.mustGet("notices-count", ">2<")
	spouse.mustGet("notices-count", ">5<")

	mu.Lock()
	counts[e.parent.ID] = 3
	mu.Unlock()
	e.srv.UsersNotified([]int64{e.parent.ID})
	parent.mustGet("notices-count", ">3<")
	onThread.mustGet("notices-count", ">3<")
	if _, ok := spouse.waitFor(300*time.Millisecond, "notices-count", ">3<"); ok {
		t.Fatal("another member's page got the count")
	}
	// No unread notifications: the count is there, hidden.
	mu.Lock()
	counts[e.parent.ID] = 0
	mu.Unlock()
	e.srv.UsersNotified([]int64{e.parent.ID})
	parent.mustGet("notices-count", `<span id="notices-count" class="notices-count" hx-swap-oob="true" hidden></span>`)

	// Past 99, "99+".
	mu.Lock()
	counts[e.parent.ID] = 120
	mu.Unlock()
	e.srv.UsersNotified([]int64{e.parent.ID})
	parent.mustGet("notices-count", `<span aria-hidden="true">99+</span><span class="visually-hidden">, 120 unread</span>`)

	// A suspended member's pages are sent no more counts, and told to stop.
	ctx := context.Background()
	if err := e.forum.Suspend(ctx, e.moderator, e.spouse.ID, "test"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	counts[e.spouse.ID] = 6
	mu.Unlock()
	e.srv.UsersNotified([]int64{e.spouse.ID})
	if !spouse.ended(5 * time.Second) {
		t.Fatal("a suspended member's stream stayed open")
	}
	mustNotContain(t, spouse.text(), ">6<")
}

// TestLiveStreamsAreBoundedAndEndAtShutdown: a member's oldest page is told to stop when
// they open one too many; beyond the node's total a stream is refused with a 503 the page
// does without; at shutdown every stream ends at once, with a spread-out retry, and Serve
// does not wait for them.
func TestLiveStreamsAreBoundedAndEndAtShutdown(t *testing.T) {
	e := newEnvWith(t, storetest.Open(t, "sqlite"), envOptions{fixtures: true, configure: func(c *config.Config) {
		c.LiveStreams, c.LiveStreamsPerMember = 4, 2
	}})
	base, stop := e.served(t)
	cookie := e.sessionCookie(e.parent)
	first, _ := openSSE(t, base+"/live/me", cookie)
	second, _ := openSSE(t, e.threadStreamURL(base, e.answered), cookie)
	third, _ := openSSE(t, base+"/live/me", cookie)
	if !first.ended(5 * time.Second) {
		t.Fatal("a member's third stream of two left the first open")
	}
	if !strings.HasSuffix(first.text(), "event: live-end\ndata: \n\n") {
		t.Fatalf("the replaced page was not told to stop:\n%s", first.text())
	}
	visitors := []*sseStream{}
	for range 2 {
		s, resp := openSSE(t, e.threadStreamURL(base, e.answered), e.sessionCookie(e.spouse))
		if s == nil {
			t.Fatalf("stream within the total = %d", resp.StatusCode)
		}
		visitors = append(visitors, s)
	}
	_, resp := openSSE(t, base+"/live/me", e.sessionCookie(e.coach))
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a stream beyond the total = %d, Retry-After %q; want 503 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}

	open := append([]*sseStream{second, third}, visitors...)
	if took := stop(); took > 5*time.Second {
		t.Fatalf("shutdown took %v with live streams open", took)
	}
	for i, s := range open {
		if !s.ended(time.Second) {
			t.Fatalf("stream %d still open after the shutdown", i)
		}
		if text := s.text(); !strings.Contains(text, "\nretry: ") || strings.Contains(text, "live-end") {
			t.Fatalf("stream %d ended without a retry, or told to stop:\n%s", i, text)
		}
	}
}

// TestLiveAcrossNodes runs on PostgreSQL with two nodes on one database: a reply written on
// one reaches a page connected to the other through LISTEN/NOTIFY, long before the change
// log's fallback poll, and so does a member's new notification count.
func TestLiveAcrossNodes(t *testing.T) {
	e := newEnv(t, storetest.Open(t, config.DriverPostgres))
	e.srv.SetNotificationCounter(live.CounterFunc(func(context.Context, int64) (int, error) { return 4, nil }))
	base, _ := e.served(t)
	page, _ := openSSE(t, e.threadStreamURL(base, e.question), e.sessionCookie(e.spouse))
	page.mustGet("thread", "Awaiting an answer")

	otherStore := storetest.OtherNode(e.st)
	otherNode := forum.New(otherStore, markdown.New())
	var worst time.Duration
	for i := range 3 {
		body := "Written on the other node, reply " + itoa(int64(i)) + "."
		start := time.Now()
		if _, err := otherNode.Reply(context.Background(), e.coach, e.question.ID, forum.ReplyInput{Body: body}); err != nil {
			t.Fatal(err)
		}
		if _, ok := page.waitFor(2*time.Second, "post", body); !ok {
			t.Fatalf("a reply written on another node did not reach the page within 2 s:\n%s", page.text())
		}
		worst = max(worst, time.Since(start))
	}
	t.Logf("a reply written on another node reached the page within %v (worst of 3, its transaction included)", worst)
	page.mustGet("thread", "Expert answered", "3 replies")

	if err := otherStore.AnnounceNotified(context.Background(), []int64{e.spouse.ID}); err != nil {
		t.Fatal(err)
	}
	if _, ok := page.waitFor(2*time.Second, "notices-count", ">4<"); !ok {
		t.Fatal("a count announced on another node did not reach the page")
	}
}

// TestLivePagesConnect checks which pages open a stream of live updates, and that only they
// load the extension: every member's page (/live/me), the thread page (its own stream,
// after the newest post it shows, for visitors on the public archive too), and no other
// page of a visitor's.
func TestLivePagesConnect(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	ctx := context.Background()
	connect := regexp.MustCompile(`<div id="live" hx-ext="sse" sse-connect="([^"]*)" sse-close="live-end" hidden>`)
	streamOf := func(body string) string {
		t.Helper()
		m := connect.FindStringSubmatch(body)
		hasScript := strings.Contains(body, "vendor/htmx-ext-sse/sse.min.")
		if (m != nil) != hasScript {
			t.Fatalf("stream %v but extension loaded %v", m, hasScript)
		}
		if m == nil {
			mustNotContain(t, body, `id="live"`, "sse-swap")
			return ""
		}
		return strings.ReplaceAll(m[1], "&amp;", "&")
	}
	newest := func(th *model.Thread) string {
		posts, err := e.st.PostsByThread(ctx, th.ID)
		if err != nil {
			t.Fatal(err)
		}
		return itoa(posts[len(posts)-1].ID)
	}

	member := e.as(e.parent)
	if got := streamOf(member.get("/").Body.String()); got != "/live/me" {
		t.Errorf("a member's home opens %q, want /live/me", got)
	}
	// Two threads in a row: the layout is cached per viewer, the stream's address is not.
	for _, th := range []*model.Thread{e.answered, e.resolved, e.answered} {
		want := "/live/thread/" + itoa(th.ID) + "?after=" + newest(th)
		if got := streamOf(member.get(threadPath(th)).Body.String()); got != want {
			t.Errorf("a member's page of thread %d opens %q, want %q", th.ID, got, want)
		}
	}
	body := member.get(threadPath(e.answered)).Body.String()
	mustContain(t, body, `<div sse-swap="notices-count" hx-swap="none"></div>`,
		`<div sse-swap="post" hx-target="#replies-list" hx-swap="beforeend"></div>`,
		`<div sse-swap="thread" hx-swap="none"></div>`, `<div id="replies-list">`)

	visitor := e.as(nil)
	for _, path := range []string{"/", "/search", "/crisis", threadPath(e.answered)} {
		if got := streamOf(visitor.get(path).Body.String()); got != "" {
			t.Errorf("a visitor's %s opens %q", path, got)
		}
	}
	if err := e.forum.SetPublishConsent(ctx, e.parent, e.answered.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := e.forum.Publish(ctx, e.coach, e.answered.ID, true); err != nil {
		t.Fatal(err)
	}
	body = visitor.get(threadPath(e.answered)).Body.String()
	if got := streamOf(body); got != "/live/thread/"+itoa(e.answered.ID)+"?after="+newest(e.answered) {
		t.Errorf("a visitor's page of a public thread opens %q", got)
	}
}
