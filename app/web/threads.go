package web

import (
	"errors"
	"html"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
)

// askForm is the new-thread form with what the member typed and what was wrong.
type askForm struct {
	Kind                      model.Kind
	Title, Body, ContentNote  string
	Tags                      []string
	Anonymous, PublishConsent bool
	Errors                    map[string]string
	AllTags                   []*model.Tag
	Restored                  bool
	CanWriteArticle           bool
	Names                     postingNames
	CSRF                      string
}

// Posting says beside the submit button under which name the thread will appear.
func (f askForm) Posting() postingAs { return f.Names.as(f.Anonymous) }

// IsArticle, IsDiscussion and IsQuestion say which kind of thread the form starts.
func (f askForm) IsArticle() bool    { return f.Kind == model.KindArticle }
func (f askForm) IsDiscussion() bool { return f.Kind == model.KindDiscussion }
func (f askForm) IsQuestion() bool   { return f.Kind == model.KindQuestion }

// postingNames are the names members will see on what the viewer posts, by name and
// anonymously (policy.PostingAs).
type postingNames struct{ Named, Anonymous string }

func postingNamesOf(v *model.User) postingNames {
	return postingNames{Named: policy.PostingAs(v, false), Anonymous: policy.PostingAs(v, true)}
}

func (n postingNames) as(anonymous bool) postingAs {
	return postingAs{Named: n.Named, Anon: n.Anonymous, Anonymous: anonymous}
}

// postingAs is the "Posting as" line of a form: both names, the one that applies shown
// (forum.js switches them as the "anonymously" box is ticked; CSS does without it).
type postingAs struct {
	Named, Anon string
	Anonymous   bool
}

func (f askForm) HasTag(slug string) bool {
	for _, t := range f.Tags {
		if t == slug {
			return true
		}
	}
	return false
}

// ask shows the form for a new question (or, for experts, an article); a saved draft
// comes back into it.
func (s *Server) ask(c echo.Context) error {
	v := viewer(c)
	if !policy.CanAsk(v) {
		return s.membersOnly(c, v)
	}
	f := askForm{Kind: model.Kind(c.QueryParam("kind"))}
	if f.Kind != model.KindArticle && f.Kind != model.KindDiscussion {
		f.Kind = model.KindQuestion
	}
	draft, err := s.forum.Draft(c.Request().Context(), v, forum.DraftKeyAsk())
	if err != nil {
		return err
	}
	if draft != nil {
		// Every field comes back: a restored question must post as the member meant it,
		// anonymously, with its content note and its answer about the archive.
		f.Title, f.Body, f.ContentNote, f.Restored = draft.Title, draft.Body, draft.ContentNote, true
		f.Anonymous, f.PublishConsent = draft.Anonymous, draft.PublishConsent
		switch kind := model.Kind(draft.Kind); kind {
		case model.KindQuestion, model.KindDiscussion:
			f.Kind = kind
		case model.KindArticle:
			if policy.CanWriteArticle(v) {
				f.Kind = kind
			}
		}
		if draft.Tags != "" {
			f.Tags = strings.Split(draft.Tags, ",")
		}
	}
	return s.renderAsk(c, http.StatusOK, f)
}

func (s *Server) renderAsk(c echo.Context, status int, f askForm) error {
	tags, err := s.store.Tags(c.Request().Context())
	if err != nil {
		return err
	}
	v := viewer(c)
	f.AllTags, f.CanWriteArticle, f.Names, f.CSRF = tags, policy.CanWriteArticle(v), postingNamesOf(v), csrfToken(c)
	return s.render(c, status, "ask", "ask", f)
}

func askFormOf(c echo.Context) (askForm, error) {
	form, err := c.FormParams()
	if err != nil {
		return askForm{}, echo.NewHTTPError(http.StatusBadRequest, "unreadable form")
	}
	return askForm{
		Kind: model.Kind(form.Get("kind")), Title: form.Get("title"), Body: form.Get("body"), ContentNote: form.Get("content_note"),
		Tags: form["tags"], Anonymous: form.Get("anonymous") == "on", PublishConsent: form.Get("publish_consent") == "on",
	}, nil
}

