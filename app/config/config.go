// Package config reads the forum's configuration from environment variables and flags
// and validates it before anything starts.
package config

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Database drivers the forum speaks.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Config is the validated configuration shared by every subcommand.
type Config struct {
	Addr          string // listen address, host:port
	MetricsAddr   string // where Prometheus metrics are served, host:port; empty: nowhere
	DataDir       string // where the SQLite file, the session secret and the search index live
	DatabaseURL   string // as given (may hold a password: never log it, use DatabaseLabel)
	Driver        string // DriverSQLite or DriverPostgres
	DatabaseDSN   string // what the driver opens
	DatabaseLabel string // DatabaseURL without a password, for messages and logs
	BaseURL       *url.URL
	SessionSecret []byte
	// SessionSecretKept: FORUM_SESSION_SECRET is unset, and the secret was read from (or
	// written to) the data directory: right for one node, while the nodes of one forum
	// must share one secret.
	SessionSecretKept bool
	// TrustedProxies are the load balancers and proxies (FORUM_TRUSTED_PROXIES) whose
	// X-Forwarded-For header names the client; none: the client is the connection's peer.
	TrustedProxies []*net.IPNet
	Dev            bool
	LogLevel       string
	OAuth          OAuth
	Mail           Mail
	// LiveStreams bounds the live-update streams one node serves at once (FORUM_LIVE_STREAMS);
	// LiveStreamsPerMember the streams of one member (FORUM_LIVE_STREAMS_PER_MEMBER).
	LiveStreams, LiveStreamsPerMember int
	// PageCacheBytes is the ceiling of the cache of loaded and rendered pages, in bytes
	// (FORUM_PAGE_CACHE_MB, in mebibytes).
	PageCacheBytes int64
	// SearchMemoryBytes is the most of the search index's files a node keeps mapped in its
	// memory, in bytes (FORUM_SEARCH_MEMORY_MB, in mebibytes): the rest stays in the
	// kernel's page cache, read back without the disk when a search needs it.
	SearchMemoryBytes int64
	// ReviewFirstPosts is how many of a new member's first posts wait for a moderator
	// (FORUM_REVIEW_FIRST_POSTS, default 2; 0 publishes every post at once).
	ReviewFirstPosts int
	// QuickExitURL is where the quick-exit control leaves for (FORUM_QUICK_EXIT_URL): a
	// neutral site, replacing the forum in the browser's history.
	QuickExitURL string
}

// Mail is how the forum sends e-mail. Without an SMTP server e-mail is off, except in
// development, where messages land on the /dev/mail page instead.
type Mail struct {
	// SMTP is the server's address (host:port); empty: no SMTP server is configured.
	SMTP string
	// ImplicitTLS: smtps://, TLS from the first byte. Otherwise STARTTLS is used when the
	// server offers it.
	ImplicitTLS bool
	// Username and Password authenticate to the server when Username is set. The password
	// is never logged: use SMTPLabel.
	Username, Password string
	// SMTPLabel is FORUM_SMTP_URL without its password, for messages and logs.
	SMTPLabel string
	// From is the sender's address (FORUM_MAIL_FROM), e.g. "Kinship <forum@example.org>".
	From *mail.Address
}

// On reports whether an SMTP server is configured.
func (m Mail) On() bool { return m.SMTP != "" }

// OAuth holds the sign-in providers' credentials; a provider is enabled when its
// client id is set.
type OAuth struct {
	GitHubClientID, GitHubClientSecret string
	GoogleClientID, GoogleClientSecret string
	OIDCDiscoveryURL                   string // the issuer's /.well-known/openid-configuration
	OIDCClientID, OIDCClientSecret     string
	OIDCName                           string // what the sign-in button says, e.g. "Our clinic"
}

// Error names the variable whose value is wrong and what is wrong with it.
type Error struct {
	Var string
	Msg string
}

func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Flags holds the flag values that override environment variables. Register adds them
// to a subcommand's flag set; only flags the user set override the environment.
type Flags struct {
	fs                                  *flag.FlagSet
	addr, dataDir, databaseURL, baseURL string
	dev                                 bool
}

