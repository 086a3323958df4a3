package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"forum/app/model"
)

// statusClientClosed is what the log says of a request whose client went away before
// its answer (nginx's number): nobody is there to read a status.
const statusClientClosed = 499

type errorPage struct {
	Title     string
	Message   string
	RequestID string
}

// handleError is the one HTTP error handler: it maps domain errors to statuses, logs
// server errors with the request id and answers with a calm page (or its fragment).
func (s *Server) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status := http.StatusInternalServerError
	var he *echo.HTTPError
	var inv *model.InvalidError
	var tooLarge *http.MaxBytesError
	// What a visitor may not do, they may do after signing in: show the sign-in page.
	if errors.Is(err, errSignInRequired) || (errors.Is(err, model.ErrForbidden) && viewer(c) == nil) {
		if rerr := s.render(c, http.StatusUnauthorized, "signin_required", "", nil); rerr != nil {
			s.log.Error("render sign-in page", "id", requestID(c), "err", rerr)
			_ = c.String(http.StatusUnauthorized, "Please sign in.\n")
		}
		return
	}
	switch {
	case errors.Is(err, model.ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, model.ErrForbidden):
		status = http.StatusForbidden
	case errors.Is(err, model.ErrConflict):
		status = http.StatusConflict
	case errors.As(err, &inv):
		status = http.StatusUnprocessableEntity
	case errors.As(err, &he):
		status = he.Code
	case errors.As(err, &tooLarge):
		status = http.StatusRequestEntityTooLarge
	}
	if status >= 500 && errors.Is(c.Request().Context().Err(), context.Canceled) {
		// The client went away (closed the tab, lost the network): what failed after that
		// failed because of it, not because of the server.
		s.log.Debug("client went away", "id", requestID(c), "route", routeLabel(c), "err", err)
		_ = c.NoContent(statusClientClosed)
		return
	}
	p := errorPage{Title: "Something went wrong", Message: http.StatusText(status)}
	switch status {
	case http.StatusNotFound:
		p.Title, p.Message = "Page not found", "This page does not exist, or it was moved or removed."
	case http.StatusForbidden:
		p.Title, p.Message = "Not available to you", "You do not have access to this page."
	case http.StatusConflict:
		p.Title, p.Message = "Already there", "That already exists; nothing was changed."
	case http.StatusUnprocessableEntity:
		p.Title, p.Message = "Please check what you entered", invalidMessage(inv)
	case http.StatusBadRequest:
		p.Title, p.Message = "That could not be read", "The address or the form held something the forum cannot read, "+
			"such as an invisible control character. Go back and try again."
	case http.StatusRequestTimeout:
		p.Title, p.Message = "That took too long to arrive", "What you sent arrived too slowly, so the forum stopped waiting and "+
			"saved nothing. Go back: your text should still be in the form. Then send it again."
	case http.StatusRequestEntityTooLarge:
		p.Title, p.Message = "Too long", "What you sent is larger than the forum accepts, so nothing was saved. "+
			"Go back: your text should still be in the form. Shorten it, or split it into two posts."
	case http.StatusTooManyRequests:
		p.Title, p.Message = "Please slow down", "Too many requests in a short time. Wait a minute and try again."
	case http.StatusMethodNotAllowed:
		p.Title, p.Message = "Not possible here", "This address does not take that kind of request."
	case http.StatusServiceUnavailable:
		p.Title, p.Message = "Briefly unavailable", "The forum is busy or restarting. Try again in a moment."
	}
	if status >= 500 {
		p.RequestID = requestID(c)
		p.Title = "Something went wrong on our side"
		p.Message = "Nothing you did caused this. Please try again in a moment."
		s.log.Error("request failed", "id", p.RequestID, "method", methodLabel(c.Request().Method), "route", routeLabel(c),
			"path", loggedPath(c), "err", err)
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	if rerr := s.render(c, status, "error", "", p); rerr != nil {
		s.log.Error("render error page", "id", requestID(c), "err", rerr)
		_ = c.String(status, p.Title+"\n")
	}
}

func invalidMessage(inv *model.InvalidError) string {
	if inv == nil {
		return "Something in the form was not right."
	}
	msg := ""
	for _, m := range inv.Fields {
		if msg != "" {
			msg += " "
		}
		msg += m
	}
	return msg
}
