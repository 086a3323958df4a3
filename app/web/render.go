package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/pagecache"
	"forum/app/policy"
	"forum/views"
)

// page is what every template receives: the common parts of the layout and the page's own data.
type page struct {
	SiteName string
	Nav      string // which navigation entry is current
	Viewer   *model.User
	CSRF     string
	// LoginHref is where the layout's sign-in link goes: it carries the page a visitor is on.
	LoginHref string
	// Live is the address of the page's stream of live updates (see liveURL); empty: none.
	Live string
	Data any
	// Content, when set, is the content block already rendered (see renderPrepared).
	Content template.HTML
	// Title, when set, stands for the page's title block (see layoutCache).
	Title string
	// prepared, when set, is the page's title and content from a cache (the thread page).
	prepared *prepared
	// NoticeBadge is the viewer's unread count in the header (noticesBadge), filled for a
	// whole page only: never part of a rendering cached for many viewers.
	NoticeBadge template.HTML
	// ModBadge follows the moderation link: how many accounts await approval (see notices.go).
	ModBadge template.HTML
	// QueueBadge follows the review queue's link: how many posts wait for review.
	QueueBadge template.HTML
	// lead goes before the content of a whole page: the notices for this viewer.
	lead template.HTML
}

// prepared is a page's title and content taken from a cache: the content is cached HTML
// with slots, and fill writes what goes in each slot for this request.
type prepared struct {
	title   string
	content slotted
	fill    func(w *bytes.Buffer, k slot, arg int64)
}

func (pp *prepared) writeContent(w *bytes.Buffer) { pp.content.write(w, pp.fill) }

// isFragment reports whether the request wants only the page's content block: an htmx
// request that is neither boosted (a boosted link wants the whole page, htmx swaps the body)
// nor a history restore.
func isFragment(c echo.Context) bool {
	h := c.Request().Header
	return h.Get("HX-Request") == "true" && h.Get("HX-Boosted") != "true" && h.Get("HX-History-Restore-Request") != "true"
}

// varyHTMX names every request header a rendered answer depends on (isFragment): a
// cache must not answer a boosted link or a history restore, which want the whole page,
// with a fragment kept for a plain htmx request, nor the other way round.
const varyHTMX = "HX-Request, HX-Boosted, HX-History-Restore-Request"

// render is the one render function: the whole page, or for htmx its content block.
func (s *Server) render(c echo.Context, status int, name, nav string, data any) error {
	return s.renderPage(c, status, name, page{SiteName: SiteName, Nav: nav, Viewer: viewer(c), CSRF: csrfToken(c),
		LoginHref: loginHref(c), Live: liveURL(c), Data: data})
}

// loginHref is the sign-in link for a visitor on this page: it brings them back here.
func loginHref(c echo.Context) string {
	r := c.Request()
	if viewer(c) != nil || r.Method != http.MethodGet {
		return "/login"
	}
	switch p := r.URL.Path; {
	case p == "/" || p == "/login" || p == "/logout" || strings.HasPrefix(p, "/auth/") ||
		strings.HasPrefix(p, "/dev/") || strings.HasPrefix(p, "/join/") || strings.HasPrefix(p, "/welcome"):
		return "/login"
	}
	return withNext("/login", localPath(r.URL.RequestURI()))
}

// renderPrepared renders a page around a title and content taken from a cache.
func (s *Server) renderPrepared(c echo.Context, status int, name, nav string, pp *prepared) error {
	p := page{SiteName: SiteName, Nav: nav, Viewer: viewer(c), CSRF: csrfToken(c), LoginHref: loginHref(c), Live: liveURL(c), prepared: pp}
	if s.cfg.Dev {
		// Development renders the layout template itself, which reads Content and Title.
		var b bytes.Buffer
		pp.writeContent(&b)
		p.Content, p.Title, p.prepared = template.HTML(b.String()), pp.title, nil //nolint:gosec // rendered by html/template
	}
	return s.renderPage(c, status, name, p)
}

// renderPage renders page p of template set name: for htmx its content block, else the
// whole page, around the cached layout (in development, from templates read from disk).
func (s *Server) renderPage(c echo.Context, status int, name string, p page) error {
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
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer putPageBuffer(buf)
	var err error
	if !isFragment(c) {
		if err := s.viewerExtras(c, status, t, &p); err != nil {
			return err
		}
	}
	switch {
	case isFragment(c) && p.prepared != nil:
		p.prepared.writeContent(buf)
	case isFragment(c) && p.Content != "":
		buf.WriteString(string(p.Content))
	case isFragment(c):
		err = t.ExecuteTemplate(buf, "content", p)
	case s.cfg.Dev:
		if p.lead != "" && p.Content == "" {
			// The layout shows Content when set: the notices go before the page's content.
			var b bytes.Buffer
			err = t.ExecuteTemplate(&b, "content", p)
			p.Content = template.HTML(b.String()) //nolint:gosec // rendered by html/template
		}
		p.Content = p.lead + p.Content
		if err == nil {
			err = t.ExecuteTemplate(buf, "base", p)
		}
	default:
		err = s.layouts.render(buf, t, p)
	}
	if err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	if err := s.send(c, status, buf); err != nil {
		return err
	}
	s.noticesShown(c, p)
	return nil
}

