package web

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
)

// flagReasonOption is one reason the report form offers.
type flagReasonOption struct {
	Value   model.FlagReason
	Label   string
	Checked bool
}

// flagForm is the report form of one post, with what the member chose and what was wrong.
type flagForm struct {
	PostID    int64
	ThreadURL string
	Reasons   []flagReasonOption
	Note      string
	Errors    map[string]string
	// Done says the report was taken (or had been already); the form is then replaced by it.
	Done string
	// Post is the reported post, shown above the form on its own page.
	Post *postView
	CSRF string
}

// MaxNote is the longest note the form takes.
func (flagForm) MaxNote() int { return policy.MaxFlagNote }

func newFlagForm(c echo.Context, p *model.Post, t *model.Thread, reason model.FlagReason, note string) flagForm {
	f := flagForm{PostID: p.ID, ThreadURL: threadURL(t), Note: note, CSRF: csrfToken(c)}
	for _, r := range policy.FlagReasons {
		f.Reasons = append(f.Reasons, flagReasonOption{Value: r, Label: policy.FlagReasonLabel(r), Checked: r == reason})
	}
	return f
}

// flaggablePost loads the post of the :id parameter and its thread for a report by the
// viewer: a post they cannot read is not found; their own post is not theirs to report.
func (s *Server) flaggablePost(c echo.Context) (*model.Post, *model.Thread, error) {
	p, t, err := s.viewablePost(c)
	if err != nil {
		return nil, nil, err
	}
	v := viewer(c)
	if p.DeletedAt != nil || (p.HiddenAt != nil && !policy.CanReadHiddenPost(v)) {
		return nil, nil, model.ErrNotFound
	}
	if !policy.CanFlag(v, t, p) {
		return nil, nil, model.ErrForbidden
	}
	return p, t, nil
}

// flagPage shows the report form of a post: in place for htmx, as a page with the post
// above it otherwise.
func (s *Server) flagPage(c echo.Context) error {
	p, t, err := s.flaggablePost(c)
	if err != nil {
		return err
	}
	return s.renderFlagForm(c, http.StatusOK, p, t, newFlagForm(c, p, t, "", ""))
}

func (s *Server) renderFlagForm(c echo.Context, status int, p *model.Post, t *model.Thread, f flagForm) error {
	if isFragment(c) {
		if status >= 400 {
			c.Response().Header().Set("HX-Retarget", "#flag-form-"+strconv.FormatInt(p.ID, 10))
			c.Response().Header().Set("HX-Reswap", "outerHTML")
		}
		return s.renderPartial(c, status, "flag_form", f)
	}
	author, err := s.store.UserByID(c.Request().Context(), p.AuthorID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	p.Author = author
	pv := newPostView(viewer(c), t, p)
	f.Post = &pv
	return s.render(c, status, "flag", "", f)
}

// flagSubmit takes a member's report of a post. A second report of the same post changes
// nothing and says so; a rejected report comes back with the message beside its field.
func (s *Server) flagSubmit(c echo.Context) error {
	p, t, err := s.flaggablePost(c)
	if err != nil {
		return err
	}
	reason, note := model.FlagReason(c.FormValue("reason")), c.FormValue("note")
	res, err := s.forum.Flag(c.Request().Context(), viewer(c), p.ID, forum.FlagInput{Reason: reason, Note: note})
	var inv *model.InvalidError
	switch {
	case errors.As(err, &inv):
		f := newFlagForm(c, p, t, reason, note)
		f.Errors = inv.Fields
		return s.renderFlagForm(c, http.StatusUnprocessableEntity, p, t, f)
	case errors.Is(err, forum.ErrFlagLimit):
		f := newFlagForm(c, p, t, reason, note)
		f.Errors = map[string]string{"reason": "You have reported " + strconv.Itoa(policy.FlagsPerHour) +
			" posts in the last hour, as many as an hour allows. Your report is not sent; try again later, " +
			"or if someone is in danger right now, call 988 or your local emergency number."}
		return s.renderFlagForm(c, http.StatusTooManyRequests, p, t, f)
	case err != nil:
		return err
	}
	done := "flagged"
	if res.Again {
		done = "flagged-again"
	}
	if isFragment(c) {
		f := newFlagForm(c, p, t, reason, "")
		f.Done = doneNotices[done]
		return s.renderPartial(c, http.StatusOK, "flag_form", f)
	}
	return s.redirect(c, withDone(threadURL(t), done)+"#post-"+strconv.FormatInt(p.ID, 10))
}

// flagView is one report as moderators read it.
type flagView struct {
	Reason  string
	Danger  bool
	Note    string
	Flagger string
	URL     string
	At      time.Time
}

// flaggedView is a reported post in its context, with its reports and the moderator's forms.
type flaggedView struct {
	Post        postView
	Before      *postView
	After       *postView
	ThreadTitle string
	ThreadURL   string
	Flags       []flagView
	Danger      bool
	FlagHidden  bool
	AuthorName  string
	// Source is the post's text, for the edit form.
	Source string
	// CanWarn and CanSuspend: its author is someone the moderator may warn or suspend.
	CanWarn, CanSuspend bool
	// Form holds what the moderator wrote in a rejected form, and its messages.
	Form flagActForm
}

// flagActForm is a moderator's decision as submitted.
type flagActForm struct {
	Action, Reason, Body, Message, Until string
	Errors                               map[string]string
}

type busyFlagger struct {
	Name  string
	URL   string
	Count int
}

type modFlagsData struct {
	Posts []flaggedView
	Busy  []busyFlagger
	// Page numbers, from 1; Next is 0 on the last page.
	Page, Next, Prev int
	Tomorrow         string
	MaxReason        int
	MaxWarning       int
	BusyAt           int
	CSRF             string
}

// flagsPerPage is how many reported posts a page of the queue shows.
const flagsPerPage = 20

// modFlags shows the reports queue: each reported post in its thread, between the posts
// around it, with every report of it and what a moderator may do.
func (s *Server) modFlags(c echo.Context) error {
	if !policy.CanHandleFlags(viewer(c)) {
		return model.ErrForbidden
	}
	d, err := s.modFlagsData(c, 0, flagActForm{})
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, "mod_flags", "mod", d)
}

