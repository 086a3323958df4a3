package web

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"strconv"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/views"
)

// page is what every template receives: the common parts of the layout and the page's own data.
type page struct {
	SiteName string
	Nav      string // which navigation entry is current
	Viewer   *model.User
	CSRF     string
	Data     any
	// Content, when set, is the content block already rendered (see renderContent).
	Content template.HTML
	// Title, when set, stands for the page's title block (see layoutCache).
	Title string
}

// isFragment reports whether the request wants only the page's content block: an htmx
// request that is neither boosted (a boosted link wants the whole page, htmx swaps the body)
// nor a history restore.
func isFragment(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true" && h.Get("HX-History-Restore-Request") != "true"
}

// render is the one render function: the whole page, or for htmx its content block.
func (s *Server) render(c echo.Context, status int, name, nav string, data any) error {
	return s.renderContent(c, status, name, nav, data, "")
}

// renderContent renders a page around content already rendered (the thread page takes it
// from its cache); with empty content it renders the page's own content block.
func (s *Server) renderContent(c echo.Context, status int, name, nav string, data any, content template.HTML) error {
	set := s.views
	if s.cfg.Dev && dirExists("views") {
		// Development: templates reload from disk on every request.
		fresh, err := views.Parse(os.DirFS("views"), s.funcs())
		if err != nil {
			return fmt.Errorf("reload templates: %w", err)
		}
		set = fresh
	}
	t, ok := set.Page(name)
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	p := page{SiteName: SiteName, Nav: nav, Viewer: viewer(c), CSRF: csrfToken(c), Data: data, Content: content}
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	switch {
	case content != "" && isFragment(c):
		buf.WriteString(string(content))
	case isFragment(c):
		if err := t.ExecuteTemplate(buf, "content", p); err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
	case s.cfg.Dev:
		if err := t.ExecuteTemplate(buf, "base", p); err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
	default:
		if err := s.layouts.render(buf, t, p); err != nil {
			return fmt.Errorf("render %s: %w", name, err)
		}
	}
	h := c.Response().Header()
	h.Add(echo.HeaderVary, "HX-Request")
	h.Set(echo.HeaderCacheControl, "no-store")
	// A known length lets the page go out in one write instead of in chunks.
	h.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// layoutCache keeps the layout (head, navigation, footer) rendered once per viewer and
// navigation entry, with slots for the page's title, CSRF token and content: the layout
// depends on nothing else, so it is never stale.
type layoutCache struct {
	mu sync.Mutex
	m  map[layoutKey]layoutParts
}

type layoutKey struct {
	viewer     int64
	pseudonym  string
	role       model.Role
	status     string
	nav        string
	signedCSRF bool
}

type layoutParts struct{ head, tail string }

const layoutCacheSize = 10_000

// contentSlot and titleSlot stand for the page's own parts in a cached layout.
var contentSlot, titleSlot = newSlot("content"), newSlot("title")

// render writes page p of template set t: the cached layout around its title and content.
func (lc *layoutCache) render(w *bytes.Buffer, t *template.Template, p page) error {
	k := layoutKey{nav: p.Nav, signedCSRF: p.CSRF != ""}
	if v := p.Viewer; v != nil {
		k.viewer, k.pseudonym, k.role, k.status = v.ID, v.Pseudonym, v.Role, v.Status
	}
	lc.mu.Lock()
	parts, ok := lc.m[k]
	lc.mu.Unlock()
	if !ok {
		lp := p
		lp.Content, lp.Title, lp.Data = template.HTML(contentSlot), titleSlot, nil //nolint:gosec // a constant
		if lp.CSRF != "" {
			lp.CSRF = csrfSlot
		}
		var b strings.Builder
		if err := t.ExecuteTemplate(&b, "base", lp); err != nil {
			return err
		}
		head, tail, found := strings.Cut(b.String(), contentSlot)
		if !found {
			return fmt.Errorf("the layout shows no content")
		}
		parts = layoutParts{head, tail}
		lc.mu.Lock()
		if lc.m == nil || len(lc.m) >= layoutCacheSize {
			lc.m = map[layoutKey]layoutParts{}
		}
		lc.m[k] = parts
		lc.mu.Unlock()
	}
	var title strings.Builder
	if err := t.ExecuteTemplate(&title, "title", p); err != nil {
		return err
	}
	head, rest, _ := strings.Cut(parts.head, titleSlot)
	fillSlot(w, head, csrfSlot, p.CSRF)
	w.WriteString(title.String())
	fillSlot(w, rest, csrfSlot, p.CSRF)
	if p.Content != "" {
		w.WriteString(string(p.Content))
	} else if err := t.ExecuteTemplate(w, "content", p); err != nil {
		return err
	}
	fillSlot(w, parts.tail, csrfSlot, p.CSRF)
	return nil
}

// fillSlot writes s with value in place of every slot.
func fillSlot(w interface{ WriteString(string) (int, error) }, s, slot, value string) {
	for {
		i := strings.Index(s, slot)
		if i < 0 {
			w.WriteString(s)
			return
		}
		w.WriteString(s[:i])
		w.WriteString(value)
		s = s[i+len(slot):]
	}
}

// pageBuffers keeps the buffers pages render into, so that a page view does not grow a
// new one from nothing.
var pageBuffers = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 64<<10)) }}

func putPageBuffer(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return // an unusually long page: let it go
	}
	b.Reset()
	pageBuffers.Put(b)
}

// viewer returns the signed-in user of the request, or nil for a visitor.
func viewer(c echo.Context) *model.User {
	u, _ := c.Get("viewer").(*model.User)
	return u
}

// csrfToken returns the request's CSRF token, if the request carries one.
func csrfToken(c echo.Context) string {
	t, _ := c.Get("csrf").(string)
	return t
}

// renderBlock renders one named block of a page's template set into a string.
func (s *Server) renderBlock(pageName, block string, data any) (string, error) {
	t, ok := s.views.Page(pageName)
	if !ok {
		return "", fmt.Errorf("no page template %q", pageName)
	}
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, block, data); err != nil {
		return "", fmt.Errorf("render %s of %s: %w", block, pageName, err)
	}
	return b.String(), nil
}

// renderPartial renders one named partial (a swap target such as a post or the next
// items of a list), for htmx.
func (s *Server) renderPartial(c echo.Context, status int, name string, data any) error {
	t, ok := s.views.Page("home")
	if !ok {
		return fmt.Errorf("no template set")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := c.Response().Header()
	h.Add(echo.HeaderVary, "HX-Request")
	h.Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}
