package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// pageSize is how many threads a list shows at a time.
const pageSize = 25

// threadPage is one page of a thread list, with the link to the next.
type threadPage struct {
	Items []threadItem
	Next  string // URL of the next page, empty at the end
}

// listData is a page that lists threads: a title, a note, and the list.
type listData struct {
	Heading     string
	Lede        string
	Tag         *model.Tag
	Page        threadPage
	Empty       string
	CanManage   bool
	AllTags     []*model.Tag
	TagErrors   map[string]string
	TagForm     tagForm
	CurrentPath string
	// Follow is the topic's follow form, for members on a topic's page.
	Follow *followForm
	// Filter, when set, offers to narrow the list to one topic (the experts' queue).
	Filter *topicFilter
	// Held is how many of the member's posts wait for review (on their own list).
	Held int
}

// topicFilter is the form that narrows a list to one topic: a GET form, so that it works
// without JavaScript and its address can be kept.
type topicFilter struct {
	Action  string
	Tags    []*model.Tag
	Current string // the chosen topic's slug; empty: every topic
}

// parseCursor reads the after= parameter of a thread list.
func parseCursor(c echo.Context) *store.Cursor {
	at, id, ok := parseKeyset(c.QueryParam("after"))
	if !ok {
		return nil
	}
	return &store.Cursor{LastActivity: at, ID: id}
}

// parseKeyset reads a place in a list ordered by time and id, as keyset writes it:
// "UNIXNANO-ID".
func parseKeyset(raw string) (time.Time, int64, bool) {
	ts, id, ok := strings.Cut(raw, "-")
	if !ok {
		return time.Time{}, 0, false
	}
	n, err1 := strconv.ParseInt(ts, 10, 64)
	i, err2 := strconv.ParseInt(id, 10, 64)
	if err1 != nil || err2 != nil || i <= 0 {
		return time.Time{}, 0, false
	}
	return time.Unix(0, n).UTC(), i, true
}

// keyset writes the place of the item at time at with id in a list, for an address.
func keyset(at time.Time, id int64) string { return fmt.Sprintf("%d-%d", at.UnixNano(), id) }

// nextPage is the address of the page at path with param set to after (and no other
// parameter): the next page of a list.
func nextPage(path, param, after string) string {
	u := url.URL{Path: path, RawQuery: url.Values{param: {after}}.Encode()}
	return u.String()
}

// listPage runs q from the request's cursor and builds the page with its next link.
func (s *Server) listPage(c echo.Context, q store.ThreadQuery) (threadPage, error) {
	q.Limit = pageSize + 1
	q.After = parseCursor(c)
	threads, err := s.store.Threads(c.Request().Context(), q)
	if err != nil {
		return threadPage{}, err
	}
	return pageOf(c, threads), nil
}

// pageOf builds a page of a list from up to pageSize+1 threads read from the request's
// cursor: the one past the page only says that there is a next page.
func pageOf(c echo.Context, threads []*model.Thread) threadPage {
	var p threadPage
	if len(threads) > pageSize {
		threads = threads[:pageSize]
		last := threads[len(threads)-1]
		p.Next = nextPage(c.Request().URL.Path, "after", keyset(last.LastActivityAt, last.ID))
	}
	p.Items = threadItems(viewer(c), threads)
	return p
}

// renderList answers a list page; an htmx "load more" request gets only the next items.
func (s *Server) renderList(c echo.Context, page string, nav string, d listData) error {
	if err := s.markUnread(c, d.Page.Items); err != nil {
		return err
	}
	if c.QueryParam("after") != "" && isFragment(c) {
		return s.renderPartial(c, http.StatusOK, "thread_page", d.Page)
	}
	d.CurrentPath = c.Request().URL.Path
	return s.render(c, http.StatusOK, page, nav, d)
}

// unanswered lists questions that no expert has answered yet: the experts' queue. It can
// be narrowed to one topic (?tag=slug); its next pages keep the topic.
func (s *Server) unanswered(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return s.membersOnly(c, v)
	}
	ctx := c.Request().Context()
	tags, err := s.store.Tags(ctx)
	if err != nil {
		return err
	}
	q := store.ThreadQuery{States: []model.State{model.StateOpen}, Kinds: []model.Kind{model.KindQuestion}}
	d := listData{
		Heading: "Unanswered questions",
		Lede:    "Questions that no expert has answered yet, most recent activity first.",
		Empty:   "Every question has an expert's answer. Thank you.",
		Filter:  &topicFilter{Action: "/unanswered", Tags: tags},
	}
	if slug := c.QueryParam("tag"); slug != "" {
		tag, err := s.store.TagBySlug(ctx, slug)
		if err != nil {
			return err // a topic that does not exist: 404
		}
		if tag.MergedInto != nil {
			into, err := s.store.TagByID(ctx, *tag.MergedInto)
			if err != nil {
				return err
			}
			return c.Redirect(http.StatusMovedPermanently, "/unanswered?"+url.Values{"tag": {into.Slug}}.Encode())
		}
		q.TagID, d.Filter.Current = tag.ID, tag.Slug
		d.Heading = "Unanswered questions on " + tag.Name
		d.Empty = "Every question on " + tag.Name + " has an expert's answer. Thank you."
	}
	if d.Page, err = s.listPage(c, q); err != nil {
		return err
	}
	if d.Page.Next != "" && d.Filter.Current != "" {
		d.Page.Next += "&" + url.Values{"tag": {d.Filter.Current}}.Encode()
	}
	return s.renderList(c, "list", "unanswered", d)
}

// mine lists the threads the member started, replied to or follows, newest activity first.
func (s *Server) mine(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return s.membersOnly(c, v)
	}
	threads, err := s.store.MemberThreads(c.Request().Context(), v.ID, parseCursor(c), pageSize+1)
	if err != nil {
		return err
	}
	d := listData{
		Heading: "My threads",
		Lede: "Threads you started, replied to or follow, most recent activity first, including those where you " +
			"posted anonymously (only you see them here).",
		Page: pageOf(c, threads), Empty: "You have not started, replied to or followed a thread yet.",
	}
	if c.QueryParam("after") == "" {
		held, err := s.forum.MyHeldPosts(c.Request().Context(), v, 50)
		if err != nil {
			return err
		}
		for _, h := range held {
			if h.Waiting() {
				d.Held++
			}
		}
	}
	return s.renderList(c, "list", "mine", d)
}
