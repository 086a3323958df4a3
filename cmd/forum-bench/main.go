// Command forum-bench measures the forum at a chosen size: it writes a synthetic board,
// builds the search index, times searches and the index lag after a post, and loads every
// page with wrk, as a member with unread state and as a visitor, while replies are posted
// through the normal write path (none, 1 and 10 a second), each beside a bare net/http
// hello-world measured in the same run, all on loopback. It prints a Markdown table for
// the README. With --soak it runs a long mixed load of reads and writes instead and
// reports the process's memory over time. BENCH_DATABASE_URL (postgres://...) runs it on
// PostgreSQL, in a schema of its own that it drops at the end.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	_ "net/http/pprof" // --pprof: profiles of the server under load
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx", for the benchmark's schema

	"forum/app/auth"
	"forum/app/benchdata"
	"forum/app/config"
	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/notify"
	"forum/app/store"
	"forum/app/web"
	"forum/search"
)

func main() {
	var o options
	flag.IntVar(&o.threads, "threads", 10000, "threads in the synthetic board")
	flag.IntVar(&o.posts, "posts", 100000, "posts in the synthetic board")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed of the board")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "how long wrk loads each page")
	flag.IntVar(&o.connections, "connections", 32, "wrk's connections")
	flag.StringVar(&o.writes, "writes", "0,1,10", "replies per second posted during the page loads, one table per rate")
	flag.DurationVar(&o.soak, "soak", 0, "instead of the page table: a mixed load of reads and 10 replies a second for this long, reporting memory")
	flag.DurationVar(&o.sample, "sample", 30*time.Second, "with --soak: how often the memory is sampled")
	flag.StringVar(&o.pprof, "pprof", "", "serve net/http/pprof on this loopback address while the benchmark runs (e.g. 127.0.0.1:6060)")
	flag.IntVar(&o.searchMemoryMB, "search-memory", config.DefaultSearchMemoryBytes>>20, "the ceiling on the search index's files mapped in memory, in MiB, as FORUM_SEARCH_MEMORY_MB (0: none)")
	flag.StringVar(&o.pages, "pages", "", "load only the pages whose names contain one of these comma-separated words")
	flag.Parse()
	o.databaseURL = os.Getenv("BENCH_DATABASE_URL")
	if o.sample <= 0 {
		fmt.Fprintln(os.Stderr, "forum-bench: --sample must be a positive duration, such as 30s")
		os.Exit(2)
	}
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "forum-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	threads, posts, connections int
	searchMemoryMB              int
	seed                        uint64
	duration, soak, sample      time.Duration
	writes, databaseURL         string
	pprof, pages                string
}

// bench is one run: the board, the server and who reads and writes.
type bench struct {
	o       options
	st      *store.Store
	site    string
	hello   string
	member  string // the member's cookies
	writer  string // the writing member's cookies
	csrf    string // the writer's CSRF token
	threads int
	rows    [][]string
	dbName  string
}

