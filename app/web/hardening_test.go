package web_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"forum/app/config"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// scrapeMetrics returns the metrics as Prometheus reads them: the number of series (sample
// lines) and the size of the body.
func scrapeMetrics(t *testing.T, e *env) (body string, series int) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.srv.MetricsHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("metrics = %d", rec.Code)
	}
	body = rec.Body.String()
	for _, line := range strings.Split(body, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			series++
		}
	}
	return body, series
}

// TestMetricsSeriesStayBounded sends 20,000 requests with made-up Host headers, methods
// and paths: they must add no series, and leave the metrics the same size.
func TestMetricsSeriesStayBounded(t *testing.T) {
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	rng := rand.New(rand.NewPCG(14, 1))
	word := func() string { return strconv.FormatUint(rng.Uint64(), 36) }
	kinds := []func() string{
		func() string { return "/" + word() + "/" + word() },            // no route
		func() string { return "/t/" + word() + "/" + word() },          // a thread that is not there
		func() string { return "/u/" + word() },                         // a profile that is not there
		func() string { return "/join/" + word() },                      // an invite that is not valid
		func() string { return "/static/" + word() + ".css" },           // no such file
		func() string { return "/tags/" + word() + "?after=" + word() }, // no such tag
		func() string { return "/crisis?" + word() + "=" + word() },
	}
	methods := []string{http.MethodGet, http.MethodPost, "PROPFIND", "X" + word()}
	hosts := map[string]bool{}
	send := func(from, n int) {
		for i := from; i < from+n; i++ {
			// Every kind with every method first, then at random.
			kind, method := i%len(kinds), (i/len(kinds))%len(methods)
			if i >= len(kinds)*len(methods) {
				kind, method = rng.IntN(len(kinds)), rng.IntN(len(methods))
			}
			m := methods[method]
			if method == len(methods)-1 {
				m = "X" + strings.ToUpper(word()) // a made-up method each time
			}
			req := httptest.NewRequest(m, kinds[kind](), nil)
			req.Host = fmt.Sprintf("h%d-%s.example.org", i, word())
			if i%100 == 0 {
				hosts[req.Host] = true
			}
			e.srv.Handler().ServeHTTP(httptest.NewRecorder(), req)
		}
	}
	send(0, 500) // every kind of answer these requests get now has its series
	before, seriesBefore := scrapeMetrics(t, e)
	for batch := 0; batch < 20; batch++ {
		send(500+batch*1000, 1000)
		if _, series := scrapeMetrics(t, e); series != seriesBefore {
			t.Fatalf("after %d more requests with made-up hosts and paths: %d series, was %d", (batch+1)*1000, series, seriesBefore)
		}
	}
	after, _ := scrapeMetrics(t, e)
	if growth := float64(len(after)-len(before)) / float64(len(before)); growth > 0.05 {
		t.Fatalf("metrics grew from %d to %d bytes (%.1f%%)", len(before), len(after), 100*growth)
	}
	for h := range hosts {
		if strings.Contains(after, h) {
			t.Fatalf("metrics name the made-up host %s", h)
		}
	}
	for _, label := range []string{`route="unmatched"`, `route="/u/:name"`, `route="/join/:code"`, `method="other"`} {
		if !strings.Contains(after, label) {
			t.Errorf("metrics lack %s", label)
		}
	}
	mustNotContain(t, after, "host=", "url=", `route="/static/`+"x")
}

