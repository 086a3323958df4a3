package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"forum/app/auth"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
)

type loginData struct {
	Providers []*auth.Provider
	Dev       bool
	Invited   bool
	Message   string
}

// login offers the configured sign-in providers (and the demo personas in development).
func (s *Server) login(c echo.Context) error {
	if v := viewer(c); v != nil {
		return s.redirect(c, "/")
	}
	d := loginData{Providers: s.providers.List(), Dev: s.cfg.Dev}
	if ck, err := c.Cookie(inviteCookie); err == nil && ck.Value != "" {
		d.Invited = true
	}
	return s.render(c, http.StatusOK, "login", "login", d)
}

// authBegin sends the browser to the provider, with a fresh state kept in a signed cookie.
func (s *Server) authBegin(c echo.Context) error {
	authURL, flow, err := s.providers.Begin(c.Param("provider"))
	if errors.Is(err, auth.ErrUnknownProvider) {
		return model.ErrNotFound
	}
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: auth.FlowCookie, Value: flow, Path: "/auth/", MaxAge: 600,
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusFound, authURL)
}

type signInFailed struct {
	Title, Message string
}

// authCallback completes a sign-in. The flow cookie is cleared whatever happens, so an
// answer from the provider is accepted once.
func (s *Server) authCallback(c echo.Context) error {
	name := c.Param("provider")
	flow := ""
	if ck, err := c.Cookie(auth.FlowCookie); err == nil {
		flow = ck.Value
	}
	s.clearCookie(c, auth.FlowCookie, "/auth/")
	ext, err := s.providers.Complete(name, flow, c.QueryParams())
	if err != nil {
		return s.signInFailed(c, err)
	}
	return s.startSession(c, forum.ExternalAccount{Provider: ext.Provider, Subject: ext.Subject, Email: ext.Email, Name: ext.Name})
}

// startSession signs in the person behind an external account and starts a session.
func (s *Server) startSession(c echo.Context, ext forum.ExternalAccount) error {
	ctx := c.Request().Context()
	invite := ""
	if ck, err := c.Cookie(inviteCookie); err == nil {
		invite = ck.Value
	}
	user, err := s.forum.SignIn(ctx, ext, invite)
	if err != nil {
		return err
	}
	if invite != "" {
		s.clearCookie(c, inviteCookie, "/")
	}
	return s.signInAs(c, user)
}

// signInAs starts a session for user, unless the account may not sign in.
func (s *Server) signInAs(c echo.Context, user *model.User) error {
	switch user.Status {
	case model.StatusSuspended:
		return s.render(c, http.StatusForbidden, "signin_failed", "", signInFailed{"Your account is suspended",
			"A moderator has suspended this account. If you think this is a mistake, write to the moderators."})
	case model.StatusDeclined:
		return s.render(c, http.StatusForbidden, "signin_failed", "", signInFailed{"Your request to join was not approved",
			"The moderators did not approve this account, and an invite link does not change their decision. If you think this is a mistake, ask the person who invited you to speak with the moderators."})
	case model.StatusDeleted:
		return s.render(c, http.StatusForbidden, "signin_failed", "", signInFailed{"This account was deleted", "Sign in with another account to join again."})
	}
	// A new session replaces any current one in this browser.
	if sess := currentSession(c); sess != nil {
		_ = s.sessions.Revoke(c.Request().Context(), sess.ID)
	}
	token, _, err := s.sessions.Create(c.Request().Context(), user.ID, c.Request().UserAgent(), c.RealIP())
	if err != nil {
		return err
	}
	s.setSessionCookie(c, token)
	// A pre-session value planted in this browser before the sign-in is worthless after it.
	s.rotatePreSession(c)
	s.log.Info("signed in", "id", requestID(c), "user", user.ID, "role", user.Role)
	if user.PseudonymChosenAt == nil {
		return s.redirect(c, "/welcome/name")
	}
	return s.redirect(c, "/")
}

func (s *Server) signInFailed(c echo.Context, err error) error {
	d := signInFailed{Title: "Sign-in did not work", Message: "The sign-in could not be completed. Please try again."}
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, auth.ErrUnknownProvider):
		return model.ErrNotFound
	case errors.Is(err, auth.ErrCancelled):
		d = signInFailed{"Sign-in cancelled", "You cancelled the sign-in at the provider. Nothing was shared with us. You can try again whenever you are ready."}
		status = http.StatusOK
	case errors.Is(err, auth.ErrFlowMissing):
		d.Message = "This sign-in attempt expired or was already used. Please start again from the sign-in page."
	case errors.Is(err, auth.ErrStateMismatch):
		d.Message = "The answer from the sign-in provider did not match this browser's sign-in attempt, so it was refused. Please start again."
	default:
		status = http.StatusBadGateway
		d.Message = "The sign-in provider did not answer as expected. Please try again in a moment."
		s.log.Warn("sign-in failed", "id", requestID(c), "provider", c.Param("provider"), "err", err)
	}
	return s.render(c, status, "signin_failed", "", d)
}

// logout ends the session in the database and in the browser.
func (s *Server) logout(c echo.Context) error {
	if sess := currentSession(c); sess != nil {
		if err := s.sessions.Revoke(c.Request().Context(), sess.ID); err != nil {
			return err
		}
	}
	s.clearCookie(c, auth.CookieName, "/")
	// The visitor this browser becomes starts with a fresh pre-session value.
	s.rotatePreSession(c)
	return s.redirect(c, "/")
}

type joinData struct {
	Code    string
	Visitor bool // the form leads to the sign-in, where the invite is used
	// Title and Message, when set, say calmly why the invite changes nothing for the
	// signed-in person; the page then shows no form.
	Title, Message string
}

