package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

type membersData struct {
	Pending []*model.User
	Members []memberRow
	// PendingNext and MembersNext are the addresses of the lists' next pages, if any;
	// Later says that a later page of a list is shown.
	PendingNext, MembersNext string
	Later                    bool
	Error                    string
	ErrorFor                 int64
	Note                     string
	// ShowReasons shows what people awaiting approval said brings them here.
	ShowReasons bool
}

// accountsPerPage is how many accounts, or audit entries, a page of moderation lists.
const accountsPerPage = 100

// userPage returns the page of the users q selects that starts after the place in the
// request's parameter param, and the address of the next page of the list at path ("" at
// the end). A form rejected on a list's page shows its first page again.
func (s *Server) userPage(c echo.Context, q store.UserQuery, path, param string) ([]*model.User, string, error) {
	q.Limit = accountsPerPage + 1
	if at, id, ok := parseKeyset(c.QueryParam(param)); ok {
		q.After = &store.CreatedCursor{CreatedAt: at, ID: id}
	}
	users, err := s.store.Users(c.Request().Context(), q)
	if err != nil || len(users) <= accountsPerPage {
		return users, "", err
	}
	users = users[:accountsPerPage]
	last := users[len(users)-1]
	return users, nextPage(path, param, keyset(last.CreatedAt, last.ID)), nil
}

// memberRow is an account on the moderators' list, with what the moderator may do to it.
type memberRow struct {
	*model.User
	Suspended, Declined      bool
	CanSuspend, CanReinstate bool
}

// modMembers lists accounts awaiting approval and the members, for moderators.
func (s *Server) modMembers(c echo.Context) error {
	v := viewer(c)
	if !policy.CanApproveMembers(v) {
		return model.ErrForbidden
	}
	d, err := s.membersData(c, v)
	if err != nil {
		return err
	}
	if err := s.decisionNotice(c); err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "mod_members", "mod", d)
}

// decisionNotice confirms, after a moderator's decision on an account, what it did: the
// decision and the account are in the address the decision redirected to.
func (s *Server) decisionNotice(c echo.Context) error {
	var id int64
	var decision string
	for _, d := range []string{forum.DecisionApprove, forum.DecisionDecline, "suspend", "unsuspend"} {
		if n, err := strconv.ParseInt(c.QueryParam(d), 10, 64); err == nil && n > 0 {
			id, decision = n, d
			break
		}
	}
	if id == 0 {
		return nil
	}
	u, err := s.store.UserByID(c.Request().Context(), id)
	if errors.Is(err, model.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	switch decision {
	case forum.DecisionApprove:
		setNotice(c, u.Pseudonym+" is now a member. Their next page welcomes them in.")
	case forum.DecisionDecline:
		setNotice(c, "The request from "+u.Pseudonym+" was declined. They are told so if they sign in again.")
	case "suspend":
		setNotice(c, u.Pseudonym+" is suspended and signed out everywhere.")
	case "unsuspend":
		setNotice(c, u.Pseudonym+" is reinstated and may sign in again.")
	}
	return nil
}

func (s *Server) membersData(c echo.Context, v *model.User) (membersData, error) {
	var d membersData
	var all []*model.User
	var err error
	d.Pending, d.PendingNext, err = s.userPage(c, store.UserQuery{Role: model.RolePending, Status: model.StatusActive}, "/mod/members", "pending_after")
	if err != nil {
		return membersData{}, err
	}
	if all, d.MembersNext, err = s.userPage(c, store.UserQuery{Approved: true}, "/mod/members", "after"); err != nil {
		return membersData{}, err
	}
	for _, u := range all {
		d.Members = append(d.Members, memberRow{User: u, Suspended: u.Status == model.StatusSuspended,
			Declined: u.Status == model.StatusDeclined, CanSuspend: policy.CanSuspend(v, u), CanReinstate: policy.CanReinstate(v, u)})
	}
	d.Later = c.QueryParam("after") != "" || c.QueryParam("pending_after") != ""
	d.ShowReasons = policy.CanSeeWhyJoining(v)
	return d, nil
}

// modDecide approves or declines an account awaiting approval.
func (s *Server) modDecide(c echo.Context) error {
	v := viewer(c)
	id, err := paramID(c)
	if err != nil {
		return err
	}
	note := c.FormValue("note")
	err = s.forum.DecideMembership(c.Request().Context(), v, id, c.FormValue("decision"), note)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		d, derr := s.membersData(c, v)
		if derr != nil {
			return derr
		}
		for _, msg := range inv.Fields {
			d.Error = msg
		}
		d.ErrorFor, d.Note = id, note
		return s.render(c, http.StatusUnprocessableEntity, "mod_members", "mod", d)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, "/mod/members?"+url.Values{c.FormValue("decision"): {strconv.FormatInt(id, 10)}}.Encode())
}

