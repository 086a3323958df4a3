package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/demo"
	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/search"
)

// envOf returns a getenv that sees only vars.
func envOf(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func runCmd(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, envOf(vars), &out, &errb)
	return code, out.String(), errb.String()
}

func TestBadConfigurationGivesOneClearLine(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"unknown scheme", map[string]string{"FORUM_DATABASE_URL": "mysql://root@localhost/forum"}, `FORUM_DATABASE_URL: unsupported scheme "mysql"`},
		{"postgres without database", map[string]string{"FORUM_DATABASE_URL": "postgres://user@localhost"}, "FORUM_DATABASE_URL: postgres URL names no database"},
		{"unreachable postgres", map[string]string{"FORUM_DATABASE_URL": "postgres://forum:s3cret@127.0.0.1:1/forum?connect_timeout=2"}, "cannot reach database postgres://forum:xxxxx@127.0.0.1:1/forum"},
		{"sqlite options", map[string]string{"FORUM_DATABASE_URL": "forum.db?_pragma=x"}, "FORUM_DATABASE_URL: SQLite options are set by the forum"},
		{"bad address", map[string]string{"FORUM_ADDR": "8080"}, `FORUM_ADDR: "8080" is not host:port`},
		{"bad port", map[string]string{"FORUM_ADDR": "127.0.0.1:99999"}, `FORUM_ADDR: port "99999"`},
		{"bad base URL", map[string]string{"FORUM_BASE_URL": "forum.example.org"}, "FORUM_BASE_URL:"},
		{"short secret", map[string]string{"FORUM_SESSION_SECRET": "short"}, "FORUM_SESSION_SECRET: is 5 characters long"},
		{"bad log level", map[string]string{"FORUM_LOG_LEVEL": "loud"}, "FORUM_LOG_LEVEL:"},
		{"bad metrics address", map[string]string{"FORUM_METRICS_ADDR": "9090"}, `FORUM_METRICS_ADDR: "9090" is not host:port`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"FORUM_DATA_DIR": dir}
			for k, v := range tc.vars {
				vars[k] = v
			}
			for _, cmd := range []string{"migrate", "serve"} {
				code, _, stderr := runCmd(t, vars, cmd)
				if code != 1 {
					t.Errorf("%s: exit %d, want 1", cmd, code)
				}
				if strings.Count(stderr, "\n") != 1 || !strings.Contains(stderr, tc.want) {
					t.Errorf("%s: stderr %q, want one line with %q", cmd, stderr, tc.want)
				}
				if strings.Contains(stderr, "s3cret") || strings.Contains(stderr, "goroutine") {
					t.Errorf("%s: stderr leaks a password or a stack: %q", cmd, stderr)
				}
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	for _, cmd := range []string{"serve", "migrate", "seed", "version"} {
		code, _, stderr := runCmd(t, nil, cmd, "--help")
		if code != 0 || !strings.Contains(stderr, "Usage: forum "+cmd) {
			t.Errorf("%s --help: exit %d, output %q", cmd, code, stderr)
		}
	}
	code, out, _ := runCmd(t, nil, "help")
	if code != 0 || !strings.Contains(out, "migrate") {
		t.Errorf("help: exit %d, %q", code, out)
	}
	code, out, _ = runCmd(t, nil, "version")
	if code != 0 || !strings.HasPrefix(out, "forum ") {
		t.Errorf("version: exit %d, %q", code, out)
	}
	if code, _, _ := runCmd(t, nil, "frobnicate"); code != 2 {
		t.Errorf("unknown command: exit %d, want 2", code)
	}
	if code, _, _ := runCmd(t, nil, "migrate", "--no-such-flag"); code != 2 {
		t.Errorf("unknown flag: exit %d, want 2", code)
	}
}

func TestDevRefusesNonLoopback(t *testing.T) {
	code, _, stderr := runCmd(t, map[string]string{"FORUM_DATA_DIR": t.TempDir()}, "serve", "--dev", "--addr", "0.0.0.0:8080")
	if code != 1 || !strings.Contains(stderr, "loopback") {
		t.Fatalf("serve --dev on 0.0.0.0: exit %d, %q", code, stderr)
	}
}

