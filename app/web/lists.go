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
	var p threadPage
	if len(threads) > pageSize {
		threads = threads[:pageSize]
		last := threads[len(threads)-1]
		p.Next = nextPage(c.Request().URL.Path, "after", keyset(last.LastActivityAt, last.ID))
	}
	p.Items = threadItems(viewer(c), threads)
	return p, nil
}

// renderList answers a list page; an htmx "load more" request gets only the next items.
func (s *Server) renderList(c echo.Context, page string, nav string, d listData) error {
	if c.QueryParam("after") != "" && isFragment(c) {
		return s.renderPartial(c, http.StatusOK, "thread_page", d.Page)
	}
	d.CurrentPath = c.Request().URL.Path
	return s.render(c, http.StatusOK, page, nav, d)
}

// unanswered lists questions that no expert has answered yet: the experts' queue.
func (s *Server) unanswered(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return s.membersOnly(c, v)
	}
	p, err := s.listPage(c, store.ThreadQuery{States: []model.State{model.StateOpen}, Kinds: []model.Kind{model.KindQuestion}})
	if err != nil {
		return err
	}
	return s.renderList(c, "list", "unanswered", listData{
		Heading: "Unanswered questions",
		Lede:    "Questions that no expert has answered yet, most recent activity first.",
		Page:    p, Empty: "Every question has an expert's answer. Thank you.",
	})
}

// mine lists the threads the member started.
func (s *Server) mine(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return s.membersOnly(c, v)
	}
	p, err := s.listPage(c, store.ThreadQuery{AuthorID: v.ID})
	if err != nil {
		return err
	}
	return s.renderList(c, "list", "mine", listData{
		Heading: "My threads",
		Lede:    "Questions and discussions you started, including those you posted anonymously (only you see them here).",
		Page:    p, Empty: "You have not started a thread yet.",
	})
}
