package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

type homeData struct {
	Pinned  []threadItem
	Threads []threadItem
	Tags    []*model.Tag
}

// home lists pinned threads, the latest activity and the topics.
func (s *Server) home(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		if policy.IsPending(v) {
			return s.redirect(c, "/welcome")
		}
		return s.render(c, http.StatusOK, "home_visitor", "home", nil)
	}
	ctx := c.Request().Context()
	pinned, notPinned := true, false
	p, err := s.store.Threads(ctx, store.ThreadQuery{Limit: 5, Pinned: &pinned})
	if err != nil {
		return err
	}
	latest, err := s.store.Threads(ctx, store.ThreadQuery{Limit: 30, Pinned: &notPinned})
	if err != nil {
		return err
	}
	tags, err := s.store.Tags(ctx)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "home", "home", homeData{
		Pinned:  threadItems(v, p),
		Threads: threadItems(v, latest),
		Tags:    tags,
	})
}

type threadData struct {
	Thread  threadItem
	Opening postView
	Helpful *postView
	Replies []postView
}

// thread shows a thread: the opening post, the reply marked helpful, then every reply.
func (s *Server) thread(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return model.ErrNotFound
	}
	ctx := c.Request().Context()
	v := viewer(c)
	if !policy.IsMember(v) {
		// Nothing of a members-only thread, not even whether it exists, reaches others.
		// (Published threads of the public archive will be readable by visitors.)
		return s.membersOnly(c, v)
	}
	t, err := s.store.ThreadByID(ctx, id)
	if err != nil {
		return err
	}
	if !policy.CanView(v, t) {
		return model.ErrNotFound
	}
	item := newThreadItem(v, t)
	if c.Param("slug") != t.Slug && c.Request().Method == http.MethodGet {
		return c.Redirect(http.StatusMovedPermanently, item.URL)
	}
	posts, err := s.store.PostsByThread(ctx, t.ID)
	if err != nil {
		return err
	}
	d := threadData{Thread: item}
	for _, p := range posts {
		pv := newPostView(v, t, p)
		switch {
		case p.Opening:
			d.Opening = pv
		case pv.Helpful && pv.Removed == "":
			// Shown once, right under the question.
			h := pv
			d.Helpful = &h
		default:
			d.Replies = append(d.Replies, pv)
		}
	}
	return s.render(c, http.StatusOK, "thread", "", d)
}

// crisis lists crisis lines; it is one click from every page.
func (s *Server) crisis(c echo.Context) error {
	return s.render(c, http.StatusOK, "crisis", "crisis", nil)
}

// membersOnly answers a request for members-only content from someone who is not a member:
// visitors get the sign-in page, pending accounts the page that says what happens next.
func (s *Server) membersOnly(c echo.Context, v *model.User) error {
	if policy.IsPending(v) {
		return s.redirect(c, "/welcome")
	}
	if v == nil {
		return errSignInRequired
	}
	return model.ErrForbidden
}