// TestMigrateSeedServe runs the commands as `make run` does, on each database:
// migrate, seed (twice: the second writes nothing), then serve the seeded board and stop it.
func TestMigrateSeedServe(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			vars := map[string]string{"FORUM_DATA_DIR": t.TempDir(), "FORUM_ADDR": "127.0.0.1:0"}
			if driver == config.DriverPostgres {
				_, dsn, _ := storetest.DSN(t, driver)
				vars["FORUM_DATABASE_URL"] = dsn
			}
			code, out, stderr := runCmd(t, vars, "migrate")
			if code != 0 || !strings.Contains(out, "applied 20261122000000_initial") {
				t.Fatalf("migrate: exit %d, %q %q", code, out, stderr)
			}
			if code, out, _ = runCmd(t, vars, "migrate"); code != 0 || !strings.Contains(out, "up to date") {
				t.Fatalf("second migrate: exit %d, %q", code, out)
			}
			code, out, stderr = runCmd(t, vars, "seed", "--if-empty")
			want := fmt.Sprintf("seeded %d personas, %d tags, %d threads", len(demo.Personas), len(demo.Tags), len(demo.Threads))
			if code != 0 || !strings.Contains(out, want) {
				t.Fatalf("seed: exit %d, %q %q, want %q", code, out, stderr, want)
			}
			checkSeededBoard(t, vars)
			if code, out, _ = runCmd(t, vars, "seed"); code != 0 || !strings.Contains(out, "seeded 0 personas, 0 tags, 0 threads, 0 replies") {
				t.Fatalf("second seed: exit %d, %q", code, out)
			}
			if code, out, _ = runCmd(t, vars, "seed", "--if-empty"); code != 0 || !strings.Contains(out, "not seeding") {
				t.Fatalf("seed --if-empty on a seeded board: exit %d, %q", code, out)
			}

			ctx, cancel := context.WithCancel(context.Background())
			ready := make(chan string, 1)
			done := make(chan error, 1)
			go func() { done <- serve(ctx, nil, envOf(vars), io.Discard, io.Discard, ready) }()
			var addr string
			select {
			case addr = <-ready:
			case err := <-done:
				t.Fatalf("serve: %v", err)
			case <-time.After(20 * time.Second):
				t.Fatal("serve did not start")
			}
			for path, want := range map[string]string{"/": "When someone you love", "/readyz": `"database":"ok"`, "/healthz": `"status":"ok"`} {
				resp, err := http.Get("http://" + addr + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), want) {
					t.Fatalf("GET %s of the seeded board: %d", path, resp.StatusCode)
				}
			}
			cancel()
			if err := <-done; err != nil {
				t.Fatalf("serve after stop: %v", err)
			}
		})
	}
}

