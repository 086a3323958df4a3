package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"forum/app/auth"
	"forum/app/model"
)

// Cookie names other than the session's.
const (
	csrfCookie   = "forum_csrf"
	inviteCookie = "forum_invite"
	csrfHeader   = "X-CSRF-Token"
	csrfField    = "_csrf"
)

// loadViewer finds the signed-in user from the session cookie. A bad or stale cookie is
// cleared and the request goes on as a visitor's.
func (s *Server) loadViewer(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if sessionless(c) {
			return next(c)
		}
		ck, err := c.Cookie(auth.CookieName)
		if err != nil || ck.Value == "" {
			return next(c)
		}
		user, sess, err := s.sessions.Lookup(c.Request().Context(), ck.Value)
		switch {
		case errors.Is(err, auth.ErrNoSession):
			s.clearCookie(c, auth.CookieName, "/")
		case err != nil:
			return err
		default:
			c.Set("viewer", user)
			c.Set("session", sess)
		}
		return next(c)
	}
}

// setSessionCookie gives the browser its session token.
func (s *Server) setSessionCookie(c echo.Context, token string) {
	c.SetCookie(&http.Cookie{
		Name: auth.CookieName, Value: token, Path: "/", MaxAge: int(auth.SessionTTL.Seconds()),
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(c echo.Context, name, path string) {
	c.SetCookie(&http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
}

// csrf protects every state-changing request with a token bound to who is asking. Forms
// send it as the field _csrf, htmx as the header X-CSRF-Token.
//
// A signed-in request's token is an HMAC, under the session secret, of the hash of its
// session token, which only this browser and the database know: a token minted for another
// session, or for a cookie value someone planted in this browser, never passes for it.
// A visitor's token is an HMAC of a random pre-session value that the server minted, signed
// and keeps in an HttpOnly cookie; a value the server did not sign is replaced, never
// answered with a token. Signing in and out mint a fresh pre-session value (rotatePreSession),
// so whatever value was in the browser before is worthless after. Requests a browser marks
// cross-site are refused too. It runs after loadViewer, which finds the session.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if sessionless(c) {
			return next(c)
		}
		var want string
		if sess := currentSession(c); sess != nil {
			want = s.sessionCSRF(sess)
		} else {
			nonce, ok := s.preSession(c)
			if !ok {
				nonce = s.rotatePreSession(c)
			}
			want = s.visitorCSRF(nonce)
		}
		c.Set("csrf", want)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if oneClickUnsubscribe(c) {
			return next(c)
		}
		if c.Request().Header.Get("Sec-Fetch-Site") == "cross-site" {
			return echo.NewHTTPError(http.StatusForbidden, "cross-site request refused")
		}
		got := c.Request().Header.Get(csrfHeader)
		if got == "" {
			got = c.FormValue(csrfField)
		}
		if got == "" || !hmac.Equal([]byte(got), []byte(want)) {
			return echo.NewHTTPError(http.StatusForbidden, "missing or invalid CSRF token")
		}
		return next(c)
	}
}

// oneClickUnsubscribe reports whether a request is the POST of an unsubscribe link, the
// one state change without a CSRF token: mail clients send it on their own, from
// anywhere, without cookies (RFC 8058). The signed token in its address is its authority,
// and all it can do is stop one kind of e-mail to the member it names.
func oneClickUnsubscribe(c echo.Context) bool {
	return c.Request().Method == http.MethodPost && c.Path() == "/unsubscribe/:token"
}

// mac returns the HMAC under the session secret of a purpose and a value, so that a value
// signed for one purpose (a pre-session cookie) never serves for another (a token).
func (s *Server) mac(purpose string, value []byte) []byte {
	m := hmac.New(sha256.New, s.cfg.SessionSecret)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write(value)
	return m.Sum(nil)
}

// sessionCSRF is the CSRF token of a signed-in session.
func (s *Server) sessionCSRF(sess *model.Session) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf-session", sess.TokenHash))
}