// Register adds the configuration flags to fs. withDev adds --dev (serve only).
func Register(fs *flag.FlagSet, withDev bool) *Flags {
	f := &Flags{fs: fs}
	fs.StringVar(&f.addr, "addr", "", "listen address (env FORUM_ADDR, default 127.0.0.1:8080)")
	fs.StringVar(&f.dataDir, "data-dir", "", "data directory (env FORUM_DATA_DIR, default ./data)")
	fs.StringVar(&f.databaseURL, "database-url", "", "database: a SQLite file path or postgres://... (env FORUM_DATABASE_URL)")
	fs.StringVar(&f.baseURL, "base-url", "", "public URL of the forum (env FORUM_BASE_URL, default http://ADDR)")
	if withDev {
		fs.BoolVar(&f.dev, "dev", false, "development mode: demo sign-in, templates reloaded from disk; loopback only")
	}
	return f
}

// Load reads the environment (through getenv) and the set flags, and validates the result.
// It creates the data directory and, when FORUM_SESSION_SECRET is unset, generates a
// secret kept in the data directory.
func Load(getenv func(string) string, f *Flags) (*Config, error) {
	set := func(flagName string) bool { return f != nil && f.fs != nil && isSet(f.fs, flagName) }
	val := func(flagName, flagVal, env, def string) string {
		if set(flagName) {
			return flagVal
		}
		if v := strings.TrimSpace(getenv(env)); v != "" {
			return v
		}
		return def
	}
	var fl Flags
	if f != nil {
		fl = *f
	}
	c := &Config{
		Addr:     val("addr", fl.addr, "FORUM_ADDR", "127.0.0.1:8080"),
		DataDir:  val("data-dir", fl.dataDir, "FORUM_DATA_DIR", "./data"),
		Dev:      fl.dev,
		LogLevel: val("", "", "FORUM_LOG_LEVEL", "info"),
	}
	if v := strings.TrimSpace(getenv("FORUM_DEV")); v != "" && !set("dev") {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, &Error{"FORUM_DEV", fmt.Sprintf("%q is not true or false", v)}
		}
		c.Dev = b
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, &Error{"FORUM_LOG_LEVEL", fmt.Sprintf("%q is not one of debug, info, warn, error", c.LogLevel)}
	}

	host, port, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, &Error{"FORUM_ADDR", fmt.Sprintf("%q is not host:port (for example 127.0.0.1:8080)", c.Addr)}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return nil, &Error{"FORUM_ADDR", fmt.Sprintf("port %q is not a number from 0 to 65535", port)}
	}

	if err := c.setMetricsAddr(strings.TrimSpace(getenv("FORUM_METRICS_ADDR"))); err != nil {
		return nil, err
	}

	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return nil, &Error{"FORUM_DATA_DIR", fmt.Sprintf("cannot create %q: %v", c.DataDir, unwrapPath(err))}
	}

	dbURL := val("database-url", fl.databaseURL, "FORUM_DATABASE_URL", "")
	if err := c.setDatabase(dbURL); err != nil {
		return nil, err
	}

	base := val("base-url", fl.baseURL, "FORUM_BASE_URL", "")
	if base == "" {
		h := host
		if h == "" || h == "0.0.0.0" || h == "::" {
			h = "localhost"
		}
		base = "http://" + net.JoinHostPort(h, port)
	}
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, &Error{"FORUM_BASE_URL", fmt.Sprintf("%q is not an absolute http:// or https:// URL", base)}
	}
	u.Path = strings.TrimSuffix(u.Path, "/")
	c.BaseURL = u

	if err := c.setSessionSecret(getenv("FORUM_SESSION_SECRET")); err != nil {
		return nil, err
	}
	if c.TrustedProxies, err = parseNets(strings.TrimSpace(getenv("FORUM_TRUSTED_PROXIES"))); err != nil {
		return nil, err
	}
	if c.LiveStreams, err = positive(getenv, "FORUM_LIVE_STREAMS", 1000); err != nil {
		return nil, err
	}
	if c.LiveStreamsPerMember, err = positive(getenv, "FORUM_LIVE_STREAMS_PER_MEMBER", 4); err != nil {
		return nil, err
	}
	mb, err := positive(getenv, "FORUM_PAGE_CACHE_MB", DefaultPageCacheBytes>>20)
	if err != nil {
		return nil, err
	}
	c.PageCacheBytes = int64(mb) << 20
	if mb, err = positive(getenv, "FORUM_SEARCH_MEMORY_MB", DefaultSearchMemoryBytes>>20); err != nil {
		return nil, err
	}
	c.SearchMemoryBytes = int64(mb) << 20
	if err := runtimeMemory(getenv); err != nil {
		return nil, err
	}
	if c.ReviewFirstPosts, err = notNegative(getenv, "FORUM_REVIEW_FIRST_POSTS", 2); err != nil {
		return nil, err
	}
	if c.QuickExitURL, err = quickExit(strings.TrimSpace(getenv("FORUM_QUICK_EXIT_URL"))); err != nil {
		return nil, err
	}
	if err := c.setOAuth(getenv); err != nil {
		return nil, err
	}
	if err := c.setMail(strings.TrimSpace(getenv("FORUM_SMTP_URL")), strings.TrimSpace(getenv("FORUM_MAIL_FROM"))); err != nil {
		return nil, err
	}
	return c, nil
}

