package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/policy"
)

// moveForm is the moderators' form to change a thread's topics or merge it into another,
// with what they typed and what was wrong.
type moveForm struct {
	AllTags []*model.Tag
	Tags    []string
	Reason  string
	Into    string
	// MergeReason is the reason typed in the merge form.
	MergeReason string
	Errors      map[string]string
}

// HasTag reports whether the form has topic slug checked.
func (f moveForm) HasTag(slug string) bool {
	for _, t := range f.Tags {
		if t == slug {
			return true
		}
	}
	return false
}

// mergedRedirect answers the address of a thread merged into thread into: 301 to it for
// whoever may read it; for others, as an unknown thread.
func (s *Server) mergedRedirect(c echo.Context, v *model.User, into int64) error {
	t, err := s.store.ThreadByID(c.Request().Context(), into)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	if t == nil || !policy.CanView(v, t) {
		if !policy.IsMember(v) {
			return s.membersOnly(c, v)
		}
		return model.ErrNotFound
	}
	return c.Redirect(http.StatusMovedPermanently, threadURL(t))
}

// threadTopics changes a thread's topics (moderators), with a reason for the audit log.
func (s *Server) threadTopics(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "unreadable form")
	}
	f := moveForm{Tags: form["tags"], Reason: form.Get("reason")}
	t, err := s.forum.MoveThread(c.Request().Context(), viewer(c), id, f.Tags, f.Reason)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		f.Errors = inv.Fields
		return s.moveRejected(c, id, f)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, withDone(threadURL(t), "moved"))
}

// threadMerge merges the thread into another, given by its address or number (moderators).
func (s *Server) threadMerge(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	f := moveForm{Into: c.FormValue("into"), MergeReason: c.FormValue("reason")}
	into, err := s.forum.MergeThread(c.Request().Context(), viewer(c), id, threadIDOf(f.Into), f.MergeReason)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		f.Errors = map[string]string{}
		for k, msg := range inv.Fields {
			if k == "reason" {
				k = "merge_reason"
			}
			f.Errors[k] = msg
		}
		return s.moveRejected(c, id, f)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, withDone(threadURL(into), "merged"))
}

// moveRejected shows the thread page again, status 422, with the moderator's form as typed.
func (s *Server) moveRejected(c echo.Context, id int64, f moveForm) error {
	t, err := s.store.ThreadByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	d, err := s.threadData(c, t, replyForm{})
	if err != nil {
		return err
	}
	if d.Move == nil {
		return model.ErrForbidden
	}
	f.AllTags = d.Move.AllTags
	if f.Tags == nil {
		f.Tags = d.Move.Tags
	}
	d.Move = &f
	return s.render(c, http.StatusUnprocessableEntity, "thread", "", d)
}
