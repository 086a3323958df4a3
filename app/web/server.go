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
	"runtime"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/singleflight"

	"forum/app/auth"
	"forum/app/background"
	"forum/app/changelog"
	"forum/app/config"
	"forum/app/forum"
	"forum/app/live"
	"forum/app/mail"
	"forum/app/notify"
	"forum/app/pagecache"
	"forum/app/policy"
	"forum/app/ratelimit"
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
	// Limits keeps the per-client budgets of requests; nil: ratelimit.New, shared by every
	// node on PostgreSQL and in memory on SQLite.
	Limits ratelimit.Limiter
	// Background owns the server's own background work (the change watcher, the
	// notification fan-out), which Serve starts in it; nil: Serve runs that work itself and
	// waits for it before it returns.
	Background *background.Group
	// Notify follows, fans out and reads notifications; nil: one without e-mail. Serve
	// runs its fan-out; Forum.AfterEvent should be its Poke. The live updates push the
	// header count of the members it notifies.
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
	// pages is the one cache of loaded and rendered pages (sharedPage); own are the
	// change-log rows this node committed, which the change watcher does not invalidate
	// for again.
	pages *pagecache.Cache
	own   ownChanges
	reads *unread.Positions
	// marks loads the posts of threads for unread badges once for the requests that ask
	// for the same threads at the same time (postMarks).
	marks singleflight.Group

	noRateLimits bool
	limits       ratelimit.Limiter
	background   *background.Group

	// live pushes changes to open pages; wake wakes the change watcher; serving says that
	// Serve runs what pushes to them.
	live       *live.Broker
	liveSource *liveSource
	wake       chan struct{}
	serving    atomic.Bool
	// reading holds a place for each page read running (readTurns).
	reading chan struct{}

	echo     *echo.Echo
	assets   *static.Assets
	views    *views.Set
	registry *prometheus.Registry
	metrics  *httpMetrics

	// ReadTimeout bounds reading a whole request, its body included: a slower upload is
	// answered 408.
	ReadTimeout time.Duration

	// WriteTimeout bounds writing an answer; a live-update stream gives each of its writes
	// a deadline of its own instead.
	WriteTimeout time.Duration

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
		WriteTimeout:    120 * time.Second,
		sessions:        auth.NewSessions(o.Store), providers: o.Providers, search: o.Search, syncer: o.Syncer,
		noRateLimits: o.NoRateLimits, limits: o.Limits, background: o.Background, notify: o.Notify,
	}
	if s.notify == nil {
		s.notify = notify.New(o.Store, notify.Options{Logger: o.Logger})
	}
	if s.providers == nil {
		s.providers = &auth.Providers{}
	}
	limit := s.cfg.PageCacheBytes
	if limit <= 0 {
		limit = config.DefaultPageCacheBytes
	}
	if s.cfg.Dev {
		limit = 0 // development: templates change on disk
	}
	s.pages = pagecache.New(limit, o.Store.Generation)
	s.layouts.pages = s.pages
	s.threads = newThreadCache(o.Store, s.pages)
	// What a commit on this node changed is dropped before the writer's next page.
	o.Store.OnCommit(s.pageCommitted)
	s.unsubscriber = mail.NewUnsubscriber(o.Store, s.cfg.SessionSecret)
	s.reads = unread.New(o.Store, s.log)
	if s.search != nil {
		s.similarCache = search.NewSimilarCache(s.search, 5*time.Minute, 20000)
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.limits == nil {
		s.limits = ratelimit.New(o.Store, s.log)
	}
	s.wake = make(chan struct{}, 1)
	s.reading = make(chan struct{}, readersPerCore*runtime.GOMAXPROCS(0))
	s.liveSource = &liveSource{s: s}
	// The header count is the store's unread count; the fan-out's new notifications are
	// announced to every node, whose live updates push the count to the member's pages.
	s.live = live.NewBroker(s.liveSource, live.CounterFunc(o.Store.UnreadNotificationCount), live.Options{
		Total: s.cfg.LiveStreams, PerMember: s.cfg.LiveStreamsPerMember, Log: s.log})
	s.notify.OnNotified(s.UsersNotified)
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
			func() float64 { return float64(o.Store.BusyRetries()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "forum", Subsystem: "pagecache", Name: "bytes",
			Help: "Bytes held by the cache of pages (at most FORUM_PAGE_CACHE_MB)."},
			func() float64 { return float64(s.pages.Stats().Bytes) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "forum", Subsystem: "pagecache", Name: "hits_total",
			Help: "Pages found in the page cache."},
			func() float64 { return float64(s.pages.Stats().Hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "forum", Subsystem: "pagecache", Name: "misses_total",
			Help: "Pages loaded because the page cache did not hold them."},
			func() float64 { return float64(s.pages.Stats().Misses) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "forum", Subsystem: "pagecache", Name: "evictions_total",
			Help: "Pages dropped from the page cache to stay under its ceiling."},
			func() float64 { return float64(s.pages.Stats().Evictions) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "forum", Subsystem: "pagecache", Name: "aged_total",
			Help: "Pages served past their time to live, unchanged, while another request loaded them again."},
			func() float64 { return float64(s.pages.Stats().Aged) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "forum", Subsystem: "search", Name: "mapped_bytes",
			Help: "Bytes of the search index's files mapped in this process's memory (at most FORUM_SEARCH_MEMORY_MB, give or take what searches read back between two looks)."},
			func() float64 {
				if s.search == nil {
					return 0
				}
				return float64(s.search.Mapped())
			}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "forum", Subsystem: "live", Name: "streams",
			Help: "Live-update streams open on this node."},
			func() float64 { return float64(s.live.Open()) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "forum", Subsystem: "live", Name: "streams_refused_total",
			Help: "Live-update streams refused because this node had as many open as it allows (FORUM_LIVE_STREAMS)."},
			func() float64 { return float64(s.live.Refused()) }))
	s.metrics = newHTTPMetrics(s.registry)

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	// Never trust X-Forwarded-For by default: rate limits key on the client address. Behind
	// the configured proxies (a load balancer before several nodes), the address they name.
	e.IPExtractor = echo.ExtractIPDirect()
	if len(s.cfg.TrustedProxies) > 0 {
		opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
		for _, n := range s.cfg.TrustedProxies {
			opts = append(opts, echo.TrustIPRange(n))
		}
		e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
	}
	e.HTTPErrorHandler = s.handleError
	s.echo = e
	s.routes()
	return s, nil
}

