package web_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// opEnv is the forum on a real listener, signing in through an independent OpenID Provider.
type opEnv struct {
	*env
	op   *testOP
	base string
}

func newOPEnv(t *testing.T, st *store.Store, fixtures bool) *opEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	o := newTestOP(t, base+"/auth/oidc/callback")
	e := newEnvWith(t, st, envOptions{fixtures: fixtures, baseURL: base, noRateLimits: true, configure: func(c *config.Config) {
		c.OAuth = config.OAuth{OIDCDiscoveryURL: o.DiscoveryURL(), OIDCClientID: o.ClientID, OIDCClientSecret: o.Secret,
			OIDCName: "Family clinic"}
	}})
	ts := &httptest.Server{Listener: ln, Config: &http.Server{Handler: e.srv.Handler()}}
	ts.Start()
	t.Cleanup(ts.Close)
	return &opEnv{env: e, op: o, base: base}
}

// begin starts a sign-in at the forum (from path, e.g. "/auth/oidc?next=/t/1") and signs in
// at the provider as u; it returns the provider's answer: the forum's callback URL.
func (o *opEnv) begin(t *testing.T, c *http.Client, path string, u opUser) string {
	t.Helper()
	resp, _ := fetch(t, c, http.MethodGet, o.base+path, nil)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET %s = %d", path, resp.StatusCode)
	}
	next, _ := url.Parse(resp.Header.Get("Location"))
	if !strings.HasPrefix(next.String(), o.op.Issuer) {
		t.Fatalf("sign-in goes to %s, not to the provider", next)
	}
	q := next.Query()
	if q.Get("state") == "" || q.Get("code_challenge") == "" || q.Get("code_challenge_method") != "S256" ||
		!strings.HasPrefix(q.Get("scope"), "openid") {
		t.Fatalf("authorization request lacks state, PKCE or the openid scope: %s", next)
	}
	o.op.SignInAs(u)
	for range 5 {
		resp, body := fetch(t, c, http.MethodGet, next.String(), nil)
		if resp.StatusCode != http.StatusFound && resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("provider answered %d at %s: %s", resp.StatusCode, next.Path, body)
		}
		loc, err := next.Parse(resp.Header.Get("Location"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(loc.String(), o.base) {
			return loc.String()
		}
		next = loc
	}
	t.Fatal("the provider never sent the browser back to the forum")
	return ""
}

// signIn runs a whole sign-in as u and returns the callback's answer.
func (o *opEnv) signIn(t *testing.T, c *http.Client, u opUser) (*http.Response, string) {
	t.Helper()
	return fetch(t, c, http.MethodGet, o.begin(t, c, "/auth/oidc", u), nil)
}

// userBySubject returns the account linked to subject, or nil.
func userBySubject(t *testing.T, st *store.Store, subject string) *model.User {
	t.Helper()
	var ids []model.Identity
	storetest.Scan(t, st, &ids, "SELECT * FROM identities WHERE subject = ?", subject)
	if len(ids) == 0 {
		return nil
	}
	u, err := st.UserByID(context.Background(), ids[0].UserID)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func countUsers(t *testing.T, st *store.Store) int {
	t.Helper()
	return storetest.CountUsers(t, st)
}

// The normal flow against the independent provider: a new pending account with the
// e-mail and name from userinfo, found again on the next sign-in.
func TestOPSignIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOPEnv(t, st, true)
		c := browserClient(t)
		resp, _ := o.signIn(t, c, opUser{Subject: "op-jane", Email: "jane@clinic.example", Name: "Jane Realname"})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/welcome/name" {
			t.Fatalf("callback = %d to %q, want 303 to /welcome/name", resp.StatusCode, resp.Header.Get("Location"))
		}
		u := userBySubject(t, st, "op-jane")
		if u == nil || u.Role != model.RolePending || u.Email != "jane@clinic.example" || u.RealName != "Jane Realname" {
			t.Fatalf("new user = %+v, want pending with e-mail and name", u)
		}
		c2 := browserClient(t)
		o.signIn(t, c2, opUser{Subject: "op-jane", Email: "jane@clinic.example", Name: "Jane Realname"})
		if n := countUsers(t, st); n != 5 {
			t.Fatalf("%d users after signing in twice, want 5", n)
		}
		if cookieValue(c2, o.base, auth.CookieName) == "" {
			t.Fatal("no session after the second sign-in")
		}
	})
}