func run(o options) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "forum-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	b := &bench{o: o, threads: o.threads, dbName: "SQLite"}
	if o.pprof != "" {
		go http.ListenAndServe(o.pprof, nil) //nolint:errcheck // a diagnostic listener; the benchmark goes on without it
	}
	var st *store.Store
	if o.databaseURL != "" {
		b.dbName = "PostgreSQL"
		dsn, drop, err := benchSchema(o.databaseURL)
		if err != nil {
			return err
		}
		defer drop()
		if st, err = store.Open(ctx, config.DriverPostgres, dsn, "BENCH_DATABASE_URL"); err != nil {
			return err
		}
	} else {
		path := filepath.Join(dir, "forum.db")
		if st, err = store.Open(ctx, config.DriverSQLite, config.SQLiteDSN(path), path); err != nil {
			return err
		}
	}
	defer st.Close()
	b.st = st
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "writing %d threads, %d posts on %s...\n", o.threads, o.posts, b.dbName)
	gen, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: o.threads, Posts: o.posts, Seed: o.seed}, os.Stderr)
	if err != nil {
		return err
	}
	ix, err := search.Open(dir)
	if err != nil {
		return err
	}
	defer ix.Close()
	ix.LimitMapped(int64(o.searchMemoryMB) << 20)
	fmt.Fprintln(os.Stderr, "building the search index...")
	built, err := search.Rebuild(ctx, st, ix, os.Stderr)
	if err != nil {
		return err
	}
	// bleve goes on merging the segments of a bulk build for a while; what follows measures a
	// serving index, so it waits until the segment files stop changing (at most 2 minutes).
	settled := settle(filepath.Join(dir, "search"), 5*time.Second, 2*time.Minute)
	b.rows = append(b.rows,
		[]string{"board", fmt.Sprintf("%d threads, %d posts, written in %s", gen.Threads, gen.Posts, gen.Duration.Round(time.Second))},
		[]string{"full index build", fmt.Sprintf("%s, %.0f posts/s (its segments merged %s later)", built.Duration.Round(time.Second),
			float64(built.Posts)/built.Duration.Seconds(), settled.Round(time.Second))})
	queries := searchQueries(o.seed)
	if err := b.searchLatency(ctx, ix, queries); err != nil {
		return err
	}

	// The server, as `forum serve` wires it: the syncer, the notification fan-out.
	syncer := search.NewSyncer(st, ix, nil)
	syncer.Interval = 100 * time.Millisecond
	svc := forum.New(st, markdown.New())
	notifier := notify.New(st, notify.Options{})
	svc.AfterEvent = notifier.Poke
	if err := b.indexLag(ctx, ix, syncer, svc); err != nil {
		return err
	}
	if _, err := exec.LookPath("wrk"); err != nil {
		b.rows = append(b.rows, []string{"pages", "wrk is not installed (apt-get install -y wrk): page load not measured"})
		b.print()
		return nil
	}
	base, _ := url.Parse("http://127.0.0.1")
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: dir, Driver: st.Driver(), BaseURL: base, LogLevel: "error",
		SessionSecret: []byte("benchmark-secret-benchmark-secret!!"), LiveStreams: 1000, LiveStreamsPerMember: 4,
		PageCacheBytes: config.DefaultPageCacheBytes}
	srv, err := web.New(web.Options{Config: cfg, Store: st, Forum: svc, Logger: slog.New(slog.DiscardHandler), Version: "bench",
		Search: ix, Syncer: syncer, NoRateLimits: true, Notify: notifier})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go syncer.Run(ctx)
	go srv.Serve(ctx, ln) //nolint:errcheck
	hello, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(hello, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello, world\n") })) //nolint:errcheck
	b.site, b.hello = "http://"+ln.Addr().String(), "http://"+hello.Addr().String()+"/"
	pages, err := b.prepare(ctx, svc, queries)
	if err != nil {
		return err
	}
	if o.soak > 0 {
		return b.soakRun(ctx, pages)
	}
	for _, w := range strings.Split(o.writes, ",") {
		rate, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || rate < 0 {
			return fmt.Errorf("--writes: %q is not a number of replies per second", w)
		}
		if err := b.loadPages(ctx, pages, rate); err != nil {
			return err
		}
	}
	b.print()
	return nil
}

// benchSchema makes a schema of its own on the PostgreSQL database at u and returns the
// address that uses it, and a function that drops it.
func benchSchema(u string) (string, func(), error) {
	db, err := sql.Open("pgx", u)
	if err != nil {
		return "", nil, err
	}
	rb := make([]byte, 6)
	_, _ = rand.Read(rb)
	schema := "forum_bench_" + hex.EncodeToString(rb)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("BENCH_DATABASE_URL: create schema: %w", err)
	}
	parsed, err := url.Parse(u)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	q := parsed.Query()
	q.Set("search_path", schema)
	parsed.RawQuery = q.Encode()
	return parsed.String(), func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	}, nil
}

