package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
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
	// Follow is the topic's follow form, for members on a topic's page; FollowHTML stands
	// in for each member's own in a rendering shared by many.
	Follow     *followForm
	FollowHTML template.HTML
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

// loadedList is a page of a list as loaded: its threads, and the address of the next page.
type loadedList struct {
	threads []*model.Thread
	next    string
}

// listOf cuts up to pageSize+1 threads read from a cursor to a page, with the address of
// the next page (at path, which may carry parameters of its own) when there is one.
func listOf(path string, threads []*model.Thread) loadedList {
	l := loadedList{threads: threads}
	if len(threads) > pageSize {
		l.threads = threads[:pageSize]
		last := l.threads[len(l.threads)-1]
		l.next = nextPage(path, "after", keyset(last.LastActivityAt, last.ID))
	}
	return l
}

// loaded returns what a page load read of lists of threads: their size, their authors,
// and the keys of the threads (a list depends on each thread it shows).
func loadedThreads(value any, lists ...[]*model.Thread) loadedPage {
	l := loadedPage{value: value}
	for _, ts := range lists {
		l.size += threadsSize(ts...)
		l.keys = append(l.keys, threadKeys(ts...)...)
		for _, t := range ts {
			l.authors = append(l.authors, t.AuthorID)
		}
	}
	return l
}

// listKey names one page of a list for the page cache: its address and whether only its
// next items are asked for.
func listKey(c echo.Context, name string) string {
	k := name + ":" + c.QueryParam("after")
	if c.QueryParam("after") != "" && isFragment(c) {
		k += ":more"
	}
	return k
}

// serveList answers one page of a list of threads (the experts' queue, a member's
// threads, a topic) through the page cache: an htmx "load more" request gets only the
// next items. view builds the page around the list.
func (s *Server) serveList(c echo.Context, key string, keys []string, nav string,
	load func(ctx context.Context) (loadedList, any, error), view func(v *model.User, l loadedList, extra any) (*listData, error), fill func(w *bytes.Buffer, k slot, arg int64)) error {
	type value struct {
		list  loadedList
		extra any
	}
	more := c.QueryParam("after") != "" && isFragment(c)
	sp := sharedPage{key: key, keys: keys, ttl: pageTTL, name: "list", nav: nav, fill: fill,
		load: func(ctx context.Context) (loadedPage, error) {
			l, extra, err := load(ctx)
			if err != nil {
				return loadedPage{}, err
			}
			return loadedThreads(&value{l, extra}, l.threads), nil
		},
		view: func(v *model.User, val any) (any, error) {
			lv := val.(*value)
			d, err := view(v, lv.list, lv.extra)
			if err != nil {
				return nil, err
			}
			d.Page = threadPage{Items: threadItems(v, lv.list.threads), Next: lv.list.next}
			if more {
				return &d.Page, nil
			}
			return d, nil
		}}
	if more {
		sp.name, sp.block = "home", "thread_page"
	}
	return s.serveShared(c, sp)
}

// redirectError asks for a redirect found while a page was loaded (a merged topic).
type redirectError struct{ to string }

func (r redirectError) Error() string { return "moved to " + r.to }

// redirected answers a redirectError with its redirect; other errors are returned.
func redirected(c echo.Context, err error) error {
	var r redirectError
	if errors.As(err, &r) {
		return c.Redirect(http.StatusMovedPermanently, r.to)
	}
	return err
}

// unanswered lists questions that no expert has answered yet: the experts' queue. It can
// be narrowed to one topic (?tag=slug); its next pages keep the topic.
func (s *Server) unanswered(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return s.membersOnly(c, v)
	}
	slug := c.QueryParam("tag")
	type extra struct {
		tags []*model.Tag
		tag  *model.Tag
	}
	load := func(ctx context.Context) (loadedList, any, error) {
		x := &extra{}
		var err error
		if x.tags, err = s.store.Tags(ctx); err != nil {
			return loadedList{}, nil, err
		}
		q := store.ThreadQuery{States: []model.State{model.StateOpen}, Kinds: []model.Kind{model.KindQuestion}, Limit: pageSize + 1,
			After: parseCursor(c)}
		path := "/unanswered"
		if slug != "" {
			tag, err := s.store.TagBySlug(ctx, slug)
			if err != nil {
				return loadedList{}, nil, err // a topic that does not exist: 404
			}
			if tag.MergedInto != nil {
				into, err := s.store.TagByID(ctx, *tag.MergedInto)
				if err != nil {
					return loadedList{}, nil, err
				}
				return loadedList{}, nil, redirectError{"/unanswered?" + url.Values{"tag": {into.Slug}}.Encode()}
			}
			q.TagID, x.tag = tag.ID, tag
		}
		threads, err := s.store.Threads(ctx, q)
		if err != nil {
			return loadedList{}, nil, err
		}
		l := listOf(path, threads)
		if l.next != "" && x.tag != nil {
			l.next += "&" + url.Values{"tag": {x.tag.Slug}}.Encode()
		}
		return l, x, nil
	}
	view := func(v *model.User, l loadedList, val any) (*listData, error) {
		x := val.(*extra)
		d := &listData{
			Heading:     "Unanswered questions",
			Lede:        "Questions that no expert has answered yet, most recent activity first.",
			Empty:       "Every question has an expert's answer. Thank you.",
			Filter:      &topicFilter{Action: "/unanswered", Tags: x.tags},
			CurrentPath: "/unanswered",
		}
		if x.tag != nil {
			d.Filter.Current = x.tag.Slug
			d.Heading = "Unanswered questions on " + x.tag.Name
			d.Empty = "Every question on " + x.tag.Name + " has an expert's answer. Thank you."
		}
		return d, nil
	}
	err := s.serveList(c, listKey(c, "unanswered:"+slug), []string{unansweredKey}, "unanswered", load, view, nil)
	return redirected(c, err)
}

// mine lists the threads the member started, replied to or follows, newest activity first.
func (s *Server) mine(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return s.membersOnly(c, v)
	}
	load := func(ctx context.Context) (loadedList, any, error) {
		threads, err := s.store.MemberThreads(ctx, v.ID, parseCursor(c), pageSize+1)
		if err != nil {
			return loadedList{}, nil, err
		}
		held := 0
		if c.QueryParam("after") == "" {
			posts, err := s.forum.MyHeldPosts(ctx, v, 50)
			if err != nil {
				return loadedList{}, nil, err
			}
			for _, h := range posts {
				if h.Waiting() {
					held++
				}
			}
		}
		return listOf("/mine", threads), held, nil
	}
	view := func(_ *model.User, _ loadedList, extra any) (*listData, error) {
		return &listData{
			Heading: "My threads",
			Lede: "Threads you started, replied to or follow, most recent activity first, including those where you " +
				"posted anonymously (only you see them here).",
			Empty: "You have not started, replied to or followed a thread yet.", CurrentPath: "/mine",
			Held: extra.(int),
		}, nil
	}
	// The member's own list: kept for them alone. A post of theirs put in or taken out of
	// the review queue drops it (the commit names the member: store.Committed).
	return s.serveList(c, listKey(c, "mine:"+strconv.FormatInt(v.ID, 10)), []string{memberKey(v.ID)}, "mine", load, view, nil)
}