// Serve answers requests on ln until ctx is cancelled, then stops taking new connections
// and lets in-flight requests finish (up to ShutdownTimeout) before returning; live-update
// streams, which never finish, are ended as the shutdown begins. The change watcher, its
// listener, the live updates and the writer of read positions run in Options.Background,
// whose owner waits for them; without one, Serve waits for them before it returns. The
// writer of read positions writes the last ones once the last request is answered.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.echo,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.ReadTimeout,
		WriteTimeout:      s.WriteTimeout,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(s.live.Close)
	bg := s.background
	if bg == nil {
		bg = background.New(ctx, s.log)
		defer bg.Stop()
	}
	// Live updates follow the change log from here: what a page lacks when it connects, it
	// is sent then.
	reader, err := changelog.NewReader(ctx, s.store)
	if err != nil {
		s.log.Warn("change log unreadable; the watcher tries again", "err", err)
	}
	// This node's commits and announcements are heard from here on; other nodes' in the
	// background (PostgreSQL).
	listeners := s.changeListeners()
	s.store.Hear(ctx, listeners)
	bg.Go("change listener", func(ctx context.Context) { s.store.ListenOtherNodes(ctx, listeners) })
	bg.Go("change watcher", func(ctx context.Context) { s.watchChanges(ctx, reader) })
	bg.Go("live updates", s.live.Run)
	s.serving.Store(true)
	// Closed when Serve returns, after the requests in flight (and before a group of its
	// own is stopped: deferred calls run last first).
	drained := make(chan struct{})
	defer close(drained)
	bg.Go("read positions", func(ctx context.Context) { s.reads.Run(ctx, drained, s.ShutdownTimeout+5*time.Second) })
	bg.Go("notification fan-out", s.notify.Run)
	// Requests are taken once what live updates need runs: a stream opened sooner would
	// be taken for one nothing pushes to.
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
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
		"canReviewPosts":        policy.CanReviewPosts,
		"discreetTitle":         policy.DiscreetTitle,
		"quickExitURL":          s.quickExitURL,
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
