package web

import (
	"net/http"
	"sort"

	"github.com/labstack/echo/v4"
)

// Destructive actions are confirmed before they are done, with or without JavaScript.
// Their forms carry data-confirm: with JavaScript, static/js/forum.js asks in a dialog and
// sends the form with confirmed=yes; without it, the form arrives without it and the
// handler answers with a confirm step (confirmStep), a page that sends the same form
// again with confirmed=yes. The same page asks for a moderator's reason when it is missing.

// confirmed reports whether the form says that the person confirmed the action.
func confirmed(c echo.Context) bool { return c.FormValue("confirmed") == "yes" }

// hiddenField is a field of a form, sent again by the confirm step.
type hiddenField struct{ Name, Value string }

// confirmData is the confirm step of an action.
type confirmData struct {
	Title   string
	Message string
	// Action is where the form goes; Fields what it sends besides the token, the
	// confirmation and the reason.
	Action string
	Fields []hiddenField
	Button string
	Cancel string
	// AskReason asks for the moderator's reason, with its message (ReasonError).
	AskReason   bool
	Reason      string
	ReasonLabel string
	ReasonError string
	MaxReason   int
	// AskUntil asks for the day a suspension ends (optional: empty until lifted).
	AskUntil   bool
	Until      string
	UntilError string
	// Post is the post the action is about, shown above the form.
	Post *postView
}

// formFields returns the fields of the submitted form that the confirm step sends again:
// all but the token, the confirmation and the fields the step asks for itself.
func formFields(c echo.Context, asked ...string) []hiddenField {
	form, err := c.FormParams()
	if err != nil {
		return nil
	}
	skip := map[string]bool{"_csrf": true, "confirmed": true}
	for _, a := range asked {
		skip[a] = true
	}
	names := make([]string, 0, len(form))
	for name := range form {
		if !skip[name] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var out []hiddenField
	for _, name := range names {
		for _, v := range form[name] {
			out = append(out, hiddenField{Name: name, Value: v})
		}
	}
	return out
}

// confirmStep answers with the confirm step of an action: 200 when it only asks, 422 when
// something asked for was wrong (the message beside its field).
func (s *Server) confirmStep(c echo.Context, d confirmData) error {
	status := http.StatusOK
	if d.ReasonError != "" || d.UntilError != "" {
		status = http.StatusUnprocessableEntity
	}
	return s.render(c, status, "confirm", "", d)
}