// positive reads a whole number above zero from env, or def when it is unset.
func positive(getenv func(string) string, env string, def int) (int, error) {
	v := strings.TrimSpace(getenv(env))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, &Error{env, fmt.Sprintf("%q is not a whole number above 0", v)}
	}
	return n, nil
}

// DefaultPageCacheBytes is the page cache's ceiling when FORUM_PAGE_CACHE_MB is not set.
const DefaultPageCacheBytes = 64 << 20

// DefaultSearchMemoryBytes is the ceiling on the search index's files mapped in memory
// when FORUM_SEARCH_MEMORY_MB is not set: at 20,000 threads searches keep 45-50 MB of them
// in use.
const DefaultSearchMemoryBytes = 48 << 20

// runtimeMemory refuses GOGC=off without GOMEMLIMIT, which the Go runtime reads for
// itself: with the collector off and no limit the heap is never collected and the node
// grows until the system stops it. With a limit, GOGC=off is how a node's memory is held
// flat: the collector runs as the runtime's memory nears the limit, not each time the
// heap doubles what it keeps (README, "Memory over a 10-minute soak").
func runtimeMemory(getenv func(string) string) error {
	// The runtime reads both as they are: "off" exactly, no spaces.
	if getenv("GOGC") != "off" {
		return nil
	}
	if limit := getenv("GOMEMLIMIT"); limit != "" && limit != "off" {
		return nil
	}
	return &Error{"GOGC", `"off" without GOMEMLIMIT leaves the heap uncollected: set GOMEMLIMIT too (for example GOMEMLIMIT=96MiB), or leave GOGC unset`}
}

// notNegative reads a whole number from 0 up from env, or def when it is unset.
func notNegative(getenv func(string) string, env string, def int) (int, error) {
	v := strings.TrimSpace(getenv(env))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 1000 {
		return 0, &Error{env, fmt.Sprintf("%q is not a whole number from 0 to 1000", v)}
	}
	return n, nil
}

// DefaultQuickExitURL is where the quick-exit control leaves for unless configured: a
// page anyone might have open.
const DefaultQuickExitURL = "https://www.google.com/search?q=weather"

// quickExit checks FORUM_QUICK_EXIT_URL: an absolute https:// (or http://) address.
func quickExit(v string) (string, error) {
	if v == "" {
		return DefaultQuickExitURL, nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", &Error{"FORUM_QUICK_EXIT_URL", fmt.Sprintf("%q is not an absolute https:// address", v)}
	}
	return u.String(), nil
}

// Loopback reports whether the listen address is on the loopback interface only.
func (c *Config) Loopback() bool { return loopback(c.Addr) }