// The authorization request carries a nonce, and the provider puts it in the ID token.
func TestOPSendsNonce(t *testing.T) {
	o := newOPEnv(t, storetest.Open(t, config.DriverSQLite), false)
	c := browserClient(t)
	resp, _ := fetch(t, c, http.MethodGet, o.base+"/auth/oidc", nil)
	u, _ := url.Parse(resp.Header.Get("Location"))
	if len(u.Query().Get("nonce")) < 20 {
		t.Fatalf("authorization request has no random nonce: %s", u)
	}
}

// Every ID token is verified: signature against the provider's published keys, issuer,
// audience, azp, expiry and nonce. A token that fails any check signs nobody in.
func TestOPRefusesTamperedIDTokens(t *testing.T) {
	foreignKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	type tamper = func(t *testing.T, op *testOP, tok string) string
	resign := func(edit func(c map[string]any)) tamper {
		return func(t *testing.T, op *testOP, tok string) string { return op.Resign(t, tok, edit) }
	}
	cases := []struct {
		name     string
		tamper   tamper
		userinfo func(map[string]any) // for the rewritten subject, userinfo agrees with the token
	}{
		{"corrupted signature", func(t *testing.T, _ *testOP, tok string) string {
			i := strings.LastIndexByte(tok, '.')
			sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
			sig[10] ^= 0xff
			return tok[:i+1] + base64.RawURLEncoding.EncodeToString(sig)
		}, nil},
		{"signed with a foreign key", func(t *testing.T, _ *testOP, tok string) string {
			return signJWT(t, jwtClaims(t, tok), foreignKey, "op-key-1")
		}, nil},
		{"signed with a foreign key of its own id", func(t *testing.T, _ *testOP, tok string) string {
			return signJWT(t, jwtClaims(t, tok), foreignKey, "attacker-key")
		}, nil},
		{"alg none", func(t *testing.T, _ *testOP, tok string) string {
			parts := strings.Split(tok, ".")
			return base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
		}, nil},
		{"rewritten subject", func(t *testing.T, _ *testOP, tok string) string {
			parts := strings.Split(tok, ".")
			claims := jwtClaims(t, tok)
			claims["sub"] = "op-admin"
			payload, _ := json.Marshal(claims)
			return parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2]
		}, func(c map[string]any) { c["sub"] = "op-admin" }},
		{"wrong issuer", resign(func(c map[string]any) { c["iss"] = "http://127.0.0.1:1/elsewhere" }), nil},
		{"wrong audience", resign(func(c map[string]any) { c["aud"] = []string{"another-client"} }), nil},
		{"several audiences without azp", resign(func(c map[string]any) {
			c["aud"] = []string{"forum-client", "another-client"}
			delete(c, "azp")
		}), nil},
		{"azp of another client", resign(func(c map[string]any) {
			c["aud"] = []string{"forum-client", "another-client"}
			c["azp"] = "another-client"
		}), nil},
		{"expired", resign(func(c map[string]any) {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
		}), nil},
		{"missing nonce", resign(func(c map[string]any) { delete(c, "nonce") }), nil},
		{"wrong nonce", resign(func(c map[string]any) { c["nonce"] = "a-nonce-from-another-sign-in" }), nil},
	}
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOPEnv(t, st, false)
		// The first account is the admin.
		admin := browserClient(t)
		o.signIn(t, admin, opUser{Subject: "op-admin", Email: "admin@clinic.example", Name: "Ada Admin"})
		if u := userBySubject(t, st, "op-admin"); u == nil || u.Role != model.RoleAdmin {
			t.Fatalf("first account = %+v, want admin", u)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				o.op.Tamper(tc.tamper)
				o.op.Userinfo(tc.userinfo)
				defer o.op.Tamper(nil)
				defer o.op.Userinfo(nil)
				c := browserClient(t)
				resp, page := o.signIn(t, c, opUser{Subject: "op-mallory", Email: "mallory@clinic.example", Name: "Mallory"})
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Sign-in did not work") {
					t.Fatalf("callback = %d to %q, want 403 with the refusal page", resp.StatusCode, resp.Header.Get("Location"))
				}
				if cookieValue(c, o.base, auth.CookieName) != "" {
					t.Fatal("a session was started from a token that fails verification")
				}
				if n := countUsers(t, st); n != 1 {
					t.Fatalf("%d accounts, want only the admin's", n)
				}
			})
		}
		// The untampered token still signs in: the checks refuse only what is wrong.
		resp, _ := o.signIn(t, browserClient(t), opUser{Subject: "op-mallory", Email: "mallory@clinic.example", Name: "Mallory"})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("untampered sign-in = %d", resp.StatusCode)
		}
		// Several audiences are fine when azp names the forum.
		o.op.Tamper(func(t *testing.T, op *testOP, tok string) string {
			return op.Resign(t, tok, func(c map[string]any) {
				c["aud"] = []string{"forum-client", "another-client"}
				c["azp"] = "forum-client"
			})
		})
		resp, _ = o.signIn(t, browserClient(t), opUser{Subject: "op-mallory", Email: "mallory@clinic.example", Name: "Mallory"})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("several audiences with azp of the forum = %d, want accepted", resp.StatusCode)
		}
	})
}

