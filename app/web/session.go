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

// csrf protects every state-changing request with a signed double-submit token: the
// browser holds a random value in an HttpOnly cookie, and forms (field _csrf) and htmx
// (header X-CSRF-Token) send its HMAC under the session secret, which a site that
// plants a cookie cannot compute. Requests that a browser marks cross-site are refused too.
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if sessionless(c) {
			return next(c)
		}
		raw := ""
		if ck, err := c.Cookie(csrfCookie); err == nil && len(ck.Value) >= 32 && len(ck.Value) <= 64 {
			raw = ck.Value
		}
		if raw == "" {
			b := make([]byte, 32)
			_, _ = rand.Read(b)
			raw = base64.RawURLEncoding.EncodeToString(b)
			c.SetCookie(&http.Cookie{Name: csrfCookie, Value: raw, Path: "/", HttpOnly: true,
				Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
		}
		want := s.csrfToken(raw)
		c.Set("csrf", want)
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
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

func (s *Server) csrfToken(raw string) string {
	m := hmac.New(sha256.New, s.cfg.SessionSecret)
	m.Write([]byte("csrf:" + raw))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
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
		for _, allowed := range []string{"/welcome/name", "/logout", "/static/", "/auth/", "/dev/", "/crisis", "/healthz", "/readyz", "/metrics", "/account/export", "/account/delete"} {
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

// sessionless reports whether a request is for a static file or a probe: they neither read
// the session nor need a CSRF cookie, so they cost no database query.
func sessionless(c echo.Context) bool {
	switch c.Path() {
	case "/static/*", "/healthz", "/readyz", "/metrics":
		return true
	}
	return false
}