// send writes a rendered page.
func (s *Server) send(c echo.Context, status int, buf *bytes.Buffer) error {
	h := c.Response().Header()
	h.Add(echo.HeaderVary, varyHTMX)
	h.Set(echo.HeaderCacheControl, "no-store")
	// A known length lets the page go out in one write instead of in chunks.
	h.Set(echo.HeaderContentLength, strconv.Itoa(buf.Len()))
	return c.HTMLBlob(status, buf.Bytes())
}

// layoutCache keeps, in the page cache, the layout (head, navigation, footer) rendered
// once per viewer and navigation entry, with slots for the page's title, CSRF token and
// content: the layout depends on nothing else.
type layoutCache struct {
	pages *pagecache.Cache
}

// layoutTTL is how long a rendered layout is kept while the page cache has room.
const layoutTTL = time.Hour

// render writes page p of template set t: the cached layout around its title and content.
func (lc *layoutCache) render(w *bytes.Buffer, t *template.Template, p page) error {
	key := "layout:" + p.Nav + ":" + strconv.FormatBool(p.CSRF != "") + ":" + strconv.FormatBool(p.Live != "")
	if v := p.Viewer; v != nil {
		key += ":" + strconv.FormatInt(v.ID, 10) + ":" + string(v.Role) + ":" + string(v.Status) + ":" +
			strconv.FormatBool(policy.DiscreetTitle(v)) + ":" + v.Pseudonym
	}
	e, err := lc.pages.Get(context.Background(), key, nil, layoutTTL, func(context.Context) (pagecache.Loaded, error) {
		lp := p
		lp.Content, lp.Title, lp.Data, lp.prepared = template.HTML(contentSlot), titleSlot, nil, nil //nolint:gosec // a constant
		if lp.CSRF != "" {
			lp.CSRF = csrfSlot
		}
		lp.LoginHref = loginSlot
		if lp.Live != "" {
			lp.Live = liveSlot
		}
		lp.NoticeBadge = template.HTML(noticesSlot) //nolint:gosec // a constant
		if policy.CanApproveMembers(lp.Viewer) {
			lp.ModBadge = template.HTML(badgeSlot) //nolint:gosec // a constant
		}
		if policy.CanReviewPosts(lp.Viewer) {
			lp.QueueBadge = template.HTML(queueSlot) //nolint:gosec // a constant
		}
		var b strings.Builder
		if err := t.ExecuteTemplate(&b, "base", lp); err != nil {
			return pagecache.Loaded{}, err
		}
		layout := splitSlots(b.String())
		if !layout.has(slotContent) {
			return pagecache.Loaded{}, fmt.Errorf("the layout shows no content")
		}
		return pagecache.Loaded{Value: layout, Size: b.Len()}, nil
	})
	if err != nil {
		return err
	}
	layout := e.Value.(slotted)
	layout.write(w, func(w *bytes.Buffer, s slot, _ int64) {
		switch {
		case s == slotCSRF:
			w.WriteString(p.CSRF)
		case s == slotLogin:
			w.WriteString(template.HTMLEscapeString(p.LoginHref))
		case s == slotLive:
			w.WriteString(liveAttr(p.Live))
		case s == slotNotices:
			w.WriteString(string(p.NoticeBadge))
		case s == slotBadge:
			w.WriteString(string(p.ModBadge))
		case s == slotQueue:
			w.WriteString(string(p.QueueBadge))
		case s == slotContent && err == nil:
			w.WriteString(string(p.lead))
			if p.prepared != nil {
				p.prepared.writeContent(w)
			} else {
				err = t.ExecuteTemplate(w, "content", p)
			}
		case s == slotTitle && p.prepared != nil:
			w.WriteString(template.HTMLEscapeString(p.prepared.title))
		case s == slotTitle && err == nil:
			err = t.ExecuteTemplate(w, "title", p)
		}
	})
	return err
}

// A slot stands for a per-request part of cached HTML.
type slot uint8

