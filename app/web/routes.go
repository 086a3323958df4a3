package web

import (
	"net/http"

	"github.com/labstack/echo-contrib/echoprometheus"
	"github.com/labstack/echo/v4"
)

// routes is the one table of every route: method, path, handler.
// Who may call a route is decided in its handler by app/policy.
func (s *Server) routes() {
	e := s.echo
	s.middleware()

	// Operations.
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echoprometheus.NewHandlerWithConfig(echoprometheus.HandlerConfig{Gatherer: s.registry}))
	e.GET("/static/*", s.staticFile)

	// Pages.
	e.GET("/", s.home)
	e.GET("/t/:id", s.thread)
	e.GET("/t/:id/:slug", s.thread)
	e.GET("/crisis", s.crisis)

	e.RouteNotFound("/*", func(c echo.Context) error { return echo.NewHTTPError(http.StatusNotFound) })
}