// askSubmit posts a new thread; a rejected one comes back with every word kept.
func (s *Server) askSubmit(c echo.Context) error {
	v := viewer(c)
	f, err := askFormOf(c)
	if err != nil {
		return err
	}
	if errs := cleanedFields(c, "title", "body", "content_note"); errs != nil && policy.CanAsk(v) {
		f.Errors = errs
		return s.renderAsk(c, http.StatusUnprocessableEntity, f)
	}
	t, err := s.forum.Ask(c.Request().Context(), v, forum.AskInput{Kind: f.Kind, Title: f.Title, Body: f.Body,
		ContentNote: f.ContentNote, Tags: f.Tags, Anonymous: f.Anonymous, PublishConsent: f.PublishConsent})
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		f.Errors = inv.Fields
		return s.renderAsk(c, http.StatusUnprocessableEntity, f)
	}
	if err != nil {
		return err
	}
	return s.redirect(c, threadURL(t))
}

// askDraft keeps the new-thread form as the member types (htmx, every few seconds).
func (s *Server) askDraft(c echo.Context) error {
	f, err := askFormOf(c)
	if err != nil {
		return err
	}
	return draftStatus(c, s.forum.SaveDraft(c.Request().Context(), viewer(c), forum.DraftKeyAsk(), forum.DraftInput{Kind: f.Kind,
		Title: f.Title, Body: f.Body, ContentNote: f.ContentNote, Tags: f.Tags, Anonymous: f.Anonymous,
		PublishConsent: f.PublishConsent}))
}

// draftStatus answers an autosave with a word beside the form: saved, or why not.
func draftStatus(c echo.Context, err error) error {
	var inv *model.InvalidError
	switch {
	case errors.As(err, &inv):
		return c.HTML(http.StatusUnprocessableEntity, `<span class="draft-status">`+html.EscapeString(invalidMessage(inv))+`</span>`)
	case err != nil:
		return err
	}
	return c.HTML(http.StatusOK, `<span class="draft-status">Draft saved</span>`)
}

// preview renders markdown as it will be shown (htmx, as the member types).
func (s *Server) preview(c echo.Context) error {
	if !policy.IsMember(viewer(c)) {
		return model.ErrForbidden
	}
	body := c.FormValue("body")
	if strings.TrimSpace(body) == "" {
		return c.HTML(http.StatusOK, `<p class="muted">The preview of your text appears here.</p>`)
	}
	out, err := s.forum.RenderMarkdown(body)
	var inv *model.InvalidError
	switch {
	case errors.As(err, &inv):
		return c.HTML(http.StatusUnprocessableEntity, `<p class="field-error">`+html.EscapeString(invalidMessage(inv))+`</p>`)
	case err != nil:
		return err
	}
	return c.HTML(http.StatusOK, out)
}

// replyForm is the reply form with what the member typed and what was wrong.
type replyForm struct {
	ThreadID    int64
	Body        string
	ContentNote string
	Anonymous   bool
	Error       string
	NoteError   string
	Restored    bool
	Names       postingNames
	CSRF        string
}

// Posting says beside the submit button under which name the reply will appear.
func (f replyForm) Posting() postingAs { return f.Names.as(f.Anonymous) }