const (
	slotCSRF slot = iota
	slotReply
	slotTitle
	slotContent
	slotLogin
	slotName    // the viewer's name, as members see it
	slotLive    // the address of the page's live updates
	slotBadge   // the moderator's count of accounts awaiting approval
	slotNotices // the viewer's unread count of notifications in the header
	slotFollow  // the viewer's follow control on the thread page
	// slotUnread is the line at the top of a thread page that links to the first post new
	// to the member; slotBeforePost is before each post, where "new since your last visit"
	// goes before the first new one (its argument: the post's id).
	slotUnread
	slotBeforePost
	// slotNew is the "N new" badge of a listed thread (its argument: the thread's id).
	slotNew
	slotQueue // the moderator's count of posts waiting for review
)

// Slots are marked in cached HTML with one random string, new in each process, so no
// text a member writes can contain a mark, followed by a letter that names the slot: a
// page is split at its slots in one pass over it, however many slots it has.
var (
	slotPrefix = newSlotPrefix()

	csrfSlot, replySlot    = markOf(slotCSRF), markOf(slotReply)
	contentSlot, titleSlot = markOf(slotContent), markOf(slotTitle)
	loginSlot              = markOf(slotLogin)
	nameSlot               = markOf(slotName)
	liveSlot               = markOf(slotLive)
	badgeSlot              = markOf(slotBadge)
	noticesSlot            = markOf(slotNotices)
	followSlot             = markOf(slotFollow)
	unreadSlot             = markOf(slotUnread)
	beforePostSlot         = markOf(slotBeforePost)
	newBadgeSlot           = markOf(slotNew)
	queueSlot              = markOf(slotQueue)
)

// slotCount is the number of kinds of slot.
const slotCount = int(slotQueue) + 1

func newSlotPrefix() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "slot-" + hex.EncodeToString(b) + "-"
}

// markOf returns the mark of slot k: the prefix, then a letter.
func markOf(k slot) string { return slotPrefix + string(rune('a'+k)) }

// beforePostMark marks the place before post id: the slot's mark, then ":id;".
func beforePostMark(id int64) string { return beforePostSlot + ":" + strconv.FormatInt(id, 10) + ";" }

// newMark marks the place of the unread badge of thread id.
func newMark(id int64) string { return newBadgeSlot + ":" + strconv.FormatInt(id, 10) + ";" }

// slotArg reads the ":id;" after the mark of a slot with an argument, and returns it and
// its length; 0, 0 when h does not start with one.
func slotArg(h string) (int64, int) {
	if !strings.HasPrefix(h, ":") {
		return 0, 0
	}
	end := strings.IndexByte(h, ';')
	if end < 2 {
		return 0, 0
	}
	n, err := strconv.ParseInt(h[1:end], 10, 64)
	if err != nil {
		return 0, 0
	}
	return n, end + 1
}

// slotted is cached HTML split at its slots once, so that a page view writes its parts
// and its own values between them without searching the HTML again.
type slotted struct {
	parts []string
	slots []slot  // slots[i] goes between parts[i] and parts[i+1]
	args  []int64 // args[i] is the argument of slots[i] (slotBeforePost: a post's id)
}

// splitSlots splits h at every slot mark.
func splitSlots(h string) slotted {
	var s slotted
	for from := 0; ; {
		i := strings.Index(h[from:], slotPrefix)
		if i < 0 {
			s.parts = append(s.parts, h)
			return s
		}
		at := from + i
		end := at + len(slotPrefix) + 1
		if end > len(h) || h[end-1] < 'a' || int(h[end-1]-'a') >= slotCount {
			from = at + len(slotPrefix) // not a mark
			continue
		}
		which := slot(h[end-1] - 'a')
		s.parts = append(s.parts, h[:at])
		s.slots = append(s.slots, which)
		h, from = h[end:], 0
		var arg int64
		if which == slotBeforePost || which == slotNew {
			var n int
			arg, n = slotArg(h)
			h = h[n:]
		}
		s.args = append(s.args, arg)
	}
}

// write writes the HTML with fill writing each slot.
func (s slotted) write(w *bytes.Buffer, fill func(w *bytes.Buffer, k slot, arg int64)) {
	for i, p := range s.parts {
		w.WriteString(p)
		if i < len(s.slots) {
			fill(w, s.slots[i], s.args[i])
		}
	}
}

func (s slotted) has(k slot) bool {
	for _, x := range s.slots {
		if x == k {
			return true
		}
	}
	return false
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
	set := s.views
	if s.cfg.Dev && dirExists("views") {
		// Development: templates reload from disk, for pages rendered in parts too.
		fresh, err := views.Parse(os.DirFS("views"), s.funcs())
		if err != nil {
			return "", fmt.Errorf("reload templates: %w", err)
		}
		set = fresh
	}
	t, ok := set.Page(pageName)
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
	h.Add(echo.HeaderVary, varyHTMX)
	h.Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}
