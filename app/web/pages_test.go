package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestHomeFullPageAndFragment(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		full := e.as(e.parent).get("/")
		if full.Code != http.StatusOK {
			t.Fatalf("GET / = %d", full.Code)
		}
		body := full.Body.String()
		mustContain(t, body, "<!doctype html>", "<title>Latest discussions", e.question.Title, e.answered.Title, e.resolved.Title,
			"Awaiting an answer", "Expert answered", "Resolved", "2 replies", "1 reply", "CRAFT", "Boundaries", "MAT")
		// The anonymous asker is never named.
		mustContain(t, body, "by A member of the community")
		mustNotContain(t, body, "quiet_harbor")
		if v := full.Header().Values(echo.HeaderVary); !containsFold(v, "HX-Request") {
			t.Errorf("Vary = %v, want HX-Request", v)
		}

		frag := e.as(e.parent).get("/", "HX-Request", "true")
		fb := frag.Body.String()
		if frag.Code != http.StatusOK {
			t.Fatalf("htmx GET / = %d", frag.Code)
		}
		mustContain(t, fb, e.resolved.Title, `class="page-home"`)
		mustNotContain(t, fb, "<html", "<title>", "site-footer")

		// A boosted link and a history restore want the whole page.
		for _, h := range [][]string{{"HX-Request", "true", "HX-Boosted", "true"}, {"HX-Request", "true", "HX-History-Restore-Request", "true"}} {
			if b := e.as(e.parent).get("/", h...).Body.String(); !strings.Contains(b, "<html") {
				t.Errorf("headers %v: want the whole page", h)
			}
		}
	})
}

func TestThreadFullPageAndFragment(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		path := threadPath(e.resolved)
		full := e.as(e.parent).get(path)
		if full.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, full.Code)
		}
		body := full.Body.String()
		mustContain(t, body, "<h1>"+e.resolved.Title+"</h1>", "He gets defensive", "We practiced with a counselor first.",
			"Pick a calm moment, lead with <em>love</em>", "badge-expert", "CRAFT-certified family recovery coach",
			"The answer that helped", "Marked helpful by the asker", "Resolved", "coach_dana", "maple_mom")
		// The helpful reply is shown under the question, before the replies in order.
		if i, j := strings.Index(body, "The answer that helped"), strings.Index(body, "We practiced"); i < 0 || j < i {
			t.Errorf("helpful answer is not shown right under the question")
		}
		mustNotContain(t, body, "maple_mom@example.invalid", "Real maple_mom")
		if n := strings.Count(body, "Pick a calm moment"); n != 1 {
			t.Errorf("the helpful reply is shown %d times, want once", n)
		}

		frag := e.as(e.parent).get(path, "HX-Request", "true")
		mustContain(t, frag.Body.String(), "He gets defensive", `class="page-thread"`)
		mustNotContain(t, frag.Body.String(), "<html", "<title>")
		if v := frag.Header().Values(echo.HeaderVary); !containsFold(v, "HX-Request") {
			t.Errorf("fragment Vary = %v", v)
		}
	})
}

func TestThreadAnonymousAndStates(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		body := e.as(e.parent).get(threadPath(e.question)).Body.String()
		mustContain(t, body, "A member of the community", "Awaiting an answer", "No replies yet", "<strong>tense</strong>")
		mustNotContain(t, body, "quiet_harbor")

		body = e.as(e.parent).get(threadPath(e.answered)).Body.String()
		mustContain(t, body, "Expert answered", "Medication for opioid use disorder")
		mustNotContain(t, body, "The answer that helped")
	})
}

func TestThreadURLs(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		member := e.as(e.parent)
		id := strings.Split(threadPath(e.resolved), "/")[2]
		for _, p := range []string{"/t/" + id, "/t/" + id + "/wrong-slug"} {
			rec := member.get(p)
			if rec.Code != http.StatusMovedPermanently || rec.Header().Get("Location") != threadPath(e.resolved) {
				t.Errorf("GET %s = %d to %q, want 301 to %s", p, rec.Code, rec.Header().Get("Location"), threadPath(e.resolved))
			}
		}
		for _, p := range []string{"/t/999999/x", "/t/abc", "/t/-1/x", "/t/99999999999999999999999/x", "/no/such/page"} {
			rec := member.get(p)
			if rec.Code != http.StatusNotFound {
				t.Errorf("GET %s = %d, want 404", p, rec.Code)
			}
			mustContain(t, rec.Body.String(), "Page not found")
		}
		frag := member.get("/t/999999/x", "HX-Request", "true")
		if frag.Code != http.StatusNotFound || strings.Contains(frag.Body.String(), "<html") {
			t.Errorf("htmx 404 = %d, want a fragment", frag.Code)
		}
	})
}