// searchQueries are the queries the search rows rotate through: words of every frequency,
// two words, phrases, topic filters, states and typos; at least 200, the same for a seed.
func searchQueries(seed uint64) []string {
	r := mrand.New(mrand.NewPCG(seed, 77))
	common := strings.Fields(`relapse boundaries treatment recovery probation detox rehab sober craving trust
		money court therapist medication naloxone overdose anxiety sleep school college coach meeting insurance
		methadone buprenorphine fentanyl cannabis vaping anger hope patience listen calm safety holiday custody`)
	rare := strings.Fields(`waitlist intake outpatient residential sponsor vivitrol narcan tapering diversion
		curfew psychosis bipolar grandchildren shelter housing ambulance lawyer bail pharmacy`)
	phrases := []string{`"drug test"`, `"harm reduction"`, `"twelve step"`, `"family therapy"`, `"clean days"`, `"court date"`}
	tags := []string{"craft", "dbt", "harm-reduction", "mat", "boundaries", "relapse", "probation", "motivational-interviewing"}
	typos := []string{"recovry", "treatmnet", "boundries", "probaton", "medicaton", "thearpist", "overdoes", "sobreity"}
	var qs []string
	qs = append(qs, common...)
	qs = append(qs, rare...)
	qs = append(qs, phrases...)
	qs = append(qs, typos...)
	for len(qs) < 220 {
		switch r.IntN(5) {
		case 0, 1:
			qs = append(qs, common[r.IntN(len(common))]+" "+common[r.IntN(len(common))])
		case 2:
			qs = append(qs, "tag:"+tags[r.IntN(len(tags))]+" "+common[r.IntN(len(common))])
		case 3:
			qs = append(qs, rare[r.IntN(len(rare))]+" "+common[r.IntN(len(common))])
		case 4:
			qs = append(qs, []string{"is:answered ", "is:unanswered ", "is:resolved ", "by:expert "}[r.IntN(4)]+common[r.IntN(len(common))])
		}
	}
	return qs
}

// searchLatency times the index alone: every query of the rotation, by shape.
func (b *bench) searchLatency(ctx context.Context, ix *search.Index, queries []string) error {
	shapes := map[string][]time.Duration{}
	order := []string{"one word", "two words", "phrase", "tag filter + word", "typo", "state or expert filter + word"}
	var matched []float64
	for round := 0; round < 3; round++ {
		for _, raw := range queries {
			shape := "one word"
			switch {
			case strings.HasPrefix(raw, `"`):
				shape = "phrase"
			case strings.HasPrefix(raw, "tag:"):
				shape = "tag filter + word"
			case strings.HasPrefix(raw, "is:"), strings.HasPrefix(raw, "by:"):
				shape = "state or expert filter + word"
			case strings.Contains(raw, " "):
				shape = "two words"
			case slices.Contains([]string{"recovry", "treatmnet", "boundries", "probaton", "medicaton", "thearpist", "overdoes", "sobreity"}, raw):
				shape = "typo"
			}
			start := time.Now()
			res, err := ix.Search(ctx, search.Request{Query: search.ParseQuery(raw), Size: 20})
			if err != nil {
				return err
			}
			shapes[shape] = append(shapes[shape], time.Since(start))
			if round == 0 && shape == "one word" {
				matched = append(matched, float64(res.Total)/float64(b.threads))
			}
		}
	}
	slices.Sort(matched)
	b.rows = append(b.rows, []string{"search: share of threads a one-word query matches", fmt.Sprintf("median %.1f%%, from %.1f%% to %.1f%%",
		100*matched[len(matched)/2], 100*matched[0], 100*matched[len(matched)-1])})
	for _, name := range order {
		if ts := shapes[name]; len(ts) > 0 {
			b.rows = append(b.rows, []string{"search index: " + name, fmt.Sprintf("p50 %s, p99 %s (%d queries)", pct(ts, 50), pct(ts, 99), len(ts)/3)})
		}
	}
	return nil
}

// indexLag times how long a new post takes to be found, with the syncer running as in
// the server.
func (b *bench) indexLag(ctx context.Context, ix *search.Index, syncer *search.Syncer, svc *forum.Service) error {
	syncCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { syncer.Run(syncCtx); close(done) }()
	defer func() { stop(); <-done }()
	member, err := b.st.UserByPseudonym(ctx, fmt.Sprintf("bench_%d_1", b.o.seed))
	if err != nil {
		return err
	}
	var lags []time.Duration
	for i := 0; i < 5; i++ {
		word := fmt.Sprintf("lagprobe%dx%d", i, time.Now().UnixNano())
		start := time.Now()
		if _, err := svc.Reply(ctx, member, 1, forum.ReplyInput{Body: "We tried " + word}); err != nil {
			return err
		}
		for {
			res, err := ix.Search(ctx, search.Request{Query: search.ParseQuery(word)})
			if err != nil {
				return err
			}
			if res.Total > 0 {
				break
			}
			if time.Since(start) > 30*time.Second {
				return fmt.Errorf("a new post was not searchable after 30 s")
			}
			time.Sleep(10 * time.Millisecond)
		}
		lags = append(lags, time.Since(start))
	}
	b.rows = append(b.rows, []string{"index lag after a post", fmt.Sprintf("p50 %s, max %s", pct(lags, 50), pct(lags, 100))})
	return nil
}

