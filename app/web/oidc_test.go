package web_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// oidcUser is a mock identity whose userinfo carries "sub", as the standard requires
// (mockoidc's default user leaves it out).
type oidcUser struct{ mockoidc.MockUser }

func (u *oidcUser) Userinfo(scope []string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.Subject, "email": u.Email, "name": "Jane Realname"})
}

func (u *oidcUser) Claims(scope []string, c *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	return u.MockUser.Claims(scope, c)
}

// oidcEnv runs the forum on a real listener, signing in through a local OpenID Connect provider.
type oidcEnv struct {
	*env
	oidc *mockoidc.MockOIDC
	base string
}

func newOIDCEnv(t *testing.T, st *store.Store, fixtures bool) *oidcEnv {
	t.Helper()
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatalf("start the OpenID Connect provider: %v", err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e := newEnvWith(t, st, envOptions{fixtures: fixtures, baseURL: base, configure: func(c *config.Config) {
		c.OAuth = config.OAuth{OIDCDiscoveryURL: m.DiscoveryEndpoint(), OIDCClientID: m.ClientID,
			OIDCClientSecret: m.ClientSecret, OIDCName: "Test identity provider"}
	}})
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: e.srv.Handler()}}
	ts.Start()
	t.Cleanup(ts.Close)
	return &oidcEnv{env: e, oidc: m, base: base}
}

