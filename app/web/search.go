package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	if !q.Empty() {
		d.Searched = true
		ctx := c.Request().Context()
		res, err := s.search.Search(ctx, search.Request{Query: q, PublicOnly: !member, Newest: d.Newest,
			From: (page - 1) * searchPageSize, Size: searchPageSize})
		if err != nil {
			return err
		}
		d.Total = res.Total
		ids := make([]int64, len(res.Hits))
		for i, h := range res.Hits {
			ids[i] = h.ThreadID
		}
		threads, err := s.store.ThreadsByIDs(ctx, ids)
		if err != nil {
			return err
		}
		byID := map[int64]*model.Thread{}
		for _, t := range threads {
			byID[t.ID] = t
		}
		for _, h := range res.Hits {
			t, ok := byID[h.ThreadID]
			if !ok || !policy.CanView(v, t) {
				continue
			}
			title := h.Title
			if title == "" {
				title = template.HTML(template.HTMLEscapeString(t.Title))
			}
			d.Results = append(d.Results, searchResult{Item: newThreadItem(v, t), Title: title, Snippet: h.Snippet})
		}
		items := make([]threadItem, len(d.Results))
		for i, r := range d.Results {
			items[i] = r.Item
		}
		if err := s.markUnread(c, items); err != nil {
			return err
		}
		for i := range d.Results {
			d.Results[i].Item = items[i]
		}
		if err := s.searchFacets(c, &d, res.Tags); err != nil {
			return err
		}
		if !member {
			if d.MembersOnly, err = s.search.MembersOnlyMatch(ctx, q); err != nil {
				return err
			}
		}
		if uint64(page*searchPageSize) < res.Total {
			d.Next = searchURL(d.Q, d.Tags, d.Newest, page+1)
		}
		if page > 1 {
			d.Prev = searchURL(d.Q, d.Tags, d.Newest, page-1)
		}
	}
	d.NewestURL, d.RelevURL = searchURL(d.Q, d.Tags, true, 1), searchURL(d.Q, d.Tags, false, 1)
	d.JoinHref = withNext("/login", searchURL(d.Q, d.Tags, d.Newest, page))
	return s.render(c, http.StatusOK, "search", "search", d)
}

func (s *Server) searchFacets(c echo.Context, d *searchData, counts []search.TagCount) error {
	tags, err := s.store.Tags(c.Request().Context())
	if err != nil {
		return err
	}
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
	return nil
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
