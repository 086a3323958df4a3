package web

import (
	"context"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/policy"
	"forum/search"
)

// searchPageSize is how many results a page shows.
const searchPageSize = 20

// A search filters on at most maxSearchTags topics, named in at most maxTagParam
// characters; the search box holds maxSearchBox characters, as many as a search reads.
const (
	maxSearchTags = 5
	maxTagParam   = 40
	maxSearchBox  = 500
)

type searchResult struct {
	Item    threadItem
	Title   template.HTML
	Snippet template.HTML
}

type facetView struct {
	Slug, Name string
	Count      int
	Active     bool
	URL        string
}

type searchData struct {
	Q        string
	TitleQ   string // the start of Q, for the page title
	Tags     []string
	Newest   bool
	Searched bool
	Total    uint64
	Results  []searchResult
	Facets   []facetView
	Notes    []string
	// MembersOnly tells a visitor that many members-only threads match too (see
	// search.MembersOnlyMatch: never a number, never from a phrase or one thread's words).
	MembersOnly bool
	Visitor     bool
	// JoinHref is the sign-in that brings a visitor back to this search.
	JoinHref   string
	Next, Prev string
	NewestURL  string
	RelevURL   string
}

// searchPage searches the forum: members search everything, visitors the public archive
// (the visibility filter is part of the index query) and learn only whether many
// members-only threads share the words of their titles and topics. htmx requests get the
// results block as people type.
func (s *Server) searchPage(c echo.Context) error {
	if s.search == nil {
		return echo.NewHTTPError(http.StatusServiceUnavailable)
	}
	v := viewer(c)
	member := policy.IsMember(v)
	params := c.QueryParams()
	raw := strings.TrimSpace(params.Get("q"))
	// What the page shows again of the request is bounded: the box holds what the search
	// reads (a note says when the rest was left out), the title quotes a short prefix, and
	// a search filters on a few topics, none with an overlong name.
	d := searchData{Q: firstRunes(raw, maxSearchBox), TitleQ: shortPrefix(raw, 60), Newest: params.Get("sort") == "newest", Visitor: !member}
	for _, t := range params["tag"] {
		if len(d.Tags) < maxSearchTags && utf8.RuneCountInString(t) <= maxTagParam {
			d.Tags = append(d.Tags, t)
		}
	}
	page, _ := strconv.Atoi(params.Get("page"))
	if page < 1 || page > 50 {
		page = 1
	}
	q := search.ParseQuery(raw)
	for _, t := range d.Tags {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			q.Tags = append(q.Tags, t)
		}
	}
	d.Notes = q.Notes
	d.NewestURL, d.RelevURL = searchURL(d.Q, d.Tags, true, 1), searchURL(d.Q, d.Tags, false, 1)
	d.JoinHref = withNext("/login", searchURL(d.Q, d.Tags, d.Newest, page))
	type loaded struct {
		res     *search.Result
		threads map[int64]*model.Thread
		tags    []*model.Tag
		members bool
		// version is the index's version the page was searched at, or since which it was
		// last found to hold.
		version atomic.Uint64
	}
	req := search.Request{Query: q, PublicOnly: !member, Newest: d.Newest, From: (page - 1) * searchPageSize, Size: searchPageSize}
	// Members and visitors search different indexes' worth (the visibility filter is part
	// of the query): each has pages of their own. A page holds while its threads are
	// unchanged (their keys) and every thread the index changed since it was searched is
	// one its query does not match, or (a full first page by relevance) one that ranks
	// below it (valid): a reply elsewhere on the board leaves it.
	key := "search:" + strconv.FormatBool(member) + ":" + strconv.Itoa(page) + ":" + strconv.FormatBool(d.Newest) + ":" +
		strings.Join(q.Tags, ",") + ":" + raw
	return s.serveShared(c, sharedPage{key: key, ttl: searchTTL, name: "search", nav: "search",
		valid: func(ctx context.Context, val any) bool {
			l := val.(*loaded)
			since, now := l.version.Load(), s.search.Version()
			if since == now || l.res == nil {
				return true
			}
			changed, ok := s.search.ChangedSince(since)
			if !ok {
				return false
			}
			var reached bool
			var err error
			if n := len(l.res.Hits); n == req.Size && req.From == 0 && !req.Newest {
				// A full first page in the order of relevance changes only when a changed
				// thread ranks on it: one that matches below it leaves it (but for the
				// total, which may lag by the threads that newly match, for searchTTL).
				reached, err = s.search.Outranks(ctx, req, changed, l.res.Hits[n-1].ThreadID)
			} else {
				reached, err = s.search.MatchesAny(ctx, req, changed)
			}
			if err != nil || reached {
				return false
			}
			l.version.CompareAndSwap(since, now)
			return true
		},
		load: func(ctx context.Context) (loadedPage, error) {
			l := &loaded{threads: map[int64]*model.Thread{}}
			l.version.Store(s.search.Version()) // before the search: a batch applied meanwhile is checked again
			if q.Empty() {
				return loadedPage{value: l}, nil
			}
			res, err := s.search.Search(ctx, req)
			if err != nil {
				return loadedPage{}, err
			}
			l.res = res
			ids := make([]int64, len(res.Hits))
			for i, h := range res.Hits {
				ids[i] = h.ThreadID
			}
			threads, err := s.store.ThreadsByIDs(ctx, ids)
			if err != nil {
				return loadedPage{}, err
			}
			for _, t := range threads {
				l.threads[t.ID] = t
			}
			if l.tags, err = s.store.Tags(ctx); err != nil {
				return loadedPage{}, err
			}
			if !member {
				if l.members, err = s.search.MembersOnlyMatch(ctx, q); err != nil {
					return loadedPage{}, err
				}
			}
			lp := loadedThreads(l, threads)
			for _, h := range res.Hits {
				lp.size += len(h.Title) + len(h.Snippet)
			}
			return lp, nil
		},
		view: func(v *model.User, val any) (any, error) {
			l := val.(*loaded)
			d := d
			if l.res == nil {
				return &d, nil
			}
			d.Searched, d.Total, d.MembersOnly = true, l.res.Total, l.members
			for _, h := range l.res.Hits {
				t, ok := l.threads[h.ThreadID]
				if !ok || !policy.CanView(v, t) {
					continue
				}
				title := h.Title
				if title == "" {
					title = template.HTML(template.HTMLEscapeString(t.Title))
				}
				d.Results = append(d.Results, searchResult{Item: newThreadItem(v, t), Title: title, Snippet: h.Snippet})
			}
			searchFacets(&d, l.tags, l.res.Tags)
			if uint64(page*searchPageSize) < l.res.Total {
				d.Next = searchURL(d.Q, d.Tags, d.Newest, page+1)
			}
			if page > 1 {
				d.Prev = searchURL(d.Q, d.Tags, d.Newest, page-1)
			}
			return &d, nil
		}})
}

// searchFacets lists the topics of the matches, each with its count and the address
// that adds it to the search or takes it away.
func searchFacets(d *searchData, tags []*model.Tag, counts []search.TagCount) {
	names := map[string]string{}
	for _, t := range tags {
		names[t.Slug] = t.Name
	}
	active := map[string]bool{}
	for _, t := range d.Tags {
		active[t] = true
	}
	for _, tc := range counts {
		name, ok := names[tc.Slug]
		if !ok {
			continue
		}
		f := facetView{Slug: tc.Slug, Name: name, Count: tc.Count, Active: active[tc.Slug]}
		next := append([]string{}, d.Tags...)
		if f.Active {
			next = next[:0]
			for _, t := range d.Tags {
				if t != tc.Slug {
					next = append(next, t)
				}
			}
		} else {
			next = append(next, tc.Slug)
		}
		f.URL = searchURL(d.Q, next, d.Newest, 1)
		d.Facets = append(d.Facets, f)
	}
}

func searchURL(q string, tags []string, newest bool, page int) string {
	v := url.Values{}
	if q != "" {
		v.Set("q", q)
	}
	for _, t := range tags {
		v.Add("tag", t)
	}
	if newest {
		v.Set("sort", "newest")
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return "/search?" + v.Encode()
}
