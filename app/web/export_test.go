package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// Handler returns the HTTP handler, for tests to send requests to.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo returns the echo instance (tests register extra routes on it, and walk its routes).
func (s *Server) Echo() *echo.Echo { return s.echo }

// FlushReadPositions writes the read positions recorded by page views (Serve's background
// work does it every second).
func (s *Server) FlushReadPositions(ctx context.Context) error { return s.reads.Flush(ctx) }

// HoldReadTurns takes every place for page reads (readTurns) until release is called.
func (s *Server) HoldReadTurns() (release func()) {
	for range cap(s.reading) {
		s.reading <- struct{}{}
	}
	return func() {
		for range cap(s.reading) {
			<-s.reading
		}
	}
}

// SetPageClock sets the clock of the page cache: a test that stops it tells a page dropped
// by an invalidation from one that expired.
func (s *Server) SetPageClock(now func() time.Time) { s.pages.SetClock(now) }
