package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/notify"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/app/web"
	"forum/search"
)

// env is one forum under test: a real database, the real server, named fixtures.
type env struct {
	t      testing.TB
	st     *store.Store
	forum  *forum.Service
	srv    *web.Server
	logBuf *strings.Builder
	logMu  *sync.Mutex
	syncer *search.Syncer
	notify *notify.Service

	parent, spouse, coach, moderator *model.User
	question, answered, resolved     *model.Thread
	helpfulPost                      *model.Post
}

func newEnv(t testing.TB, st *store.Store) *env {
	return newEnvWith(t, st, envOptions{fixtures: true})
}

// envOptions change the forum under test.
type envOptions struct {
	fixtures  bool
	dev       bool
	baseURL   string
	configure func(*config.Config) // e.g. sign-in providers
	// noRateLimits lets a test sign in more often than a person could.
	noRateLimits bool
	// mailer receives the notifications to e-mail at once; nil: none.
	mailer notify.Mailer
}

func newEnvWith(t testing.TB, st *store.Store, o envOptions) *env {
	t.Helper()
	if o.baseURL == "" {
		o.baseURL = "http://127.0.0.1:8080"
	}
	base, _ := url.Parse(o.baseURL)
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), Driver: st.Driver(), BaseURL: base, LogLevel: "debug",
		Dev: o.dev, SessionSecret: []byte("test-secret-test-secret-test-secret!")}
	var providers *auth.Providers
	if o.configure != nil {
		o.configure(cfg)
		var err error
		if providers, err = auth.NewProviders(context.Background(), cfg, st); err != nil {
			t.Fatalf("providers: %v", err)
		}
	}
	logBuf := &strings.Builder{}
	sw := &syncWriter{w: logBuf}
	log := slog.New(slog.NewTextHandler(sw, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc := forum.New(st, markdown.New())
	ix, err := search.Open(t.TempDir())
	if err != nil {
		t.Fatalf("search index: %v", err)
	}
	t.Cleanup(func() { ix.Close() })
	syncer := search.NewSyncer(st, ix, log)
	notifier := notify.New(st, notify.Options{Logger: log, Mailer: o.mailer})
	svc.AfterEvent = notifier.Poke
	srv, err := web.New(web.Options{Config: cfg, Store: st, Forum: svc, Logger: log, Version: "test", Providers: providers,
		Search: ix, Syncer: syncer, NoRateLimits: o.noRateLimits, Notify: notifier})
	if err != nil {
		t.Fatalf("web.New: %v", err)
	}
	e := &env{t: t, st: st, forum: svc, srv: srv, logBuf: logBuf, logMu: &sw.mu, syncer: syncer, notify: notifier}
	if o.fixtures {
		e.fixtures()
	}
	return e
}

// fixtures writes a small board: four people, three tags, three questions in each state.
func (e *env) fixtures() {
	ctx := context.Background()
	now := time.Now().UTC()
	user := func(name string, role model.Role, credential string) *model.User {
		key := name
		u := &model.User{DemoKey: &key, Pseudonym: name, Email: name + "@example.invalid", RealName: "Real " + name, Role: role,
			Status: model.StatusActive, Credential: credential, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
		if err := e.st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			e.t.Fatal(err)
		}
		return u
	}
	e.parent = user("maple_mom", model.RoleMember, "")
	e.spouse = user("quiet_harbor", model.RoleMember, "")
	e.coach = user("coach_dana", model.RoleExpert, "CRAFT-certified family recovery coach")
	e.moderator = user("river_stone", model.RoleModerator, "")
	for _, tg := range []model.Tag{{Name: "CRAFT", Slug: "craft"}, {Name: "Boundaries", Slug: "boundaries"}, {Name: "MAT", Slug: "mat"}} {
		tg := tg
		tg.CreatedAt, tg.UpdatedAt = now, now
		if err := e.st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertTag(ctx, &tg) }); err != nil {
			e.t.Fatal(err)
		}
	}
	ask := func(u *model.User, title, body string, anon bool, tags ...string) *model.Thread {
		th, err := e.forum.Ask(ctx, u, forum.AskInput{Title: title, Body: body, Tags: tags, Anonymous: anon})
		if err != nil {
			e.t.Fatalf("ask %q: %v", title, err)
		}
		return th
	}
	reply := func(u *model.User, th *model.Thread, body string) *model.Post {
		p, err := e.forum.Reply(ctx, u, th.ID, forum.ReplyInput{Body: body})
		if err != nil {
			e.t.Fatalf("reply: %v", err)
		}
		return p
	}
	e.question = ask(e.spouse, "How do I stop walking on eggshells at home?", "My wife is 40 days sober and I feel **tense** all the time.", true, "boundaries")
	e.answered = ask(e.parent, "Is MAT just swapping one drug for another?", "Our son's doctor suggested buprenorphine.", false, "mat", "craft")
	reply(e.coach, e.answered, "No. Medication for opioid use disorder is evidence-based treatment.")
	e.resolved = ask(e.parent, "How do I start a CRAFT conversation?", "He gets defensive whenever I bring it up.", false, "craft")
	reply(e.spouse, e.resolved, "We practiced with a counselor first.")
	e.helpfulPost = reply(e.coach, e.resolved, "Pick a calm moment, lead with *love*, and keep it short.")
	if err := e.forum.MarkHelpful(ctx, e.parent, e.resolved.ID, e.helpfulPost.ID); err != nil {
		e.t.Fatal(err)
	}
	for _, th := range []**model.Thread{&e.question, &e.answered, &e.resolved} {
		fresh, err := e.st.ThreadByID(ctx, (*th).ID)
		if err != nil {
			e.t.Fatal(err)
		}
		*th = fresh
	}
}

// get requests path; pass "HX-Request", "true" pairs as headers.
func (e *env) get(path string, headers ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

func threadPath(t *model.Thread) string { return "/t/" + strconv.FormatInt(t.ID, 10) + "/" + t.Slug }

func mustContain(t *testing.T, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("response lacks %q", w)
		}
	}
}

func mustNotContain(t *testing.T, body string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(body, w) {
			t.Errorf("response contains %q", w)
		}
	}
}

// syncWriter lets the server's goroutines log into one buffer.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (e *env) logs() string {
	e.logMu.Lock()
	defer e.logMu.Unlock()
	return e.logBuf.String()
}

func each(t *testing.T, fn func(t *testing.T, e *env)) {
	storetest.Each(t, func(t *testing.T, st *store.Store) { fn(t, newEnv(t, st)) })
}

func newRecorder() *httptest.ResponseRecorder { return httptest.NewRecorder() }

// fanOut writes the notifications of every event written so far, as the server's
// background fan-out does after each commit.
func (e *env) fanOut() {
	e.t.Helper()
	if _, err := e.notify.FanOut(context.Background()); err != nil {
		e.t.Fatal(err)
	}
}

// sync brings the search index up to date with the database.
func (e *env) sync() {
	e.t.Helper()
	for {
		n, err := e.syncer.SyncOnce(context.Background())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}
