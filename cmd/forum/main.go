// Command forum runs the community forum: the web server and its maintenance commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"

	"forum/app/auth"
	"forum/app/background"
	"forum/app/benchdata"
	"forum/app/config"
	"forum/app/demo"
	"forum/app/forum"
	"forum/app/mail"
	"forum/app/markdown"
	"forum/app/notify"
	"forum/app/store"
	"forum/app/web"
	"forum/search"
)

// version is set at build time (-ldflags "-X main.version=...").
var version = "dev"

const usage = `forum runs a members-only community forum for families.

Usage:
  forum [command] [flags]

Commands:
  serve     serve the forum over HTTP (the default)
  migrate   apply database migrations
  seed      write the demo board (personas, tags, threads)
  user      list accounts, approve, set a role, suspend
  reindex   rebuild the search index from the database
  bench-data  write a deterministic synthetic board for benchmarks
  version   print the version

Every command reads the same configuration from environment variables
(FORUM_ADDR, FORUM_DATA_DIR, FORUM_DATABASE_URL, FORUM_BASE_URL,
FORUM_SESSION_SECRET, FORUM_LOG_LEVEL, FORUM_METRICS_ADDR, FORUM_SMTP_URL,
FORUM_MAIL_FROM, FORUM_LIVE_STREAMS, FORUM_LIVE_STREAMS_PER_MEMBER,
FORUM_PAGE_CACHE_MB, FORUM_SEARCH_MEMORY_MB, FORUM_REVIEW_FIRST_POSTS, FORUM_QUICK_EXIT_URL,
FORUM_TRUSTED_PROXIES, and the
FORUM_GITHUB_*, FORUM_GOOGLE_* and FORUM_OIDC_* sign-in settings); flags
override them.
Run "forum COMMAND --help" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, with its environment passed in so tests can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, getenv, stdout, stderr, nil)
	case "migrate":
		err = migrateCmd(ctx, args, getenv, stdout, stderr)
	case "seed":
		err = seedCmd(ctx, args, getenv, stdout, stderr)
	case "bench-data":
		err = benchDataCmd(ctx, args, getenv, stdout, stderr)
	case "reindex":
		err = reindexCmd(ctx, args, getenv, stdout, stderr)
	case "user":
		err = userCmd(ctx, args, getenv, stdout, stderr)
	case "version":
		err = versionCmd(args, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "forum: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	}
	fmt.Fprintf(stderr, "forum %s: %v\n", cmd, err)
	return 1
}

// errUsage reports a command line the flag package already explained.
var errUsage = errors.New("usage")

func newFlags(name, summary string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: forum %s [flags]\n\n%s\n\nFlags:\n", name, summary)
		fs.PrintDefaults()
	}
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "forum %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return errUsage
	}
	return nil
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Dev {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// openStore connects to the configured database and applies pending migrations.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger) (*store.Store, error) {
	st, err := store.Open(ctx, cfg.Driver, cfg.DatabaseDSN, cfg.DatabaseLabel)
	if err != nil {
		return nil, err
	}
	applied, err := migrate(ctx, cfg, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	if len(applied) > 0 {
		log.Info("migrations applied", "migrations", applied)
	}
	return st, nil
}

// migrate applies the forum's migrations, then the e-mail queue's (River's own tables).
func migrate(ctx context.Context, cfg *config.Config, st *store.Store) ([]string, error) {
	applied, err := st.Migrate(ctx)
	if err != nil {
		return applied, err
	}
	queue, err := mail.Migrate(ctx, st, cfg.Driver, cfg.DatabaseDSN)
	return append(applied, queue...), err
}

// newMailer returns what sends the forum's e-mail: through the SMTP server when one is
// configured, into the development mailbox (/dev/mail) in development without one, and
// nothing otherwise, which serve says in one line.
func newMailer(cfg *config.Config, st *store.Store, log *slog.Logger) (*mail.Mailer, error) {
	var sender mail.Sender
	switch {
	case cfg.Mail.On():
		smtp, err := mail.NewSMTP(cfg.Mail)
		if err != nil {
			return nil, err
		}
		sender = smtp
		log.Info("e-mail is on", "smtp", cfg.Mail.SMTPLabel, "from", cfg.Mail.From.Address)
	case cfg.Dev:
		sender = mail.NewDevMailbox(st, cfg.Mail.From)
		log.Info("e-mail lands in the development mailbox", "url", cfg.BaseURL.String()+"/dev/mail")
	default:
		log.Warn("e-mail is off: FORUM_SMTP_URL is unset, so members get no e-mail of answers or approvals")
		return nil, nil
	}
	return mail.New(mail.Options{Store: st, Config: cfg, Sender: sender, SiteName: web.SiteName, Logger: log})
}

// serve runs the web server until ctx is cancelled. ready, when not nil, receives the
// listening address (tests use it).
func serve(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, ready chan<- string) error {
	fs := newFlags("serve", "Serve the forum over HTTP. Applies pending migrations first.\nSIGINT or SIGTERM stops it after requests in flight finish.", stderr)
	flags := config.Register(fs, true)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv, flags)
	if err != nil {
		return err
	}
	if cfg.Dev && !cfg.Loopback() {
		return fmt.Errorf("--dev offers a sign-in without a password, so it listens on a loopback address only (127.0.0.1 or ::1), not %q", cfg.Addr)
	}
	log := newLogger(cfg, stderr)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.Driver == config.DriverPostgres && cfg.SessionSecretKept {
		log.Warn("FORUM_SESSION_SECRET is unset: this node keeps a secret of its own in its data directory; every node of one forum must be given the same secret, or a form served by one is refused by another")
	}

	providers, err := auth.NewProviders(ctx, cfg, st)
	if err != nil {
		return err
	}
	index, err := search.Open(cfg.DataDir)
	if err != nil {
		return err
	}
	defer index.Close()
	index.LimitMapped(cfg.SearchMemoryBytes)
	mailer, err := newMailer(cfg, st, log)
	if err != nil {
		return err
	}
	if mailer != nil {
		defer mailer.Close()
	}
	// Every background goroutine (the search syncer, the change watcher, the e-mail queue)
	// runs in one group, which stops with the server: deferred after the index, the
	// database and the mailer, it is stopped and waited for before they close, so that
	// none closes under a batch or a message being sent.
	bg := background.New(ctx, log)
	defer bg.Stop()
	syncer := search.NewSyncer(st, index, log)
	bg.Go("search syncer", syncer.Run)
	if mailer != nil {
		bg.Go("e-mail queue", mailer.Run)
	}

	// Operations wake the notification fan-out, which the server runs in bg, after each
	// commit that wrote an event; it queues the e-mail members want at once in the same
	// transaction. Without a mailer (e-mail off), no e-mail is queued.
	notifyOptions := notify.Options{Logger: log}
	if mailer != nil {
		notifyOptions.Mailer = mailer
	}
	notifier := notify.New(st, notifyOptions)
	svc := forum.New(st, markdown.New())
	svc.AfterEvent = notifier.Poke
	svc.ReviewFirstPosts = cfg.ReviewFirstPosts
	srv, err := web.New(web.Options{
		Config: cfg, Store: st, Forum: svc, Logger: log, Version: version,
		Providers: providers, Search: index, Syncer: syncer, Background: bg, Notify: notifier,
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("FORUM_ADDR: cannot listen on %s: %v", cfg.Addr, unwrapNet(err))
	}
	var metricsLn net.Listener
	if cfg.MetricsAddr != "" {
		if metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			ln.Close()
			return fmt.Errorf("FORUM_METRICS_ADDR: cannot listen on %s: %v", cfg.MetricsAddr, unwrapNet(err))
		}
		if !cfg.MetricsLoopback() {
			log.Warn("metrics are served without authentication beyond the loopback interface: keep that address on a private network",
				"addr", cfg.MetricsAddr)
		}
	}
	if cfg.Dev {
		// Whoever ran `make run` reads this first: where the forum is, and how to sign in.
		u := devURL(cfg.BaseURL, ln.Addr())
		fmt.Fprintf(stdout, "\nKinship is running at %s\nSign in as a demo persona at %s/dev/login\n"+
			"(development mode: demo personas sign in without a password; press Ctrl+C to stop)\n\n", u, u)
	}
	if ready != nil {
		ready <- ln.Addr().String()
	}
	// The forum and its metrics run and stop together: when one fails, the other is shut
	// down too, and serve returns once both have finished.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return srv.Serve(gctx, ln) })
	if metricsLn != nil {
		g.Go(func() error { return srv.ServeMetrics(gctx, metricsLn) })
	}
	return g.Wait()
}

// devURL is the address to open in a browser: the configured base URL, unless the forum
// listens on another port than it names (a port chosen by the system, :0).
func devURL(base *url.URL, addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok && base.Port() != strconv.Itoa(tcp.Port) {
		return "http://" + addr.String()
	}
	return strings.TrimSuffix(base.String(), "/")
}

func migrateCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", "Apply the database migrations that are not applied yet.", stderr)
	flags := config.Register(fs, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv, flags)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Driver, cfg.DatabaseDSN, cfg.DatabaseLabel)
	if err != nil {
		return err
	}
	defer st.Close()
	applied, err := migrate(ctx, cfg, st)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "database %s is up to date\n", cfg.DatabaseLabel)
		return nil
	}
	for _, name := range applied {
		fmt.Fprintf(stdout, "applied %s\n", name)
	}
	return nil
}

func seedCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("seed", "Write the invented demo board: personas, tags and threads with replies.\nRunning it again writes only what is missing.", stderr)
	flags := config.Register(fs, false)
	ifEmpty := fs.Bool("if-empty", false, "seed only when the database holds no threads yet")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv, flags)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer st.Close()
	if *ifEmpty {
		n, err := st.ThreadCount(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			fmt.Fprintf(stdout, "database already holds %d threads; not seeding\n", n)
			return nil
		}
	}
	res, err := demo.Seed(ctx, st, forum.New(st, markdown.New()), time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "seeded %d personas, %d tags, %d threads, %d replies, %d related links, %d questions published to the public archive\n",
		res.Users, res.Tags, res.Threads, res.Replies, res.Links, res.Published)
	return nil
}

func versionCmd(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("version", "Print the version of this build.", stderr)
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "forum %s (%s, %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return nil
}

func unwrapNet(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}

func reindexCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("reindex", "Rebuild the search index from the database, with a progress bar and a summary.\nIt refuses while a running server holds the index: stop the server first.", stderr)
	flags := config.Register(fs, false)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv, flags)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	return rebuildIndex(ctx, cfg, st, stdout, stderr)
}

// rebuildIndex replaces the search index in the data directory with one built from the
// database, unless a running server holds it.
func rebuildIndex(ctx context.Context, cfg *config.Config, st *store.Store, stdout, stderr io.Writer) error {
	// Opening first tells whether a server holds the index, before anything is removed.
	old, err := search.Open(cfg.DataDir)
	if errors.Is(err, search.ErrInUse) {
		return fmt.Errorf("%w: stop the server, then run forum reindex again", err)
	}
	if err != nil {
		return err
	}
	old.Close()
	if err := search.Remove(cfg.DataDir); err != nil {
		return err
	}
	ix, err := search.Open(cfg.DataDir)
	if err != nil {
		return err
	}
	defer ix.Close()
	sum, err := search.Rebuild(ctx, st, ix, stderr)
	if err != nil {
		return err
	}
	rate := float64(sum.Posts) / sum.Duration.Seconds()
	fmt.Fprintf(stdout, "indexed %d threads (%d posts) in %s, %.0f posts/s\n", sum.Threads, sum.Posts, sum.Duration.Round(time.Millisecond), rate)
	return nil
}

func benchDataCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlags("bench-data", "Write a deterministic synthetic board (bulk inserts) for benchmarks, then build its search index\n(the bulk writes leave no change-log rows for a server's syncer to follow).\nThe same --seed always writes the same board. Use an empty database.", stderr)
	flags := config.Register(fs, false)
	threads := fs.Int("threads", 1000, "number of threads")
	posts := fs.Int("posts", 10000, "number of posts, opening posts included (1 to 200 per thread)")
	seed := fs.Uint64("seed", 1, "random seed")
	noIndex := fs.Bool("no-index", false, "leave the search index alone (run forum reindex before serving)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := config.Load(getenv, flags)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, cfg, newLogger(cfg, stderr))
	if err != nil {
		return err
	}
	defer st.Close()
	sum, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: *threads, Posts: *posts, Seed: *seed}, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %d users, %d threads, %d posts in %s\n", sum.Users, sum.Threads, sum.Posts, sum.Duration.Round(time.Millisecond))
	if *noIndex {
		fmt.Fprintln(stdout, "the search index was left alone: run forum reindex before serving, or searches find nothing of this board")
		return nil
	}
	return rebuildIndex(ctx, cfg, st, stdout, stderr)
}