// page is one row of the page table: its addresses (rotated through by wrk) for a member
// and for a visitor (none: not a visitor's page).
type page struct {
	name            string
	member, visitor []string
}

// prepare signs in the reading member and the writer, gives the member unread state
// (threads read up to an older post, notifications) and returns the pages to load.
func (b *bench) prepare(ctx context.Context, svc *forum.Service, queries []string) ([]page, error) {
	st := b.st
	member, err := st.UserByPseudonym(ctx, fmt.Sprintf("bench_%d_2", b.o.seed))
	if err != nil {
		return nil, err
	}
	writer, err := st.UserByPseudonym(ctx, fmt.Sprintf("bench_%d_3", b.o.seed))
	if err != nil {
		return nil, err
	}
	expert, err := st.UserByPseudonym(ctx, fmt.Sprintf("bench_%d_0", b.o.seed))
	if err != nil {
		return nil, err
	}
	// Unread state: the member read every thread of the latest page and their own up to
	// their opening post, so the lists show "N new"; replies to their threads notify them.
	latest, err := st.Threads(ctx, store.ThreadQuery{Limit: 100})
	if err != nil {
		return nil, err
	}
	mine, err := st.MemberThreads(ctx, member.ID, nil, 20)
	if err != nil {
		return nil, err
	}
	var reads []model.ThreadRead
	seen := map[int64]bool{}
	for _, t := range append(latest, mine...) {
		if seen[t.ID] {
			continue
		}
		seen[t.ID] = true
		posts, err := st.PostsByThread(ctx, t.ID)
		if err != nil || len(posts) == 0 {
			continue
		}
		reads = append(reads, model.ThreadRead{UserID: member.ID, ThreadID: t.ID, LastReadPostID: posts[0].ID, ReadAt: time.Now().UTC()})
	}
	for i, t := range mine {
		if i >= 10 {
			break
		}
		if _, err := svc.Reply(ctx, writer, t.ID, forum.ReplyInput{Body: "A thought for your family, from ours."}); err != nil {
			return nil, err
		}
	}
	if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.SaveReadPositions(ctx, reads) }); err != nil {
		return nil, err
	}
	sessions := auth.NewSessions(st)
	for _, who := range []struct {
		u      *model.User
		cookie *string
	}{{member, &b.member}, {writer, &b.writer}} {
		token, _, err := sessions.Create(ctx, who.u.ID, "forum-bench", "127.0.0.1")
		if err != nil {
			return nil, err
		}
		c, body, err := browserCookies(b.site+"/", auth.CookieName+"="+token)
		if err != nil {
			return nil, err
		}
		*who.cookie = c
		if who.u == writer {
			m := regexp.MustCompile(`name="csrf-token" content="([^"]+)"`).FindStringSubmatch(body)
			if m == nil {
				return nil, fmt.Errorf("no CSRF token on the writer's page")
			}
			b.csrf = m[1]
		}
	}
	// A thread of typical length, and a published one for visitors.
	th, err := st.ThreadByID(ctx, int64(b.threads/2))
	if err != nil {
		return nil, err
	}
	public, err := st.Threads(ctx, store.ThreadQuery{Limit: 1, PublicOnly: true})
	if err != nil || len(public) == 0 {
		return nil, fmt.Errorf("no published thread: %v", err)
	}
	pub := public[0]
	tag := "/tags/relapse"
	var memberSearch, visitorSearch []string
	for _, q := range queries {
		memberSearch = append(memberSearch, "/search?q="+url.QueryEscape(q))
		if !strings.HasPrefix(q, "is:") && !strings.HasPrefix(q, "by:") {
			visitorSearch = append(visitorSearch, "/search?q="+url.QueryEscape(q))
		}
	}
	one := func(p string) []string { return []string{p} }
	return []page{
		{"home page", one("/"), one("/")},
		{"topic page (relapse)", one(tag), one(tag)},
		{"/unanswered", one("/unanswered"), nil},
		{"/mine", one("/mine"), nil},
		{"profile (an expert)", one("/u/" + url.PathEscape(expert.Pseudonym)), nil},
		{"/notifications", one("/notifications"), nil},
		{fmt.Sprintf("thread page (%d replies)", th.ReplyCount), one(fmt.Sprintf("/t/%d/%s", th.ID, th.Slug)), nil},
		{fmt.Sprintf("published thread page (%d replies)", pub.ReplyCount), one(fmt.Sprintf("/t/%d/%s", pub.ID, pub.Slug)), one(fmt.Sprintf("/t/%d/%s", pub.ID, pub.Slug))},
		{fmt.Sprintf("search page (%d queries in turn; visitors: the public archive)", len(memberSearch)), memberSearch, visitorSearch},
		{"Atom feed of the archive", one("/archive.atom"), one("/archive.atom")},
	}, nil
}

