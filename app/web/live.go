package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/live"
	"forum/app/model"
	"forum/app/policy"
)

// Live updates (DESIGN 12): an open thread page shows new replies and its state as they
// change, and every member's page its header count, through Server-Sent Events. A page
// opens one stream: the thread page /live/thread/ID, any other page of a member /live/me.
// What a stream is sent is rendered with the thread page's templates for its viewer, as
// app/policy says they see it (viewers are grouped by policy.AudienceOf, so that a thread
// with many readers is rendered once per kind of reader). Without JavaScript, or when a
// stream is refused, the pages are the same, only not live.

// The names of the events pages listen for (sse-swap in views).
const (
	eventPost   = "post"          // a post, new or changed: appended, or swapped for its older self
	eventThread = "thread"        // the thread's state, count of replies, heading, asker's note (out of band)
	eventCount  = "notices-count" // the header's count of unread notifications (out of band)
)

// liveRetryAfter is how long a browser refused a stream is told to wait.
const liveRetryAfter = "30"

// liveKey is where a handler leaves the address of its page's stream (see liveURL).
const liveKey = "live"

// liveURL returns the address of the stream the page of this request opens: the one its
// handler chose (the thread page), /live/me for any other page of a member, or none.
func liveURL(c echo.Context) string {
	if u, ok := c.Get(liveKey).(string); ok {
		return u
	}
	if policy.IsMember(viewer(c)) {
		return "/live/me"
	}
	return ""
}

// liveViewer is what a stream knows of its page.
type liveViewer struct {
	csrf string

	mu       sync.Mutex
	lastPost int64 // the newest post the page has: shown when it was loaded, or sent since
}

// advance records that the page has post id, and reports whether it is the newest yet.
func (lv *liveViewer) advance(id int64) bool {
	lv.mu.Lock()
	defer lv.mu.Unlock()
	if id <= lv.lastPost {
		return false
	}
	lv.lastPost = id
	return true
}

// liveThread streams a thread's new replies and state to its open page: anyone who may
// view the thread (visitors: a thread of the public archive). A member's stream carries
// their header count too, so that a page needs one connection.
func (s *Server) liveThread(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v, ctx := viewer(c), c.Request().Context()
	snap, err := s.threads.get(ctx, id)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	if snap == nil || !policy.CanView(v, snap.thread) {
		// The same answer whether the thread exists or not.
		return echo.NewHTTPError(http.StatusNotFound)
	}
	topics := []string{live.ThreadTopic(id)}
	if policy.IsMember(v) {
		topics = append(topics, live.UserTopic(v.ID))
	}
	return s.serveLive(c, topics, func(st *live.Stream) {
		// What changed between the page's loading and now: its stream was subscribed
		// first, so nothing falls between the two (a post both sent and read here is
		// swapped for itself).
		s.liveSource.catchUp(ctx, st, id)
		s.liveSource.sendCount(ctx, st, v)
	})
}

// liveMe streams a member's header count to any page of theirs but a thread's.
func (s *Server) liveMe(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	return s.serveLive(c, []string{live.UserTopic(v.ID)}, func(st *live.Stream) {
		s.liveSource.sendCount(c.Request().Context(), st, v)
	})
}

// serveLive opens a stream of topics for the request's viewer and serves it until the
// client goes or the stream ends; start sends what the page needs first.
func (s *Server) serveLive(c echo.Context, topics []string, start func(*live.Stream)) error {
	v := viewer(c)
	who := live.Viewer{Address: c.RealIP()}
	if v != nil {
		who.UserID = v.ID
		if sess := currentSession(c); sess != nil {
			who.SessionID = sess.ID
		}
	}
	lv := &liveViewer{csrf: csrfToken(c), lastPost: lastEventID(c)}
	st, err := s.live.Subscribe(who, lv, topics...)
	if err != nil {
		// The page works without live updates; htmx tries again later, more and more slowly.
		c.Response().Header().Set("Retry-After", liveRetryAfter)
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return c.String(http.StatusServiceUnavailable, "Live updates are not available right now; the page works without them.\n")
	}
	defer st.Close()

	res := c.Response()
	h := res.Header()
	h.Set(echo.HeaderContentType, "text/event-stream; charset=utf-8")
	h.Set(echo.HeaderCacheControl, "no-store")
	h.Set("X-Accel-Buffering", "no") // a proxy in front must pass events on as they come
	// The server's read and write timeouts bound ordinary requests; a stream lasts as long
	// as its page. Its read deadline is lifted, and each write gets a deadline of its own,
	// so that a client that vanished is still let go.
	rc := http.NewResponseController(res)
	_ = rc.SetReadDeadline(time.Time{})
	res.WriteHeader(http.StatusOK)
	flush := func() error { return rc.Flush() }
	w := deadlineWriter{rc: rc, w: res, timeout: s.live.Heartbeat() + 10*time.Second}
	if err := w.arm(); err == nil {
		_ = flush()
	}
	start(st)
	if !s.serving.Load() {
		// The server's handler runs without Serve (a test's server): nothing pushes to the
		// stream after what start sent, and an open stream would hold up that server's
		// closing. The browser asks again a few seconds later.
		st.Close()
	}
	if err := st.Serve(c.Request().Context(), w, flush); err != nil {
		s.log.Debug("live stream ended", "id", requestID(c), "err", err)
	}
	return nil
}