// A malformed answer from the provider gets the calm refusal page, never a 500.
func TestOPMalformedAnswers(t *testing.T) {
	cases := []struct {
		name     string
		tamper   func(t *testing.T, op *testOP, tok string) string
		userinfo func(map[string]any)
	}{
		{"ID token without exp", func(t *testing.T, op *testOP, tok string) string {
			return op.Resign(t, tok, func(c map[string]any) { delete(c, "exp") })
		}, nil},
		{"ID token without sub", func(t *testing.T, op *testOP, tok string) string {
			return op.Resign(t, tok, func(c map[string]any) { delete(c, "sub") })
		}, nil},
		{"ID token with exp as text", func(t *testing.T, op *testOP, tok string) string {
			return op.Resign(t, tok, func(c map[string]any) { c["exp"] = "tomorrow" })
		}, nil},
		{"ID token that is no JWT", func(*testing.T, *testOP, string) string { return "not-a-token" }, nil},
		{"userinfo without sub", nil, func(c map[string]any) { delete(c, "sub") }},
		{"userinfo of another subject", nil, func(c map[string]any) { c["sub"] = "someone-else" }},
	}
	o := newOPEnv(t, storetest.Open(t, config.DriverSQLite), false)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o.op.Tamper(tc.tamper)
			o.op.Userinfo(tc.userinfo)
			defer o.op.Tamper(nil)
			defer o.op.Userinfo(nil)
			resp, page := o.signIn(t, browserClient(t), opUser{Subject: "op-sam", Email: "sam@clinic.example", Name: "Sam Realname"})
			if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Sign-in did not work") {
				t.Fatalf("callback = %d, want 403 with the refusal page", resp.StatusCode)
			}
			if n := countUsers(t, o.st); n != 0 {
				t.Fatalf("%d accounts created from a malformed answer", n)
			}
		})
	}
	logs := o.logs()
	if strings.Contains(logs, "level=ERROR") {
		t.Errorf("a provider's malformed answer was logged as an error:\n%s", logs)
	}
}

// Identities are keyed by issuer and subject: the same subject at another provider is
// another person.
func TestOPIdentityKeyedByIssuer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		first := newOPEnv(t, st, false)
		first.signIn(t, browserClient(t), opUser{Subject: "shared-subject", Email: "founder@first.example", Name: "Founder"})
		if u := userBySubject(t, st, "shared-subject"); u == nil || u.Role != model.RoleAdmin {
			t.Fatalf("first account = %+v, want admin", u)
		}
		// The forum is pointed at another provider, where someone has the same subject.
		second := newOPEnv(t, st, false)
		c := browserClient(t)
		resp, _ := second.signIn(t, c, opUser{Subject: "shared-subject", Email: "stranger@second.example", Name: "Stranger"})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign-in at the second provider = %d", resp.StatusCode)
		}
		if n := countUsers(t, st); n != 2 {
			t.Fatalf("%d accounts, want a second one for the second provider's user", n)
		}
		users, err := st.Users(context.Background(), store.UserQuery{})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range users {
			if u.Email == "stranger@second.example" && u.Role != model.RolePending {
				t.Fatalf("the second provider's user is %s, want pending", u.Role)
			}
		}
		// The first provider's founder still signs in to the first account.
		first.signIn(t, browserClient(t), opUser{Subject: "shared-subject", Email: "founder@first.example", Name: "Founder"})
		if n := countUsers(t, st); n != 2 {
			t.Fatalf("%d accounts after the founder signed in again, want 2", n)
		}
	})
}