// TestMetricsAreNotPublic: the public address has no /metrics; the metrics handler that
// ServeMetrics serves counts requests by route template.
func TestMetricsAreNotPublic(t *testing.T) {
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	if rec := e.get("/metrics"); rec.Code != http.StatusNotFound {
		t.Fatalf("public /metrics = %d, want 404", rec.Code)
	}
	e.as(e.parent).get(threadPath(e.answered))
	body, _ := scrapeMetrics(t, e)
	mustContain(t, body, `forum_http_requests_total{code="200",method="GET",route="/t/:id/:slug"} 1`,
		`forum_http_request_duration_seconds_bucket{method="GET",route="/t/:id/:slug"`, "go_goroutines",
		"forum_db_busy_retries_total 0")
	mustNotContain(t, body, e.answered.Slug)

	// ServeMetrics serves the same on its own listener, and nothing else there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.srv.ServeMetrics(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "forum_http_requests_total") {
		t.Fatalf("metrics listener: %d %.200s", resp.StatusCode, b)
	}
	if resp, err := http.Get(base + "/"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("metrics listener serves / : %v %v", resp, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeMetrics: %v", err)
	}
	if _, err := http.Get(base + "/metrics"); err == nil {
		t.Fatal("metrics listener still answers after shutdown")
	}
}

// since returns what was logged after mark (a length of e.logs()).
func (e *env) since(mark int) string { return e.logs()[mark:] }

func noErrorLogged(t *testing.T, logs string) {
	t.Helper()
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("an error was logged:\n%s", logs)
	}
}

