package web

import (
	"bytes"
	"html/template"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"forum/app/model"
	"forum/app/policy"
)

// A notice is a short line at the top of a whole page that tells the viewer what just
// happened: an action that saved something without changing what the page shows ("Your
// profile text is saved"), or news about their account ("you are now a member").
//
// After a form, the handler redirects to a page with done=WHAT in its address: the page
// says it once more if reloaded, which is harmless, and nothing is kept on the server or
// in a cookie. A handler may instead set the notice itself (setNotice), when it needs
// words of its own ("maple_mom is now a member").

// doneNotices are the confirmations a done= parameter may ask for; any other value shows
// nothing, so that no address can put words of its own on a page.
var doneNotices = map[string]string{
	"bio":        "Your profile text is saved.",
	"name":       "Your pseudonym is saved. It shows on everything you wrote under your name.",
	"reason":     "Thank you. The moderators will read this when they look at your account.",
	"consent":    "Your choice is saved: once an expert has answered, this conversation may be published to the public archive, with nobody named.",
	"no-consent": "Your choice is saved: this conversation stays for members only.",
	"signed-out": "That browser is signed out.",
	"tag":        "The topic is saved.",
	"invite":     "The invite link is revoked: it no longer lets anyone in.",
	"email":      "Your e-mail choices are saved.",
	"follow":     "Your choice of notifications is saved.",
	// Reports and the moderators' decisions on them.
	"flagged":       "Thank you. The moderators will look at this post; the person who wrote it is not told who reported it.",
	"flagged-again": "You reported this post already. The moderators will look at it.",
	"flag-dismiss":  "The reports are dismissed; those who reported the post are told it was looked at.",
	"flag-hide":     "The post is hidden. Its author is told why; those who reported it are told it was handled.",
	"flag-edit":     "The post is edited; its earlier version is kept for moderators.",
	"flag-warn":     "The warning is given: the member reads it on their next page.",
	"flag-suspend":  "The member is suspended and signed out everywhere.",
	"deleted":       "Your post is deleted.",
}

// noticeKey holds, in the echo context, a notice a handler set for the page it renders.
const noticeKey = "notice"

// setNotice puts a notice of the handler's own at the top of the page it renders next.
func setNotice(c echo.Context, msg string) { c.Set(noticeKey, msg) }

// withDone returns path with the done= parameter that makes its page confirm what.
func withDone(path, what string) string {
	if _, ok := doneNotices[what]; !ok {
		return path
	}
	return path + "?done=" + what
}

// noticesData is what the notices partial shows.
type noticesData struct {
	// Welcome greets a member who was let in since their last page (policy.OwesWelcome).
	Welcome   bool
	Pseudonym string
	Done      string
	// Warning is a moderator's warning the member has not acknowledged yet.
	Warning *model.Warning
	// Here is the page's address, where acknowledging the warning comes back to.
	Here string
	CSRF string
}

// viewerExtras fills what a whole page shows its viewer beside the page's own content:
// the member's unread count after the notifications link, the moderator's count of
// accounts awaiting approval after the moderation link, and the notices at the top of the
// content (for a page that answers 200 to a GET).
func (s *Server) viewerExtras(c echo.Context, status int, t *template.Template, p *page) error {
	v := p.Viewer
	p.NoticeBadge = s.noticeBadge(c, v)
	if policy.CanApproveMembers(v) {
		// Without the count the page still serves (an error page among them, when the
		// database is what failed): the link shows no number.
		n, err := s.store.AwaitingApprovalCount(c.Request().Context())
		if err != nil {
			s.log.Warn("count accounts awaiting approval", "id", requestID(c), "err", err)
		}
		p.ModBadge = s.openFlagsBadge(c, v) + awaitingBadge(n)
	}
	if status != http.StatusOK || c.Request().Method != http.MethodGet {
		return nil
	}
	d := noticesData{Welcome: policy.OwesWelcome(v), Here: localPath(c.Request().URL.RequestURI()), CSRF: csrfToken(c)}
	w, err := s.openWarning(c.Request().Context(), v)
	if err != nil {
		s.log.Warn("read the member's warning", "id", requestID(c), "err", err)
	}
	d.Warning = w
	if d.Welcome {
		d.Pseudonym = v.Pseudonym
	}
	if msg, ok := c.Get(noticeKey).(string); ok {
		d.Done = msg
	} else {
		d.Done = doneNotices[c.QueryParam("done")]
	}
	if !d.Welcome && d.Done == "" && d.Warning == nil {
		return nil
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "notices", d); err != nil {
		return err
	}
	p.lead = template.HTML(b.String()) //nolint:gosec // rendered by html/template
	return nil
}

// noticesShown records, after a page went out, that its viewer saw the notice that they
// were let in: it shows once. A failure is logged; the notice then shows once more.
func (s *Server) noticesShown(c echo.Context, p page) {
	v := p.Viewer
	if p.lead == "" || !policy.OwesWelcome(v) {
		return
	}
	if err := s.forum.MarkWelcomed(c.Request().Context(), v); err != nil {
		s.log.Warn("record the welcome notice as seen", "id", requestID(c), "err", err)
	}
}

// awaitingBadge is the count after the moderation link: nothing when nobody waits.
func awaitingBadge(n int) template.HTML {
	if n <= 0 {
		return ""
	}
	count := strconv.Itoa(n)
	return template.HTML(` <span class="nav-count">` + count + `<span class="visually-hidden"> awaiting approval</span></span>`) //nolint:gosec // digits
}
