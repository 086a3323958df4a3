package web

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"forum/app/auth"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
)

type loginData struct {
	Providers []providerLink
	DevHref   string
	Dev       bool
	Invited   bool
	Message   string
}

// providerLink is a sign-in button: where it goes carries the way back.
type providerLink struct {
	Label, Href string
}

// login offers the configured sign-in providers (and the demo personas in development).
// A next parameter (a local path) is carried through the sign-in, so that the person
// comes back to the page that asked them to sign in.
func (s *Server) login(c echo.Context) error {
	next := localPath(c.QueryParam("next"))
	if v := viewer(c); v != nil {
		return s.redirect(c, orHome(next))
	}
	d := loginData{Dev: s.cfg.Dev, DevHref: withNext("/dev/login", next)}
	for _, p := range s.providers.List() {
		d.Providers = append(d.Providers, providerLink{Label: p.Label, Href: withNext("/auth/"+p.Name, next)})
	}
	if ck, err := c.Cookie(inviteCookie); err == nil && ck.Value != "" {
		d.Invited = true
	}
	return s.render(c, http.StatusOK, "login", "login", d)
}

// authBegin sends the browser to the provider, with a fresh state kept in a signed cookie
// of its own (several sign-ins may be under way in one browser).
func (s *Server) authBegin(c echo.Context) error {
	start, err := s.providers.Begin(c.Param("provider"), localPath(c.QueryParam("next")))
	if errors.Is(err, auth.ErrUnknownProvider) {
		return model.ErrNotFound
	}
	if err != nil {
		return err
	}
	c.SetCookie(&http.Cookie{Name: start.CookieName, Value: start.CookieValue, Path: "/auth/", MaxAge: 600,
		HttpOnly: true, Secure: s.cfg.Secure(), SameSite: http.SameSiteLaxMode})
	return c.Redirect(http.StatusFound, start.URL)
}

type signInFailed struct {
	Title, Message string
}

// authCallback completes a sign-in. The attempt's flow cookie is cleared whatever happens,
// and its state is remembered as used, so an answer from the provider is accepted once.
func (s *Server) authCallback(c echo.Context) error {
	name := c.Param("provider")
	if ck := auth.FlowCookieName(c.QueryParam("state")); ck != "" {
		if _, err := c.Cookie(ck); err == nil {
			s.clearCookie(c, ck, "/auth/")
		}
	}
	ext, next, err := s.providers.Complete(c.Request().Context(), name, c.Cookies(), c.QueryParams())
	if err != nil {
		return s.signInFailed(c, err)
	}
	return s.startSession(c, forum.ExternalAccount{Provider: ext.Provider, Issuer: ext.Issuer, Subject: ext.Subject,
		Email: ext.Email, Name: ext.Name}, next)
}

// startSession signs in the person behind an external account and starts a session.
func (s *Server) startSession(c echo.Context, ext forum.ExternalAccount, next string) error {
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
	return s.signInAs(c, user, next)
}

// signInRefused tells a person why their account may not sign in.
func signInRefused(status model.Status) signInFailed {
	switch status {
	case model.StatusSuspended:
		return signInFailed{"Your account is suspended",
			"A moderator has suspended this account. If you think this is a mistake, write to the moderators."}
	case model.StatusDeclined:
		return signInFailed{"Your request to join was not approved",
			"The moderators did not approve this account, and an invite link does not change their decision. If you think this is a mistake, ask the person who invited you to speak with the moderators."}
	case model.StatusDeleted:
		return signInFailed{"This account was deleted", "Sign in with another account to join again."}
	}
	return signInFailed{"This account cannot sign in", "If you think this is a mistake, write to the moderators."}
}

// signInAs starts a session for user, unless the account may not sign in, and sends them
// to next (a local path), or home.
func (s *Server) signInAs(c echo.Context, user *model.User, next string) error {
	if !policy.CanSignIn(user) {
		return s.render(c, http.StatusForbidden, "signin_failed", "", signInRefused(user.Status))
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
	return s.redirect(c, orHome(localPath(next)))
}

// signInFailed answers a sign-in that did not work with a calm page and the status that
// says whose problem it is: the request's (400), the provider's answer (403), or a
// provider that cannot be reached (502). Refusals are logged as warnings, with a reason
// that carries no code, token, e-mail or name.
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
	case errors.Is(err, auth.ErrCodeRejected):
		d.Message = "The sign-in provider did not accept this sign-in; it may have taken too long or been used already. Please start again."
	case errors.Is(err, auth.ErrAnswerRefused):
		status = http.StatusForbidden
		d.Message = "The answer from the sign-in provider did not pass our checks, so it was refused. Please start again; if it keeps happening, tell the moderators."
	case errors.Is(err, auth.ErrProviderUnreachable):
		status = http.StatusBadGateway
		d.Message = "The sign-in provider did not answer as expected. Please try again in a moment."
	default:
		return err // the forum's own failure: logged and answered by the error handler
	}
	switch status {
	case http.StatusBadGateway:
		s.log.Warn("sign-in provider unreachable", "id", requestID(c), "provider", c.Param("provider"), "reason", err.Error())
	case http.StatusBadRequest, http.StatusForbidden:
		s.log.Warn("sign-in refused", "id", requestID(c), "provider", c.Param("provider"), "status", status, "reason", err.Error())
	}
	return s.render(c, status, "signin_failed", "", d)
}