// modSuspend suspends or reinstates a member.
func (s *Server) modSuspend(c echo.Context) error {
	v := viewer(c)
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	done := "suspend"
	note, untilText := c.FormValue("note"), c.FormValue("until")
	var until *time.Time
	untilProblem := ""
	if untilText != "" {
		day, perr := time.Parse("2006-01-02", untilText)
		if perr != nil {
			untilProblem = "Choose a day, or leave it empty to suspend until a moderator lifts it."
		} else {
			until = &day
		}
	}
	if c.FormValue("action") == "unsuspend" {
		done = "unsuspend"
	}
	if policy.CanApproveMembers(v) {
		u, err := s.store.UserByID(ctx, id)
		if err != nil {
			return err
		}
		// What may not be done is refused by the operation, without asking for a reason.
		allowed := (done == "suspend" && policy.CanSuspend(v, u)) || (done == "unsuspend" && policy.CanReinstate(v, u))
		problem := policy.ReasonProblem(note)
		if allowed && (problem != "" || untilProblem != "" || (done == "suspend" && !confirmed(c))) {
			d := confirmData{Title: "Suspend " + u.Pseudonym + "?", Message: "They are signed out everywhere and cannot sign in until the day you choose, or until a moderator reinstates them.",
				Action: c.Request().URL.Path, Fields: formFields(c, "note", "until"), Button: "Suspend", Cancel: "/mod/members",
				AskReason: true, Reason: note, MaxReason: policy.MaxReason, ReasonError: problem, AskUntil: done == "suspend",
				Until: untilText, UntilError: untilProblem}
			if done == "unsuspend" {
				d.Title, d.Message, d.Button = "Reinstate "+u.Pseudonym+"?", "They may sign in again.", "Reinstate"
			}
			return s.confirmStep(c, d)
		}
	}
	if done == "unsuspend" {
		err = s.forum.Unsuspend(ctx, v, id, note)
	} else {
		err = s.forum.SuspendUntil(ctx, v, id, until, note)
	}
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		u, uerr := s.store.UserByID(ctx, id)
		if uerr != nil {
			return uerr
		}
		return s.confirmStep(c, confirmData{Title: "Suspend " + u.Pseudonym + "?", Action: c.Request().URL.Path,
			Fields: formFields(c, "note", "until"), Button: "Suspend", Cancel: "/mod/members", AskReason: true, Reason: note,
			MaxReason: policy.MaxReason, ReasonError: inv.Fields["note"], AskUntil: done == "suspend", Until: untilText, UntilError: inv.Fields["until"]})
	}
	if err != nil {
		return err
	}
	return s.redirect(c, "/mod/members?"+url.Values{done: {strconv.FormatInt(id, 10)}}.Encode())
}

type invitesData struct {
	Invites []*model.Invite
	NewURL  string
	Form    forum.InviteInput
	Errors  map[string]string
}