// writes posts replies at rate a second on random threads, as the writing member through
// the reply form, until stop is closed, and returns how long each took and how many
// were not sent because too many were still waiting.
func (b *bench) writes(rate int, stop <-chan struct{}) func() ([]time.Duration, int) {
	var mu sync.Mutex
	var times []time.Duration
	skipped := 0
	done := make(chan struct{})
	if rate == 0 {
		close(done)
	} else {
		go func() {
			defer close(done)
			r := mrand.New(mrand.NewPCG(uint64(rate), 5))
			tick := time.NewTicker(time.Second / time.Duration(rate))
			defer tick.Stop()
			var wg sync.WaitGroup
			defer wg.Wait()
			// At most maxInFlight replies wait for the server at once; a tick that finds
			// them all waiting counts as a reply that took too long (skipped).
			const maxInFlight = 16
			inFlight := make(chan struct{}, maxInFlight)
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				select {
				case inFlight <- struct{}{}:
				default:
					mu.Lock()
					skipped++
					mu.Unlock()
					continue
				}
				id := 1 + r.IntN(b.threads)
				wg.Add(1)
				go func() {
					defer func() { <-inFlight; wg.Done() }()
					d, err := b.reply(id, n)
					if err != nil {
						fmt.Fprintln(os.Stderr, "reply:", err)
						return
					}
					mu.Lock()
					times = append(times, d)
					mu.Unlock()
				}()
			}
		}()
	}
	return func() ([]time.Duration, int) {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return times, skipped
	}
}

// reply posts one reply to thread id through the reply form, as a browser without
// JavaScript does, and returns how long the server took.
func (b *bench) reply(id, n int) (time.Duration, error) {
	form := url.Values{"_csrf": {b.csrf}, "body": {fmt.Sprintf("We found the meeting on Tuesdays helped, %d times over.", n)}}
	req, err := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/t/%d/reply", b.site, id), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", b.writer)
	start := time.Now()
	res, err := noRedirect.Do(req)
	if err != nil {
		return 0, err
	}
	d := time.Since(start)
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return 0, fmt.Errorf("thread %d: %s", id, res.Status)
	}
	return d, nil
}

var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// loadPages loads every page as the member and as the visitor with wrk while replies are
// posted at rate a second, beside the hello-world measured in the same run.
func (b *bench) loadPages(ctx context.Context, pages []page, rate int) error {
	stop := make(chan struct{})
	collect := b.writes(rate, stop)
	label := fmt.Sprintf("%d replies/s", rate)
	ceiling, helloRow, err := b.wrk([]string{b.hello}, "", b.o.duration, b.o.connections)
	if err != nil {
		close(stop)
		return err
	}
	b.rows = append(b.rows, []string{fmt.Sprintf("**%s**: bare net/http hello-world (ceiling), %d connections", label, b.o.connections), helloRow})
	for _, p := range pages {
		if !b.selected(p.name) {
			continue
		}
		for _, who := range []struct {
			name, cookie string
			paths        []string
		}{{"member", b.member, p.member}, {"visitor", "", p.visitor}} {
			if len(who.paths) == 0 {
				continue
			}
			urls := make([]string, len(who.paths))
			for i, path := range who.paths {
				urls[i] = b.site + path
			}
			rateN, row, err := b.wrk(urls, who.cookie, b.o.duration, b.o.connections)
			if err != nil {
				close(stop)
				return fmt.Errorf("%s as a %s: %w", p.name, who.name, err)
			}
			b.rows = append(b.rows, []string{fmt.Sprintf("%s: %s, as a %s", label, p.name, who.name),
				fmt.Sprintf("%s (%.0f%% of hello-world)", row, 100*rateN/ceiling)})
		}
	}
	close(stop)
	if times, skipped := collect(); len(times) > 0 {
		b.rows = append(b.rows, []string{fmt.Sprintf("%s: the replies themselves (through the reply form, while pages load)", label),
			fmt.Sprintf("%d posted, p50 %s, p99 %s, %d not sent (16 still waiting)", len(times), pct(times, 50), pct(times, 99), skipped)})
	}
	b.rows = append(b.rows, []string{fmt.Sprintf("%s: the server's resident memory after these loads", label), rss().String()})
	return ctx.Err()
}

