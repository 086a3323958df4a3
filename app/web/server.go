// Package web is the forum's HTTP side: routes, middleware, handlers and rendering.
// It is the only package that imports echo.
package web

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"forum/app/auth"
	"forum/app/background"
	"forum/app/config"
	"forum/app/forum"
	"forum/app/mail"
	"forum/app/notify"
	"forum/app/policy"
	"forum/app/store"
	"forum/app/unread"
	"forum/search"
	"forum/static"
	"forum/views"
)

// SiteName is the forum's name as shown on every page.
const SiteName = "Kinship"

// Options are the dependencies of a Server.
type Options struct {
	Config  *config.Config
	Store   *store.Store
	Forum   *forum.Service
	Logger  *slog.Logger
	Version string
	// Providers are the sign-in providers; nil means none are configured.
	Providers *auth.Providers
	// Search is the full-text index and Syncer what keeps it current; nil: no search.
	Search *search.Index
	Syncer *search.Syncer
	// NoRateLimits turns the per-client rate limits off; only the load benchmark does,
	// since all of its requests come from one address.
	NoRateLimits bool
	// Background owns the server's own background work (the change watcher, the
	// notification fan-out), which Serve starts in it; nil: Serve runs that work itself and
	// waits for it before it returns.
	Background *background.Group
	// Notify follows, fans out and reads notifications; nil: one without e-mail. Serve
	// runs its fan-out; Forum.AfterEvent should be its Poke.
	Notify *notify.Service
}

// Server serves the forum over HTTP.
type Server struct {
	cfg     *config.Config
	store   *store.Store
	forum   *forum.Service
	log     *slog.Logger
	version string

	sessions     *auth.Sessions
	providers    *auth.Providers
	notify       *notify.Service
	search       *search.Index
	syncer       *search.Syncer
	similarCache *search.SimilarCache
	unsubscriber *mail.Unsubscriber
	threads      *threadCache
	layouts      layoutCache
	reads        *unread.Positions

	noRateLimits bool
	background   *background.Group

	echo     *echo.Echo
	assets   *static.Assets
	views    *views.Set
	registry *prometheus.Registry
	metrics  *httpMetrics

	// ReadTimeout bounds reading a whole request, its body included: a slower upload is
	// answered 408.
	ReadTimeout time.Duration

	// ShutdownTimeout bounds how long in-flight requests may take to finish at shutdown.
	ShutdownTimeout time.Duration
}

// New builds the server: it parses every template (a broken one is an error) and
// registers the routes.
func New(o Options) (*Server, error) {
	s := &Server{
		cfg: o.Config, store: o.Store, forum: o.Forum, log: o.Logger, version: o.Version,
		ShutdownTimeout: 30 * time.Second,
		ReadTimeout:     60 * time.Second,
		sessions:        auth.NewSessions(o.Store), providers: o.Providers, search: o.Search, syncer: o.Syncer,
		noRateLimits: o.NoRateLimits, background: o.Background, notify: o.Notify,
	}
	if s.notify == nil {
		s.notify = notify.New(o.Store, notify.Options{Logger: o.Logger})
	}
	if s.providers == nil {
		s.providers = &auth.Providers{}
	}
	s.threads = newThreadCache(o.Store, s.cfg.Dev)
	s.unsubscriber = mail.NewUnsubscriber(o.Store, s.cfg.SessionSecret)
	s.reads = unread.New(o.Store, s.log)
	if s.search != nil {
		s.similarCache = search.NewSimilarCache(s.search, 5*time.Minute, 20000)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.cfg.Dev && dirExists("static") {
		s.assets, err = static.LoadFS(os.DirFS("static"))
	} else {
		s.assets, err = static.Load()
	}
	if err != nil {
		return nil, err
	}
	if s.views, err = views.Parse(views.FS(), s.funcs()); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	s.registry = prometheus.NewRegistry()
	s.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		// How often writers met a busy database (SQLite's one writer at a time): retried,
		// so people never see it, but a rising count says the database is the bottleneck.
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "forum", Subsystem: "db", Name: "busy_retries_total",
			Help: "Transactions retried after the database reported it was busy."},
			func() float64 { return float64(o.Store.BusyRetries()) }))
	s.metrics = newHTTPMetrics(s.registry)

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// Never trust X-Forwarded-For by default: rate limits key on the client address.
	e.IPExtractor = echo.ExtractIPDirect()
	e.HTTPErrorHandler = s.handleError
	s.echo = e
	s.routes()
	return s, nil
}

// Serve answers requests on ln until ctx is cancelled, then stops taking new connections
// and lets in-flight requests finish (up to ShutdownTimeout) before returning. The change
// watcher and the writer of read positions run in Options.Background, whose owner waits
// for them; without one, Serve waits for them before it returns. The writer of read
// positions writes the last ones once the last request is answered.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	bg := s.background
	if bg == nil {
		bg = background.New(ctx, s.log)
		defer bg.Stop()
	}
	// Closed when Serve returns, after the requests in flight (and before a group of its
	// own is stopped: deferred calls run last first).
	drained := make(chan struct{})
	defer close(drained)
	bg.Go("change watcher", s.watchChanges)
	bg.Go("read positions", func(ctx context.Context) { s.reads.Run(ctx, drained, s.ShutdownTimeout+5*time.Second) })
	bg.Go("notification fan-out", s.notify.Run)
	s.log.Info("listening", "addr", ln.Addr().String(), "url", s.cfg.BaseURL.String(), "dev", s.cfg.Dev)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down: finishing requests in flight", "timeout", s.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	s.log.Info("stopped")
	return nil
}

func (s *Server) funcs() template.FuncMap {
	return template.FuncMap{
		"asset": func(name string) (string, error) {
			p, err := s.assets.Path(name)
			return "/static/" + p, err
		},
		"ago":       ago,
		"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"longdate":  func(t time.Time) string { return t.UTC().Format("2 January 2006, 15:04 UTC") },
		"monthyear": func(t time.Time) string { return t.UTC().Format("January 2006") },
		// The questions templates ask of app/policy, named for what they decide.
		"canReadMembersOnly":    policy.IsMember,
		"canSeeUnansweredQueue": policy.CanSeeUnansweredQueue,
		"canApproveMembers":     policy.CanApproveMembers,
		"canManageRoles":        policy.CanManageRoles,
		"canReadNotices":        policy.CanReadNotices,
		"noticesBadge":          noticesBadge,
		"canAsk":                policy.CanAsk,
		"roleLabel":             roleLabel,
		"browserName":           browserName,
	}
}

func dirExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}