// checkSeededBoard opens the seeded database and checks the board is what `make run` promises:
// at least 4 personas, 30 threads, 12 tags, answered, resolved and unanswered questions.
func checkSeededBoard(t *testing.T, vars map[string]string) {
	t.Helper()
	cfg, err := config.Load(envOf(vars), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Driver, cfg.DatabaseDSN, cfg.DatabaseLabel)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	threads, err := st.Threads(ctx, store.ThreadQuery{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	states := map[model.State]int{}
	tags := map[string]bool{}
	expertAnswers := 0
	for _, th := range threads {
		states[th.State]++
		for _, tag := range th.Tags {
			tags[tag.Slug] = true
		}
	}
	for _, th := range threads {
		posts, err := st.PostsByThread(ctx, th.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range posts {
			if p.Expert {
				expertAnswers++
			}
			if p.BodyHTML == "" || strings.Contains(p.BodyHTML, "lorem") {
				t.Errorf("post %d has no rendered text", p.ID)
			}
		}
	}
	if len(threads) < 30 || len(tags) < 12 || states[model.StateResolved] < 5 || states[model.StateAnswered] < 5 || states[model.StateOpen] < 5 || expertAnswers < 10 {
		t.Fatalf("seeded board: %d threads, %d tags, states %v, %d expert answers", len(threads), len(tags), states, expertAnswers)
	}
	users, err := st.Users(ctx, store.UserQuery{})
	if err != nil || len(users) < 4 {
		t.Fatalf("seeded %d personas: %v", len(users), err)
	}
}

func TestUserCommand(t *testing.T) {
	vars := map[string]string{"FORUM_DATA_DIR": t.TempDir()}
	if code, _, stderr := runCmd(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	code, out, _ := runCmd(t, vars, "user", "list", "--role", "pending")
	if code != 0 || !strings.Contains(out, "new_here_22") || strings.Contains(out, "maple_mom") {
		t.Fatalf("user list --role pending: exit %d\n%s", code, out)
	}
	if code, out, _ := runCmd(t, vars, "user", "approve", "newcomer@demo.invalid"); code != 0 || !strings.Contains(out, "approve: done for new_here_22") {
		t.Fatalf("approve: exit %d %q", code, out)
	}
	if code, _, stderr := runCmd(t, vars, "user", "role", "maple_mom", "expert"); code != 1 || !strings.Contains(stderr, "credential line") {
		t.Fatalf("expert without credential: exit %d %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, vars, "user", "role", "maple_mom", "expert", "--credential", "Peer recovery specialist"); code != 0 {
		t.Fatalf("role: exit %d %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, vars, "user", "suspend", "quiet_harbor"); code != 0 {
		t.Fatalf("suspend: exit %d %q", code, stderr)
	}
	if code, _, stderr := runCmd(t, vars, "user", "suspend", "nobody_here"); code != 1 || !strings.Contains(stderr, `no account "nobody_here"`) {
		t.Fatalf("unknown user: exit %d %q", code, stderr)
	}
	_, out, _ = runCmd(t, vars, "user", "list")
	for _, want := range []string{"new_here_22      newcomer@demo.invalid   member", "maple_mom", "expert", "suspended"} {
		if !strings.Contains(out, want) {
			t.Errorf("user list lacks %q:\n%s", want, out)
		}
	}
}

func TestReindexRefusesWhileTheIndexIsHeld(t *testing.T) {
	vars := map[string]string{"FORUM_DATA_DIR": t.TempDir()}
	if code, _, stderr := runCmd(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: %s", stderr)
	}
	code, out, _ := runCmd(t, vars, "reindex")
	if code != 0 || !strings.Contains(out, fmt.Sprintf("indexed %d threads", len(demo.Threads))) {
		t.Fatalf("reindex: exit %d %q", code, out)
	}
	held, err := search.Open(vars["FORUM_DATA_DIR"]) // as a running server does
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	code, _, stderr := runCmd(t, vars, "reindex")
	if code != 1 || !strings.Contains(stderr, "in use") || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("reindex beside a running server: exit %d %q", code, stderr)
	}
	if n, _ := held.Count(); n != uint64(len(demo.Threads)) {
		t.Fatalf("the held index lost documents: %d", n)
	}
}

// freeAddr returns a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeMetricsOnTheirOwnAddress: with FORUM_METRICS_ADDR set, metrics are served
// there and not on the forum's address; both stop together.
func TestServeMetricsOnTheirOwnAddress(t *testing.T) {
	metricsAddr := freeAddr(t)
	vars := map[string]string{"FORUM_DATA_DIR": t.TempDir(), "FORUM_ADDR": "127.0.0.1:0", "FORUM_METRICS_ADDR": metricsAddr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, nil, envOf(vars), io.Discard, io.Discard, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("http://" + addr + "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz = %d", code)
	}
	if code, _ := get("http://" + addr + "/metrics"); code != http.StatusNotFound {
		t.Fatalf("/metrics on the forum's address = %d, want 404", code)
	}
	code, body := get("http://" + metricsAddr + "/metrics")
	if code != http.StatusOK || !strings.Contains(body, `forum_http_requests_total{code="200",method="GET",route="/healthz"} 1`) {
		t.Fatalf("metrics address: %d %.300s", code, body)
	}
	if !strings.Contains(body, "forum_search_mapped_bytes ") {
		t.Error("the metrics lack forum_search_mapped_bytes, the search index's files mapped in")
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve after stop: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	if _, err := http.Get("http://" + metricsAddr + "/metrics"); err == nil {
		t.Fatal("metrics still served after stop")
	}

	// An address already taken is one clear line naming the variable.
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	vars["FORUM_METRICS_ADDR"] = held.Addr().String()
	code2, _, stderr := runCmd(t, vars, "serve")
	if code2 != 1 || !strings.Contains(stderr, "FORUM_METRICS_ADDR: cannot listen on "+held.Addr().String()) {
		t.Fatalf("serve with a taken metrics address: exit %d %q", code2, stderr)
	}
}

// TestServeDevSaysWhereToGo: `make run` ends with `serve --dev`, which says, before any
// log line, at which address the forum is and where to sign in as a demo persona.
func TestServeDevSaysWhereToGo(t *testing.T) {
	vars := map[string]string{"FORUM_DATA_DIR": t.TempDir(), "FORUM_ADDR": "127.0.0.1:0"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out bytes.Buffer
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, []string{"--dev"}, envOf(vars), &out, io.Discard, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	said := out.String() // written before the address was sent on ready
	for _, want := range []string{"Kinship is running at http://" + addr + "\n", "Sign in as a demo persona at http://" + addr + "/dev/login\n"} {
		if !strings.Contains(said, want) {
			t.Errorf("serve --dev says %q, want a line %q", said, want)
		}
	}
	resp, err := http.Get("http://" + addr + "/dev/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the address it gives answers %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after stop: %v", err)
	}
}

// TestServeNotifiesAndMails is the promise of the forum as a newcomer meets it after
// `make run`: the seeded board's history notifies and mails nobody; the parent asks, the
// coach answers, and the parent then has exactly one notification and one discreet e-mail,
// without the question's title or words, whose one-click unsubscribe works without signing in.
func TestServeNotifiesAndMails(t *testing.T) {
	vars := map[string]string{"FORUM_DATA_DIR": t.TempDir(), "FORUM_ADDR": "127.0.0.1:0"}
	if code, out, stderr := runCmd(t, vars, "seed"); code != 0 {
		t.Fatalf("seed: exit %d, %q %q", code, out, stderr)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(ctx, []string{"--dev"}, envOf(vars), io.Discard, io.Discard, ready) }()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not start")
	}
	cfg, err := config.Load(envOf(vars), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), cfg.Driver, cfg.DatabaseDSN, cfg.DatabaseLabel)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	parent, err := st.UserByPseudonym(ctx, "maple_mom")
	if err != nil {
		t.Fatal(err)
	}
	coach, err := st.UserByPseudonym(ctx, "coach_dana")
	if err != nil {
		t.Fatal(err)
	}
	// The seeded history is not news: after serve has looked at the events, the parent has
	// nothing unread and the mailbox is empty.
	time.Sleep(4 * time.Second) // the fan-out looks for events every 3 s, and at start
	if n, err := st.UnreadNotificationCount(ctx, parent.ID); err != nil || n != 0 {
		t.Fatalf("after serving the seeded board the parent has %d notifications (%v), want 0", n, err)
	}
	if mails, err := st.DevMails(ctx, 100); err != nil || len(mails) != 0 {
		t.Fatalf("after serving the seeded board the mailbox holds %d messages (%v), want 0", len(mails), err)
	}

	// The parent asks and the coach answers, on this database (serve hears of the events
	// as another node's: within its 3 s look).
	const title, words = "Pills hidden in the bathroom cabinet", "Our son keeps them behind the towels"
	svc := forum.New(st, markdown.New())
	th, err := svc.Ask(ctx, parent, forum.AskInput{Title: title, Body: words + ". Should we say something tonight?", Tags: []string{"treatment"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Reply(ctx, coach, th.ID, forum.ReplyInput{Body: "Wait until he is sober, then say what you found, calmly."}); err != nil {
		t.Fatal(err)
	}
	var mails []*model.DevMail
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if mails, err = st.DevMails(ctx, 100); err != nil {
			t.Fatal(err)
		}
		if len(mails) > 0 || time.Now().After(deadline) {
			break
		}
	}
	time.Sleep(time.Second) // anything more would come with it
	if mails, err = st.DevMails(ctx, 100); err != nil {
		t.Fatal(err)
	}
	n, err := st.UnreadNotificationCount(ctx, parent.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 || len(mails) != 1 {
		t.Fatalf("after the answer: %d notifications of the parent, %d e-mails, want 1 and 1", n, len(mails))
	}
	m := mails[0]
	if m.To != parent.Email {
		t.Fatalf("the e-mail went to %q, want the parent", m.To)
	}
	for _, secret := range []string{title, words, "Pills", "towels", "coach_dana", "maple_mom"} {
		if strings.Contains(m.Raw, secret) || strings.Contains(m.Subject, secret) {
			t.Fatalf("the e-mail tells %q:\n%s", secret, m.Raw)
		}
	}
	// The base URL names the configured address, port 0 here: the path is what counts.
	_, path, ok := strings.Cut(strings.Trim(m.ListUnsubscribe, "<>"), "127.0.0.1:0")
	if !ok || !strings.HasPrefix(path, "/unsubscribe/") {
		t.Fatalf("List-Unsubscribe is %q", m.ListUnsubscribe)
	}
	resp, err := http.Post("http://"+addr+path, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("one-click unsubscribe = %d", resp.StatusCode)
	}
	if d, err := st.MailDelivery(ctx, parent.ID, model.NotifyAnswer); err != nil || d != model.DeliveryNever {
		t.Fatalf("after unsubscribing, answers are e-mailed %q (%v)", d, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve after stop: %v", err)
	}
}