// deadlineWriter gives each write to a stream a deadline of its own.
type deadlineWriter struct {
	rc      *http.ResponseController
	w       http.ResponseWriter
	timeout time.Duration
}

func (d deadlineWriter) arm() error {
	err := d.rc.SetWriteDeadline(time.Now().Add(d.timeout))
	if errors.Is(err, http.ErrNotSupported) {
		return nil // a test's recorder
	}
	return err
}

func (d deadlineWriter) Write(p []byte) (int, error) {
	if err := d.arm(); err != nil {
		return 0, err
	}
	return d.w.Write(p)
}

// lastEventID returns the newest post the page has: the one its stream's address names
// (?after=, set when the page was rendered), or, when the browser connects again after a
// lost connection, the id of the last event it received, if newer.
func lastEventID(c echo.Context) int64 {
	after, _ := strconv.ParseInt(c.QueryParam("after"), 10, 64)
	last, _ := strconv.ParseInt(strings.TrimSpace(c.Request().Header.Get("Last-Event-ID")), 10, 64)
	return max(after, last, 0)
}

// liveSource renders what streams are sent (live.Source).
type liveSource struct{ s *Server }

// Thread sends the streams of a thread the posts that changes created or changed and the
// thread's state, each rendered for the stream's viewer.
func (ls *liveSource) Thread(ctx context.Context, threadID int64, changes []model.Change, streams []*live.Stream) {
	changed := map[int64]bool{}
	for _, c := range changes {
		if c.Entity == "post" {
			changed[c.EntityID] = true
		}
	}
	ls.push(ctx, threadID, streams, func(p *model.Post, _ *liveViewer) bool { return changed[p.ID] })
}

// catchUp sends a new stream the posts its page lacks and the thread's state.
func (ls *liveSource) catchUp(ctx context.Context, st *live.Stream, threadID int64) {
	lv := st.Owner().(*liveViewer)
	lv.mu.Lock()
	after := lv.lastPost
	lv.mu.Unlock()
	ls.push(ctx, threadID, []*live.Stream{st}, func(p *model.Post, _ *liveViewer) bool { return p.ID > after })
}

// push sends each stream the posts of thread threadID that send selects, and the thread's
// state, as the stream's viewer may see them; it stops the streams of viewers who may no
// longer read the thread (signed out, suspended, the thread hidden or taken out of the
// public archive).
func (ls *liveSource) push(ctx context.Context, threadID int64, streams []*live.Stream, send func(*model.Post, *liveViewer) bool) {
	s := ls.s
	snap, err := s.threads.get(ctx, threadID)
	if errors.Is(err, model.ErrNotFound) {
		for _, st := range streams {
			st.Stop()
		}
		return
	}
	if err != nil {
		s.liveError(ctx, "load thread", err)
		return
	}
	viewers, err := ls.viewers(ctx, streams)
	if err != nil {
		s.liveError(ctx, "check readers", err)
		return
	}
	// Rendered once per kind of viewer (policy.AudienceOf): who sees the same page.
	groups := map[policy.Audience][]*live.Stream{}
	reps := map[policy.Audience]*model.User{}
	for _, st := range streams {
		v, ok := viewers[st]
		if !ok {
			continue
		}
		a := snap.audience(v, nil)
		groups[a] = append(groups[a], st)
		reps[a] = v
	}
	posts := append([]*model.Post(nil), snap.posts...)
	sort.Slice(posts, func(i, j int) bool { return posts[i].ID < posts[j].ID })
	for a, group := range groups {
		v := reps[a]
		if !policy.CanView(v, snap.thread) {
			for _, st := range group {
				st.Stop()
			}
			continue
		}
		rendered := map[int64]slotted{}
		for _, p := range posts {
			if !shouldPush(v, p, send, group) {
				continue
			}
			pv := newPostView(v, snap.thread, p)
			pv.CSRF = csrfSlot
			h, err := s.renderBlock("thread", "post", pv)
			if err != nil {
				s.liveError(ctx, "render a post", err)
				return
			}
			rendered[p.ID] = splitSlots(h)
		}
		fragments, err := s.renderBlock("thread", "thread_fragments", fragmentsOf(v, snap))
		if err != nil {
			s.liveError(ctx, "render the thread's state", err)
			return
		}
		for _, st := range group {
			lv := st.Owner().(*liveViewer)
			fill := func(w *strings.Builder, h slotted) {
				for i, part := range h.parts {
					w.WriteString(part)
					if i < len(h.slots) && h.slots[i] == slotCSRF {
						w.WriteString(lv.csrf)
					}
				}
			}
			for _, p := range posts {
				h, ok := rendered[p.ID]
				if !ok || !send(p, lv) {
					continue
				}
				var b strings.Builder
				fill(&b, h)
				ev := live.Event{Name: eventPost, Data: b.String()}
				if lv.advance(p.ID) {
					ev.ID = strconv.FormatInt(p.ID, 10)
				}
				st.Send(ev)
			}
			st.Send(live.Event{Name: eventThread, Data: fragments})
		}
	}
}