// joinPage shows what an invite link offers, with a form to accept it; opening the link
// changes nothing, so neither a link preview nor a reopened old link can.
func (s *Server) joinPage(c echo.Context) error {
	code := c.Param("code")
	if err := s.forum.CheckInvite(c.Request().Context(), code); err != nil {
		return s.inviteFailed(c, err)
	}
	d := joinData{Code: code}
	switch v := viewer(c); {
	case v == nil:
		d.Visitor = true
	case !policy.CanJoinWithInvite(v):
		d.Title, d.Message = inviteNotApplicable(v)
	}
	return s.render(c, http.StatusOK, "join", "", d)
}

// join accepts an invite. A visitor's code is kept in a cookie until they have signed in;
// a signed-in person who was never a member becomes one at once; for anyone else the
// invite changes nothing and the page says why.
func (s *Server) join(c echo.Context) error {
	code := c.Param("code")
	ctx := c.Request().Context()
	v := viewer(c)
	if v == nil {
		if err := s.forum.CheckInvite(ctx, code); err != nil {
			return s.inviteFailed(c, err)
		}
		c.SetCookie(&http.Cookie{Name: inviteCookie, Value: code, Path: "/", MaxAge: 3600, HttpOnly: true,
			Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
		return s.redirect(c, "/login")
	}
	err := s.forum.RedeemInvite(ctx, v, code)
	if errors.Is(err, forum.ErrInviteNotApplicable) {
		d := joinData{Code: code}
		d.Title, d.Message = inviteNotApplicable(v)
		return s.render(c, http.StatusConflict, "join", "", d)
	}
	if err != nil {
		return s.inviteFailed(c, err)
	}
	s.log.Info("joined with an invite", "id", requestID(c), "user", v.ID)
	return s.redirect(c, "/")
}

// inviteFailed answers an invite that cannot be used, or passes on another error.
func (s *Server) inviteFailed(c echo.Context, err error) error {
	if errors.Is(err, forum.ErrInviteInvalid) {
		return s.render(c, http.StatusNotFound, "signin_failed", "", signInFailed{"This invite link is no longer valid",
			"It may have expired or been used up. Ask the person who sent it for a new one, or sign in and wait for a moderator's approval."})
	}
	return err
}

// inviteNotApplicable says why an invite does not change v's account.
func inviteNotApplicable(v *model.User) (title, message string) {
	if policy.IsMember(v) {
		return "You are already a member", "This invite is for people joining for the first time. Your account is already part of the community, so nothing was changed."
	}
	return "This invite does not change your account", "An invite is for people joining for the first time, so it does not change an account that was a member before " +
		"or that the moderators have already decided on. Nothing was changed; the moderators look at every account waiting for them."
}

type welcomeData struct {
	Pseudonym         string
	CanJoinWithInvite bool
}

// welcome tells a pending member what happens next.
func (s *Server) welcome(c echo.Context) error {
	v := viewer(c)
	if v == nil {
		return s.redirect(c, "/login")
	}
	if !policy.IsPending(v) {
		return s.redirect(c, "/")
	}
	return s.render(c, http.StatusOK, "welcome", "", welcomeData{Pseudonym: v.Pseudonym, CanJoinWithInvite: policy.CanJoinWithInvite(v)})
}

type nameForm struct {
	Pseudonym string
	Error     string
	First     bool
}

func (s *Server) chooseNameForm(c echo.Context) error {
	v := viewer(c)
	if v == nil {
		return s.redirect(c, "/login")
	}
	d := nameForm{First: v.PseudonymChosenAt == nil}
	if !d.First {
		d.Pseudonym = v.Pseudonym
	}
	return s.render(c, http.StatusOK, "choose_name", "", d)
}

func (s *Server) chooseName(c echo.Context) error {
	v := viewer(c)
	if v == nil {
		return s.redirect(c, "/login")
	}
	first := v.PseudonymChosenAt == nil
	name := c.FormValue("pseudonym")
	if err := s.forum.SetPseudonym(c.Request().Context(), v, name); err != nil {
		var inv *model.InvalidError
		if errors.As(err, &inv) {
			return s.render(c, http.StatusUnprocessableEntity, "choose_name", "", nameForm{Pseudonym: name, Error: inv.Fields["pseudonym"], First: first})
		}
		return err
	}
	if policy.IsPending(v) {
		return s.redirect(c, "/welcome")
	}
	return s.redirect(c, "/")
}

type devLoginData struct {
	Personas []*model.User
}

// devLoginPage lists the demo personas (development mode only).
func (s *Server) devLoginPage(c echo.Context) error {
	if !s.cfg.Dev {
		return model.ErrNotFound
	}
	personas, err := s.store.DemoUsers(c.Request().Context())
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "dev_login", "login", devLoginData{Personas: personas})
}

// devLogin signs in as a demo persona, or as a brand-new person (development mode only).
func (s *Server) devLogin(c echo.Context) error {
	if !s.cfg.Dev {
		return model.ErrNotFound
	}
	ctx := c.Request().Context()
	if key := c.FormValue("persona"); key != "" {
		u, err := s.store.UserByDemoKey(ctx, s.store.DB, key)
		if err != nil {
			return err
		}
		return s.signInAs(c, u)
	}
	if strings.TrimSpace(c.FormValue("new")) != "" {
		token, _ := auth.NewToken()
		return s.startSession(c, forum.ExternalAccount{Provider: "dev", Subject: token[:16], Name: "New person"})
	}
	return model.Invalid("persona", "Choose a persona.")
}

// currentSession returns the session of a signed-in request.
func currentSession(c echo.Context) *model.Session {
	sess, _ := c.Get("session").(*model.Session)
	return sess
}
