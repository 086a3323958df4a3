package web

import (
	"io"
	"io/fs"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// staticFile serves an embedded file. With its current fingerprint in the URL it may be
// cached for a year; anything else is served uncached.
func (s *Server) staticFile(c echo.Context) error {
	name, fresh, ok := s.assets.Resolve(c.Param("*"))
	if !ok {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	f, err := s.assets.FS.Open(name)
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	defer f.Close()
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		b, err := fs.ReadFile(s.assets.FS, name)
		if err != nil {
			return err
		}
		return c.Blob(http.StatusOK, http.DetectContentType(b), b)
	}
	h := c.Response().Header()
	if fresh {
		h.Set(echo.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		h.Set(echo.HeaderCacheControl, "no-cache")
	}
	http.ServeContent(c.Response(), c.Request(), name, time.Time{}, rs)
	return nil
}

// favicon answers /favicon.ico, which browsers ask for on every site whatever the page
// links: the forum's icon (the pages link the SVG one, for sharp rendering).
func (s *Server) favicon(c echo.Context) error {
	b, err := fs.ReadFile(s.assets.FS, "icons/favicon.ico")
	if err != nil {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400")
	return c.Blob(http.StatusOK, "image/x-icon", b)
}