// reply adds a reply. With htmx the new post is added in place and the form is emptied;
// without, the page reloads at the new post.
func (s *Server) reply(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	ctx := c.Request().Context()
	in := replyForm{ThreadID: id, Body: c.FormValue("body"), ContentNote: c.FormValue("content_note"), Anonymous: c.FormValue("anonymous") == "on"}
	if errs := cleanedFields(c, "body", "content_note"); errs != nil {
		t, err := s.store.ThreadByID(ctx, id)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		if t != nil && policy.CanReply(v, t) {
			in.Error, in.NoteError = errs["body"], errs["content_note"]
			return s.replyRejected(c, http.StatusUnprocessableEntity, id, in)
		}
		// Otherwise the operation says why the reply cannot be taken.
	}
	p, err := s.forum.Reply(ctx, v, id, forum.ReplyInput{Body: in.Body, ContentNote: in.ContentNote, Anonymous: in.Anonymous})
	var inv *model.InvalidError
	switch {
	case errors.As(err, &inv):
		in.Error, in.NoteError = inv.Fields["body"], inv.Fields["content_note"]
		return s.replyRejected(c, http.StatusUnprocessableEntity, id, in)
	case errors.Is(err, model.ErrForbidden) && policy.IsMember(v):
		// The thread was locked while the member wrote: keep their words.
		in.Error = "This thread was locked, so it takes no new replies. Your text is below, to keep for elsewhere."
		return s.replyRejected(c, http.StatusForbidden, id, in)
	case err != nil:
		return err
	}
	if !isFragment(c) {
		t, err := s.store.ThreadByID(ctx, id)
		if err != nil {
			return err
		}
		return s.redirect(c, threadURL(t)+"#post-"+strconv.FormatInt(p.ID, 10))
	}
	// The thread as it is now, with this reply: the page's heading, count and state change
	// with it, in the same answer (the snapshot is loaded once for the live updates too).
	snap, err := s.threads.get(ctx, id)
	if err != nil {
		return err
	}
	p.Author = v
	pv := newPostView(v, snap.thread, p)
	pv.CSRF = csrfToken(c)
	return s.renderPartial(c, http.StatusOK, "reply_added", replyAdded{Post: pv,
		Form: replyForm{ThreadID: id, Names: postingNamesOf(v), CSRF: csrfToken(c)}, Fragments: fragmentsOf(v, snap)})
}

// replyAdded is the answer to a reply posted in place: the new post, an empty form, and the
// parts of the page that change with a reply.
type replyAdded struct {
	Post      postView
	Form      replyForm
	Fragments threadFragments
}

// replyRejected shows the reply form again with the member's text and the message:
// in place for htmx, as the whole thread page otherwise.
func (s *Server) replyRejected(c echo.Context, status int, threadID int64, in replyForm) error {
	in.CSRF, in.Names = csrfToken(c), postingNamesOf(viewer(c))
	if isFragment(c) {
		c.Response().Header().Set("HX-Retarget", "#reply-form")
		c.Response().Header().Set("HX-Reswap", "outerHTML")
		return s.renderPartial(c, status, "reply_form", in)
	}
	t, err := s.store.ThreadByID(c.Request().Context(), threadID)
	if err != nil {
		return err
	}
	d, err := s.threadData(c, t, in)
	if err != nil {
		return err
	}
	d.CanReply = true // show the form with the member's text, even on a locked thread
	return s.render(c, status, "thread", "", d)
}

// replyDraft keeps the reply form as the member types (htmx).
func (s *Server) replyDraft(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx, v := c.Request().Context(), viewer(c)
	in := forum.DraftInput{Body: c.FormValue("body"), ContentNote: c.FormValue("content_note"), Anonymous: c.FormValue("anonymous") == "on"}
	if strings.TrimSpace(in.Body) == "" && strings.TrimSpace(in.ContentNote) == "" {
		// Nothing written (the text was cleared): no unsent reply to bring back.
		if !policy.IsMember(v) {
			return model.ErrForbidden
		}
		if err := s.forum.DiscardDraft(ctx, v, forum.DraftKeyReply(id)); err != nil {
			return err
		}
		return c.HTML(http.StatusOK, "")
	}
	return draftStatus(c, s.forum.SaveDraft(ctx, v, forum.DraftKeyReply(id), in))
}

// editForm is a post's edit form.
type editForm struct {
	PostID      int64
	Opening     bool
	Title       string
	Body        string
	ContentNote string
	Anonymous   bool
	Errors      map[string]string
	ThreadURL   string
	Names       postingNames
	CSRF        string
}

// Posting says beside the submit button under which name the post will appear.
func (f editForm) Posting() postingAs { return f.Names.as(f.Anonymous) }

