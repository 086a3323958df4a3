package auth

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"forum/app/config"
	"forum/app/store/storetest"
)

func testConfig(t *testing.T) *config.Config {
	base, _ := url.Parse("https://forum.example")
	return &config.Config{BaseURL: base, SessionSecret: []byte("test-secret-test-secret-test-secret!"),
		OAuth: config.OAuth{GitHubClientID: "gh-id", GitHubClientSecret: "gh-secret",
			GoogleClientID: "google-id", GoogleClientSecret: "google-secret"}}
}

// Every provider that supports PKCE gets it (GitHub and Google do), and every OpenID
// Connect provider a nonce.
func TestEveryProviderUsesPKCE(t *testing.T) {
	ps, err := NewProviders(context.Background(), testConfig(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps.List()) != 2 {
		t.Fatalf("%d providers, want GitHub and Google", len(ps.List()))
	}
	for _, p := range ps.List() {
		start, err := ps.Begin(p.Name, "")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(start.URL)
		q := u.Query()
		if len(q.Get("code_challenge")) != 43 || q.Get("code_challenge_method") != "S256" {
			t.Errorf("%s: authorization URL without an S256 code challenge: %s", p.Name, start.URL)
		}
		if start.CookieName != FlowCookieName(q.Get("state")) || !strings.HasPrefix(start.CookieName, FlowCookie) {
			t.Errorf("%s: flow cookie %q is not named after the state", p.Name, start.CookieName)
		}
		if p.Name == "google" && (len(q.Get("nonce")) < 40 || !strings.HasPrefix(q.Get("scope"), "openid")) {
			t.Errorf("google: authorization URL without a nonce or the openid scope first: %s", start.URL)
		}
	}
	if got := map[string]string{ps.list[0].Name: ps.list[0].Issuer, ps.list[1].Name: ps.list[1].Issuer}; got["github"] != IssuerGitHub || got["google"] != IssuerGoogle {
		t.Fatalf("issuers = %v", got)
	}
}

// fakeGitHub answers like GitHub's token endpoint and API; it refuses a code exchange
// whose code_verifier does not match the challenge of the authorization request.
type fakeGitHub struct {
	challenge string
	userCode  int // status of /user
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/login/oauth/access_token":
		_ = r.ParseForm()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		if r.PostForm.Get("code") != "good-code" || base64.RawURLEncoding.EncodeToString(sum[:]) != f.challenge {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"error":"bad_verification_code"}`))
			return
		}
		_, _ = w.Write([]byte(`{"access_token":"gh-token","token_type":"bearer"}`))
	case "/user":
		if r.Header.Get("Authorization") != "Bearer gh-token" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if f.userCode != 0 {
			w.WriteHeader(f.userCode)
			return
		}
		_, _ = w.Write([]byte(`{"id":12345,"login":"octo","name":"","email":null}`))
	case "/user/emails":
		_ = json.NewEncoder(w).Encode([]map[string]any{{"email": "old@example.org", "primary": false, "verified": true},
			{"email": "octo@example.org", "primary": true, "verified": true}})
	default:
		http.NotFound(w, r)
	}
}

// GitHub signs in through the code exchange with the PKCE verifier and its API; its
// failures are sorted into the person's problem, a refusal and an unreachable provider.
func TestGitHubSignIn(t *testing.T) {
	cfg := testConfig(t)
	cfg.OAuth.GoogleClientID, cfg.OAuth.GoogleClientSecret = "", ""
	ps, err := NewProviders(context.Background(), cfg, storetest.Open(t, config.DriverSQLite))
	if err != nil {
		t.Fatal(err)
	}
	gh := &fakeGitHub{}
	srv := httptest.NewServer(gh)
	defer srv.Close()
	p := ps.list[0]
	p.oauth.Endpoint.AuthURL, p.oauth.Endpoint.TokenURL, p.githubAPI = srv.URL+"/login/oauth/authorize", srv.URL+"/login/oauth/access_token", srv.URL

	begin := func(next string) ([]*http.Cookie, string) {
		start, err := ps.Begin("github", next)
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(start.URL)
		gh.challenge = u.Query().Get("code_challenge")
		return []*http.Cookie{{Name: start.CookieName, Value: start.CookieValue}}, u.Query().Get("state")
	}
	ctx := context.Background()

	cookies, state := begin("/t/7/slug")
	u, next, err := ps.Complete(ctx, "github", cookies, url.Values{"state": {state}, "code": {"good-code"}})
	if err != nil {
		t.Fatalf("complete: %v", err)
	}
	if u.Issuer != IssuerGitHub || u.Subject != "12345" || u.Email != "octo@example.org" || u.Name != "octo" || next != "/t/7/slug" {
		t.Fatalf("user = %+v, next %q", u, next)
	}
	// The same state again: refused before the provider is asked.
	if _, _, err := ps.Complete(ctx, "github", cookies, url.Values{"state": {state}, "code": {"good-code"}}); !errors.Is(err, ErrFlowMissing) {
		t.Fatalf("second use of a state: %v, want ErrFlowMissing", err)
	}

	cookies, state = begin("")
	if _, _, err := ps.Complete(ctx, "github", cookies, url.Values{"state": {state}, "code": {"forged"}}); !errors.Is(err, ErrCodeRejected) {
		t.Fatalf("forged code: %v, want ErrCodeRejected", err)
	}
	cookies, state = begin("")
	gh.challenge = "another-challenge" // the verifier sent does not match
	if _, _, err := ps.Complete(ctx, "github", cookies, url.Values{"state": {state}, "code": {"good-code"}}); !errors.Is(err, ErrCodeRejected) {
		t.Fatalf("wrong PKCE verifier: %v, want ErrCodeRejected", err)
	}
	for code, want := range map[int]error{http.StatusInternalServerError: ErrProviderUnreachable, http.StatusForbidden: ErrAnswerRefused} {
		gh.userCode = code
		cookies, state = begin("")
		if _, _, err := ps.Complete(ctx, "github", cookies, url.Values{"state": {state}, "code": {"good-code"}}); !errors.Is(err, want) {
			t.Errorf("GitHub API answering %d: %v, want %v", code, err, want)
		}
	}
	gh.userCode = 0
	srv.Close()
	cookies, state = begin("")
	if _, _, err := ps.Complete(ctx, "github", cookies, url.Values{"state": {state}, "code": {"good-code"}}); !errors.Is(err, ErrProviderUnreachable) {
		t.Fatalf("GitHub unreachable: %v, want ErrProviderUnreachable", err)
	}
}

func TestFlowCookieName(t *testing.T) {
	token, _ := NewToken()
	for state, ok := range map[string]bool{token: true, "short": false, "": false, "abcdefghijklmnop;x": true,
		"abc;efghijklmnopqr": false, strings.Repeat("a", 101): false} {
		if got := FlowCookieName(state) != ""; got != ok {
			t.Errorf("FlowCookieName(%q) valid = %v, want %v", state, got, ok)
		}
	}
}

// An issuer that ends in a slash is taken as the provider names it, and must then match
// exactly in every ID token.
func TestIssuerWithTrailingSlash(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"issuer": srv.URL + "/", "authorization_endpoint": srv.URL + "/authorize",
			"token_endpoint": srv.URL + "/token", "jwks_uri": srv.URL + "/keys", "id_token_signing_alg_values_supported": []string{"RS256"}})
	}))
	defer srv.Close()
	cfg := testConfig(t)
	cfg.OAuth = config.OAuth{OIDCDiscoveryURL: srv.URL + "/.well-known/openid-configuration", OIDCClientID: "id", OIDCClientSecret: "s"}
	ps, err := NewProviders(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if p := ps.List()[0]; p.Issuer != srv.URL+"/" {
		t.Fatalf("issuer = %q, want %q", p.Issuer, srv.URL+"/")
	}
}