func (s *Server) modFlagsData(c echo.Context, formPost int64, form flagActForm) (modFlagsData, error) {
	ctx, v := c.Request().Context(), viewer(c)
	page, _ := strconv.Atoi(c.QueryParam("page"))
	page = max(page, 1)
	d := modFlagsData{Page: page, Tomorrow: time.Now().UTC().AddDate(0, 0, 7).Format("2006-01-02"),
		MaxReason: policy.MaxReason, MaxWarning: policy.MaxWarning, BusyAt: policy.BusyFlagger, CSRF: csrfToken(c)}
	if page > 1 {
		d.Prev = page - 1
	}
	queue, err := s.store.OpenFlaggedPosts(ctx, (page-1)*flagsPerPage, flagsPerPage+1)
	if err != nil {
		return d, err
	}
	if len(queue) > flagsPerPage {
		queue, d.Next = queue[:flagsPerPage], page+1
	}
	ids := make([]int64, len(queue))
	for i, q := range queue {
		ids[i] = q.PostID
	}
	if formPost != 0 && !containsID(ids, formPost) {
		// A rejected form of a post no longer in the queue's page: show it first.
		ids = append([]int64{formPost}, ids...)
	}
	for _, id := range ids {
		fv, err := s.flaggedView(ctx, v, id)
		if errors.Is(err, model.ErrNotFound) {
			continue
		}
		if err != nil {
			return d, err
		}
		if id == formPost {
			fv.Form = form
		}
		d.Posts = append(d.Posts, fv)
	}
	busy, err := s.store.BusyFlaggers(ctx, time.Now().UTC().Add(-24*time.Hour), policy.BusyFlagger, 20)
	if err != nil {
		return d, err
	}
	bids := make([]int64, len(busy))
	for i, b := range busy {
		bids[i] = b.UserID
	}
	users, err := s.store.UsersByIDs(ctx, bids)
	if err != nil {
		return d, err
	}
	for _, b := range busy {
		who := policy.ShowAuthor(v, users[b.UserID], false)
		bf := busyFlagger{Name: who.Name, Count: b.Count}
		if who.Profile {
			bf.URL = profileURL(who.Name)
		}
		d.Busy = append(d.Busy, bf)
	}
	return d, nil
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// flaggedView loads a reported post with its thread, its neighbours and its open reports.
func (s *Server) flaggedView(ctx context.Context, v *model.User, postID int64) (flaggedView, error) {
	p, t, err := s.store.PostWithThread(ctx, postID)
	if err != nil {
		return flaggedView{}, err
	}
	before, after, err := s.store.PostNeighbours(ctx, t.ID, p.ID)
	if err != nil {
		return flaggedView{}, err
	}
	open, err := s.store.OpenFlagsOfPosts(ctx, []int64{p.ID})
	if err != nil {
		return flaggedView{}, err
	}
	ids := []int64{p.AuthorID}
	for _, x := range []*model.Post{before, after} {
		if x != nil {
			ids = append(ids, x.AuthorID)
		}
	}
	for _, f := range open[p.ID] {
		ids = append(ids, f.FlaggerID)
	}
	users, err := s.store.UsersByIDs(ctx, ids)
	if err != nil {
		return flaggedView{}, err
	}
	view := func(x *model.Post) *postView {
		if x == nil {
			return nil
		}
		x.Author = users[x.AuthorID]
		pv := newPostView(v, t, x)
		// The queue shows posts to read, not to act on in place.
		pv.CanEdit, pv.CanDelete, pv.CanMarkHelpful, pv.CanQuote, pv.CanModerate, pv.CanFlag = false, false, false, false, false, false
		return &pv
	}
	fv := flaggedView{Post: *view(p), Before: view(before), After: view(after), ThreadTitle: t.Title,
		ThreadURL: threadURL(t), FlagHidden: p.FlagHidden, Source: p.BodySource,
		AuthorName: policy.ShowAuthor(v, users[p.AuthorID], p.Anonymous).Name,
		CanWarn:    policy.CanWarn(v, users[p.AuthorID]), CanSuspend: policy.CanSuspend(v, users[p.AuthorID])}
	for _, f := range open[p.ID] {
		who := policy.ShowAuthor(v, users[f.FlaggerID], false)
		view := flagView{Reason: policy.FlagReasonLabel(f.Reason), Danger: f.Reason == model.FlagDanger, Note: f.Note,
			Flagger: who.Name, At: f.CreatedAt}
		if who.Profile {
			view.URL = profileURL(who.Name)
		}
		fv.Danger = fv.Danger || view.Danger
		fv.Flags = append(fv.Flags, view)
	}
	return fv, nil
}

// modFlagAct carries out a moderator's decision on a reported post (:id). A hide or a
// suspension is confirmed first; a rejected form comes back on the queue with what was
// written and the message beside its field.
func (s *Server) modFlagAct(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	if !policy.CanHandleFlags(v) {
		return model.ErrForbidden
	}
	form := flagActForm{Action: c.FormValue("action"), Reason: c.FormValue("reason"), Body: c.FormValue("body"),
		Message: c.FormValue("message"), Until: c.FormValue("until")}
	a := forum.FlagAction{Action: form.Action, Reason: form.Reason, Body: form.Body, Message: form.Message}
	if form.Action == forum.FlagSuspend {
		until, perr := time.Parse("2006-01-02", form.Until)
		if perr != nil {
			form.Errors = map[string]string{"until": "Choose the day the suspension ends."}
			return s.flagActRejected(c, id, form)
		}
		a.Until = until
	}
	if (form.Action == forum.FlagHide || form.Action == forum.FlagSuspend) && !confirmed(c) && policy.ReasonProblem(form.Reason) == "" {
		title := "Hide this post?"
		msg := "Its author is told, with your reason; members no longer see it. You can restore it later from the thread."
		if form.Action == forum.FlagSuspend {
			title = "Suspend this member until " + a.Until.Format("2 January 2006") + "?"
			msg = "They are signed out everywhere and cannot sign in until that day."
		}
		return s.confirmStep(c, confirmData{Title: title, Message: msg, Action: c.Request().URL.Path, Button: "Yes, " + form.Action,
			Cancel: "/mod/flags", Fields: formFields(c)})
	}
	_, err = s.forum.ActOnFlags(c.Request().Context(), v, id, a)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		form.Errors = inv.Fields
		return s.flagActRejected(c, id, form)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, "/mod/flags?"+url.Values{"done": {"flag-" + form.Action}}.Encode())
}