// selected reports whether --pages asks for the page with this name.
func (b *bench) selected(name string) bool {
	if b.o.pages == "" {
		return true
	}
	for _, w := range strings.Split(b.o.pages, ",") {
		if w = strings.TrimSpace(w); w != "" && strings.Contains(name, w) {
			return true
		}
	}
	return false
}

// soakRun loads a mix of every page at 64 connections with 10 replies a second for the
// soak's duration and samples the process's resident memory.
func (b *bench) soakRun(ctx context.Context, pages []page) error {
	var mix []string
	for _, p := range pages {
		for i, path := range p.member {
			if i < 20 {
				mix = append(mix, b.site+path)
			}
		}
	}
	stop := make(chan struct{})
	collect := b.writes(10, stop)
	type sample struct {
		at  time.Duration
		mem memory
	}
	var samples []sample
	start := time.Now()
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tick := time.NewTicker(b.o.sample)
		defer tick.Stop()
		for {
			samples = append(samples, sample{time.Since(start).Round(time.Second), rss()})
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	_, row, err := b.wrk(mix, b.member, b.o.soak, 64)
	close(stop)
	<-sampled
	if err != nil {
		return err
	}
	times, skipped := collect()
	samples = append(samples, sample{time.Since(start).Round(time.Second), rss()})
	b.rows = append(b.rows, []string{fmt.Sprintf("soak: every page in turn as a member, 64 connections, %s, 10 replies/s", b.o.soak), row})
	if len(times) > 0 {
		b.rows = append(b.rows, []string{"soak: replies", fmt.Sprintf("%d posted, p50 %s, p99 %s, %d not sent (16 still waiting)", len(times), pct(times, 50), pct(times, 99), skipped)})
	}
	var after1, peak memory
	var series []string
	for _, s := range samples {
		series = append(series, fmt.Sprintf("%s %d MB (%d MB anonymous, %d MB files, live heap %d MB)", s.at, s.mem.rss>>20, s.mem.anon>>20, s.mem.file>>20, s.mem.live>>20))
		if s.at >= time.Minute {
			if after1.rss == 0 {
				after1 = s.mem
			}
			peak.rss, peak.anon, peak.live = max(peak.rss, s.mem.rss), max(peak.anon, s.mem.anon), max(peak.live, s.mem.live)
		}
	}
	b.rows = append(b.rows, []string{"soak: resident memory over time", strings.Join(series, ", ")})
	if after1.rss > 0 {
		growth := func(first, most int64) string {
			return fmt.Sprintf("%d MB to at most %d MB (%+.0f%%)", first>>20, most>>20, 100*float64(most-first)/float64(max(first, 1)))
		}
		b.rows = append(b.rows, []string{"soak: growth after the first minute", fmt.Sprintf("all: %s; anonymous: %s; live heap: %s",
			growth(after1.rss, peak.rss), growth(after1.anon, peak.anon), growth(after1.live, peak.live))})
	}
	b.print()
	return ctx.Err()
}

// memory is the process's resident memory in bytes (Linux; zeros elsewhere): all of it,
// its anonymous part (the Go heap, SQLite's page caches, the stacks) and the pages of files
// it maps (the search index's segments, which the kernel can take back when it needs).
type memory struct{ rss, anon, file, live int64 }

func (m memory) String() string {
	return fmt.Sprintf("%d MB (anonymous %d MB, mapped files %d MB; live heap %d MB)", m.rss>>20, m.anon>>20, m.file>>20, m.live>>20)
}

func rss() memory {
	var m memory
	// The heap that the last collection found in use: what the process holds, apart from
	// the garbage that the collector lets grow to about as much again before it runs.
	live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(live)
	if live[0].Value.Kind() == metrics.KindUint64 {
		m.live = int64(live[0].Value.Uint64())
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return m
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			m.rss = kb << 10
		case "RssAnon:":
			m.anon = kb << 10
		case "RssFile:":
			m.file = kb << 10
		}
	}
	return m
}

