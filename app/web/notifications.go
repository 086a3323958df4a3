package web

import (
	"context"
	"html/template"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/notify"
	"forum/app/policy"
)

// noticesBadge is the unread count beside "Notifications" in the header: always present,
// empty and hidden at zero, so that a live update can fill it in place (by its id); with
// oob, marked to replace the header's own in an htmx answer.
func noticesBadge(n int, oob bool) template.HTML {
	attrs := `id="notices-count" class="notices-count"`
	if oob {
		attrs += ` hx-swap-oob="true"`
	}
	if n <= 0 {
		return template.HTML(`<span ` + attrs + ` hidden></span>`) //nolint:gosec // constants
	}
	shown := strconv.Itoa(n)
	if n > 99 {
		shown = "99+"
	}
	return template.HTML(`<span ` + attrs + `><span aria-hidden="true">` + shown + //nolint:gosec // digits and constants
		`</span><span class="visually-hidden">, ` + strconv.Itoa(n) + ` unread</span></span>`)
}

// noticeBadge is the header's unread count for viewer v; nothing for those who have no
// notifications. The count is the store's, remembered for a few seconds per member.
func (s *Server) noticeBadge(c echo.Context, v *model.User) template.HTML {
	if !policy.CanReadNotices(v) {
		return ""
	}
	// Kept under the member's key, which their notifications written or marked read on any
	// node drop (store.Listeners.UsersNotified), so a page view runs no query for it.
	n, err := cached(c.Request().Context(), s, "notice-count:"+strconv.FormatInt(v.ID, 10), []string{memberKey(v.ID)},
		func(ctx context.Context) (int, int, error) {
			n, err := s.notify.UnreadCount(ctx, v)
			return n, 64, err
		})
	if err != nil {
		// The header is no reason to fail a page: it shows no count this once.
		s.log.Warn("unread notification count", "id", requestID(c), "err", err)
		return noticesBadge(0, false)
	}
	return noticesBadge(n, false)
}

// noticeView is a notice as the notifications page shows it.
type noticeView struct {
	notify.Notice
	URL  string
	CSRF string
}

// noticeGroup is the notices of one thread (or of the member's account), newest first.
type noticeGroup struct {
	Title string
	URL   string
	// Muted: the group has no thread to show (account notices, or what is gone).
	Muted   bool
	Notices []noticeView
}

type notificationsData struct {
	Groups []noticeGroup
	Unread int
	Next   string
	CSRF   string
}

// notifications lists the member's notifications grouped by thread, the thread with the
// newest first; "older" pages continue by id.
func (s *Server) notifications(c echo.Context) error {
	v := viewer(c)
	if !policy.CanReadNotices(v) {
		return s.membersOnly(c, v)
	}
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	before = max(before, 0)
	// The member's own page, kept for them alone until their notifications change
	// (memberKey: a new one, one marked read).
	return s.serveShared(c, sharedPage{key: "notifications:" + strconv.FormatInt(v.ID, 10) + ":" + strconv.FormatInt(before, 10),
		keys: []string{memberKey(v.ID)}, ttl: pageTTL, name: "notifications", nav: "notifications",
		load: func(ctx context.Context) (loadedPage, error) {
			page, err := s.notify.Notices(ctx, v, before)
			if err != nil {
				return loadedPage{}, err
			}
			return loadedPage{value: page, size: 500 * (len(page.Notices) + 1)}, nil
		},
		view: func(_ *model.User, val any) (any, error) {
			page := val.(notify.Notices)
			d := notificationsData{Unread: page.Unread, CSRF: csrfSlot, Groups: groupNotices(page.Notices, csrfSlot)}
			if page.NextBefore > 0 {
				d.Next = nextPage("/notifications", "before", strconv.FormatInt(page.NextBefore, 10))
			}
			return d, nil
		}})
}

// groupNotices groups notices by thread, in the order of each group's newest notice.
func groupNotices(ns []notify.Notice, csrf string) []noticeGroup {
	const account, gone = -1, -2
	var groups []noticeGroup
	at := map[int64]int{}
	for _, n := range ns {
		key, g := int64(account), noticeGroup{Title: "Your account and posts", Muted: true}
		switch {
		case n.Gone:
			key, g = gone, noticeGroup{Title: "No longer available", Muted: true}
		case n.Thread != nil:
			key, g = n.Thread.ID, noticeGroup{Title: n.Thread.Title, URL: threadURL(n.Thread)}
		}
		i, ok := at[key]
		if !ok {
			i = len(groups)
			at[key] = i
			groups = append(groups, g)
		}
		groups[i].Notices = append(groups[i].Notices, newNoticeView(n, csrf))
	}
	return groups
}

func newNoticeView(n notify.Notice, csrf string) noticeView {
	nv := noticeView{Notice: n, CSRF: csrf}
	if n.Href != "" {
		nv.URL = n.Href
	} else if n.Thread != nil {
		nv.URL = threadURL(n.Thread)
		if n.PostID != 0 {
			nv.URL += "#post-" + strconv.FormatInt(n.PostID, 10)
		}
	}
	return nv
}

// noticeMarked is the answer to marking a notice read with htmx: the notice again, and
// the header's count.
type noticeMarked struct {
	Notice noticeView
	Badge  template.HTML
}

// notificationRead marks one notification read: in place with htmx, else back to the list.
func (s *Server) notificationRead(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx, v := c.Request().Context(), viewer(c)
	if err := s.notify.MarkRead(ctx, v, id); err != nil {
		return err
	}
	s.UsersNotified([]int64{v.ID}) // the member's other pages show the new count
	if !isFragment(c) {
		return s.redirect(c, "/notifications")
	}
	n, err := s.notify.Notice(ctx, v, id)
	if err != nil {
		return err
	}
	unread, err := s.notify.UnreadCount(ctx, v)
	if err != nil {
		return err
	}
	return s.renderPartial(c, http.StatusOK, "notice_marked", noticeMarked{Notice: newNoticeView(n, csrfToken(c)), Badge: noticesBadge(unread, true)})
}

// notificationsReadAll marks every notification of the member read.
func (s *Server) notificationsReadAll(c echo.Context) error {
	v := viewer(c)
	if err := s.notify.MarkAllRead(c.Request().Context(), v); err != nil {
		return err
	}
	s.UsersNotified([]int64{v.ID}) // the member's other pages show the new count
	return s.redirect(c, "/notifications")
}

// membersComplete offers the pseudonyms of members that start with what is typed after
// an @ (q), as JSON: names only.
func (s *Server) membersComplete(c echo.Context) error {
	v := viewer(c)
	if !policy.CanCompleteNames(v) {
		return s.membersOnly(c, v)
	}
	names, err := s.notify.CompleteNames(c.Request().Context(), v, c.QueryParam("q"))
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, names)
}