// browserClient keeps cookies and follows no redirects, so each step can be checked.
func browserClient(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func fetch(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// beginSignIn starts a sign-in and returns the provider's answer: the callback URL with code and state.
func (o *oidcEnv) beginSignIn(t *testing.T, c *http.Client, subject, email string) string {
	t.Helper()
	o.oidc.QueueUser(&oidcUser{mockoidc.MockUser{Subject: subject, Email: email, EmailVerified: true}})
	resp, _ := fetch(t, c, http.MethodGet, o.base+"/auth/oidc", nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET /auth/oidc = %d", resp.StatusCode)
	}
	authURL := resp.Header.Get("Location")
	u, _ := url.Parse(authURL)
	if u.Query().Get("state") == "" || u.Query().Get("code_challenge") == "" || !strings.HasPrefix(u.Query().Get("scope"), "openid") {
		t.Fatalf("authorization URL lacks state, PKCE or openid scope: %s", authURL)
	}
	resp, _ = fetch(t, c, http.MethodGet, authURL, nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("provider authorize = %d", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

func csrfOf(t *testing.T, page string) string {
	t.Helper()
	m := csrfMeta.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("page has no CSRF token")
	}
	return m[1]
}

func TestOIDCSignInFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOIDCEnv(t, st, true)
		ctx := context.Background()
		c := browserClient(t)

		// The sign-in page offers the provider.
		_, page := fetch(t, c, http.MethodGet, o.base+"/login", nil)
		mustContain(t, page, `href="/auth/oidc"`, "Continue with Test identity provider")

		callback := o.beginSignIn(t, c, "subject-jane", "jane@example.org")
		resp, _ := fetch(t, c, http.MethodGet, callback, nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/welcome/name" {
			t.Fatalf("callback = %d to %q, want 303 to /welcome/name", resp.StatusCode, resp.Header.Get("Location"))
		}

		// The new account is pending, linked by provider and subject.
		id, err := st.IdentityByIssuerSubject(ctx, o.oidc.Issuer(), "subject-jane")
		if err != nil {
			t.Fatalf("identity: %v", err)
		}
		u, _ := st.UserByID(ctx, id.UserID)
		if u.Role != model.RolePending || u.Email != "jane@example.org" || u.RealName != "Jane Realname" {
			t.Fatalf("new user = %+v, want pending with e-mail and name", u)
		}

		// The callback is accepted once: replaying it is refused.
		resp, page = fetch(t, c, http.MethodGet, callback, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "expired or was already used") {
			t.Fatalf("replayed callback = %d", resp.StatusCode)
		}

		// Choosing a pseudonym leads to the welcome page; members-only content stays closed.
		_, page = fetch(t, c, http.MethodGet, o.base+"/welcome/name", nil)
		resp, _ = fetch(t, c, http.MethodPost, o.base+"/welcome/name", url.Values{"_csrf": {csrfOf(t, page)}, "pseudonym": {"harbor_light"}})
		if resp.Header.Get("Location") != "/welcome" {
			t.Fatalf("after choosing a name: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		_, page = fetch(t, c, http.MethodGet, o.base+"/welcome", nil)
		mustContain(t, page, "Welcome, harbor_light", "What happens next")
		for _, p := range []string{"/", threadPath(o.resolved)} {
			resp, page = fetch(t, c, http.MethodGet, o.base+p, nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/welcome" {
				t.Errorf("pending GET %s = %d to %q, want 303 to /welcome", p, resp.StatusCode, resp.Header.Get("Location"))
			}
			mustNotContain(t, page, o.resolved.Title, "He gets defensive")
		}

		// A moderator approves; the member now reads members-only threads.
		mod := o.as(o.moderator)
		mod.get("/mod/members")
		if rec := mod.post("/mod/members/"+strconv.FormatInt(u.ID, 10)+"/decide", url.Values{"decision": {"approve"}, "note": {"Welcome!"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("approve = %d %s", rec.Code, rec.Body)
		}
		resp, page = fetch(t, c, http.MethodGet, o.base+threadPath(o.resolved), nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("member GET thread = %d", resp.StatusCode)
		}
		mustContain(t, page, "He gets defensive")
		mustNotContain(t, page, "jane@example.org", "Jane Realname")

		// Signing in again with the same subject finds the same account, never a second one.
		resp, _ = fetch(t, c, http.MethodGet, o.beginSignIn(t, c, "subject-jane", "new-address@example.org"), nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("second sign-in = %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		if n := storetest.CountUsers(t, st); n != 5 {
			t.Fatalf("%d users after signing in twice, want 5", n)
		}

		// Signing out revokes the session in the database.
		_, page = fetch(t, c, http.MethodGet, o.base+"/account", nil)
		sessionCookie := cookieValue(c, o.base, auth.CookieName)
		resp, _ = fetch(t, c, http.MethodPost, o.base+"/logout", url.Values{"_csrf": {csrfOf(t, page)}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("logout = %d", resp.StatusCode)
		}
		if _, _, err := auth.NewSessions(st).Lookup(ctx, sessionCookie); err == nil {
			t.Fatal("session still valid after sign-out")
		}
		replay := o.as(nil)
		replay.cookies[auth.CookieName] = sessionCookie
		if rec := replay.get(threadPath(o.resolved)); rec.Code != http.StatusUnauthorized || strings.Contains(rec.Body.String(), "He gets defensive") {
			t.Fatalf("old cookie after sign-out = %d", rec.Code)
		}
	})
}

func TestOIDCStateMismatchAndCancel(t *testing.T) {
	o := newOIDCEnv(t, storetest.Open(t, config.DriverSQLite), true)
	c := browserClient(t)
	callback := o.beginSignIn(t, c, "subject-x", "x@example.org")
	u, _ := url.Parse(callback)
	q := u.Query()
	q.Set("state", "chosen-by-an-attacker")
	u.RawQuery = q.Encode()
	resp, page := fetch(t, c, http.MethodGet, u.String(), nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "did not match") {
		t.Fatalf("mismatched state = %d", resp.StatusCode)
	}
	if _, err := o.st.IdentityByIssuerSubject(context.Background(), o.oidc.Issuer(), "subject-x"); err == nil {
		t.Fatal("an account was created despite the mismatched state")
	}

	// A callback without any sign-in attempt in this browser is refused.
	fresh := browserClient(t)
	resp, _ = fetch(t, fresh, http.MethodGet, callback, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("callback in another browser = %d", resp.StatusCode)
	}

	// Cancelling at the provider gets a calm page.
	o.beginSignIn(t, c, "subject-y", "y@example.org")
	resp, page = fetch(t, c, http.MethodGet, o.base+"/auth/oidc/callback?error=access_denied&state=x", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Sign-in cancelled") {
		t.Fatalf("cancelled = %d", resp.StatusCode)
	}
	if resp, _ := fetch(t, c, http.MethodGet, o.base+"/auth/nosuch", nil); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("unknown provider = %d", resp.StatusCode)
	}
}

func TestFirstAccountBecomesAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOIDCEnv(t, st, false)
		c := browserClient(t)
		fetch(t, c, http.MethodGet, o.beginSignIn(t, c, "founder", "founder@example.org"), nil)
		id, err := st.IdentityByIssuerSubject(context.Background(), o.oidc.Issuer(), "founder")
		if err != nil {
			t.Fatal(err)
		}
		if u, _ := st.UserByID(context.Background(), id.UserID); u.Role != model.RoleAdmin {
			t.Fatalf("first account role = %s, want admin", u.Role)
		}
		c2 := browserClient(t)
		fetch(t, c2, http.MethodGet, o.beginSignIn(t, c2, "second", "second@example.org"), nil)
		id, _ = st.IdentityByIssuerSubject(context.Background(), o.oidc.Issuer(), "second")
		if u, _ := st.UserByID(context.Background(), id.UserID); u.Role != model.RolePending {
			t.Fatalf("second account role = %s, want pending", u.Role)
		}
	})
}

func cookieValue(c *http.Client, base, name string) string {
	u, _ := url.Parse(base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}
