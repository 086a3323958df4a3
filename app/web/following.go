package web

import (
	"context"
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
func (s *Server) threadFollowHTML(c echo.Context, t *model.Thread) (slotted, error) {
	v := viewer(c)
	// Kept for the member and thread until either changes: a follow, or a post of theirs,
	// written on this node drops the member's key at once.
	key := "thread-level:" + strconv.FormatInt(v.ID, 10) + ":" + strconv.FormatInt(t.ID, 10)
	level, err := cached(c.Request().Context(), s, key, []string{memberKey(v.ID), threadKey(t.ID)},
		func(ctx context.Context) (model.Level, int, error) {
			l, err := s.notify.ThreadLevel(ctx, v, t)
			return l, len(key) + 64, err
		})
	if err != nil {
		return slotted{}, err
	}
	return s.followFormOf("thread", threadFollowForm(v, t, level, threadURL(t), csrfSlot), threadKey(t.ID))
}

// followFormOf returns follow form f rendered with the template set of page, its CSRF token
// a slot. Every member who follows the same thread or topic at the same level sees the same
// form, so it is kept in the page cache under all that decides it, until key changes:
// executing the template for each view was a quarter of the thread page's cost.
func (s *Server) followFormOf(page string, f followForm, key string) (slotted, error) {
	k := strings.Join([]string{"follow-form", page, f.ID, f.Action, f.Label, f.Return, string(f.Level),
		strconv.FormatBool(f.CanStop), strconv.FormatBool(f.Topic), strconv.FormatBool(f.HideLabel)}, "\x00")
	if f.CSRF == csrfSlot && !f.Saved && f.Error == "" {
		if e := s.pages.Peek(k); e != nil {
			return e.Value.(slotted), nil
		}
	}
	stamp := s.pages.Stamp(key)
	h, err := s.renderBlock(page, "follow_form", f)
	if err != nil {
		return slotted{}, err
	}
	form := splitSlots(h)
	if f.CSRF == csrfSlot && !f.Saved && f.Error == "" {
		s.pages.Put(k, form, len(k)+2*len(h), stamp, pageTTL)
	}
	return form, nil
}
