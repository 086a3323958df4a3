package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// contentSecurityPolicy allows nothing inline and nothing from elsewhere.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// maxBody bounds a request body: a post is at most 50,000 characters.
const maxBody = "1M"

func (s *Server) middleware() {
	e := s.echo
	e.Pre(middleware.RemoveTrailingSlashWithConfig(middleware.TrailingSlashConfig{RedirectCode: http.StatusMovedPermanently}))
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{Generator: newRequestID}))
	e.Use(s.metrics.middleware)
	e.Use(s.requestLogger())
	e.Use(s.recoverPanic)
	e.Use(s.readTurns)
	hsts := 0
	if s.cfg.Secure() {
		hsts = 63072000
	}
	// Security headers first, so that every answer has them, error pages included.
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection:         "0",
		ContentTypeNosniff:    "nosniff",
		XFrameOptions:         "DENY",
		HSTSMaxAge:            hsts,
		ContentSecurityPolicy: contentSecurityPolicy,
		ReferrerPolicy:        "same-origin",
	}))
	e.Use(func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
			h.Set("Cross-Origin-Opener-Policy", "same-origin")
			return next(c)
		}
	})
	e.Use(checkURL)
	e.Use(middleware.BodyLimit(maxBody))
	e.Use(readForm)
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024,
		// A live stream's events must leave as they come, not wait in a compressor.
		Skipper: func(c echo.Context) bool { return strings.HasPrefix(c.Path(), "/live/") }}))
	e.Use(noCookieOnSharedResponses)
	// The CSRF token is bound to the session, so the session is read first.
	e.Use(s.loadViewer)
	e.Use(s.csrf)
	e.Use(s.needsPseudonym)
}

// requestLogger logs one line per request with its id, never its cookies, body or query.
// The path is logged as its route with only public parameters filled in (see loggedPath),
// so invite codes and tokens carried in addresses stay out of the log. A client that went
// away before its answer is logged as 499, at info: it is not the server's error.
func (s *Server) requestLogger() echo.MiddlewareFunc {
	return middleware.RequestLoggerWithConfig(middleware.RequestLoggerConfig{
		LogStatus:    true,
		LogMethod:    true,
		LogLatency:   true,
		LogRequestID: true,
		LogRemoteIP:  true,
		HandleError:  true,
		LogValuesFunc: func(c echo.Context, v middleware.RequestLoggerValues) error {
			level := slog.LevelInfo
			route := routeLabel(c)
			switch {
			case v.Status >= 500:
				level = slog.LevelError
			case strings.HasPrefix(route, "/static/") || route == "/favicon.ico" || route == "/healthz" || route == "/readyz":
				level = slog.LevelDebug
			}
			s.log.LogAttrs(c.Request().Context(), level, "request",
				slog.String("id", v.RequestID),
				slog.String("method", methodLabel(v.Method)),
				slog.String("route", route),
				slog.String("path", loggedPath(c)),
				slog.Int("status", v.Status),
				slog.Duration("latency", v.Latency),
				slog.String("ip", v.RemoteIP),
				slog.Bool("htmx", c.Request().Header.Get("HX-Request") == "true"),
			)
			return nil
		},
	})
}

// readersPerCore bounds the page reads that run at once, per core the process may use.
const readersPerCore = 4

// readTurns lets a few page reads run at once (readersPerCore per core); the others wait
// for their turn before any work is done for them. Writes and live streams never wait:
// when every core is busy with reads, Go's scheduler runs each goroutine in turn, and a
// reply, 10 ms of work, ran as one of dozens (a p99 of a second with 32 readers on 2
// cores); it now shares the cores with a few. The reads lose nothing: they were waiting
// for a core as well.
func (s *Server) readTurns(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if (r.Method != http.MethodGet && r.Method != http.MethodHead) || strings.HasPrefix(r.URL.Path, "/live/") ||
			r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return next(c)
		}
		select {
		case s.reading <- struct{}{}:
		case <-r.Context().Done():
			return r.Context().Err() // the reader went away while waiting
		}
		defer func() { <-s.reading }()
		return next(c)
	}
}

// recoverPanic turns a panic in a handler into a 500 answered by the error handler,
// and logs the stack with the request id.
func (s *Server) recoverPanic(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil || r == http.ErrAbortHandler {
				if r != nil {
					panic(r)
				}
				return
			}
			buf := make([]byte, 8<<10)
			buf = buf[:runtime.Stack(buf, false)]
			s.log.Error("panic", "id", requestID(c), "panic", fmt.Sprint(r), "stack", string(buf))
			err = fmt.Errorf("panic: %v", r)
		}()
		return next(c)
	}
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func requestID(c echo.Context) string {
	return c.Response().Header().Get(echo.HeaderXRequestID)
}

// loggableParams are the route parameters whose values may be logged: they name public
// things (a thread or post number, a slug, a pseudonym, a sign-in provider, a static
// file). Any other parameter, such as an invite code or an unsubscribe token, is logged
// as "REDACTED"; a parameter added later is redacted until it is listed here.
var loggableParams = map[string]bool{"id": true, "slug": true, "name": true, "provider": true, "*": true}

// loggedPath is the path of a request as the logs may hold it: its route template with
// the values of loggable parameters filled in and the others redacted. The path of a
// request that matched no route was made up by its sender and may hold anything: only
// its first segment is kept, and only when it reads like a file or a word ("robots.txt",
// "wp-login.php"), not like a code. The query is never logged.
func loggedPath(c echo.Context) string {
	route := c.Path()
	if route == "" || route == notFoundRoute {
		first, rest, _ := strings.Cut(strings.TrimPrefix(c.Request().URL.Path, "/"), "/")
		if !wordLike(first) {
			first = "REDACTED"
		}
		if rest != "" {
			return "/" + first + "/…"
		}
		return "/" + first
	}
	names, values := c.ParamNames(), c.ParamValues()
	value := func(name string) string {
		for i, n := range names {
			if n == name && i < len(values) {
				if !loggableParams[name] {
					return "REDACTED"
				}
				return shortPrefix(values[i], 80)
			}
		}
		return "REDACTED"
	}
	var b strings.Builder
	for i := 0; i < len(route); i++ {
		switch route[i] {
		case ':':
			j := i + 1
			for j < len(route) && route[j] != '/' {
				j++
			}
			b.WriteString(value(route[i+1 : j]))
			i = j - 1
		case '*':
			b.WriteString(value("*"))
		default:
			b.WriteByte(route[i])
		}
	}
	return b.String()
}

// wordLike reports whether a path segment reads like a word or a file name: short, in
// lower case, without digits. Codes and tokens (hex, base64) nearly always have digits
// or capitals.
func wordLike(seg string) bool {
	if len(seg) > 32 {
		return false
	}
	for _, r := range seg {
		if !(r >= 'a' && r <= 'z' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}
