package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/store"
	"forum/app/store/storetest"
)

// forumNode is one server of a forum of several, run as `serve` runs it.
type forumNode struct {
	name string
	vars map[string]string
	addr atomic.Pointer[string]
	stop context.CancelFunc
	done chan error
}

func (n *forumNode) start(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	n.stop, n.done = cancel, make(chan error, 1)
	go func() { n.done <- serve(ctx, nil, envOf(n.vars), io.Discard, io.Discard, ready) }()
	select {
	case a := <-ready:
		n.addr.Store(&a)
	case err := <-n.done:
		t.Fatalf("node %s: serve: %v", n.name, err)
	case <-time.After(60 * time.Second):
		t.Fatalf("node %s did not start", n.name)
	}
}

// kill stops the node (as SIGTERM does) and waits for serve to return.
func (n *forumNode) kill(t *testing.T) {
	t.Helper()
	n.addr.Store(nil)
	n.stop()
	if err := <-n.done; err != nil {
		t.Fatalf("node %s after stop: %v", n.name, err)
	}
}

// balancer is the load balancer before the nodes: it sends each request to the next node
// that is up, in turn, with no stickiness, or to the node a test names in X-Test-Node; it
// names the client in X-Forwarded-For (X-Test-Client, or one address for every request).
type balancer struct {
	nodes  []*forumNode
	next   atomic.Int64
	served sync.Map // node name -> *atomic.Int64
}

func (b *balancer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var target *forumNode
	var addr *string
	if want := r.Header.Get("X-Test-Node"); want != "" {
		for _, n := range b.nodes {
			if n.name == want {
				target, addr = n, n.addr.Load()
			}
		}
	} else {
		for range b.nodes {
			n := b.nodes[int(b.next.Add(1))%len(b.nodes)]
			if addr = n.addr.Load(); addr != nil {
				target = n
				break
			}
		}
	}
	if addr == nil {
		http.Error(w, "no node up", http.StatusBadGateway)
		return
	}
	c, _ := b.served.LoadOrStore(target.name, new(atomic.Int64))
	c.(*atomic.Int64).Add(1)
	client := r.Header.Get("X-Test-Client")
	if client == "" {
		client = "203.0.113.1"
	}
	w.Header().Set("X-Test-Served-By", target.name)
	proxy := &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(&url.URL{Scheme: "http", Host: *addr})
		pr.Out.Host = pr.In.Host
		pr.Out.Header.Set("X-Forwarded-For", client) // the proxy's own address is added as the peer
		pr.Out.Header.Del("X-Test-Node")
		pr.Out.Header.Del("X-Test-Client")
	}}
	proxy.ServeHTTP(w, r)
}

// visitor is a signed-in member's browser before the balancer.
type visitor struct {
	t    *testing.T
	base string
	http *http.Client

	mu     sync.Mutex
	cookie string
}

var csrfMetaRe = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)">`)

// do sends a request through the balancer; node and client, when set, pick them.
func (v *visitor) do(method, path string, form url.Values, node, client string) (int, string, http.Header) {
	v.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, v.base+path, body)
	if err != nil {
		v.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	v.mu.Lock()
	req.Header.Set("Cookie", v.cookie)
	v.mu.Unlock()
	if node != "" {
		req.Header.Set("X-Test-Node", node)
	}
	if client != "" {
		req.Header.Set("X-Test-Client", client)
	}
	res, err := v.http.Do(req)
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	v.mu.Lock()
	for _, c := range res.Cookies() {
		if !strings.Contains(v.cookie, c.Name+"=") {
			v.cookie += "; " + c.Name + "=" + c.Value
		}
	}
	v.mu.Unlock()
	return res.StatusCode, string(b), res.Header
}

// csrf returns the token of a page served by node.
func (v *visitor) csrf(node string) string {
	v.t.Helper()
	code, body, _ := v.do("GET", "/ask", nil, node, "")
	m := csrfMetaRe.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil {
		v.t.Fatalf("GET /ask on %s: %d, no CSRF token", node, code)
	}
	return m[1]
}

// marker is a word found in one post only: letters, so that no analyzer splits it.
func marker(prefix string, i int) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, d := range strconv.FormatInt(int64(i)+1000, 26) {
		if d >= '0' && d <= '9' {
			b.WriteByte(byte('g' + d - '0'))
		} else {
			b.WriteByte(byte(d + 10))
		}
	}
	return b.String()
}

// percentile returns the p-th percentile of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p+99)/100 - 1
	return s[max(0, min(i, len(s)-1))].Round(100 * time.Microsecond)
}

