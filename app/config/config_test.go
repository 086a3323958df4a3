package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"forum/app/config"
)

func load(t *testing.T, vars map[string]string) (*config.Config, error) {
	t.Helper()
	if vars["FORUM_DATA_DIR"] == "" {
		vars["FORUM_DATA_DIR"] = t.TempDir()
	}
	return config.Load(func(k string) string { return vars[k] }, nil)
}

func TestDefaults(t *testing.T) {
	c, err := load(t, map[string]string{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != "127.0.0.1:8080" || c.Driver != config.DriverSQLite || c.BaseURL.String() != "http://127.0.0.1:8080" || !c.Loopback() || c.Secure() {
		t.Fatalf("defaults = %+v", c)
	}
	for _, want := range []string{"busy_timeout", "journal_mode%28WAL%29", "foreign_keys", "secure_delete%281%29", "_txlock=immediate"} {
		if !strings.Contains(c.DatabaseDSN, want) {
			t.Errorf("SQLite DSN %q lacks %q", c.DatabaseDSN, want)
		}
	}
	if c.LiveStreams != 1000 || c.LiveStreamsPerMember != 4 {
		t.Errorf("live streams bounded at %d, %d per member; want 1000, 4", c.LiveStreams, c.LiveStreamsPerMember)
	}
	if c.PageCacheBytes != 64<<20 {
		t.Errorf("page cache bounded at %d bytes; want 64 MiB", c.PageCacheBytes)
	}
	if c, err := load(t, map[string]string{"FORUM_PAGE_CACHE_MB": "16"}); err != nil || c.PageCacheBytes != 16<<20 {
		t.Errorf("FORUM_PAGE_CACHE_MB=16: %v, %v", c, err)
	}
	if c.SearchMemoryBytes != 48<<20 {
		t.Errorf("search index's mapped files bounded at %d bytes; want 48 MiB", c.SearchMemoryBytes)
	}
	if c, err := load(t, map[string]string{"FORUM_SEARCH_MEMORY_MB": "200"}); err != nil || c.SearchMemoryBytes != 200<<20 {
		t.Errorf("FORUM_SEARCH_MEMORY_MB=200: %v, %v", c, err)
	}
	// The collector off is a node's memory held at the runtime's limit; off without a
	// limit is refused (see the bad values below), and so is a limit of "off".
	for _, vars := range []map[string]string{{"GOGC": "off", "GOMEMLIMIT": "96MiB"}, {"GOGC": "50"}, {"GOMEMLIMIT": "96MiB"}} {
		if _, err := load(t, vars); err != nil {
			t.Errorf("%v: %v", vars, err)
		}
	}
	if _, err := load(t, map[string]string{"GOGC": "off", "GOMEMLIMIT": "off"}); err == nil {
		t.Error("GOGC=off with GOMEMLIMIT=off accepted: the heap would never be collected")
	}
	if c, err := load(t, map[string]string{"FORUM_LIVE_STREAMS": "20000", "FORUM_LIVE_STREAMS_PER_MEMBER": "2"}); err != nil || c.LiveStreams != 20000 || c.LiveStreamsPerMember != 2 {
		t.Errorf("live stream bounds not read: %v", err)
	}
	if c.ReviewFirstPosts != 2 || c.QuickExitURL != config.DefaultQuickExitURL {
		t.Errorf("review %d first posts, quick exit to %q; want 2 and %q", c.ReviewFirstPosts, c.QuickExitURL, config.DefaultQuickExitURL)
	}
	if c, err := load(t, map[string]string{"FORUM_REVIEW_FIRST_POSTS": "0", "FORUM_QUICK_EXIT_URL": "https://news.example.org/"}); err != nil ||
		c.ReviewFirstPosts != 0 || c.QuickExitURL != "https://news.example.org/" {
		t.Errorf("review and quick exit not read: %+v, %v", c, err)
	}
	// The session secret is generated once and kept.
	again, err := load(t, map[string]string{"FORUM_DATA_DIR": c.DataDir})
	if err != nil || string(again.SessionSecret) != string(c.SessionSecret) || len(c.SessionSecret) < 32 {
		t.Fatalf("kept secret differs or is short: %v", err)
	}
	st, err := os.Stat(filepath.Join(c.DataDir, "session.secret"))
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", st, err)
	}
}

func TestPostgresAndHTTPS(t *testing.T) {
	c, err := load(t, map[string]string{
		"FORUM_DATABASE_URL": "postgres://forum:pw@db:5432/forum?sslmode=require",
		"FORUM_BASE_URL":     "https://forum.example.org/",
		"FORUM_ADDR":         "0.0.0.0:9000",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.Driver != config.DriverPostgres || strings.Contains(c.DatabaseLabel, "pw") || !c.Secure() || c.Loopback() || c.BaseURL.String() != "https://forum.example.org" {
		t.Fatalf("config = %+v", c)
	}
}

func TestErrorsNameTheVariable(t *testing.T) {
	cases := map[string]map[string]string{
		"FORUM_DATABASE_URL":            {"FORUM_DATABASE_URL": "mysql://x/y"},
		"FORUM_ADDR":                    {"FORUM_ADDR": "nonsense"},
		"FORUM_BASE_URL":                {"FORUM_BASE_URL": "ftp://x"},
		"FORUM_SESSION_SECRET":          {"FORUM_SESSION_SECRET": "too short"},
		"FORUM_GITHUB_CLIENT_SECRET":    {"FORUM_GITHUB_CLIENT_ID": "abc"},
		"FORUM_OIDC_DISCOVERY_URL":      {"FORUM_OIDC_CLIENT_ID": "abc", "FORUM_OIDC_CLIENT_SECRET": "def"},
		"FORUM_DEV":                     {"FORUM_DEV": "maybe"},
		"FORUM_LIVE_STREAMS":            {"FORUM_LIVE_STREAMS": "0"},
		"FORUM_PAGE_CACHE_MB":           {"FORUM_PAGE_CACHE_MB": "-3"},
		"FORUM_SEARCH_MEMORY_MB":        {"FORUM_SEARCH_MEMORY_MB": "lots"},
		"FORUM_LIVE_STREAMS_PER_MEMBER": {"FORUM_LIVE_STREAMS_PER_MEMBER": "many"},
		"FORUM_REVIEW_FIRST_POSTS":      {"FORUM_REVIEW_FIRST_POSTS": "-1"},
		"FORUM_QUICK_EXIT_URL":          {"FORUM_QUICK_EXIT_URL": "javascript:alert(1)"},
		"FORUM_TRUSTED_PROXIES":         {"FORUM_TRUSTED_PROXIES": "10.0.0.1, the balancer"},
		"GOGC":                          {"GOGC": "off"},
	}
	for variable, vars := range cases {
		_, err := load(t, vars)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != variable || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line naming %s", vars, err, variable)
		}
	}
}

// TestTrustedProxiesAndKeptSecret: the proxies are addresses and ranges; a secret kept in
// the data directory says so, one from the environment does not.
func TestTrustedProxiesAndKeptSecret(t *testing.T) {
	c, err := load(t, map[string]string{"FORUM_TRUSTED_PROXIES": "10.0.0.1, 192.168.0.0/16,::1"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range c.TrustedProxies {
		got = append(got, n.String())
	}
	if strings.Join(got, " ") != "10.0.0.1/32 192.168.0.0/16 ::1/128" || !c.SessionSecretKept {
		t.Fatalf("proxies %v, secret kept %v", got, c.SessionSecretKept)
	}
	c, err = load(t, map[string]string{"FORUM_SESSION_SECRET": strings.Repeat("s", 40)})
	if err != nil || c.SessionSecretKept || len(c.TrustedProxies) != 0 {
		t.Fatalf("secret from the environment: kept %v, proxies %v (%v)", c.SessionSecretKept, c.TrustedProxies, err)
	}
}

func TestOIDCDiscoveryURL(t *testing.T) {
	c, err := load(t, map[string]string{"FORUM_OIDC_DISCOVERY_URL": "https://id.example.org/realms/families",
		"FORUM_OIDC_CLIENT_ID": "forum", "FORUM_OIDC_CLIENT_SECRET": "s"})
	if err != nil {
		t.Fatal(err)
	}
	if c.OAuth.OIDCDiscoveryURL != "https://id.example.org/realms/families/.well-known/openid-configuration" {
		t.Fatalf("discovery URL = %q", c.OAuth.OIDCDiscoveryURL)
	}
}

func TestMetricsAddr(t *testing.T) {
	c, err := load(t, map[string]string{})
	if err != nil || c.MetricsAddr != "" {
		t.Fatalf("metrics are served by default: %q %v", c.MetricsAddr, err)
	}
	c, err = load(t, map[string]string{"FORUM_METRICS_ADDR": " 127.0.0.1:9090 "})
	if err != nil || c.MetricsAddr != "127.0.0.1:9090" || !c.MetricsLoopback() {
		t.Fatalf("FORUM_METRICS_ADDR=127.0.0.1:9090: %+v %v", c, err)
	}
	c, err = load(t, map[string]string{"FORUM_METRICS_ADDR": "0.0.0.0:9090", "FORUM_ADDR": "0.0.0.0:8080"})
	if err != nil || c.MetricsLoopback() {
		t.Fatalf("FORUM_METRICS_ADDR=0.0.0.0:9090: %+v %v", c, err)
	}
	// Another interface on the forum's port is a separate address.
	if _, err := load(t, map[string]string{"FORUM_METRICS_ADDR": "10.0.0.5:8080", "FORUM_ADDR": "127.0.0.1:8080"}); err != nil {
		t.Fatalf("metrics on another interface: %v", err)
	}
	for _, bad := range []map[string]string{
		{"FORUM_METRICS_ADDR": "9090"},
		{"FORUM_METRICS_ADDR": "127.0.0.1:http-alt"},
		{"FORUM_METRICS_ADDR": "127.0.0.1:70000"},
		{"FORUM_METRICS_ADDR": "127.0.0.1:8080"},
		{"FORUM_METRICS_ADDR": ":8080"},
		{"FORUM_METRICS_ADDR": "127.0.0.1:9000", "FORUM_ADDR": "0.0.0.0:9000"},
	} {
		_, err := load(t, bad)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != "FORUM_METRICS_ADDR" || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line naming FORUM_METRICS_ADDR", bad, err)
		}
	}
}

// The discovery document says where the provider's keys are: fetched over plain HTTP it
// could be swapped on the way, so http:// is for loopback (a provider on this machine) or
// development only.
func TestOIDCDiscoveryURLNeedsHTTPS(t *testing.T) {
	vars := func(u string) map[string]string {
		return map[string]string{"FORUM_OIDC_DISCOVERY_URL": u, "FORUM_OIDC_CLIENT_ID": "forum", "FORUM_OIDC_CLIENT_SECRET": "s"}
	}
	_, err := load(t, vars("http://id.example.org/realms/families"))
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "FORUM_OIDC_DISCOVERY_URL" || !strings.Contains(err.Error(), "https://") {
		t.Fatalf("http:// discovery URL on another host: %v, want an error asking for https://", err)
	}
	for _, u := range []string{"https://id.example.org", "http://127.0.0.1:9000/realms/x", "http://localhost:9000", "http://[::1]:9000"} {
		if _, err := load(t, vars(u)); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	dev := vars("http://id.example.org")
	dev["FORUM_DEV"] = "true"
	if _, err := load(t, dev); err != nil {
		t.Errorf("http:// discovery URL in development: %v", err)
	}
}

func TestMail(t *testing.T) {
	c, err := load(t, map[string]string{})
	if err != nil || c.Mail.On() || c.Mail.From == nil || c.Mail.From.Address != "forum@localhost" {
		t.Fatalf("no SMTP server: mail %+v, %v; want e-mail off with a development sender", c.Mail, err)
	}
	cases := []struct {
		url, from                   string
		addr, user, password, label string
		tls                         bool
	}{
		{"smtp://forum:s3cr%2Ft@mail.example.org:2525", "Kinship <forum@example.org>",
			"mail.example.org:2525", "forum", "s3cr/t", "smtp://forum@mail.example.org:2525", false},
		{"smtp://mail.example.org", "forum@example.org", "mail.example.org:587", "", "", "smtp://mail.example.org:587", false},
		{"smtps://apikey:xyz@smtp.example.net", "forum@example.org", "smtp.example.net:465", "apikey", "xyz", "smtps://apikey@smtp.example.net:465", true},
		{" smtp://127.0.0.1:1025/ ", "forum@example.org", "127.0.0.1:1025", "", "", "smtp://127.0.0.1:1025", false},
	}
	for _, tc := range cases {
		c, err := load(t, map[string]string{"FORUM_SMTP_URL": tc.url, "FORUM_MAIL_FROM": tc.from})
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		m := c.Mail
		if !m.On() || m.SMTP != tc.addr || m.Username != tc.user || m.Password != tc.password || m.ImplicitTLS != tc.tls || m.SMTPLabel != tc.label {
			t.Errorf("%s: %+v", tc.url, m)
		}
		if tc.password != "" && strings.Contains(m.SMTPLabel, tc.password) {
			t.Errorf("%s: the label %q shows the password", tc.url, m.SMTPLabel)
		}
	}
	c, err = load(t, map[string]string{"FORUM_SMTP_URL": "smtp://h:25", "FORUM_MAIL_FROM": "Kinship <forum@example.org>"})
	if err != nil || c.Mail.From.Name != "Kinship" || c.Mail.From.Address != "forum@example.org" {
		t.Fatalf("FORUM_MAIL_FROM with a name: %+v %v", c.Mail.From, err)
	}

	bad := []struct {
		vars    map[string]string
		varName string
	}{
		{map[string]string{"FORUM_SMTP_URL": "http://mail.example.org", "FORUM_MAIL_FROM": "a@b.org"}, "FORUM_SMTP_URL"},
		{map[string]string{"FORUM_SMTP_URL": "mail.example.org:25", "FORUM_MAIL_FROM": "a@b.org"}, "FORUM_SMTP_URL"},
		{map[string]string{"FORUM_SMTP_URL": "smtp://:25", "FORUM_MAIL_FROM": "a@b.org"}, "FORUM_SMTP_URL"},
		{map[string]string{"FORUM_SMTP_URL": "smtp://h:99999", "FORUM_MAIL_FROM": "a@b.org"}, "FORUM_SMTP_URL"},
		{map[string]string{"FORUM_SMTP_URL": "smtp://h:25/inbox", "FORUM_MAIL_FROM": "a@b.org"}, "FORUM_SMTP_URL"},
		{map[string]string{"FORUM_SMTP_URL": "smtp://:hunter2@h:25", "FORUM_MAIL_FROM": "a@b.org"}, "FORUM_SMTP_URL"},
		{map[string]string{"FORUM_SMTP_URL": "smtp://u:hunter2@h:25"}, "FORUM_MAIL_FROM"},
		{map[string]string{"FORUM_MAIL_FROM": "not an address"}, "FORUM_MAIL_FROM"},
		{map[string]string{"FORUM_SMTP_URL": "smtp://u:hunter2@h:25", "FORUM_MAIL_FROM": "forum"}, "FORUM_MAIL_FROM"},
	}
	for _, b := range bad {
		_, err := load(t, b.vars)
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Var != b.varName || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: error %v, want one line naming %s", b.vars, err, b.varName)
			continue
		}
		if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("%v: the error %q shows the password", b.vars, err)
		}
	}
	// A URL that does not parse must not echo its password either.
	_, err = load(t, map[string]string{"FORUM_SMTP_URL": "smtp://u:hunter2@h:port%zz", "FORUM_MAIL_FROM": "a@b.org"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("unparsable URL: %v", err)
	}
}