// shouldPush reports whether post p goes to viewer v's streams of group: a post some of
// them want, that is not new to them hidden or deleted (a post hidden or deleted after
// they saw it does go: the page then shows it as hidden, without its words).
func shouldPush(v *model.User, p *model.Post, send func(*model.Post, *liveViewer) bool, group []*live.Stream) bool {
	wanted, isNew := false, false
	for _, st := range group {
		lv := st.Owner().(*liveViewer)
		if send(p, lv) {
			wanted = true
			lv.mu.Lock()
			isNew = isNew || p.ID > lv.lastPost
			lv.mu.Unlock()
		}
	}
	if !wanted {
		return false
	}
	gone := p.DeletedAt != nil || (p.HiddenAt != nil && !policy.CanReadHiddenPost(v))
	return !(isNew && gone)
}

// viewers returns the viewer of each stream as the database has them now (nil: a
// visitor), and stops the streams of members whose session ended or who may no longer
// sign in. A stream left out is sent nothing.
func (ls *liveSource) viewers(ctx context.Context, streams []*live.Stream) (map[*live.Stream]*model.User, error) {
	var sessions []int64
	for _, st := range streams {
		if id := st.Viewer().SessionID; id != 0 {
			sessions = append(sessions, id)
		}
	}
	users, err := ls.s.store.SessionUsers(ctx, sessions, time.Now().UTC())
	if err != nil {
		return nil, err
	}
	out := make(map[*live.Stream]*model.User, len(streams))
	for _, st := range streams {
		who := st.Viewer()
		if who.UserID == 0 {
			out[st] = nil
			continue
		}
		u := users[who.SessionID]
		if u == nil || u.ID != who.UserID || !policy.Active(u) {
			st.Stop()
			continue
		}
		out[st] = u
	}
	return out, nil
}

// Count sends a member's streams their count of unread notifications.
func (ls *liveSource) Count(ctx context.Context, userID int64, unread int, streams []*live.Stream) {
	viewers, err := ls.viewers(ctx, streams)
	if err != nil {
		ls.s.liveError(ctx, "check readers", err)
		return
	}
	h := string(noticesBadge(unread, true))
	for st, v := range viewers {
		if policy.CanReadNotices(v) {
			st.Send(live.Event{Name: eventCount, Data: h})
		}
	}
}

// sendCount sends a new stream of member v their count of unread notifications.
func (ls *liveSource) sendCount(ctx context.Context, st *live.Stream, v *model.User) {
	if !policy.CanReadNotices(v) {
		return
	}
	n, ok, err := ls.s.live.CountFor(ctx, v.ID)
	if err != nil {
		ls.s.liveError(ctx, "count unread notifications", err)
	}
	if !ok {
		return
	}
	st.Send(live.Event{Name: eventCount, Data: string(noticesBadge(n, true))})
}

func (s *Server) liveError(ctx context.Context, what string, err error) {
	if ctx.Err() == nil {
		s.log.Warn("live updates: "+what, "err", err)
	}
}

// liveAttr is the address of a page's stream as the layout writes it.
func liveAttr(u string) string { return template.HTMLEscapeString(u) }

// SetNotificationCounter sets what counts a member's unread notifications for the header
// count of live updates (Options.Notifications, when it is made after the server).
func (s *Server) SetNotificationCounter(c live.Counter) { s.live.SetCounter(c) }

// UsersNotified tells every node that these members got new notifications, so that the
// header count of their open pages changes: the notifications' fan-out calls it after its
// commit.
func (s *Server) UsersNotified(userIDs []int64) {
	if err := s.store.AnnounceNotified(context.Background(), userIDs); err != nil {
		s.log.Warn("live updates: announce notifications", "members", len(userIDs), "err", err)
	}
}
