package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/notify"
	"forum/app/policy"
)

// followForm is the small form that sets how closely a member follows a thread or a
// topic. It posts without JavaScript; with htmx it saves when the choice changes and
// replaces itself.
type followForm struct {
	ID     string // the element's id, unique on a page
	Action string
	Label  string
	// HideLabel: the label is for screen readers (the form stands beside what it is about).
	HideLabel bool
	Level     model.Level
	Topic     bool
	// CanStop offers "not following" (policy.CanStopFollowing).
	CanStop bool
	// Return is the page to go back to without JavaScript.
	Return string
	Saved  bool
	Error  string
	CSRF   string
}

// levelOption is one choice of a follow form.
type levelOption struct {
	Value, Label string
	Selected     bool
}

// Options are the choices of the form, the current one selected.
func (f followForm) Options() []levelOption {
	var out []levelOption
	add := func(l model.Level, label string) {
		value := string(l)
		if l == "" {
			value = "none"
		}
		out = append(out, levelOption{Value: value, Label: label, Selected: f.Level == l})
	}
	if f.Topic {
		add(model.LevelWatching, "Watching: tell me of every new question")
		add(model.LevelNormal, "Normal: only what involves me")
		add(model.LevelMuted, "Muted: never tell me of new questions here")
	} else {
		add(model.LevelWatching, "Watching: tell me of every reply")
		add(model.LevelNormal, "Normal: answers to my question, mentions and quotes of me")
		add(model.LevelMuted, "Muted: tell me nothing")
	}
	if f.CanStop || f.Level == "" {
		add("", "Not following")
	}
	return out
}

// threadFollowForm is the follow form of thread t for viewer v, who follows it at level.
func threadFollowForm(v *model.User, t *model.Thread, level model.Level, ret, csrf string) followForm {
	id := strconv.FormatInt(t.ID, 10)
	return followForm{ID: "follow-thread-" + id, Action: "/t/" + id + "/follow", Label: "Notifications for this thread",
		Level: level, CanStop: policy.CanStopFollowing(v, t), Return: ret, CSRF: csrf}
}

// topicFollowForm is the follow form of a topic.
func topicFollowForm(tag *model.Tag, level model.Level, ret, csrf string) followForm {
	return followForm{ID: "follow-topic-" + strconv.FormatInt(tag.ID, 10), Action: "/tags/" + tag.Slug + "/follow",
		Label: "Notifications for " + tag.Name, Level: level, Topic: true, CanStop: true, Return: ret, CSRF: csrf}
}

// threadFollow sets how closely the member follows a thread.
func (s *Server) threadFollow(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	level, err := notify.ParseLevel(c.FormValue("level"))
	if err != nil {
		return err
	}
	t, now, err := s.notify.FollowThread(c.Request().Context(), v, id, level)
	if err != nil {
		return err
	}
	ret := localPath(c.FormValue("return"))
	if ret == "" {
		ret = threadURL(t)
	}
	if !isFragment(c) {
		return s.redirect(c, followDone(ret))
	}
	f := threadFollowForm(v, t, now, ret, csrfToken(c))
	f.Saved = true
	return s.renderPartial(c, http.StatusOK, "follow_form", f)
}

// tagFollow sets how closely the member follows a topic.
func (s *Server) tagFollow(c echo.Context) error {
	v := viewer(c)
	if !policy.CanFollowTopic(v) {
		return s.membersOnly(c, v)
	}
	ctx := c.Request().Context()
	tag, err := s.store.TagBySlug(ctx, c.Param("slug"))
	if err != nil {
		return err
	}
	level, err := notify.ParseLevel(c.FormValue("level"))
	if err != nil {
		return err
	}
	if tag, err = s.notify.FollowTopic(ctx, v, tag.ID, level); err != nil {
		return err
	}
	ret := localPath(c.FormValue("return"))
	if ret == "" {
		ret = "/tags/" + tag.Slug
	}
	if !isFragment(c) {
		return s.redirect(c, followDone(ret))
	}
	f := topicFollowForm(tag, level, ret, csrfToken(c))
	f.Saved = true
	return s.renderPartial(c, http.StatusOK, "follow_form", f)
}

// followDone is the page to go back to after a follow form was sent without JavaScript,
// saying that the choice is saved (when its address has no query of its own to keep).
func followDone(ret string) string {
	if strings.ContainsAny(ret, "?#") {
		return ret
	}
	return withDone(ret, "follow")
}

// followedThreadView is a followed thread on the following page.
type followedThreadView struct {
	Item threadItem
	Auto bool
	Form followForm
}

type followingData struct {
	Threads []followedThreadView
	Topics  []followForm
	Next    string
}

// following lists the threads and topics the member follows, each with its level,
// changeable in place.
func (s *Server) following(c echo.Context) error {
	v := viewer(c)
	if !policy.CanFollowTopic(v) {
		return s.membersOnly(c, v)
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	f, err := s.notify.Following(c.Request().Context(), v, max(before, 0))
	if err != nil {
		return err
	}
	csrf, ret := csrfToken(c), c.Request().URL.RequestURI()
	var d followingData
	for _, ft := range f.Threads {
		form := threadFollowForm(v, ft.Thread, ft.Level, ret, csrf)
		form.Label, form.HideLabel = "Notifications for “"+ft.Thread.Title+"”", true
		d.Threads = append(d.Threads, followedThreadView{Item: newThreadItem(v, ft.Thread), Auto: ft.Auto, Form: form})
	}
	for _, ft := range f.Topics {
		d.Topics = append(d.Topics, topicFollowForm(ft.Tag, ft.Level, ret, csrf))
	}
	if f.NextBefore > 0 {
		d.Next = nextPage("/following", "before", strconv.FormatInt(f.NextBefore, 10))
	}
	return s.render(c, http.StatusOK, "following", "following", d)
}

// threadFollowHTML renders the follow form of the thread page for the viewer, who may
// follow the thread: it goes in the page's follow slot, outside the cached content.
func (s *Server) threadFollowHTML(c echo.Context, t *model.Thread, csrf string) (string, error) {
	v := viewer(c)
	level, err := s.notify.ThreadLevel(c.Request().Context(), v, t)
	if err != nil {
		return "", err
	}
	return s.renderBlock("thread", "follow_form", threadFollowForm(v, t, level, threadURL(t), csrf))
}