// TestTwoNodes runs two servers, each with a search index of its own, on one PostgreSQL
// database behind a balancer that alternates requests: a member's session and forms hold
// on either node, a post made on one is on the other's pages and in its search, a node
// stopped and started again catches up, and one rate limit holds across both. It prints
// how long a post on node a took to reach node b's pages and search.
func TestTwoNodes(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("%s is unset: skipping the two-node test, which runs two servers on one PostgreSQL database", storetest.PostgresEnv)
	}
	_, dsn, _ := storetest.DSN(t, config.DriverPostgres)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	common := map[string]string{
		"FORUM_DATABASE_URL": dsn, "FORUM_ADDR": "127.0.0.1:0", "FORUM_BASE_URL": base,
		"FORUM_SESSION_SECRET": strings.Repeat("shared-secret-", 4), "FORUM_TRUSTED_PROXIES": "127.0.0.1",
		"FORUM_LOG_LEVEL": "error",
	}
	nodeVars := func() map[string]string {
		v := map[string]string{"FORUM_DATA_DIR": t.TempDir()}
		for k, x := range common {
			v[k] = x
		}
		return v
	}
	if code, out, stderr := runCmd(t, nodeVars(), "seed"); code != 0 {
		t.Fatalf("seed: exit %d, %q %q", code, out, stderr)
	}
	a, b := &forumNode{name: "a", vars: nodeVars()}, &forumNode{name: "b", vars: nodeVars()}
	a.start(t)
	b.start(t)
	defer func() {
		for _, n := range []*forumNode{a, b} {
			if n.addr.Load() != nil {
				n.kill(t)
			}
		}
	}()
	lb := &balancer{nodes: []*forumNode{a, b}}
	srv := &http.Server{Handler: lb}
	go srv.Serve(ln) //nolint:errcheck // ends with Close
	defer srv.Close()

	// The member's session, as the sign-in made it: in the database, for every node.
	ctx := context.Background()
	cfg, err := config.Load(envOf(nodeVars()), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, cfg.Driver, cfg.DatabaseDSN, cfg.DatabaseLabel)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	member, err := st.UserByPseudonym(ctx, "maple_mom")
	if err != nil {
		t.Fatal(err)
	}
	token, _, err := auth.NewSessions(st).Create(ctx, member.ID, "two-node test", "203.0.113.1")
	if err != nil {
		t.Fatal(err)
	}
	v := &visitor{t: t, base: base, cookie: auth.CookieName + "=" + token,
		http: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for range 4 { // alternating: both nodes know the member
		if code, body, h := v.do("GET", "/", nil, "", ""); code != http.StatusOK || !strings.Contains(body, "maple_mom") {
			t.Fatalf("home on %s: %d, the member is not signed in", h.Get("X-Test-Served-By"), code)
		}
	}

	// A form served by one node is posted to the other.
	ask := func(title, from, to string) string {
		t.Helper()
		form := url.Values{"_csrf": {v.csrf(from)}, "kind": {"discussion"}, "title": {title},
			"body": {"How do your evenings go when the house is quiet? " + title}, "tags": {"craft"}}
		code, body, h := v.do("POST", "/ask", form, to, "")
		loc := h.Get("Location")
		if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/t/") {
			t.Fatalf("ask (form of %s, posted to %s): %d %s %.300s", from, to, code, loc, body)
		}
		return loc
	}
	const samples, workers, rate = 200, 10, 10
	threads := make([]string, workers)
	for i := range threads {
		threads[i] = ask("Evenings at home, thread "+marker("thread", i), "a", "b")
	}
	// Read and search on either node.
	for _, n := range []string{"a", "b"} {
		waitFor(t, func() bool {
			_, body, _ := v.do("GET", "/search?q="+marker("thread", 2), nil, n, "198.51.100.9")
			return strings.Contains(body, threads[2])
		}, 10*time.Second, "the new thread in node "+n+"'s search")
		if code, body, _ := v.do("GET", threads[1], nil, n, ""); code != http.StatusOK || !strings.Contains(body, marker("thread", 1)) {
			t.Fatalf("thread on node %s: %d", n, code)
		}
	}

	// The lag: a reply posted on node a, until node b's thread page shows it and node b's
	// search finds it (polled every 10 ms); 200 replies by ten members in ten threads, at
	// ten a second across the board (a busy forum: the rate make bench writes at), each
	// posted when it is due or, when the one before it is still being looked for, as soon
	// as that was found.
	var mu sync.Mutex
	var pageLag, searchLag []time.Duration
	var wg sync.WaitGroup
	var clients atomic.Int64
	nextClient := func() string {
		n := clients.Add(1)
		return fmt.Sprintf("10.%d.%d.%d", n>>16&255, n>>8&255, n&255)
	}
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			thread := threads[w]
			csrf := v.csrf("a")
			for i := w; i < samples; i += workers {
				time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / rate)))
				word := marker("reply", i)
				form := url.Values{"_csrf": {csrf}, "body": {"We tried the evening walks too, " + word + "."}}
				code, body, _ := v.do("POST", replyPath(thread), form, "a", nextClient())
				if code != http.StatusSeeOther {
					t.Errorf("reply on node a: %d %.300s", code, body)
					return
				}
				posted := time.Now()
				var inner sync.WaitGroup
				inner.Add(2)
				go func() {
					defer inner.Done()
					ok := poll(func() bool {
						_, body, _ := v.do("GET", thread, nil, "b", "")
						return strings.Contains(body, word)
					}, 10*time.Millisecond, 10*time.Second)
					if !ok {
						t.Errorf("reply %s is not on node b's page after 10 s", word)
						return
					}
					mu.Lock()
					pageLag = append(pageLag, time.Since(posted))
					mu.Unlock()
				}()
				go func() {
					defer inner.Done()
					ok := poll(func() bool {
						_, body, _ := v.do("GET", "/search?q="+word, nil, "b", nextClient())
						return strings.Contains(body, thread)
					}, 10*time.Millisecond, 10*time.Second)
					if !ok {
						t.Errorf("reply %s is not in node b's search after 10 s", word)
						return
					}
					mu.Lock()
					searchLag = append(searchLag, time.Since(posted))
					mu.Unlock()
				}()
				inner.Wait()
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	report := fmt.Sprintf("a post on node a reached node b (%d samples, %d replies/s): pages p50 %v p99 %v; search p50 %v p99 %v",
		len(pageLag), rate, percentile(pageLag, 50), percentile(pageLag, 99), percentile(searchLag, 50), percentile(searchLag, 99))
	t.Log(report)
	fmt.Println("two nodes:", report)

	// Node b stops; what is posted meanwhile (on a, the one node up) reaches it when it is back.
	b.kill(t)
	var missed []string
	for i := range 5 {
		word := marker("whiledown", i)
		form := url.Values{"_csrf": {v.csrf("")}, "body": {"Posted while node b was down, " + word + "."}}
		if code, body, h := v.do("POST", replyPath(threads[0]), form, "", nextClient()); code != http.StatusSeeOther || h.Get("X-Test-Served-By") != "a" {
			t.Fatalf("reply with node b down: %d on %s %.300s", code, h.Get("X-Test-Served-By"), body)
		}
		missed = append(missed, word)
	}
	restarted := time.Now()
	b.start(t)
	for _, word := range missed {
		waitFor(t, func() bool {
			_, body, _ := v.do("GET", "/search?q="+word, nil, "b", nextClient())
			return strings.Contains(body, threads[0])
		}, 30*time.Second, "a reply posted while node b was down, in its search after the restart")
	}
	if code, body, _ := v.do("GET", threads[0], nil, "b", ""); code != http.StatusOK || !strings.Contains(body, missed[4]) {
		t.Fatalf("node b's page after the restart: %d, without the replies posted while it was down", code)
	}
	catchUp := fmt.Sprintf("node b, restarted, found the 5 replies posted while it was down in %v", time.Since(restarted).Round(time.Millisecond))
	t.Log(catchUp)
	fmt.Println("two nodes:", catchUp)

	// One client's budget holds across both nodes: sign-in attempts (10 at once, then one
	// every 3 s), alternating between the nodes.
	allowed, servedBy := 0, map[string]int{}
	for range 20 {
		code, _, h := v.do("GET", "/auth/nosuch", nil, "", "192.0.2.77")
		servedBy[h.Get("X-Test-Served-By")]++
		if code != http.StatusTooManyRequests {
			allowed++
		}
	}
	if allowed < 10 || allowed > 11 || servedBy["a"] == 0 || servedBy["b"] == 0 {
		t.Fatalf("20 sign-in attempts of one client on both nodes (%v): %d allowed, want the one budget of 10", servedBy, allowed)
	}
}

// replyPath is where a reply to the thread at path (/t/ID/slug) is posted.
func replyPath(path string) string {
	return regexp.MustCompile(`^/t/[0-9]+`).FindString(path) + "/reply"
}

// poll calls ok every pause until it is true (true) or limit has passed (false).
func poll(ok func() bool, pause, limit time.Duration) bool {
	for deadline := time.Now().Add(limit); ; time.Sleep(pause) {
		if ok() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

func waitFor(t *testing.T, ok func() bool, limit time.Duration, what string) {
	t.Helper()
	if !poll(ok, 10*time.Millisecond, limit) {
		t.Fatalf("no %s within %v", what, limit)
	}
}
