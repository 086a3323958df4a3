package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"forum/app/mail"
	"forum/app/model"
)

// unsubscribeData is what the unsubscribe page shows.
type unsubscribeData struct {
	Token string
	What  string // what the link stops, e.g. "e-mail when an expert answers your question"
	Done  bool
	// Refused, with Title and Message: a link that is forged, cut short or too old.
	Refused        bool
	Title, Message string
}

// unsubscribePage shows what a one-click unsubscribe link stops, with a button. It changes
// nothing: mail scanners and link previews open links in messages without anyone asking.
func (s *Server) unsubscribePage(c echo.Context) error {
	token := c.Param("token")
	sub, err := s.unsubscriber.Check(token)
	if err != nil {
		return s.unsubscribeRefused(c, err)
	}
	return s.render(c, http.StatusOK, "unsubscribe", "", unsubscribeData{Token: token, What: mail.Describe(sub.Kind)})
}

// unsubscribe stops the e-mail a link names. It takes no CSRF token: mail clients post
// here on their own (RFC 8058 one-click, "List-Unsubscribe=One-Click"), without the
// member's session, and the signed token is the authority. Doing it twice is harmless.
func (s *Server) unsubscribe(c echo.Context) error {
	sub, err := s.unsubscriber.Unsubscribe(c.Request().Context(), c.Param("token"))
	if errors.Is(err, mail.ErrBadToken) || errors.Is(err, mail.ErrExpiredToken) {
		return s.unsubscribeRefused(c, err)
	}
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "unsubscribe", "", unsubscribeData{Done: true, What: mail.Describe(sub.Kind)})
}

// unsubscribeRefused answers a forged, damaged or expired link calmly: nothing changed,
// and where to go instead.
func (s *Server) unsubscribeRefused(c echo.Context, err error) error {
	d := unsubscribeData{Refused: true, Title: "This link does not work",
		Message: "It is not a link the forum made, or part of it was lost when it was copied."}
	if errors.Is(err, mail.ErrExpiredToken) {
		d.Title, d.Message = "This link is too old", "Unsubscribe links work for a year after the e-mail was sent."
	}
	return s.render(c, http.StatusBadRequest, "unsubscribe", "", d)
}

// devMailData is the development mailbox.
type devMailData struct {
	Messages []*model.DevMail
	// SMTP names the SMTP server when one is configured: then mail goes there, not here.
	SMTP string
}

// devMail shows the development mailbox: what the forum would have e-mailed (development
// mode without an SMTP server).
func (s *Server) devMail(c echo.Context) error {
	if !s.cfg.Dev {
		return model.ErrNotFound
	}
	ms, err := s.store.DevMails(c.Request().Context(), 50)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "dev_mail", "", devMailData{Messages: ms, SMTP: s.cfg.Mail.SMTPLabel})
}