func (s *Server) flagActRejected(c echo.Context, postID int64, form flagActForm) error {
	d, err := s.modFlagsData(c, postID, form)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusUnprocessableEntity, "mod_flags", "mod", d)
}

// warningAck records that the member read a moderator's warning; it shows no more.
func (s *Server) warningAck(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v, err := requireViewer(c)
	if err != nil {
		return err
	}
	if err := s.forum.AcknowledgeWarning(c.Request().Context(), v, id); err != nil {
		return err
	}
	next := localPath(c.FormValue("next"))
	if next == "" {
		next = "/"
	}
	return s.redirect(c, next)
}

// openFlagsBadge is the count of reported posts after the moderation link, for those who
// handle reports: nothing when none waits.
func (s *Server) openFlagsBadge(c echo.Context, v *model.User) template.HTML {
	if !policy.CanHandleFlags(v) {
		return ""
	}
	n, err := s.store.OpenFlaggedPostCount(c.Request().Context())
	if err != nil {
		s.log.Warn("count reported posts", "id", requestID(c), "err", err)
		return ""
	}
	if n <= 0 {
		return ""
	}
	label := " reported posts"
	if n == 1 {
		label = " reported post"
	}
	return template.HTML(` <span class="nav-count nav-count-flags">` + strconv.Itoa(n) + //nolint:gosec // digits and constants
		`<span class="visually-hidden">` + label + `</span></span>`)
}

// openWarning returns the moderator's warning the viewer has not acknowledged, or nil. It
// is asked on every page a member opens, so it is kept in the page cache under the
// member's key (a warning given or acknowledged on this node drops it at once; one given
// through another node shows within pageTTL, or the load after it: pagecache's aged
// entries).
func (s *Server) openWarning(ctx context.Context, v *model.User) (*model.Warning, error) {
	if !policy.IsMember(v) {
		return nil, nil
	}
	return cached(ctx, s, "warning:"+strconv.FormatInt(v.ID, 10), []string{memberKey(v.ID)}, func(ctx context.Context) (*model.Warning, int, error) {
		w, err := s.store.OpenWarning(ctx, v.ID)
		if w == nil {
			return w, 16, err
		}
		return w, 216 + len(w.Message), err
	})
}