// visitorCSRF is the CSRF token of a visitor holding the pre-session value nonce.
func (s *Server) visitorCSRF(nonce string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf-visitor", []byte(nonce)))
}

// preSession returns the pre-session value of the request's cookie, if the server signed it.
func (s *Server) preSession(c echo.Context) (string, bool) {
	ck, err := c.Cookie(csrfCookie)
	if err != nil || len(ck.Value) > 100 {
		return "", false
	}
	nonce, sig, ok := strings.Cut(ck.Value, ".")
	if !ok || len(nonce) < 43 {
		return "", false
	}
	want := base64.RawURLEncoding.EncodeToString(s.mac("pre-session", []byte(nonce))[:18])
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return "", false
	}
	return nonce, true
}

// rotatePreSession gives the browser a fresh signed pre-session value, replacing any
// other this response was about to set, and returns it.
func (s *Server) rotatePreSession(c echo.Context) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	nonce := base64.RawURLEncoding.EncodeToString(b)
	sig := base64.RawURLEncoding.EncodeToString(s.mac("pre-session", []byte(nonce))[:18])
	h := c.Response().Header()
	var kept []string
	for _, v := range h.Values(echo.HeaderSetCookie) {
		if !strings.HasPrefix(v, csrfCookie+"=") {
			kept = append(kept, v)
		}
	}
	h.Del(echo.HeaderSetCookie)
	for _, v := range kept {
		h.Add(echo.HeaderSetCookie, v)
	}
	c.SetCookie(&http.Cookie{Name: csrfCookie, Value: nonce + "." + sig, Path: "/", HttpOnly: true,
		Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	return nonce
}

// noCookieOnSharedResponses drops any cookie from a response marked publicly cacheable
// (the feed, fingerprinted static files): a shared cache would hand one browser's cookie
// to every reader of its copy.
func noCookieOnSharedResponses(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		res := c.Response()
		res.Before(func() {
			if cacheableByAll(res.Header().Get(echo.HeaderCacheControl)) {
				res.Header().Del(echo.HeaderSetCookie)
			}
		})
		return next(c)
	}
}

// cacheableByAll reports whether a Cache-Control value lets shared caches keep the response.
func cacheableByAll(cc string) bool {
	for _, d := range strings.Split(cc, ",") {
		if strings.EqualFold(strings.TrimSpace(d), "public") {
			return true
		}
	}
	return false
}

// needsPseudonym sends a signed-in person who has not chosen a pseudonym yet to the page
// where they choose one, before anything else.
func (s *Server) needsPseudonym(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		v := viewer(c)
		if v == nil || v.PseudonymChosenAt != nil {
			return next(c)
		}
		p := c.Request().URL.Path
		for _, allowed := range []string{"/welcome/name", "/logout", "/static/", "/unsubscribe/", "/auth/", "/dev/", "/crisis", "/healthz", "/readyz", "/metrics", "/account/export", "/account/delete"} {
			if p == allowed || strings.HasPrefix(p, allowed) && strings.HasSuffix(allowed, "/") {
				return next(c)
			}
		}
		return s.redirect(c, "/welcome/name")
	}
}

// redirect answers a write or a gate: HX-Redirect for htmx, 303 See Other otherwise.
func (s *Server) redirect(c echo.Context, to string) error {
	if c.Request().Header.Get("HX-Request") == "true" {
		c.Response().Header().Set("HX-Redirect", to)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

// sessionless reports whether a request is for a static file, a probe or the public feed:
// they are the same for everyone, neither read the session nor need a CSRF cookie, so
// they cost no database query and set no cookie.
func sessionless(c echo.Context) bool {
	switch c.Path() {
	case "/static/*", "/favicon.ico", "/healthz", "/readyz", "/metrics", "/archive.atom":
		return true
	}
	return false
}
