package web

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// Handler returns the HTTP handler, for tests to send requests to.
func (s *Server) Handler() http.Handler { return s.echo }

// Echo returns the echo instance (tests register extra routes on it, and walk its routes).
func (s *Server) Echo() *echo.Echo { return s.echo }
