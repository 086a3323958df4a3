package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"forum/app/auth"
	"forum/app/store"
	"forum/app/store/storetest"
)

const preSessionCookie = "forum_csrf"

// setCookie returns the value a response sets for the cookie name, if it sets one.
func setCookie(rec *httptest.ResponseRecorder, name string) (string, bool) {
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == name {
			return ck.Value, true
		}
	}
	return "", false
}

// bioOf returns the stored bio of the parent.
func (e *env) bioOfParent() string {
	e.t.Helper()
	u, err := e.st.UserByID(context.Background(), e.parent.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Bio
}

// TestCSRFTokenIsBoundToTheSession plays the attacks of a planted cookie: a token that an
// attacker obtained for a pre-session value, planted in a signed-in member's browser, must
// not pass; nor a token of another session, nor one from before a sign-in or sign-out.
func TestCSRFTokenIsBoundToTheSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnvWith(t, st, envOptions{fixtures: true, dev: true})

		// The attacker visits the forum and learns the token of their own pre-session value.
		attacker := e.as(nil)
		attacker.get("/crisis")
		planted, plantedToken := attacker.cookies[preSessionCookie], attacker.csrf
		if planted == "" || plantedToken == "" {
			t.Fatal("a visitor got no pre-session cookie or no token")
		}
		// They plant the value in a signed-in member's browser and forge a form.
		victim := e.as(e.parent)
		victim.cookies[preSessionCookie] = planted
		rec := victim.do(http.MethodPost, "/account/bio", strings.NewReader(url.Values{"_csrf": {plantedToken}, "bio": {"forged"}}.Encode()))
		if rec.Code != http.StatusForbidden {
			t.Fatalf("forged request with a planted cookie's token = %d, want 403", rec.Code)
		}
		if e.bioOfParent() == "forged" {
			t.Fatal("the forged request changed the bio")
		}

		// Two sessions of the same member, holding the same pre-session value: the token of
		// one is refused for the other, and each one's own token works.
		first, second := e.as(e.parent), e.as(e.parent)
		first.get("/account")
		second.cookies[preSessionCookie] = first.cookies[preSessionCookie]
		second.get("/account")
		if first.csrf == "" || first.csrf == second.csrf {
			t.Fatalf("two sessions got the tokens %q and %q", first.csrf, second.csrf)
		}
		rec = second.do(http.MethodPost, "/account/bio", strings.NewReader(url.Values{"_csrf": {first.csrf}, "bio": {"from the other session"}}.Encode()))
		if rec.Code != http.StatusForbidden {
			t.Fatalf("another session's token = %d, want 403", rec.Code)
		}
		if rec := second.post("/account/bio", url.Values{"bio": {"Mother of three."}}); rec.Code != http.StatusSeeOther || e.bioOfParent() != "Mother of three." {
			t.Fatalf("own token = %d, bio %q", rec.Code, e.bioOfParent())
		}

		// A cookie value the server did not sign gets no token: it is replaced.
		forger := e.as(nil)
		madeUp := strings.Repeat("A", 43)
		forger.cookies[preSessionCookie] = madeUp
		rec = forger.get("/crisis")
		if v, ok := setCookie(rec, preSessionCookie); !ok || v == madeUp || strings.HasPrefix(v, madeUp) {
			t.Fatalf("a made-up pre-session value was kept (set %q, %v)", v, ok)
		}

		// Signing in mints a new session and a new pre-session value: a value planted
		// before the sign-in, and its token, are worthless after it.
		b := e.as(nil)
		b.get("/dev/login")
		before, beforeToken := b.cookies[preSessionCookie], b.csrf
		rec = b.post("/dev/login", url.Values{"persona": {"maple_mom"}})
		if rec.Code != http.StatusSeeOther || b.cookies[auth.CookieName] == "" {
			t.Fatalf("dev sign-in = %d", rec.Code)
		}
		after, ok := setCookie(rec, preSessionCookie)
		if !ok || after == "" || after == before {
			t.Fatalf("sign-in kept the pre-session value (set %q, %v)", after, ok)
		}
		b.cookies[preSessionCookie] = before // even with the old value put back
		rec = b.do(http.MethodPost, "/account/bio", strings.NewReader(url.Values{"_csrf": {beforeToken}, "bio": {"forged after sign-in"}}.Encode()))
		if rec.Code != http.StatusForbidden {
			t.Fatalf("token from before the sign-in = %d, want 403", rec.Code)
		}
		b.get("/account")
		signedInToken := b.csrf
		if signedInToken == beforeToken {
			t.Fatal("the token did not change at sign-in")
		}

		// Signing out ends the session and mints a new pre-session value; the signed-in
		// token does not serve the visitor the browser becomes.
		rec = b.post("/logout", nil)
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("logout = %d", rec.Code)
		}
		if _, ok := b.cookies[auth.CookieName]; ok {
			t.Fatal("the session cookie survived the sign-out")
		}
		out, ok := setCookie(rec, preSessionCookie)
		if !ok || out == "" || out == after || out == before {
			t.Fatalf("sign-out kept the pre-session value (set %q, %v)", out, ok)
		}
		rec = b.do(http.MethodPost, "/dev/login", strings.NewReader(url.Values{"_csrf": {signedInToken}, "persona": {"maple_mom"}}.Encode()))
		if rec.Code != http.StatusForbidden {
			t.Fatalf("signed-in token after sign-out = %d, want 403", rec.Code)
		}
		b.get("/crisis")
		if b.csrf == signedInToken || b.csrf == beforeToken {
			t.Fatal("the visitor's token after sign-out is an old one")
		}
		if rec := b.post("/dev/login", url.Values{"persona": {"maple_mom"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("sign-in with the new visitor token = %d", rec.Code)
		}
	})
}

var stylesheet = regexp.MustCompile(`<link rel="stylesheet" href="(/static/[^"]+)"`)

// TestSharedResponsesSetNoCookie checks that a response a shared cache may keep (the
// feed, fingerprinted static files, anything marked public) never sets a cookie, whoever
// asks: a cache would hand that cookie to every later reader.
func TestSharedResponsesSetNoCookie(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	member := e.as(e.parent)
	page := member.get("/").Body.String()
	css := stylesheet.FindStringSubmatch(page)
	if css == nil {
		t.Fatal("the home page links no stylesheet")
	}
	browsers := map[string]func() *client{
		"visitor": func() *client { return e.as(nil) },
		"member":  func() *client { return e.as(e.parent) },
		"stale session": func() *client {
			c := e.as(nil)
			c.cookies[auth.CookieName] = "no-such-session"
			c.cookies[preSessionCookie] = "made-up"
			return c
		},
	}
	for who, open := range browsers {
		for _, path := range []string{"/archive.atom", css[1]} {
			rec := open().get(path)
			if rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Cache-Control"), "public") {
				t.Fatalf("%s GET %s = %d, Cache-Control %q", who, path, rec.Code, rec.Header().Get("Cache-Control"))
			}
			if sc := rec.Header().Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("%s GET %s sets cookies %q on a public response", who, path, sc)
			}
		}
		// Every page a browser can fetch: a public one sets no cookie.
		for _, r := range e.srv.Echo().Routes() {
			if r.Method != http.MethodGet {
				continue
			}
			path := routePath(r.Path, e.resolved.ID)
			rec := open().get(path)
			if strings.Contains(rec.Header().Get("Cache-Control"), "public") && len(rec.Header().Values("Set-Cookie")) > 0 {
				t.Errorf("%s GET %s is public and sets %q", who, path, rec.Header().Values("Set-Cookie"))
			}
		}
	}
}