var inlineScript = regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]+</script>|<script>|\son[a-z]+=`)

func TestSecurityHeadersAndNoInlineScript(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		member := e.as(e.parent)
		for _, p := range []string{"/", threadPath(e.resolved), "/crisis", "/nope", "/login", "/account"} {
			rec := member.get(p)
			h := rec.Header()
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "object-src 'none'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("%s: CSP %q lacks %q", p, csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("%s: CSP allows unsafe code: %q", p, csp)
			}
			if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
				t.Errorf("%s: missing nosniff or frame headers: %v", p, h)
			}
			if h.Get(echo.HeaderXRequestID) == "" {
				t.Errorf("%s: no request id", p)
			}
			if m := inlineScript.FindString(rec.Body.String()); m != "" {
				t.Errorf("%s: inline script %q", p, m)
			}
		}
	})
}

func TestStaticFilesAreFingerprinted(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		body := e.as(e.parent).get("/").Body.String()
		m := regexp.MustCompile(`href="(/static/css/forum\.[0-9a-f]{10}\.css)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no fingerprinted stylesheet in the page")
		}
		rec := e.get(m[1])
		if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
			t.Fatalf("GET %s = %d, Cache-Control %q", m[1], rec.Code, rec.Header().Get("Cache-Control"))
		}
		if !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
			t.Errorf("Content-Type = %q", rec.Header().Get("Content-Type"))
		}
		old := e.get("/static/css/forum.0000000000.css")
		if old.Code != http.StatusOK || old.Header().Get("Cache-Control") != "no-cache" {
			t.Errorf("old fingerprint = %d, Cache-Control %q, want 200 no-cache", old.Code, old.Header().Get("Cache-Control"))
		}
		js := regexp.MustCompile(`src="(/static/vendor/htmx/htmx\.min\.[0-9a-f]{10}\.js)"`).FindStringSubmatch(body)
		if js == nil || e.get(js[1]).Code != http.StatusOK {
			t.Errorf("vendored htmx is not served: %v", js)
		}
		if rec := e.get("/static/../go.mod"); rec.Code != http.StatusNotFound {
			t.Errorf("path escape = %d", rec.Code)
		}
		if rec := e.get("/static/nothing.css"); rec.Code != http.StatusNotFound {
			t.Errorf("unknown static file = %d", rec.Code)
		}
	})
}

func TestGzip(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rec := e.as(e.parent).get("/", "Accept-Encoding", "gzip")
		if rec.Header().Get("Content-Encoding") != "gzip" {
			t.Fatalf("Content-Encoding = %q", rec.Header().Get("Content-Encoding"))
		}
		zr, err := gzip.NewReader(rec.Body)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(zr)
		mustContain(t, string(b), e.resolved.Title)
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		if rec := e.get("/healthz"); rec.Code != http.StatusOK {
			t.Errorf("/healthz = %d", rec.Code)
		}
		if rec := e.get("/readyz"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"database":"ok"`) ||
			!strings.Contains(rec.Body.String(), `"search_lag":`) {
			t.Errorf("/readyz = %d %s", rec.Code, rec.Body)
		}
		e.as(e.parent).get("/")
		m, _ := scrapeMetrics(t, e)
		mustContain(t, m, "forum_http_requests_total", `route="/"`, "go_goroutines")

		// With the database gone, the server is not ready.
		e.st.Close()
		if rec := e.get("/readyz"); rec.Code != http.StatusServiceUnavailable {
			t.Errorf("/readyz without database = %d, want 503", rec.Code)
		}
	})
}

func TestPanicIsRecoveredAndLogged(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		e.srv.Echo().GET("/test-panic", func(echo.Context) error { panic("boom") })
		rec := e.get("/test-panic")
		if rec.Code != http.StatusInternalServerError {
			t.Fatalf("panic = %d", rec.Code)
		}
		id := rec.Header().Get(echo.HeaderXRequestID)
		mustContain(t, rec.Body.String(), "Something went wrong on our side", id)
		mustNotContain(t, rec.Body.String(), "boom", "goroutine")
		mustContain(t, e.logs(), "panic", "boom", "id="+id)
	})
}

func TestBodyLimit(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		req, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader(strings.Repeat("x", 2<<20)))
		rec := newRecorder()
		e.srv.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge {
			t.Fatalf("2 MiB body = %d, want 413", rec.Code)
		}
	})
}

func TestCrisisPage(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		rec := e.get("/crisis")
		mustContain(t, rec.Body.String(), "988", "1-800-662-4357", "naloxone")
		// Every page links to it.
		mustContain(t, e.as(e.parent).get("/").Body.String(), `href="/crisis"`)
	})
}

func containsFold(values []string, want string) bool {
	for _, v := range values {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), want) {
				return true
			}
		}
	}
	return false
}

// TestEveryRenderingVariesOnEveryHTMXHeader: whether a page comes whole or as its content
// block depends on HX-Request, HX-Boosted and HX-History-Restore-Request, so every answer
// names all three in Vary: pages, fragments, partials and error pages, the cached thread
// page included. A boosted request and a history restore of the thread page get it whole.
func TestEveryRenderingVariesOnEveryHTMXHeader(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		member := e.as(e.parent)
		headers := [][]string{nil, {"HX-Request", "true"}, {"HX-Request", "true", "HX-Boosted", "true"},
			{"HX-Request", "true", "HX-History-Restore-Request", "true"}}
		for _, path := range []string{"/", threadPath(e.resolved), "/tags", "/tags/craft", "/mine", "/search?q=craft",
			"/ask/similar?title=talking+with+our+son", "/crisis", "/no-such-page", "/t/999999/gone"} {
			for _, h := range headers {
				rec := member.get(path, h...)
				for _, want := range []string{"HX-Request", "HX-Boosted", "HX-History-Restore-Request"} {
					if v := rec.Header().Values(echo.HeaderVary); !containsFold(v, want) {
						t.Errorf("GET %s %v (%d): Vary = %v, want %s", path, h, rec.Code, v, want)
					}
				}
			}
		}
		for _, h := range headers[2:] {
			if b := member.get(threadPath(e.resolved), h...).Body.String(); !strings.Contains(b, "<html") || !strings.Contains(b, "He gets defensive") {
				t.Errorf("thread page with %v: want the whole page", h)
			}
		}
		if b := member.get(threadPath(e.resolved), "HX-Request", "true").Body.String(); strings.Contains(b, "<html") {
			t.Error("thread page for htmx: want its content block only")
		}
	})
}