// localPath returns next if it is a path on this site, else "". Anything a browser could
// read as another site is refused: "//host", "/\host", a scheme, control characters
// (browsers drop tabs and newlines, so "/<tab>/host" is "//host").
func localPath(next string) string {
	if next == "" || len(next) > 1000 || next[0] != '/' || strings.HasPrefix(next, "//") {
		return ""
	}
	for _, r := range next {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return ""
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || !strings.HasPrefix(u.Path, "/") {
		return ""
	}
	return next
}

// orHome returns path, or the home page when it is empty.
func orHome(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

// withNext returns path with the way back (a local path) as its next parameter.
func withNext(path, next string) string {
	if next == "" || next == "/" {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
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
	// Reason is what the person says brings them here, as saved or as just sent back with
	// ReasonError; Saved says a reason is on file.
	Reason      string
	ReasonError string
	Saved       bool
	MaxReason   int
}

// welcome tells a pending member what happens next, and asks what brings them here.
func (s *Server) welcome(c echo.Context) error {
	v := viewer(c)
	if v == nil {
		return s.redirect(c, "/login")
	}
	if !policy.IsPending(v) {
		return s.redirect(c, "/")
	}
	return s.renderWelcome(c, http.StatusOK, welcomeData{Reason: v.JoinReason})
}

func (s *Server) renderWelcome(c echo.Context, status int, d welcomeData) error {
	v := viewer(c)
	d.Pseudonym, d.CanJoinWithInvite, d.Saved, d.MaxReason = v.Pseudonym, policy.CanJoinWithInvite(v), v.JoinReason != "", forum.MaxJoinReason
	return s.render(c, status, "welcome", "", d)
}

// welcomeReason keeps what a person awaiting approval says brings them here; a reason that
// is too long comes back in the form with the message beside it.
func (s *Server) welcomeReason(c echo.Context) error {
	v := viewer(c)
	if v == nil {
		return errSignInRequired
	}
	if !policy.CanSayWhyJoining(v) {
		if policy.IsMember(v) {
			// Approved while writing: the moderators have decided, nothing to keep.
			return s.redirect(c, "/")
		}
		return model.ErrForbidden
	}
	reason := c.FormValue("join_reason")
	if errs := cleanedFields(c, "join_reason"); errs != nil {
		return s.renderWelcome(c, http.StatusUnprocessableEntity, welcomeData{Reason: reason, ReasonError: errs["join_reason"]})
	}
	err := s.forum.SetJoinReason(c.Request().Context(), v, reason)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return s.renderWelcome(c, http.StatusUnprocessableEntity, welcomeData{Reason: reason, ReasonError: inv.Fields["join_reason"]})
	}
	if err != nil {
		return err
	}
	return s.redirect(c, withDone("/welcome", "reason"))
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
	Next     string
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
	return s.render(c, http.StatusOK, "dev_login", "login", devLoginData{Personas: personas, Next: localPath(c.QueryParam("next"))})
}

// devLogin signs in as a demo persona, or as a brand-new person (development mode only).
func (s *Server) devLogin(c echo.Context) error {
	if !s.cfg.Dev {
		return model.ErrNotFound
	}
	ctx := c.Request().Context()
	next := localPath(c.FormValue("next"))
	if key := c.FormValue("persona"); key != "" {
		u, err := s.store.UserByDemoKey(ctx, key)
		if err != nil {
			return err
		}
		return s.signInAs(c, u, next)
	}
	if strings.TrimSpace(c.FormValue("new")) != "" {
		token, _ := auth.NewToken()
		return s.startSession(c, forum.ExternalAccount{Provider: "dev", Issuer: auth.IssuerDev, Subject: token[:16], Name: "New person"}, next)
	}
	return model.Invalid("persona", "Choose a persona.")
}

// currentSession returns the session of a signed-in request.
func currentSession(c echo.Context) *model.Session {
	sess, _ := c.Get("session").(*model.Session)
	return sess
}
