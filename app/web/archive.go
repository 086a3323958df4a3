package web

import (
	"context"
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/pagecache"
	"forum/app/policy"
	"forum/app/store"
)

// threadConsent records the asker's agreement to publish the question (or its withdrawal).
func (s *Server) threadConsent(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	consent := c.FormValue("consent") == "on"
	if err := s.forum.SetPublishConsent(c.Request().Context(), viewer(c), id, consent); err != nil {
		return err
	}
	if consent {
		return s.redirectToThread(c, id, "?done=consent#archive")
	}
	return s.redirectToThread(c, id, "?done=no-consent#archive")
}

// threadPublish puts the thread in the public archive, or takes it out (experts, moderators).
func (s *Server) threadPublish(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if err := s.forum.Publish(c.Request().Context(), viewer(c), id, c.FormValue("unpublish") == ""); err != nil {
		return err
	}
	return s.redirectToThread(c, id, "#archive")
}

func (s *Server) redirectToThread(c echo.Context, id int64, anchor string) error {
	t, err := s.store.ThreadByID(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return s.redirect(c, threadURL(t)+anchor)
}

// similar lists up to five threads like the title being typed on the ask page (htmx).
func (s *Server) similar(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) || s.search == nil {
		return c.NoContent(http.StatusNoContent)
	}
	title := c.QueryParam("title")
	if len([]rune(strings.TrimSpace(title))) < 4 {
		return s.renderPartial(c, http.StatusOK, "similar", nil)
	}
	ids, err := s.search.Similar(c.Request().Context(), title, 0, false, 5)
	if err != nil {
		return err
	}
	threads, err := s.store.ThreadsByIDs(c.Request().Context(), ids)
	if err != nil {
		return err
	}
	var items []threadItem
	for _, t := range threads {
		if policy.CanView(v, t) {
			items = append(items, newThreadItem(v, t))
		}
	}
	return s.renderPartial(c, http.StatusOK, "similar", items)
}

// atomFeed is the public archive's Atom feed.
type atomFeed struct {
	XMLName xml.Name    `xml:"http://www.w3.org/2005/Atom feed"`
	Title   string      `xml:"title"`
	ID      string      `xml:"id"`
	Updated string      `xml:"updated"`
	Link    []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomLink struct {
	Href string `xml:"href,attr"`
	Rel  string `xml:"rel,attr,omitempty"`
}

type atomEntry struct {
	Title   string   `xml:"title"`
	ID      string   `xml:"id"`
	Updated string   `xml:"updated"`
	Link    atomLink `xml:"link"`
	Summary string   `xml:"summary"`
}

// feedStates say in the feed how far each question has come.
var feedStates = map[model.State]string{model.StateAnswered: "Answered by an expert", model.StateResolved: "Resolved",
	model.StateOpen: "Awaiting an answer"}

// archiveFeed serves the latest published threads as Atom. Only public threads are read,
// and no member is named.
func (s *Server) archiveFeed(c echo.Context) error {
	// The same for everyone: kept in the page cache until a published thread changes.
	e, err := s.pages.Get(c.Request().Context(), "feed", []string{publicKey}, pageTTL, func(ctx context.Context) (pagecache.Loaded, error) {
		threads, err := s.store.Threads(ctx, store.ThreadQuery{Limit: 30, PublicOnly: true})
		if err != nil {
			return pagecache.Loaded{}, err
		}
		b, err := s.atom(threads)
		if err != nil {
			return pagecache.Loaded{}, err
		}
		return pagecache.Loaded{Value: b, Size: len(b), Keys: threadKeys(threads...)}, nil
	})
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
	return c.Blob(http.StatusOK, "application/atom+xml; charset=utf-8", e.Value.([]byte))
}

// atom writes the feed of threads.
func (s *Server) atom(threads []*model.Thread) ([]byte, error) {
	base := s.cfg.BaseURL.String()
	f := atomFeed{Title: SiteName + ": the public archive", ID: base + "/archive.atom",
		Updated: time.Now().UTC().Format(time.RFC3339),
		Link:    []atomLink{{Href: base + "/archive.atom", Rel: "self"}, {Href: base + "/"}}}
	if len(threads) > 0 {
		f.Updated = threads[0].LastActivityAt.UTC().Format(time.RFC3339)
	}
	for _, t := range threads {
		item := newThreadItem(nil, t)
		state := feedStates[t.State]
		f.Entries = append(f.Entries, atomEntry{Title: t.Title, ID: base + item.URL, Updated: t.LastActivityAt.UTC().Format(time.RFC3339),
			Link: atomLink{Href: base + item.URL}, Summary: state + ". " + strconv.Itoa(t.ReplyCount) + " replies."})
	}
	b, err := xml.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), b...), nil
}