// anyHost reports whether host stands for every interface.
func anyHost(host string) bool { return host == "" || host == "0.0.0.0" || host == "::" }

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// setMetricsAddr checks FORUM_METRICS_ADDR: metrics are off unless it is set, and then
// served on their own listener, never on the public address.
func (c *Config) setMetricsAddr(addr string) error {
	const v = "FORUM_METRICS_ADDR"
	if addr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return &Error{v, fmt.Sprintf("%q is not host:port (for example 127.0.0.1:9090)", addr)}
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return &Error{v, fmt.Sprintf("port %q is not a number from 0 to 65535", port)}
	}
	mainHost, mainPort, _ := net.SplitHostPort(c.Addr)
	if port == mainPort && port != "0" && (host == mainHost || anyHost(host) || anyHost(mainHost)) {
		return &Error{v, fmt.Sprintf("%s is the forum's own address (FORUM_ADDR %s); metrics need a port of their own", addr, c.Addr)}
	}
	c.MetricsAddr = addr
	return nil
}

// MetricsLoopback reports whether metrics are served on the loopback interface only.
func (c *Config) MetricsLoopback() bool { return loopback(c.MetricsAddr) }

// loopbackHost reports whether host names this machine's loopback interface.
func loopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Secure reports whether the forum is served over HTTPS (cookies are then Secure).
func (c *Config) Secure() bool { return c.BaseURL.Scheme == "https" }

func (c *Config) setDatabase(raw string) error {
	const v = "FORUM_DATABASE_URL"
	if raw == "" {
		raw = filepath.Join(c.DataDir, "forum.db")
	}
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return &Error{v, "is not a valid postgres:// URL: " + redactErr(err, raw)}
		}
		if u.Host == "" {
			return &Error{v, "postgres URL has no host (expected postgres://user@host:5432/dbname)"}
		}
		if strings.Trim(u.Path, "/") == "" {
			return &Error{v, "postgres URL names no database (expected postgres://user@host:5432/dbname)"}
		}
		c.Driver, c.DatabaseDSN, c.DatabaseURL = DriverPostgres, raw, raw
		c.DatabaseLabel = u.Redacted()
		return nil
	case strings.Contains(raw, "://"):
		scheme, _, _ := strings.Cut(raw, "://")
		return &Error{v, fmt.Sprintf("unsupported scheme %q: use postgres://user@host/dbname or a SQLite file path", scheme)}
	}
	path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "file:")
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return &Error{v, "SQLite options are set by the forum; give a plain file path"}
	}
	if path == "" {
		return &Error{v, "empty SQLite file path"}
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return &Error{v, fmt.Sprintf("cannot create the folder of SQLite file %q: %v", path, unwrapPath(err))}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return &Error{v, fmt.Sprintf("%q is a directory, not a SQLite file", path)}
	}
	c.Driver, c.DatabaseURL, c.DatabaseLabel = DriverSQLite, raw, path
	c.DatabaseDSN = SQLiteDSN(path)
	return nil
}

// SQLiteDSN is the DSN of the SQLite file at path with every pragma the forum needs.
// Pragmas in the DSN apply to every pooled connection: busy timeout first so that
// switching to WAL waits instead of failing, immediate transactions so that writers
// queue on the busy timeout instead of failing with "database is locked", and
// secure_delete so that what a member deletes is overwritten with zeros, not left in
// the file's free space. Temporary files (the statement journal every UPDATE inside a
// transaction keeps, sorts) stay in memory: they cost a file opened, written and removed
// per statement (a third of a reply's time), and would leave copies of what was written
// in the temporary directory.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "secure_delete(1)")
	q.Add("_pragma", "temp_store(2)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	return "file:" + path + "?" + q.Encode()
}

