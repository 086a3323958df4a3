package web

import (
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/config"
	"forum/app/danger"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// heldView is a post held for review as its author or a moderator sees it.
type heldView struct {
	ID          int64
	Reply       bool
	Kind        string
	Title       string
	Tags        []*model.Tag
	Thread      *threadItem // the thread a reply answers, when the viewer may read it
	Body        template.HTML
	Source      string
	ContentNote string
	Anonymous   bool
	// Author is how the author appears to a moderator (who sees anonymous authors).
	Author    string
	CreatedAt time.Time
	Waiting   bool
	Declined  bool
	Reason    string
	// PublishedURL leads to the post it became.
	PublishedURL string
	// Danger: its words suggest someone may be in immediate danger (app/danger).
	Danger bool
	// Error is a moderator's rejected decision on this post; ReasonTyped what they typed.
	Error, ReasonTyped string
	CSRF               string
}

func newHeldView(v *model.User, h *model.HeldPost, thread *model.Thread, csrf string) heldView {
	hv := heldView{ID: h.ID, Reply: h.IsReply(), Kind: strings.ToLower(kindLabels[h.Kind]), Title: h.Title, Tags: h.Tags,
		Body: template.HTML(h.BodyHTML), Source: h.BodySource, ContentNote: h.ContentNote, Anonymous: h.Anonymous, //nolint:gosec // sanitized when written
		CreatedAt: h.CreatedAt, Waiting: h.Waiting(), Declined: h.Declined, Reason: h.Reason,
		Danger: danger.Match(h.Title, h.BodySource), CSRF: csrf}
	if thread != nil && policy.CanView(v, thread) {
		item := newThreadItem(v, thread)
		hv.Thread = &item
	}
	if h.Author != nil {
		hv.Author = policy.ShowAuthor(v, h.Author, h.Anonymous).Name
	}
	return hv
}

// heldThreads loads the threads the held replies hs answer.
func (s *Server) heldThreads(c echo.Context, hs []*model.HeldPost) (map[int64]*model.Thread, error) {
	var ids []int64
	for _, h := range hs {
		if h.ThreadID != nil {
			ids = append(ids, *h.ThreadID)
		}
	}
	out := map[int64]*model.Thread{}
	if len(ids) == 0 {
		return out, nil
	}
	ts, err := s.store.ThreadsByIDs(c.Request().Context(), ids)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		out[t.ID] = t
	}
	return out, nil
}

type heldData struct {
	Posts []heldView
}

// heldPage lists the viewer's posts that were held for review: those waiting, those
// declined (with the moderator's reason and every word the member wrote) and those
// published since.
func (s *Server) heldPage(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return s.membersOnly(c, v)
	}
	hs, err := s.forum.MyHeldPosts(c.Request().Context(), v, 50)
	if err != nil {
		return err
	}
	threads, err := s.heldThreads(c, hs)
	if err != nil {
		return err
	}
	var d heldData
	for _, h := range hs {
		var t *model.Thread
		if h.ThreadID != nil {
			t = threads[*h.ThreadID]
		}
		hv := newHeldView(v, h, t, "")
		if h.PostID != nil {
			hv.PublishedURL = "/p/" + strconv.FormatInt(*h.PostID, 10)
		}
		d.Posts = append(d.Posts, hv)
	}
	if c.QueryParam("done") == "held" {
		setNotice(c, "Thank you. Your first posts are read by a moderator before everyone sees them; this one is waiting. Only you can see it until then.")
	}
	return s.render(c, http.StatusOK, "held", "mine", d)
}

// postLink leads to a post by its number: the thread, at the post (links to published
// held posts, which do not know their thread's address).
func (s *Server) postLink(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	p, t, err := s.store.PostWithThread(c.Request().Context(), id)
	if errors.Is(err, model.ErrNotFound) || (err == nil && !policy.CanView(v, t)) {
		if !policy.IsMember(v) {
			return s.membersOnly(c, v)
		}
		return model.ErrNotFound
	}
	if err != nil {
		return err
	}
	anchor := "#post-" + strconv.FormatInt(p.ID, 10)
	if p.Opening {
		anchor = ""
	}
	return c.Redirect(http.StatusSeeOther, threadURL(t)+anchor)
}

type queueData struct {
	Posts []heldView
	Next  string
	Later bool
}

// modQueue lists the posts waiting for review, oldest first, each with its context and
// the moderator's two choices.
func (s *Server) modQueue(c echo.Context) error {
	d, err := s.queueData(c, 0, "", "")
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "mod_queue", "mod", d)
}

func (s *Server) queueData(c echo.Context, errFor int64, msg, typed string) (queueData, error) {
	v := viewer(c)
	if !policy.CanReviewPosts(v) {
		return queueData{}, model.ErrForbidden
	}
	var after *store.HeldCursor
	if at, id, ok := parseKeyset(c.QueryParam("after")); ok {
		after = &store.HeldCursor{CreatedAt: at, ID: id}
	}
	hs, err := s.forum.ReviewQueue(c.Request().Context(), v, after, accountsPerPage+1)
	if err != nil {
		return queueData{}, err
	}
	d := queueData{Later: after != nil}
	if len(hs) > accountsPerPage {
		hs = hs[:accountsPerPage]
		last := hs[len(hs)-1]
		d.Next = nextPage("/mod/queue", "after", keyset(last.CreatedAt, last.ID))
	}
	threads, err := s.heldThreads(c, hs)
	if err != nil {
		return queueData{}, err
	}
	for _, h := range hs {
		var t *model.Thread
		if h.ThreadID != nil {
			t = threads[*h.ThreadID]
		}
		hv := newHeldView(v, h, t, csrfToken(c))
		if h.ID == errFor {
			hv.Error, hv.ReasonTyped = msg, typed
		}
		d.Posts = append(d.Posts, hv)
	}
	return d, nil
}

// modQueueDecide publishes or declines a post waiting for review.
func (s *Server) modQueueDecide(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v, ctx := viewer(c), c.Request().Context()
	if !policy.CanReviewPosts(v) {
		return model.ErrForbidden
	}
	reason := c.FormValue("reason")
	var notice string
	switch c.FormValue("decision") {
	case "approve":
		_, err = s.forum.ApproveHeldPost(ctx, v, id)
		notice = "published"
	case "decline":
		_, err = s.forum.DeclineHeldPost(ctx, v, id, reason)
		notice = "declined"
	default:
		err = model.Invalid("decision", "Choose to publish or to decline.")
	}
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		d, derr := s.queueData(c, id, invalidMessage(inv), reason)
		if derr != nil {
			return derr
		}
		return s.render(c, http.StatusUnprocessableEntity, "mod_queue", "mod", d)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, withDone("/mod/queue", notice))
}

// dangerCheck answers the composer as a member types: the crisis box when the words
// suggest someone may be in immediate danger, nothing otherwise. It never stops posting.
func (s *Server) dangerCheck(c echo.Context) error {
	if !policy.IsMember(viewer(c)) {
		return model.ErrForbidden
	}
	if !danger.Match(c.FormValue("title"), c.FormValue("body")) {
		return c.HTML(http.StatusOK, "")
	}
	return s.renderPartial(c, http.StatusOK, "crisis_box", true)
}

// quickExitURL is where the quick exit leaves for (FORUM_QUICK_EXIT_URL).
func (s *Server) quickExitURL() string {
	if s.cfg.QuickExitURL == "" {
		return config.DefaultQuickExitURL
	}
	return s.cfg.QuickExitURL
}
