package web

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestNoCookieOnSharedResponses checks the guard under every response: a cookie set on a
// response marked public is dropped; on any other response it stays.
func TestNoCookieOnSharedResponses(t *testing.T) {
	e := echo.New()
	e.Use(noCookieOnSharedResponses)
	handler := func(cacheControl string) echo.HandlerFunc {
		return func(c echo.Context) error {
			c.SetCookie(&http.Cookie{Name: "forum_csrf", Value: "v"})
			c.Response().Header().Set(echo.HeaderCacheControl, cacheControl)
			return c.String(http.StatusOK, "ok")
		}
	}
	e.GET("/shared", handler("max-age=300, Public"))
	e.GET("/private", handler("no-store"))
	for path, wantCookie := range map[string]bool{"/shared": false, "/private": true} {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := len(rec.Header().Values("Set-Cookie")) > 0; got != wantCookie {
			t.Errorf("GET %s sets a cookie = %v, want %v", path, got, wantCookie)
		}
	}
}