// A userinfo without e-mail keeps the e-mail already known.
func TestOPUserinfoWithoutEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOPEnv(t, st, false)
		o.signIn(t, browserClient(t), opUser{Subject: "op-rosa", Email: "rosa@clinic.example", Name: "Rosa Realname"})
		resp, _ := o.signIn(t, browserClient(t), opUser{Subject: "op-rosa", Name: "Rosa Realname"})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("second sign-in = %d", resp.StatusCode)
		}
		var ids []model.Identity
		storetest.Scan(t, st, &ids, "SELECT * FROM identities WHERE subject = ?", "op-rosa")
		if len(ids) != 1 || ids[0].Email != "rosa@clinic.example" {
			t.Fatalf("identities = %+v, want one that keeps rosa@clinic.example", ids)
		}
		if u := userBySubject(t, st, "op-rosa"); u.Email != "rosa@clinic.example" {
			t.Fatalf("user e-mail = %q", u.Email)
		}
	})
}

// Sign-in logs carry no e-mail address or real name, whether the sign-in works or not.
func TestOPSignInLogsNameNoOne(t *testing.T) {
	o := newOPEnv(t, storetest.Open(t, config.DriverSQLite), false)
	rosa := opUser{Subject: "op-rosa", Email: "rosa@clinic.example", Name: "Rosa Realname"}
	o.signIn(t, browserClient(t), rosa)
	// Refused answers: their log lines name no one.
	o.op.Userinfo(func(c map[string]any) { delete(c, "sub") })
	o.signIn(t, browserClient(t), rosa)
	o.op.Userinfo(func(c map[string]any) { c["sub"] = "someone-else" })
	o.signIn(t, browserClient(t), rosa)
	o.op.Userinfo(nil)
	logs := o.logs()
	if !strings.Contains(logs, "sign-in refused") && !strings.Contains(logs, "sign-in failed") {
		t.Fatalf("no log line for the refused sign-ins:\n%s", logs)
	}
	mustNotContain(t, logs, "rosa@clinic.example", "Rosa Realname")
}

// Each state works once, even with the flow cookie put back; the provider is not asked again.
func TestOPStateWorksOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOPEnv(t, st, false)
		c := browserClient(t)
		callback := o.begin(t, c, "/auth/oidc", opUser{Subject: "op-tom", Email: "tom@clinic.example", Name: "Tom"})
		authURL, _ := url.Parse(o.base + "/auth/")
		flowCookies := c.Jar.Cookies(authURL)
		if resp, _ := fetch(t, c, http.MethodGet, callback, nil); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("callback = %d", resp.StatusCode)
		}
		asked := o.op.TokenRequests()
		// A replay with the flow cookie restored (a copied cookie, a second tab, an attacker).
		replay := browserClient(t)
		replay.Jar.SetCookies(authURL, flowCookies)
		resp, page := fetch(t, replay, http.MethodGet, callback, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "expired or was already used") {
			t.Fatalf("replayed callback = %d, want 400 'already used'", resp.StatusCode)
		}
		if o.op.TokenRequests() != asked {
			t.Fatal("a used state still reached the provider's token endpoint")
		}
	})
}

// Two sign-ins started in one browser (two tabs) both work.
func TestOPParallelSignIns(t *testing.T) {
	o := newOPEnv(t, storetest.Open(t, config.DriverSQLite), false)
	c := browserClient(t)
	first := o.begin(t, c, "/auth/oidc", opUser{Subject: "op-ann", Email: "ann@clinic.example", Name: "Ann"})
	second := o.begin(t, c, "/auth/oidc", opUser{Subject: "op-ben", Email: "ben@clinic.example", Name: "Ben"})
	if resp, _ := fetch(t, c, http.MethodGet, first, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the first tab's callback = %d, want 303", resp.StatusCode)
	}
	if resp, _ := fetch(t, c, http.MethodGet, second, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the second tab's callback = %d, want 303", resp.StatusCode)
	}
	if userBySubject(t, o.st, "op-ann") == nil || userBySubject(t, o.st, "op-ben") == nil {
		t.Fatal("both sign-ins should have made an account")
	}
}

// A forged code is the person's problem: 400, logged as a warning. Only a provider that
// cannot be reached is a bad gateway.
func TestOPRefusalStatuses(t *testing.T) {
	o := newOPEnv(t, storetest.Open(t, config.DriverSQLite), false)
	c := browserClient(t)
	callback := o.begin(t, c, "/auth/oidc", opUser{Subject: "op-eve", Email: "eve@clinic.example", Name: "Eve"})
	u, _ := url.Parse(callback)
	q := u.Query()
	q.Set("code", "forged-code")
	u.RawQuery = q.Encode()
	resp, page := fetch(t, c, http.MethodGet, u.String(), nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "Sign-in did not work") {
		t.Fatalf("forged code = %d, want 400 with the refusal page", resp.StatusCode)
	}
	logs := o.logs()
	if strings.Contains(logs, "level=ERROR") || !strings.Contains(logs, "level=WARN") {
		t.Fatalf("a forged code should be logged as a warning, not an error:\n%s", logs)
	}
	mustNotContain(t, logs, "forged-code", o.op.Secret)

	// The provider goes away between the start and the answer.
	callback = o.begin(t, c, "/auth/oidc", opUser{Subject: "op-eve", Email: "eve@clinic.example", Name: "Eve"})
	o.op.srv.Close()
	resp, page = fetch(t, c, http.MethodGet, callback, nil)
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(page, "did not answer") {
		t.Fatalf("unreachable provider = %d, want 502", resp.StatusCode)
	}
}