// editInputOf reads the edit form. The form says that it offered the choice to post
// anonymously, so that a form without it (an older page) never changes the choice.
func editInputOf(c echo.Context) forum.EditInput {
	in := forum.EditInput{Title: c.FormValue("title"), Body: c.FormValue("body"), ContentNote: c.FormValue("content_note")}
	if c.FormValue("anonymity") == "offered" {
		anonymous := c.FormValue("anonymous") == "on"
		in.Anonymous = &anonymous
	}
	return in
}

// postEditForm shows the edit form of a post: in place for htmx, as a page otherwise.
func (s *Server) postEditForm(c echo.Context) error {
	p, t, err := s.viewablePost(c)
	if err != nil {
		return err
	}
	if !policy.CanEditPost(viewer(c), t, p) {
		return model.ErrForbidden
	}
	f := editForm{PostID: p.ID, Opening: p.Opening, Body: p.BodySource, ContentNote: p.ContentNote, Anonymous: p.Anonymous,
		ThreadURL: threadURL(t), Names: postingNamesOf(viewer(c)), CSRF: csrfToken(c)}
	if p.Opening {
		f.Title = t.Title
	}
	if isFragment(c) {
		return s.renderPartial(c, http.StatusOK, "post_edit_form", f)
	}
	return s.render(c, http.StatusOK, "post_edit", "", f)
}

// postEdit saves an edit; the earlier version is kept in the post's history.
func (s *Server) postEdit(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	in := editInputOf(c)
	if errs := cleanedFields(c, "title", "body", "content_note"); errs != nil {
		if op, ot, verr := s.viewablePost(c); verr == nil && policy.CanEditPost(v, ot, op) {
			return s.editRejected(c, op, ot, in, errs)
		}
		// Otherwise the operation says why the edit cannot be taken.
	}
	p, t, err := s.forum.EditPost(c.Request().Context(), v, id, in)
	var inv *model.InvalidError
	if errors.As(err, &inv) {
		op, ot, verr := s.viewablePost(c)
		if verr != nil {
			return verr
		}
		return s.editRejected(c, op, ot, in, inv.Fields)
	}
	if err != nil {
		return err
	}
	if isFragment(c) && !p.Opening {
		p.Author = v
		pv := newPostView(v, t, p)
		pv.CSRF = csrfToken(c)
		return s.renderPartial(c, http.StatusOK, "post", pv)
	}
	return s.redirect(c, threadURL(t)+"#post-"+strconv.FormatInt(p.ID, 10))
}

// editRejected shows the edit form of post p again, status 422, with the member's text
// and the messages beside its fields.
func (s *Server) editRejected(c echo.Context, p *model.Post, t *model.Thread, in forum.EditInput, errs map[string]string) error {
	f := editForm{PostID: p.ID, Opening: p.Opening, Title: in.Title, Body: in.Body, ContentNote: in.ContentNote,
		Anonymous: p.Anonymous, Errors: errs, ThreadURL: threadURL(t), Names: postingNamesOf(viewer(c)), CSRF: csrfToken(c)}
	if in.Anonymous != nil {
		f.Anonymous = *in.Anonymous
	}
	if isFragment(c) {
		return s.renderPartial(c, http.StatusUnprocessableEntity, "post_edit_form", f)
	}
	return s.render(c, http.StatusUnprocessableEntity, "post_edit", "", f)
}

type historyData struct {
	PostID    int64
	ThreadURL string
	Title     string
	Current   postView
	Revisions []revisionView
}

type revisionView struct {
	At     string
	Title  string
	Source string
}