func (c *Config) setSessionSecret(env string) error {
	const v = "FORUM_SESSION_SECRET"
	if env != "" {
		if len(env) < 32 {
			return &Error{v, fmt.Sprintf("is %d characters long; use at least 32 random characters", len(env))}
		}
		c.SessionSecret = []byte(env)
		return nil
	}
	path := filepath.Join(c.DataDir, "session.secret")
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		s := strings.TrimSpace(string(b))
		if len(s) < 32 {
			return &Error{v, fmt.Sprintf("the secret kept in %s is too short; delete the file to make a new one", path)}
		}
		c.SessionSecret, c.SessionSecretKept = []byte(s), true
		return nil
	case errors.Is(err, os.ErrNotExist):
		raw := make([]byte, 32)
		if _, err := rand.Read(raw); err != nil {
			return &Error{v, "cannot generate a secret: " + err.Error()}
		}
		s := hex.EncodeToString(raw)
		if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
			return &Error{v, fmt.Sprintf("unset, and cannot keep a generated one in %s: %v", path, unwrapPath(err))}
		}
		c.SessionSecret, c.SessionSecretKept = []byte(s), true
		return nil
	default:
		return &Error{v, fmt.Sprintf("unset, and cannot read the kept one in %s: %v", path, unwrapPath(err))}
	}
}

// parseNets reads FORUM_TRUSTED_PROXIES: addresses and CIDR ranges, separated by commas.
func parseNets(v string) ([]*net.IPNet, error) {
	var out []*net.IPNet
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !strings.Contains(f, "/") {
			ip := net.ParseIP(f)
			if ip == nil {
				return nil, &Error{"FORUM_TRUSTED_PROXIES", fmt.Sprintf("%q is not an IP address or a CIDR range (for example 10.0.0.0/8)", f)}
			}
			bits := 128
			if ip.To4() != nil {
				ip, bits = ip.To4(), 32
			}
			out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
			continue
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			return nil, &Error{"FORUM_TRUSTED_PROXIES", fmt.Sprintf("%q is not an IP address or a CIDR range (for example 10.0.0.0/8)", f)}
		}
		out = append(out, n)
	}
	return out, nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// redactErr keeps a URL parse error from echoing a password.
func redactErr(err error, raw string) string {
	msg := err.Error()
	if u, perr := url.Parse(raw); perr == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			msg = strings.ReplaceAll(msg, p, "xxxxx")
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		msg = ue.Err.Error()
	}
	return msg
}

func (c *Config) setOAuth(getenv func(string) string) error {
	get := func(k string) string { return strings.TrimSpace(getenv(k)) }
	o := OAuth{
		GitHubClientID: get("FORUM_GITHUB_CLIENT_ID"), GitHubClientSecret: get("FORUM_GITHUB_CLIENT_SECRET"),
		GoogleClientID: get("FORUM_GOOGLE_CLIENT_ID"), GoogleClientSecret: get("FORUM_GOOGLE_CLIENT_SECRET"),
		OIDCDiscoveryURL: get("FORUM_OIDC_DISCOVERY_URL"),
		OIDCClientID:     get("FORUM_OIDC_CLIENT_ID"), OIDCClientSecret: get("FORUM_OIDC_CLIENT_SECRET"),
		OIDCName: get("FORUM_OIDC_NAME"),
	}
	pairs := []struct{ id, secret, idVar, secretVar string }{
		{o.GitHubClientID, o.GitHubClientSecret, "FORUM_GITHUB_CLIENT_ID", "FORUM_GITHUB_CLIENT_SECRET"},
		{o.GoogleClientID, o.GoogleClientSecret, "FORUM_GOOGLE_CLIENT_ID", "FORUM_GOOGLE_CLIENT_SECRET"},
		{o.OIDCClientID, o.OIDCClientSecret, "FORUM_OIDC_CLIENT_ID", "FORUM_OIDC_CLIENT_SECRET"},
	}
	for _, p := range pairs {
		if p.id != "" && p.secret == "" {
			return &Error{p.secretVar, "is unset, but " + p.idVar + " is set; set both or neither"}
		}
		if p.id == "" && p.secret != "" {
			return &Error{p.idVar, "is unset, but " + p.secretVar + " is set; set both or neither"}
		}
	}
	if (o.OIDCClientID != "") != (o.OIDCDiscoveryURL != "") {
		return &Error{"FORUM_OIDC_DISCOVERY_URL", "and FORUM_OIDC_CLIENT_ID go together; set both or neither"}
	}
	if o.OIDCDiscoveryURL != "" {
		u, err := url.Parse(o.OIDCDiscoveryURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return &Error{"FORUM_OIDC_DISCOVERY_URL", fmt.Sprintf("%q is not an http(s) URL", o.OIDCDiscoveryURL)}
		}
		// The document names the keys that ID tokens are checked against: over plain HTTP
		// anyone on the way could name their own. Plain HTTP is for a provider on this
		// machine, or for development.
		if u.Scheme == "http" && !c.Dev && !loopbackHost(u.Hostname()) {
			return &Error{"FORUM_OIDC_DISCOVERY_URL", fmt.Sprintf("%q is plain http://; use https:// (http:// is accepted only on a loopback address or with --dev)", o.OIDCDiscoveryURL)}
		}
		if !strings.Contains(u.Path, "/.well-known/openid-configuration") {
			u.Path = strings.TrimSuffix(u.Path, "/") + "/.well-known/openid-configuration"
			o.OIDCDiscoveryURL = u.String()
		}
	}
	if o.OIDCName == "" {
		o.OIDCName = "single sign-on"
	}
	c.OAuth = o
	return nil
}