// After signing in, the person is back where they were; only local paths are accepted.
func TestOPReturnTo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		o := newOPEnv(t, st, true)
		// A member who chose a pseudonym long ago.
		o.signIn(t, browserClient(t), opUser{Subject: "op-member", Email: "member@clinic.example", Name: "Mem"})
		m := userBySubject(t, st, "op-member")
		now := time.Now().UTC()
		m.Role, m.Pseudonym, m.PseudonymChosenAt = model.RoleMember, "steady_oak", &now
		if err := st.Tx(context.Background(), func(tx *store.Tx) error {
			return tx.UpdateUser(context.Background(), m, "role", "pseudonym", "pseudonym_lower", "pseudonym_chosen_at")
		}); err != nil {
			t.Fatal(err)
		}
		target := threadPath(o.resolved)

		// A visitor opens a members-only thread: the sign-in links carry the way back.
		c := browserClient(t)
		resp, page := fetch(t, c, http.MethodGet, o.base+target, nil)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("visitor GET thread = %d", resp.StatusCode)
		}
		loginLink := "/login?next=" + url.QueryEscape(target)
		mustContain(t, page, `<a class="button" href="`+loginLink+`"`, `<a class="button header-signin" href="`+loginLink+`"`)
		// The cached header of another visitor's page carries that page, not this one.
		_, other := fetch(t, browserClient(t), http.MethodGet, o.base+"/search?q=craft", nil)
		mustContain(t, other, `<a class="button header-signin" href="/login?next=`+url.QueryEscape("/search?q=craft")+`"`)
		mustNotContain(t, other, url.QueryEscape(target))
		_, page = fetch(t, c, http.MethodGet, o.base+loginLink, nil)
		mustContain(t, page, `href="/auth/oidc?next=`+url.QueryEscape(target)+`"`)

		resp, _ = fetch(t, c, http.MethodGet, o.begin(t, c, "/auth/oidc?next="+url.QueryEscape(target), opUser{Subject: "op-member"}), nil)
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != target {
			t.Fatalf("after sign-in: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), target)
		}

		// Anything but a local path is ignored: no open redirect.
		for _, next := range []string{"//evil.example/x", "/\\evil.example", "https://evil.example/", "/\t/evil.example",
			"javascript:alert(1)", "evil.example"} {
			c := browserClient(t)
			resp, _ := fetch(t, c, http.MethodGet, o.begin(t, c, "/auth/oidc?next="+url.QueryEscape(next), opUser{Subject: "op-member"}), nil)
			if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
				t.Errorf("next=%q: %d to %q, want 303 to /", next, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
	})
}

// A visitor's sign-in link in the header carries the page they are on; the development
// sign-in takes them back there too.
func TestSignInLinkAndDevLoginReturnTo(t *testing.T) {
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: true})
	c := e.as(nil)
	rec := c.get("/search?q=craft")
	mustContain(t, rec.Body.String(), `href="/login?next=`+url.QueryEscape("/search?q=craft")+`"`)
	rec = c.get("/login?next=" + url.QueryEscape(threadPath(e.resolved)))
	mustContain(t, rec.Body.String(), `href="/dev/login?next=`+url.QueryEscape(threadPath(e.resolved))+`"`)
	c.get("/dev/login?next=" + url.QueryEscape(threadPath(e.resolved)))
	rec = c.post("/dev/login", url.Values{"persona": {"maple_mom"}, "next": {threadPath(e.resolved)}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != threadPath(e.resolved) {
		t.Fatalf("dev sign-in = %d to %q, want 303 to %s", rec.Code, rec.Header().Get("Location"), threadPath(e.resolved))
	}
	rec = e.as(nil).post("/dev/login", url.Values{"persona": {"maple_mom"}, "next": {"//evil.example"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/" {
		t.Fatalf("dev sign-in with a foreign next = %d to %q, want 303 to /", rec.Code, rec.Header().Get("Location"))
	}
}
