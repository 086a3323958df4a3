package web

import (
	"context"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// healthz answers while the process runs.
func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok", "version": s.version})
}

// readyz answers 200 when the database is reachable, 503 otherwise, and reports how many
// change-log rows the search index has still to apply.
func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("not ready: database unreachable", "id", requestID(c), "err", err)
		return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "unavailable", "database": "unreachable"})
	}
	body := map[string]any{"status": "ok", "database": "ok"}
	if s.syncer != nil {
		body["search_lag"] = s.syncer.Lag()
	}
	return c.JSON(http.StatusOK, body)
}