// setMail checks FORUM_SMTP_URL (smtp://user:pass@host:port, or smtps:// for TLS from
// the first byte) and FORUM_MAIL_FROM. The sender's address is required with a server:
// a made-up one would send the forum's mail to spam folders. Without a server, the
// development mailbox uses it, or an address at the forum's own host.
func (c *Config) setMail(raw, from string) error {
	const v, fv = "FORUM_SMTP_URL", "FORUM_MAIL_FROM"
	var m Mail
	if raw != "" {
		u, err := url.Parse(raw)
		if err != nil {
			return &Error{v, "is not a valid smtp:// URL: " + redactErr(err, raw)}
		}
		switch u.Scheme {
		case "smtp":
		case "smtps":
			m.ImplicitTLS = true
		default:
			return &Error{v, fmt.Sprintf("unsupported scheme %q: use smtp://user:password@host:587 (STARTTLS when offered) or smtps://user:password@host:465", u.Scheme)}
		}
		if u.Hostname() == "" {
			return &Error{v, "names no host (expected smtp://user:password@host:587)"}
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
			return &Error{v, "takes no path or options: smtp://user:password@host:port"}
		}
		port := u.Port()
		switch {
		case port == "" && m.ImplicitTLS:
			port = "465"
		case port == "":
			port = "587"
		}
		if p, err := strconv.Atoi(port); err != nil || p < 1 || p > 65535 {
			return &Error{v, fmt.Sprintf("port %q is not a number from 1 to 65535", port)}
		}
		if u.User != nil {
			m.Username = u.User.Username()
			m.Password, _ = u.User.Password()
			if m.Username == "" && m.Password != "" {
				return &Error{v, "has a password but no user name"}
			}
		}
		m.SMTP = net.JoinHostPort(u.Hostname(), port)
		m.SMTPLabel = u.Scheme + "://" + m.SMTP
		if m.Username != "" {
			m.SMTPLabel = u.Scheme + "://" + url.User(m.Username).String() + "@" + m.SMTP
		}
	}
	switch {
	case from != "":
		a, err := mail.ParseAddress(from)
		if err != nil || !strings.Contains(a.Address, "@") {
			return &Error{fv, fmt.Sprintf("%q is not an e-mail address (for example Kinship <forum@example.org>)", from)}
		}
		m.From = a
	case m.On():
		return &Error{fv, "is unset, but FORUM_SMTP_URL is set: give the address the forum's e-mail comes from"}
	default:
		host := c.BaseURL.Hostname()
		if net.ParseIP(host) != nil {
			host = "localhost"
		}
		m.From = &mail.Address{Address: "forum@" + host}
	}
	c.Mail = m
	return nil
}