// TestNULBytesAreTheClientsError: a NUL byte (or bytes that are not UTF-8) in a path,
// query or form field is no server error. Paths answer 400 with a calm page; in a query
// they are taken out; forms come back with the rest of the text and a message, and
// nothing is saved.
func TestNULBytesAreTheClientsError(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		for _, c := range []*client{e.as(nil), e.as(e.parent)} {
			for _, path := range []string{"/u/%00", "/u/a%00b", "/u/%ff%fe", "/join/%00", "/t/1/%00", "/tags/craft%00"} {
				mark := len(e.logs())
				rec := c.get(path)
				if rec.Code != http.StatusBadRequest {
					t.Errorf("GET %s = %d, want 400", path, rec.Code)
				}
				mustContain(t, rec.Body.String(), "That could not be read", "Go back and try again")
				noErrorLogged(t, e.since(mark))
			}
			mark := len(e.logs())
			for _, path := range []string{"/search?q=rel%00apse%ff", "/search?q=relapse&tag=craft%00", "/?after=%00", "/tags/craft?after=1%00-2"} {
				if rec := c.get(path); rec.Code != http.StatusOK && rec.Code != http.StatusUnauthorized {
					t.Errorf("GET %s = %d, want the page", path, rec.Code)
				}
			}
			mustContain(t, c.get("/search?q=rel%00apse%ff").Body.String(), `value="relapse"`)
			noErrorLogged(t, e.since(mark))
		}

		ctx := context.Background()
		member := e.as(e.parent)
		member.get(threadPath(e.answered))
		before, err := e.st.PostsByThread(ctx, e.answered.ID)
		if err != nil {
			t.Fatal(err)
		}
		mark := len(e.logs())
		rec := member.post(fmt.Sprintf("/t/%d/reply", e.answered.ID), url.Values{"body": {"Thank you.\x00 We will try this tonight."}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("reply with a NUL byte = %d, want 422", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Thank you. We will try this tonight.</textarea>", "invisible characters that cannot be saved")
		// With htmx, the reply form comes back in place.
		rec = member.post(fmt.Sprintf("/t/%d/reply", e.answered.ID), url.Values{"body": {"Thank you\xff\xfe again."}}, "HX-Request", "true")
		if rec.Code != http.StatusUnprocessableEntity || rec.Header().Get("HX-Retarget") != "#reply-form" {
			t.Fatalf("htmx reply with bytes that are not UTF-8 = %d %q", rec.Code, rec.Header().Get("HX-Retarget"))
		}
		mustContain(t, rec.Body.String(), "Thank you again.</textarea>", "invisible characters")
		if after, _ := e.st.PostsByThread(ctx, e.answered.ID); len(after) != len(before) {
			t.Fatalf("a reply with a NUL byte was saved: %d posts, was %d", len(after), len(before))
		}

		member.get("/ask")
		rec = member.post("/ask", url.Values{"title": {"How do we talk\x00 about the relapse?"},
			"body": {"Our son used again after 90 days."}, "tags": {"craft"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("ask with a NUL byte = %d, want 422", rec.Code)
		}
		mustContain(t, rec.Body.String(), `value="How do we talk about the relapse?"`, "Our son used again after 90 days.", "invisible characters")

		own, err := e.st.PostsByThread(ctx, e.resolved.ID)
		if err != nil {
			t.Fatal(err)
		}
		member.get(fmt.Sprintf("/p/%d/edit", own[0].ID))
		rec = member.post(fmt.Sprintf("/p/%d/edit", own[0].ID), url.Values{"title": {e.resolved.Title}, "body": {"He gets\x00 defensive."}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("edit with a NUL byte = %d, want 422", rec.Code)
		}
		mustContain(t, rec.Body.String(), "He gets defensive.", "invisible characters")

		member.get("/account")
		rec = member.post("/account/bio", url.Values{"bio": {"Mother of two.\x00"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("bio with a NUL byte = %d, want 422", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Mother of two.</textarea>", "invisible characters")
		rec = member.post("/account/pseudonym", url.Values{"pseudonym": {"maple\x00_mom2"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("pseudonym with a NUL byte = %d, want 422", rec.Code)
		}
		mustContain(t, rec.Body.String(), `value="maple_mom2"`, "invisible characters")

		mod := e.as(e.moderator)
		mod.get("/tags")
		rec = mod.post("/tags", url.Values{"name": {"Family\x00 therapy"}, "slug": {"family-therapy"}, "description": {"Sessions together."}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("tag with a NUL byte = %d, want 422", rec.Code)
		}
		mustContain(t, rec.Body.String(), `value="Family therapy"`, "invisible characters")
		mod.get("/tags/craft")
		rec = mod.post("/tags/craft", url.Values{"name": {"CRAFT"}, "slug": {"craft"}, "description": {"Community\x00 reinforcement."}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("tag edit with a NUL byte = %d, want 422", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Community reinforcement.", "invisible characters")
		if tag, err := e.st.TagBySlug(ctx, "craft"); err != nil || strings.Contains(tag.Description, "Community") {
			t.Fatalf("tag changed: %+v %v", tag, err)
		}
		noErrorLogged(t, e.since(mark))

		// Someone who may not reply learns nothing of the thread from a NUL byte.
		visitor := e.as(nil)
		rec = visitor.post(fmt.Sprintf("/t/%d/reply", e.question.ID), url.Values{"body": {"x\x00"}})
		mustNotContain(t, rec.Body.String(), e.question.Title, "x</textarea>")
	})
}

// TestClientGoneIsNotAnError: a request whose client went away is logged as 499, at
// info, and no error line is written.
func TestClientGoneIsNotAnError(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.as(e.parent)
		for _, path := range []string{"/", threadPath(e.answered), "/search?q=relapse"} {
			ctx, cancel := context.WithCancel(context.Background())
			cancel() // the tab was closed before the database answered
			req := httptest.NewRequestWithContext(ctx, http.MethodGet, path, nil)
			for k, v := range c.cookies {
				req.AddCookie(&http.Cookie{Name: k, Value: v})
			}
			mark := len(e.logs())
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, req)
			logs := e.since(mark)
			if rec.Code != 499 {
				t.Errorf("GET %s from a client that went away = %d, want 499", path, rec.Code)
			}
			if !strings.Contains(logs, "level=INFO msg=request") || !strings.Contains(logs, "status=499") {
				t.Errorf("GET %s: request not logged as 499 at info:\n%s", path, logs)
			}
			noErrorLogged(t, logs)
		}
	})
}

// formRequest builds a POST of body from client c with its cookies and CSRF token.
func formRequest(c *client, path, contentType string, body io.Reader) *http.Request {
	req := httptest.NewRequest(http.MethodPost, path, body)
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("X-CSRF-Token", c.csrf)
	for k, v := range c.cookies {
		req.AddCookie(&http.Cookie{Name: k, Value: v})
	}
	return req
}

// TestBodiesThatCannotBeRead: a body over the limit without a Content-Length answers 413,
// a malformed form 400, each with a calm page and no error logged; a good multipart form
// is still read.
func TestBodiesThatCannotBeRead(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.as(e.parent)
		c.get(threadPath(e.answered))
		replyPath := fmt.Sprintf("/t/%d/reply", e.answered.ID)
		serve := func(req *http.Request) *httptest.ResponseRecorder {
			rec := httptest.NewRecorder()
			e.srv.Handler().ServeHTTP(rec, req)
			return rec
		}
		mark := len(e.logs())

		// Chunked, so the size is known only once it is read.
		big := io.MultiReader(strings.NewReader("body="), strings.NewReader(strings.Repeat("x", 2<<20)))
		req := formRequest(c, replyPath, "application/x-www-form-urlencoded", big)
		req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
		rec := serve(req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked 2 MiB reply = %d, want 413", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Too long", "your text should still be in the form")
		mustNotContain(t, rec.Body.String(), "Write a few words")

		// The same as multipart.
		var mp bytes.Buffer
		w := multipart.NewWriter(&mp)
		_ = w.WriteField("body", strings.Repeat("y", 2<<20))
		_ = w.Close()
		req = formRequest(c, replyPath, w.FormDataContentType(), io.MultiReader(&mp))
		req.ContentLength, req.TransferEncoding = -1, []string{"chunked"}
		if rec := serve(req); rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked 2 MiB multipart reply = %d, want 413", rec.Code)
		}

		for name, tc := range map[string]struct{ contentType, body string }{
			"bad escape":           {"application/x-www-form-urlencoded", "body=50%zz+off"},
			"bad content type":     {"application/x-www-form-urlencoded; =", "body=hello+there"},
			"multipart, no bound":  {"multipart/form-data", "body=hello"},
			"multipart, truncated": {"multipart/form-data; boundary=XYZ", "--XYZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nhel"},
		} {
			rec := serve(formRequest(c, replyPath, tc.contentType, strings.NewReader(tc.body)))
			if rec.Code != http.StatusBadRequest {
				t.Errorf("%s: reply = %d, want 400", name, rec.Code)
			}
			mustContain(t, rec.Body.String(), "That could not be read")
		}
		noErrorLogged(t, e.since(mark))

		// A well-formed multipart reply is posted.
		mp.Reset()
		w = multipart.NewWriter(&mp)
		_ = w.WriteField("body", "Sent as multipart, and read.")
		_ = w.Close()
		if rec := serve(formRequest(c, replyPath, w.FormDataContentType(), &mp)); rec.Code != http.StatusSeeOther {
			t.Fatalf("multipart reply = %d %s", rec.Code, rec.Body)
		}
		posts, _ := e.st.PostsByThread(context.Background(), e.answered.ID)
		if last := posts[len(posts)-1]; last.BodySource != "Sent as multipart, and read." {
			t.Fatalf("last post = %q", last.BodySource)
		}

		// A body bounded by the standard library's reader (http.MaxBytesReader) is 413 too,
		// whether the form or a handler reads it.
		e.srv.Echo().Pre(func(next echo.HandlerFunc) echo.HandlerFunc {
			return func(c echo.Context) error {
				c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, 1000)
				return next(c)
			}
		})
		e.srv.Echo().GET("/test-read-body", func(c echo.Context) error {
			_, err := io.ReadAll(c.Request().Body)
			return err
		})
		mark = len(e.logs())
		form := url.Values{"body": {strings.Repeat("w", 5000)}}.Encode()
		if rec := serve(formRequest(c, replyPath, "application/x-www-form-urlencoded", strings.NewReader(form))); rec.Code != http.StatusRequestEntityTooLarge {
			t.Errorf("form over http.MaxBytesReader's limit = %d, want 413", rec.Code)
		}
		req = httptest.NewRequest(http.MethodGet, "/test-read-body", strings.NewReader(form))
		if rec := serve(req); rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "Too long") {
			t.Errorf("body over http.MaxBytesReader's limit = %d, want 413", rec.Code)
		}
		noErrorLogged(t, e.since(mark))
	})
}

// TestSlowBodyTimesOut: a body still arriving when the server's read timeout passes is
// answered 408 with a calm page, and no error is logged.
func TestSlowBodyTimesOut(t *testing.T) {
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	e.srv.ReadTimeout = 400 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.srv.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-served
	}()

	c := e.as(e.parent)
	c.get(threadPath(e.answered)) // the member's CSRF cookie and token
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var cookies []string
	for k, v := range c.cookies {
		cookies = append(cookies, k+"="+v)
	}
	mark := len(e.logs())
	fmt.Fprintf(conn, "POST /t/%d/reply HTTP/1.1\r\nHost: forum.test\r\nContent-Type: application/x-www-form-urlencoded\r\n"+
		"Content-Length: 1000\r\nX-CSRF-Token: %s\r\nCookie: %s\r\n\r\nbody=On+a+slow+phone+line",
		e.answered.ID, c.csrf, strings.Join(cookies, "; "))
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a slow body: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("slow body = %d, want 408", resp.StatusCode)
	}
	mustContain(t, string(body), "That took too long to arrive", "your text should still be in the form")
	time.Sleep(50 * time.Millisecond) // the request line is logged after the answer is sent
	noErrorLogged(t, e.since(mark))
	if !strings.Contains(e.since(mark), "status=408") {
		t.Errorf("request not logged as 408:\n%s", e.since(mark))
	}
}

// TestRequestLogHoldsNoSecrets: invite codes, tokens in paths and query strings never
// reach the log, on success, on 404 and on a server error.
func TestRequestLogHoldsNoSecrets(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		admin := e.addUser("site_admin", model.RoleAdmin, model.StatusActive)
		code, _, err := e.forum.CreateInvite(context.Background(), admin, forum.InviteInput{MaxUses: 5, Days: 7})
		if err != nil {
			t.Fatal(err)
		}
		const token = "unsubscribe-Tok3n-d0ntl0g"
		e.srv.Echo().GET("/test-unsubscribe/:token", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
		e.srv.Echo().GET("/test-broken/:token", func(c echo.Context) error { return errors.New("the mail queue is down") })
		mark := len(e.logs())
		visitor := e.as(nil)
		for path, want := range map[string]int{
			"/join/" + code:                        http.StatusOK,
			"/join/" + code + "?ref=" + token:      http.StatusOK,
			"/join/" + code + "/extra":             http.StatusNotFound,
			"/" + code:                             http.StatusNotFound,
			"/joining/" + code:                     http.StatusNotFound,
			"/test-unsubscribe/" + token:           http.StatusOK,
			"/test-broken/" + token:                http.StatusInternalServerError,
			"/auth/github/callback?code=" + token:  -1,
			threadPath(e.answered) + "?t=" + token: -1,
		} {
			if rec := visitor.get(path); want > 0 && rec.Code != want {
				t.Errorf("GET %s = %d, want %d", path, rec.Code, want)
			}
		}
		logs := e.since(mark)
		for _, secret := range []string{code, token, code[:12]} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds %q:\n%s", secret, logs)
			}
		}
		mustContain(t, logs, "route=/join/:code path=/join/REDACTED", "route=unmatched path=/REDACTED ", "route=unmatched path=/joining/… ",
			"path=/test-unsubscribe/REDACTED", "msg=\"request failed\"", "path="+threadPath(e.answered)+" ")
	})
}

// TestMessagesQuoteOnlyAPrefix: an error message, and what a page says back of a request,
// quotes at most a short prefix of what was typed.
func TestMessagesQuoteOnlyAPrefix(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		long := strings.Repeat("z", 5000)
		c := e.as(e.parent)
		c.get("/ask")
		rec := c.post("/ask", url.Values{"title": {"What helps after a relapse?"}, "body": {"He used again last week."},
			"tags": {"craft", long}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("ask with an unknown tag = %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Choose tags from the list", strings.Repeat("z", 30)+"…")
		mustNotContain(t, rec.Body.String(), strings.Repeat("z", 31))

		q := strings.Repeat("relapse ", 1000)
		tags := url.Values{"q": {q}}
		for i := 0; i < 50; i++ {
			tags.Add("tag", "t"+strconv.Itoa(i))
		}
		tags.Add("tag", long)
		rec = c.get("/search?" + tags.Encode())
		if rec.Code != http.StatusOK {
			t.Fatalf("long search = %d", rec.Code)
		}
		body := rec.Body.String()
		title := regexp.MustCompile(`(?s)<title>(.*?)</title>`).FindStringSubmatch(body)
		if title == nil {
			t.Fatal("search page has no title")
		}
		if n := utf8.RuneCountInString(title[1]); n > 120 {
			t.Errorf("search page title is %d characters", n)
		}
		if n := strings.Count(body, `name="tag"`); n > 5 {
			t.Errorf("search page repeats %d tags", n)
		}
		mustNotContain(t, body, strings.Repeat("relapse ", 64), strings.Repeat("z", 41))
		mustContain(t, body, "Only the first 500 characters of the search were used.")
	})
}

// TestOddUserAgentSignsIn: a User-Agent header with bytes that are not UTF-8 is kept as
// text a database takes, and signing in works.
func TestOddUserAgentSignsIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnvWith(t, st, envOptions{fixtures: true, dev: true})
		c := e.as(nil)
		c.get("/dev/login")
		ua := "Mozilla/5.0 (\xff\xfe) " + strings.Repeat("é", 150)
		mark := len(e.logs())
		rec := c.post("/dev/login", url.Values{"persona": {"maple_mom"}}, "User-Agent", ua)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("dev sign-in with an odd User-Agent = %d", rec.Code)
		}
		noErrorLogged(t, e.since(mark))
		sessions, err := st.ActiveSessions(context.Background(), e.parent.ID, time.Now().UTC())
		if err != nil || len(sessions) == 0 {
			t.Fatalf("sessions: %v %d", err, len(sessions))
		}
		for _, s := range sessions {
			if !utf8.ValidString(s.UserAgent) || len(s.UserAgent) > 200 {
				t.Errorf("stored User-Agent %q", s.UserAgent)
			}
		}
	})
}

// TestRepliesDoNotWaitForReads: with every place for page reads taken (readTurns), a
// reply is answered at once, and a page read waits until a place is free.
func TestRepliesDoNotWaitForReads(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.as(e.parent)
		c.get(threadPath(e.question)) // the form's CSRF token
		release := e.srv.HoldReadTurns()
		released := false
		defer func() {
			if !released {
				release()
			}
		}()
		rec := c.post(fmt.Sprintf("/t/%d/reply", e.question.ID), url.Values{"body": {"We tried the evening walks too."}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("reply while every read waits: %d %.300s", rec.Code, rec.Body.String())
		}
		read := make(chan int, 1)
		reader := e.as(e.spouse)
		go func() { read <- reader.get(threadPath(e.question)).Code }()
		select {
		case code := <-read:
			t.Fatalf("a page read ran while every place was taken: %d", code)
		case <-time.After(200 * time.Millisecond):
		}
		release()
		released = true
		if code := <-read; code != http.StatusOK {
			t.Fatalf("the page read after a place came free: %d", code)
		}
	})
}