// postHistory shows the earlier versions of an edited post.
func (s *Server) postHistory(c echo.Context) error {
	p, t, err := s.viewablePost(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	if !policy.CanViewHistory(v, t, p) {
		return model.ErrNotFound
	}
	revs, err := s.store.Revisions(c.Request().Context(), p.ID)
	if err != nil {
		return err
	}
	author, err := s.store.UserByID(c.Request().Context(), p.AuthorID)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	p.Author = author
	d := historyData{PostID: p.ID, ThreadURL: threadURL(t), Title: t.Title, Current: newPostView(v, t, p)}
	for _, r := range revs {
		if !policy.CanReadRevision(v, r) {
			// A version a moderator's edit replaced is for moderators only.
			continue
		}
		d.Revisions = append(d.Revisions, revisionView{At: r.CreatedAt.UTC().Format("2 January 2006, 15:04 UTC"), Title: r.Title, Source: r.BodySource})
	}
	return s.render(c, http.StatusOK, "post_history", "", d)
}

// postDeleteConfirm asks the author to confirm that their post goes: the confirm step
// without JavaScript (the Delete button's dialog does it with).
func (s *Server) postDeleteConfirm(c echo.Context) error {
	p, t, err := s.viewablePost(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	if !policy.CanDeletePost(v, t, p) {
		return model.ErrForbidden
	}
	p.Author = v
	pv := newPostView(v, t, p)
	return s.confirmStep(c, confirmData{Title: "Delete this post?", Message: "It cannot be undone: the post is replaced by a line saying that its author deleted it.",
		Action: "/p/" + strconv.FormatInt(p.ID, 10) + "/delete", Button: "Yes, delete it", Cancel: threadURL(t) + "#post-" + strconv.FormatInt(p.ID, 10), Post: &pv})
}

// postDelete deletes the member's own post, once confirmed.
func (s *Server) postDelete(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	if !confirmed(c) {
		return s.postDeleteConfirm(c)
	}
	t, err := s.forum.DeletePost(c.Request().Context(), viewer(c), id)
	if err != nil {
		return err
	}
	if t.Hidden {
		return s.redirect(c, withDone("/", "deleted"))
	}
	return s.redirect(c, withDone(threadURL(t), "deleted"))
}

// postModerate hides or restores a post (moderators) with a reason, told to its author.
// A hide is confirmed first; a missing or overlong reason is asked for again.
func (s *Server) postModerate(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	action, note := c.FormValue("action"), c.FormValue("note")
	if policy.CanModerate(v) {
		problem := policy.ReasonProblem(note)
		if problem != "" || (action == forum.ActionHide && !confirmed(c)) {
			p, t, err := s.viewablePost(c)
			if err != nil {
				return err
			}
			if !policy.CanModeratePost(v, p) {
				return model.ErrForbidden
			}
			author, err := s.store.UserByID(c.Request().Context(), p.AuthorID)
			if err != nil && !errors.Is(err, model.ErrNotFound) {
				return err
			}
			p.Author = author
			pv := newPostView(v, t, p)
			pv.CanModerate, pv.CanEdit, pv.CanDelete, pv.CanQuote, pv.CanMarkHelpful, pv.CanFlag = false, false, false, false, false, false
			d := confirmData{Title: "Hide this post?", Message: "Its author is told your reason; members no longer see it. You can restore it later.",
				Action: c.Request().URL.Path, Fields: formFields(c, "note"), Button: "Hide the post", Cancel: threadURL(t) + "#post-" + strconv.FormatInt(id, 10),
				AskReason: true, Reason: note, ReasonLabel: "Reason (required), told to the author", MaxReason: policy.MaxReason, Post: &pv}
			if action != forum.ActionHide && action != forum.ActionRestore {
				return model.Invalid("action", "Choose hide or restore.")
			}
			if action == forum.ActionRestore {
				d.Title, d.Message, d.Button = "Restore this post?", "Members see it again; its author is told your reason.", "Restore the post"
			}
			d.ReasonError = problem
			return s.confirmStep(c, d)
		}
	}
	t, err := s.forum.ModeratePost(c.Request().Context(), v, id, action, note)
	if err != nil {
		return err
	}
	return s.redirect(c, threadURL(t)+"#post-"+strconv.FormatInt(id, 10))
}

// threadModerate locks, pins, hides or restores a thread (moderators) with a reason. A
// hide is confirmed first; a missing or overlong reason is asked for again.
func (s *Server) threadModerate(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	action, note := c.FormValue("action"), c.FormValue("note")
	if policy.CanModerate(v) {
		problem := policy.ReasonProblem(note)
		if problem != "" || (action == forum.ActionHide && !confirmed(c)) {
			t, err := s.store.ThreadByID(c.Request().Context(), id)
			if err != nil {
				return err
			}
			d := confirmData{Title: "Hide this thread?", Message: "Members no longer see it, nor find it; you can restore it later.",
				Action: c.Request().URL.Path, Fields: formFields(c, "note"), Button: "Hide the thread", Cancel: threadURL(t),
				AskReason: true, Reason: note, ReasonLabel: "Reason (required), for the audit log", MaxReason: policy.MaxReason, ReasonError: problem}
			if action != forum.ActionHide {
				d.Title, d.Message, d.Button = "Why "+action+" this thread?", "The reason goes in the audit log.", "Yes, "+action+" it"
			}
			return s.confirmStep(c, d)
		}
	}
	t, err := s.forum.ModerateThread(c.Request().Context(), v, id, action, note)
	if err != nil {
		return err
	}
	return s.redirect(c, threadURL(t))
}

// threadHelpful marks (or, with unmark, takes back) the reply that helped the asker.
func (s *Server) threadHelpful(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v := viewer(c)
	if c.FormValue("unmark") != "" {
		err = s.forum.UnmarkHelpful(ctx, v, id)
	} else {
		postID, _ := strconv.ParseInt(c.FormValue("post"), 10, 64)
		err = s.forum.MarkHelpful(ctx, v, id, postID)
	}
	if err != nil {
		return err
	}
	t, err := s.store.ThreadByID(ctx, id)
	if err != nil {
		return err
	}
	return s.redirect(c, threadURL(t))
}

type linkForm struct {
	Other string
	Note  string
	Error string
}

// threadLink links the thread to another as related (experts and moderators). The other
// thread is given by its address or number.
func (s *Server) threadLink(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	v := viewer(c)
	form := linkForm{Other: c.FormValue("other"), Note: c.FormValue("note")}
	other := threadIDOf(form.Other)
	if c.FormValue("unlink") != "" {
		err = s.forum.UnlinkThreads(ctx, v, id, other)
	} else {
		err = s.forum.LinkThreads(ctx, v, id, other, form.Note)
	}
	var inv *model.InvalidError
	if errors.As(err, &inv) || errors.Is(err, model.ErrConflict) {
		form.Error = "These threads are already linked."
		if inv != nil {
			form.Error = invalidMessage(inv)
		}
		t, terr := s.store.ThreadByID(ctx, id)
		if terr != nil {
			return terr
		}
		d, derr := s.threadData(c, t, replyForm{})
		if derr != nil {
			return derr
		}
		d.Link = form
		return s.render(c, http.StatusUnprocessableEntity, "thread", "", d)
	}
	if err != nil {
		return err
	}
	t, err := s.store.ThreadByID(ctx, id)
	if err != nil {
		return err
	}
	return s.redirect(c, threadURL(t)+"#related")
}

// threadIDOf reads a thread number from "123", "#123" or a thread's address.
func threadIDOf(s string) int64 {
	s = strings.TrimSpace(s)
	if i := strings.Index(s, "/t/"); i >= 0 {
		s = s[i+3:]
		if j := strings.IndexByte(s, '/'); j >= 0 {
			s = s[:j]
		}
	}
	n, _ := strconv.ParseInt(strings.TrimPrefix(s, "#"), 10, 64)
	return n
}

// viewablePost loads the post of the :id parameter and its thread, if the viewer may see it.
func (s *Server) viewablePost(c echo.Context) (*model.Post, *model.Thread, error) {
	id, err := paramID(c)
	if err != nil {
		return nil, nil, err
	}
	v := viewer(c)
	if !policy.IsMember(v) {
		return nil, nil, model.ErrForbidden // visitors get the sign-in page
	}
	p, t, err := s.store.PostWithThread(c.Request().Context(), id)
	if err != nil {
		return nil, nil, err
	}
	if !policy.CanView(v, t) {
		return nil, nil, model.ErrNotFound
	}
	return p, t, nil
}