// adminInvites lists invite links and offers a form for a new one.
func (s *Server) adminInvites(c echo.Context) error {
	v := viewer(c)
	if !policy.CanManageInvites(v) {
		return model.ErrForbidden
	}
	return s.renderInvites(c, http.StatusOK, invitesData{Form: forum.InviteInput{MaxUses: 1, Days: 7}})
}

func (s *Server) renderInvites(c echo.Context, status int, d invitesData) error {
	invites, err := s.store.Invites(c.Request().Context(), 100)
	if err != nil {
		return err
	}
	d.Invites = invites
	return s.render(c, status, "admin_invites", "admin", d)
}

// adminCreateInvite makes an invite link and shows it once.
func (s *Server) adminCreateInvite(c echo.Context) error {
	v := viewer(c)
	in := forum.InviteInput{Note: c.FormValue("note")}
	in.MaxUses, _ = strconv.Atoi(c.FormValue("max_uses"))
	in.Days, _ = strconv.Atoi(c.FormValue("days"))
	code, _, err := s.forum.CreateInvite(c.Request().Context(), v, in)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		return s.renderInvites(c, http.StatusUnprocessableEntity, invitesData{Form: in, Errors: inv.Fields})
	}
	if err != nil {
		return err
	}
	return s.renderInvites(c, http.StatusOK, invitesData{Form: forum.InviteInput{MaxUses: 1, Days: 7},
		NewURL: s.cfg.BaseURL.String() + "/join/" + code})
}

func (s *Server) adminRevokeInvite(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.forum.RevokeInvite(c.Request().Context(), viewer(c), id); err != nil {
		return err
	}
	return s.redirect(c, withDone("/admin/invites", "invite"))
}

type usersData struct {
	Users []*model.User
	Roles []model.Role
	// Next is the address of the next page, if any; Later says this is not the first.
	Next   string
	Later  bool
	Error  string
	ErrFor int64
}

// adminUsers lists accounts with their roles, for admins.
func (s *Server) adminUsers(c echo.Context) error {
	v := viewer(c)
	if !policy.CanManageRoles(v) {
		return model.ErrForbidden
	}
	// After a change of role, the address names the account: say what it is now.
	if id, err := strconv.ParseInt(c.QueryParam("changed"), 10, 64); err == nil && id > 0 {
		u, err := s.store.UserByID(c.Request().Context(), id)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		switch {
		case u == nil:
		case u.Role == model.RolePending:
			setNotice(c, u.Pseudonym+" is awaiting approval again.")
		default:
			setNotice(c, u.Pseudonym+" is now "+article(roleLabel(u.Role))+".")
		}
	}
	return s.renderUsers(c, http.StatusOK, usersData{})
}

// article puts "a" or "an" before a role's name ("an expert", "a moderator").
func article(role string) string {
	if role != "" && strings.ContainsRune("aeiou", rune(role[0])) {
		return "an " + role
	}
	return "a " + role
}

func (s *Server) renderUsers(c echo.Context, status int, d usersData) error {
	users, next, err := s.userPage(c, store.UserQuery{}, "/admin/users", "after")
	if err != nil {
		return err
	}
	d.Users, d.Roles, d.Next, d.Later = users, model.Roles, next, c.QueryParam("after") != ""
	return s.render(c, status, "admin_users", "admin", d)
}

// adminSetRole gives an account a role (with the credential line for experts).
func (s *Server) adminSetRole(c echo.Context) error {
	v := viewer(c)
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if !policy.CanManageRoles(v) {
		return model.ErrForbidden
	}
	err = s.forum.SetRole(c.Request().Context(), v, id, model.Role(c.FormValue("role")), c.FormValue("credential"))
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		d := usersData{ErrFor: id}
		for _, msg := range inv.Fields {
			d.Error = msg
		}
		return s.renderUsers(c, http.StatusUnprocessableEntity, d)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, "/admin/users?changed="+strconv.FormatInt(id, 10))
}