// settle waits until the set of segment files under dir has not changed for quiet, or
// for at most limit, and returns how long it waited.
func settle(dir string, quiet, limit time.Duration) time.Duration {
	start := time.Now()
	files := func() string {
		var names []string
		filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error { //nolint:errcheck // best effort
			if err == nil && filepath.Ext(path) == ".zap" {
				names = append(names, path)
			}
			return nil
		})
		return fmt.Sprint(names)
	}
	last, since := files(), time.Now()
	for time.Since(start) < limit && time.Since(since) < quiet {
		time.Sleep(500 * time.Millisecond)
		if now := files(); now != last {
			last, since = now, time.Now()
		}
	}
	return time.Since(start)
}

var (
	wrkRate = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkPct  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+(\S+)`)
	wrkErrs = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
)

// browserCookies fetches page u with cookie and returns cookie with the cookies the page
// set (the CSRF cookie a browser keeps), and the page.
func browserCookies(u, cookie string) (string, string, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Cookie", cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", "", err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", "", err
	}
	if res.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("%s: %s", u, res.Status)
	}
	for _, c := range res.Cookies() {
		cookie += "; " + c.Name + "=" + c.Value
	}
	return cookie, string(body), nil
}

// wrk loads urls in turn with the given connections and returns the rate and
// "N req/s, p50 X, p99 Y".
func (b *bench) wrk(urls []string, cookie string, d time.Duration, connections int) (float64, string, error) {
	args := []string{"-t2", "-c" + strconv.Itoa(connections), "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if cookie != "" {
		args = append(args, "-H", "Cookie: "+cookie)
	}
	if len(urls) > 1 {
		// A script that asks for each address in turn.
		script, err := os.CreateTemp("", "forum-bench-*.lua")
		if err != nil {
			return 0, "", err
		}
		defer os.Remove(script.Name())
		var s strings.Builder
		s.WriteString("paths = {\n")
		for _, u := range urls {
			p, _ := url.Parse(u)
			s.WriteString(strconv.Quote(p.RequestURI()) + ",\n")
		}
		s.WriteString("}\ni = 0\nrequest = function()\n  i = i % #paths + 1\n  return wrk.format(nil, paths[i])\nend\n")
		if _, err := script.WriteString(s.String()); err != nil {
			return 0, "", err
		}
		script.Close()
		args = append(args, "-s", script.Name())
	}
	out, err := exec.Command("wrk", append(args, urls[0])...).CombinedOutput()
	if err != nil {
		return 0, "", fmt.Errorf("%v: %s", err, out)
	}
	if m := wrkErrs.FindSubmatch(out); m != nil {
		return 0, "", fmt.Errorf("%s responses were errors", m[1])
	}
	rate := wrkRate.FindSubmatch(out)
	if rate == nil {
		return 0, "", fmt.Errorf("unexpected wrk output: %s", out)
	}
	ps := map[string]string{}
	for _, m := range wrkPct.FindAllSubmatch(out, -1) {
		ps[string(m[1])] = string(m[2])
	}
	n, _ := strconv.ParseFloat(string(rate[1]), 64)
	return n, fmt.Sprintf("%.0f req/s, p50 %s, p99 %s", n, ps["50"], ps["99"]), nil
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[min(i, len(s)-1)].Round(10 * time.Microsecond)
}

func (b *bench) print() {
	host, _ := os.Hostname()
	fmt.Printf("\nMeasured %s on %s (%d cores, %s, %s):\n\n", time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), runtime.Version(), b.dbName)
	fmt.Println("| measure | result |")
	fmt.Println("|---|---|")
	for _, r := range b.rows {
		fmt.Printf("| %s | %s |\n", r[0], r[1])
	}
}
