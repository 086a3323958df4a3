// Command forum-bench measures the forum at a chosen size: it writes a synthetic board,
// builds the search index, times searches and the index lag after a post, and loads the
// home, thread and search pages with wrk beside a bare net/http hello-world, all on
// loopback in one run. It prints a Markdown table for the README.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"time"

	"forum/app/auth"
	"forum/app/benchdata"
	"forum/app/config"
	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/store"
	"forum/app/web"
	"forum/search"
	"forum/static"
)

func main() {
	threads := flag.Int("threads", 10000, "threads in the synthetic board")
	posts := flag.Int("posts", 100000, "posts in the synthetic board")
	seed := flag.Uint64("seed", 1, "random seed of the board")
	duration := flag.Duration("duration", 10*time.Second, "how long wrk loads each page")
	flag.Parse()
	if err := run(*threads, *posts, *seed, *duration); err != nil {
		fmt.Fprintln(os.Stderr, "forum-bench:", err)
		os.Exit(1)
	}
}

func run(threads, posts int, seed uint64, duration time.Duration) error {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "forum-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "forum.db")
	st, err := store.Open(ctx, config.DriverSQLite, config.SQLiteDSN(path), path)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "writing %d threads, %d posts...\n", threads, posts)
	gen, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: threads, Posts: posts, Seed: seed}, os.Stderr)
	if err != nil {
		return err
	}

	ix, err := search.Open(dir)
	if err != nil {
		return err
	}
	defer ix.Close()
	fmt.Fprintln(os.Stderr, "building the search index...")
	built, err := search.Rebuild(ctx, st, ix, os.Stderr)
	if err != nil {
		return err
	}
	// bleve goes on merging the segments of a bulk build for a while; what follows measures a
	// serving index, so it waits until the segment files stop changing (at most 2 minutes).
	settled := settle(filepath.Join(dir, "search"), 5*time.Second, 2*time.Minute)

	rows := [][]string{
		{"board", fmt.Sprintf("%d threads, %d posts, written in %s", gen.Threads, gen.Posts, gen.Duration.Round(time.Second))},
		{"full index build", fmt.Sprintf("%s, %.0f posts/s (its segments merged %s later)", built.Duration.Round(time.Second), float64(built.Posts)/built.Duration.Seconds(), settled.Round(time.Second))},
	}
	shapes := []struct{ name, q string }{
		{"one word", "relapse"}, {"two words", "relapse treatment"}, {"phrase", `"drug test"`},
		{"tag filter + word", "tag:craft sleep"}, {"fuzzy", "recovry"},
	}
	for _, sh := range shapes {
		var times []time.Duration
		q := search.ParseQuery(sh.q)
		for i := 0; i < 200; i++ {
			start := time.Now()
			if _, err := ix.Search(ctx, search.Request{Query: q}); err != nil {
				return err
			}
			times = append(times, time.Since(start))
		}
		rows = append(rows, []string{"search: " + sh.name + " (" + sh.q + ")", fmt.Sprintf("p50 %s, p99 %s", pct(times, 50), pct(times, 99))})
	}

	// Index lag after a post: the syncer runs as in the server; time until the post is found.
	syncer := search.NewSyncer(st, ix, nil)
	syncer.Interval = 100 * time.Millisecond
	syncCtx, stopSync := context.WithCancel(ctx)
	defer stopSync()
	go syncer.Run(syncCtx)
	svc := forum.New(st, markdown.New())
	member, err := st.UserByPseudonym(ctx, fmt.Sprintf("bench_%d_1", seed))
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
	rows = append(rows, []string{"index lag after a post", fmt.Sprintf("p50 %s, max %s", pct(lags, 50), pct(lags, 100))})

	// Pages under load.
	if _, err := exec.LookPath("wrk"); err != nil {
		rows = append(rows, []string{"pages", "wrk is not installed (apt-get install -y wrk): page load not measured"})
		printTable(rows)
		return nil
	}
	base, _ := url.Parse("http://127.0.0.1")
	cfg := &config.Config{Addr: "127.0.0.1:0", DataDir: dir, Driver: config.DriverSQLite, BaseURL: base, LogLevel: "error",
		SessionSecret: []byte("benchmark-secret-benchmark-secret!!")}
	srv, err := web.New(web.Options{Config: cfg, Store: st, Forum: svc, Logger: slog.New(slog.DiscardHandler), Version: "bench",
		Search: ix, Syncer: syncer, NoRateLimits: true})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go srv.Serve(syncCtx, ln) //nolint:errcheck
	hello, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go http.Serve(hello, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "hello, world\n") })) //nolint:errcheck

	token, _, err := auth.NewSessions(st).Create(ctx, member.ID, "forum-bench", "127.0.0.1")
	if err != nil {
		return err
	}
	th, err := st.ThreadByID(ctx, int64(threads/2))
	if err != nil {
		return err
	}
	site := "http://" + ln.Addr().String()
	threadURL := site + fmt.Sprintf("/t/%d/%s", th.ID, th.Slug)
	// The member's browser, as after its first page: the session and the CSRF cookie.
	cookie, size, err := browserCookies(threadURL, auth.CookieName+"="+token)
	if err != nil {
		return err
	}
	assets, err := static.Load()
	if err != nil {
		return err
	}
	css, err := assets.Path("css/forum.css")
	if err != nil {
		return err
	}
	pages := []struct{ name, url, cookie string }{
		{"bare net/http hello-world (ceiling)", "http://" + hello.Addr().String() + "/", ""},
		{"static file through the forum (the stylesheet, about the size of a page)", site + "/static/" + css, cookie},
		{"home page", site + "/", cookie},
		{fmt.Sprintf("thread page (%d replies, %d KB)", th.ReplyCount, size/1024), threadURL, cookie},
		{"search page (relapse)", site + "/search?q=relapse", cookie},
	}
	var ceiling float64
	for _, p := range pages {
		rate, r, err := wrk(p.url, p.cookie, duration)
		if err != nil {
			return fmt.Errorf("wrk %s: %w", p.name, err)
		}
		if ceiling == 0 {
			ceiling = rate
		} else {
			r += fmt.Sprintf(" (%.0f%% of hello-world)", 100*rate/ceiling)
		}
		rows = append(rows, []string{p.name + ", 32 connections", r})
	}
	printTable(rows)
	return nil
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
// set (the CSRF cookie a browser keeps), and the page's size.
func browserCookies(u, cookie string) (string, int, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Cookie", cookie)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return "", 0, err
	}
	if res.StatusCode != http.StatusOK {
		return "", 0, fmt.Errorf("%s: %s", u, res.Status)
	}
	for _, c := range res.Cookies() {
		cookie += "; " + c.Name + "=" + c.Value
	}
	return cookie, len(body), nil
}

// wrk loads url with 32 connections and returns its rate and "N req/s, p50 X, p99 Y".
func wrk(u, cookie string, d time.Duration) (float64, string, error) {
	args := []string{"-t2", "-c32", "-d" + strconv.Itoa(int(d.Seconds())) + "s", "--latency"}
	if cookie != "" {
		args = append(args, "-H", "Cookie: "+cookie)
	}
	out, err := exec.Command("wrk", append(args, u)...).CombinedOutput()
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
	return n, fmt.Sprintf("%s req/s, p50 %s, p99 %s", rate[1], ps["50"], ps["99"]), nil
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

func printTable(rows [][]string) {
	host, _ := os.Hostname()
	fmt.Printf("\nMeasured %s on %s (%d cores, %s, SQLite):\n\n", time.Now().UTC().Format("2006-01-02"), host, runtime.NumCPU(), runtime.Version())
	fmt.Println("| measure | result |")
	fmt.Println("|---|---|")
	for _, r := range rows {
		fmt.Printf("| %s | %s |\n", r[0], r[1])
	}
}
