package web

import (
	"bytes"
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

type homeData struct {
	Pinned     []threadItem
	Page       threadPage
	Unanswered []threadItem
	Tags       []*model.Tag
	CanAsk     bool
}

// home lists pinned threads, the latest activity (with "load more"), unanswered
// questions for experts, and the topics. Visitors see the latest published threads.
func (s *Server) home(c echo.Context) error {
	v := viewer(c)
	if !policy.IsMember(v) {
		if policy.IsPending(v) {
			return s.redirect(c, "/welcome")
		}
		return s.serveShared(c, sharedPage{key: "home:visitor", keys: []string{publicKey}, ttl: pageTTL, name: "home_visitor", nav: "home",
			load: func(ctx context.Context) (loadedPage, error) {
				public, err := s.store.Threads(ctx, store.ThreadQuery{Limit: 10, PublicOnly: true})
				if err != nil {
					return loadedPage{}, err
				}
				return loadedThreads(public, public), nil
			},
			view: func(v *model.User, val any) (any, error) { return threadItems(v, val.([]*model.Thread)), nil }})
	}
	type loaded struct {
		page               loadedList
		pinned, unanswered []*model.Thread
		tags               []*model.Tag
	}
	more := c.QueryParam("after") != "" && isFragment(c)
	sp := sharedPage{key: listKey(c, "home"), keys: []string{latestKey, unansweredKey, topicsKey}, ttl: pageTTL, name: "home", nav: "home",
		load: func(ctx context.Context) (loadedPage, error) {
			var l loaded
			notPinned := false
			threads, err := s.store.Threads(ctx, store.ThreadQuery{Pinned: &notPinned, Limit: pageSize + 1, After: parseCursor(c)})
			if err != nil {
				return loadedPage{}, err
			}
			l.page = listOf("/", threads)
			if !more && c.QueryParam("after") == "" {
				pinned := true
				if l.pinned, err = s.store.Threads(ctx, store.ThreadQuery{Limit: 5, Pinned: &pinned}); err != nil {
					return loadedPage{}, err
				}
				// Read for every member; shown to those who answer (CanSeeUnansweredQueue).
				if l.unanswered, err = s.store.Threads(ctx, store.ThreadQuery{Limit: 5, States: []model.State{model.StateOpen},
					Kinds: []model.Kind{model.KindQuestion}}); err != nil {
					return loadedPage{}, err
				}
			}
			if !more {
				if l.tags, err = s.store.Tags(ctx); err != nil {
					return loadedPage{}, err
				}
			}
			lp := loadedThreads(&l, l.page.threads, l.pinned, l.unanswered)
			lp.size += 200 * len(l.tags)
			return lp, nil
		},
		view: func(v *model.User, val any) (any, error) {
			l := val.(*loaded)
			page := threadPage{Items: threadItems(v, l.page.threads), Next: l.page.next}
			if more {
				return &page, nil
			}
			d := &homeData{Page: page, CanAsk: policy.CanAsk(v), Pinned: threadItems(v, l.pinned), Tags: l.tags}
			if policy.CanSeeUnansweredQueue(v) {
				d.Unanswered = threadItems(v, l.unanswered)
			}
			return d, nil
		}}
	if more {
		sp.block = "thread_page"
	}
	return s.serveShared(c, sp)
}

type threadData struct {
	Thread threadItem
	// Unread links to the first post new to the member ("1 new reply: jump to it"), or is
	// its slot in cached content.
	Unread  template.HTML
	Opening postView
	Helpful *postView
	Replies []postView
	Linked  []relatedView
	Related []threadItem
	Reply   replyForm
	// ReplyHTML stands in for the reply form in content that is cached for many viewers.
	ReplyHTML   template.HTML
	CanReply    bool
	CanLink     bool
	CanModerate bool
	// CanFollow shows the follow form: Follow, or in content cached for many viewers
	// FollowHTML, which stands in for each viewer's own.
	CanFollow  bool
	Follow     followForm
	FollowHTML template.HTML
	// CanUnmarkHelpful offers to take back the helpful mark.
	CanUnmarkHelpful bool
	// Public archive: the asker's consent, and publishing by experts and moderators.
	CanSetConsent bool
	Consent       bool
	Published     bool
	CanPublish    bool
	CanUnpublish  bool
	Link          linkForm
	CSRF          string
	// AskerWaits tells the asker of an unanswered question what happens next.
	AskerWaits bool
	// JoinHref, for a reader who is not a member, invites them to join and ask: the
	// sign-in that brings them back here. AwaitingApproval: the reader has asked already.
	JoinHref         string
	AwaitingApproval bool
	// Danger shows the crisis box: a post's words suggest someone may be in danger.
	Danger bool
	// Move offers moderators the thread's topics and a merge into another thread.
	Move *moveForm
	// Held are the viewer's replies waiting for review (shown to them alone), outside
	// content cached for many viewers, where they go in the reply form's slot.
	Held []heldView
}

type relatedView struct {
	Item threadItem
	Note string
}

// thread shows a thread: the opening post, the reply marked helpful, every reply, related
// threads and the reply form. Its queries do not grow with the number of posts.
func (s *Server) thread(c echo.Context) error {
	id, err := paramID(c)
	if err != nil {
		return err
	}
	v := viewer(c)
	snap, err := s.threads.get(c.Request().Context(), id)
	if err != nil && !errors.Is(err, model.ErrNotFound) {
		return err
	}
	if snap != nil && snap.thread.MergedInto != nil && c.Request().Method == http.MethodGet {
		// A duplicate merged into another thread: its address leads there, for whoever may
		// read that one.
		return s.mergedRedirect(c, v, *snap.thread.MergedInto)
	}
	if snap == nil || !policy.CanView(v, snap.thread) {
		if !policy.IsMember(v) {
			// Nothing of a members-only thread, not even whether it exists, reaches others.
			return s.membersOnly(c, v)
		}
		return model.ErrNotFound
	}
	t := snap.thread
	if c.Param("slug") != t.Slug && c.Request().Method == http.MethodGet {
		return c.Redirect(http.StatusMovedPermanently, threadURL(t))
	}
	c.Set(liveKey, liveThreadURL(snap))
	news, err := s.readThread(c, snap)
	if err != nil {
		return err
	}
	if s.cfg.Dev {
		d, err := s.threadView(c, snap, replyForm{}, csrfToken(c))
		if err != nil {
			return err
		}
		d.showNews(news)
		return s.render(c, http.StatusOK, "thread", "", d)
	}
	// The content is rendered once per kind of viewer, with slots for this viewer's CSRF
	// token and reply form.
	related, err := s.snapshotRelated(c.Request().Context(), snap, policy.IsMember(v))
	if err != nil {
		return err
	}
	content, err := snap.cachedContent(snap.audience(v, related), func() (string, error) {
		d, err := s.threadView(c, snap, replyForm{}, csrfSlot)
		if err != nil {
			return "", err
		}
		d.ReplyHTML = template.HTML(replySlot) //nolint:gosec // a constant
		d.newsSlots()
		return s.renderBlock("thread", "content", page{SiteName: SiteName, Viewer: v, CSRF: csrfSlot, Data: d})
	})
	if err != nil {
		return err
	}
	csrf := csrfToken(c)
	var reply slotted
	if policy.CanReply(v, t) {
		form, err := s.replyFormOf(c, snap, replyForm{}, csrfSlot)
		if err != nil {
			return err
		}
		render := func() (string, error) { return s.renderBlock("thread", "reply_form", form) }
		if form.Body == "" && !form.Restored {
			// Shared by every member who may reply: their own name goes in a slot.
			form.Names.Named = nameSlot
			reply, err = snap.emptyReplyForm(render)
		} else {
			var h string
			h, err = render()
			reply = splitSlots(h)
		}
		if err != nil {
			return err
		}
	}
	var followHTML slotted
	if policy.CanFollowThread(v, t) {
		if followHTML, err = s.threadFollowHTML(c, t); err != nil {
			return err
		}
	}
	held, err := s.heldHTML(v, snap, csrf)
	if err != nil {
		return err
	}
	pp := &prepared{title: t.Title, content: content}
	pp.fill = func(w *bytes.Buffer, k slot, arg int64) {
		switch k {
		case slotFollow:
			followHTML.write(w, pp.fill)
		case slotCSRF:
			w.WriteString(csrf)
		case slotReply:
			w.WriteString(string(held))
			reply.write(w, pp.fill)
		case slotName:
			w.WriteString(template.HTMLEscapeString(policy.PostingAs(v, false)))
		case slotUnread:
			w.WriteString(string(news.jump))
		case slotBeforePost:
			if news.first != 0 && arg == news.first {
				w.WriteString(string(news.divider))
			}
		}
	}
	return s.renderPrepared(c, http.StatusOK, "thread", "", pp)
}

// heldHTML renders v's replies to the thread of snap that wait for review, for v alone.
func (s *Server) heldHTML(v *model.User, snap *threadSnapshot, csrf string) (template.HTML, error) {
	held := snap.heldOf(v)
	if len(held) == 0 {
		return "", nil
	}
	views := make([]heldView, len(held))
	for i, h := range held {
		views[i] = newHeldView(v, h, nil, csrf)
	}
	h, err := s.renderBlock("thread", "held_replies", views)
	return template.HTML(h), err //nolint:gosec // rendered by html/template
}

// liveThreadURL is the address of the live updates of the thread page of snap: it names the
// newest post the page shows, so that its stream begins after it.
func liveThreadURL(snap *threadSnapshot) string {
	var newest int64
	for _, p := range snap.posts {
		newest = max(newest, p.ID)
	}
	return "/live/thread/" + strconv.FormatInt(snap.thread.ID, 10) + "?after=" + strconv.FormatInt(newest, 10)
}

// threadData gathers what the thread page of t shows. reply is the reply form's content
// (a rejected reply comes back in it); when empty, the member's saved draft or a quote
// fills it.
func (s *Server) threadData(c echo.Context, t *model.Thread, reply replyForm) (threadData, error) {
	snap, err := s.threads.get(c.Request().Context(), t.ID)
	if err != nil {
		return threadData{}, err
	}
	return s.threadView(c, snap, reply, csrfToken(c))
}

// snapshotRelated returns the related threads of a snapshot for members or visitors.
func (s *Server) snapshotRelated(ctx context.Context, snap *threadSnapshot, member bool) ([]*model.Thread, error) {
	exclude := make([]int64, 0, len(snap.links))
	for _, l := range snap.links {
		exclude = append(exclude, l.Thread.ID)
	}
	return snap.relatedThreads(!member, func() ([]*model.Thread, error) {
		return s.relatedThreads(ctx, snap.thread, exclude, !member)
	})
}

// threadView builds the thread page from a snapshot, with csrf in its forms; see threadData.
func (s *Server) threadView(c echo.Context, snap *threadSnapshot, reply replyForm, csrf string) (threadData, error) {
	ctx := c.Request().Context()
	v, t, posts := viewer(c), snap.thread, snap.posts
	d := threadData{Thread: newThreadItem(v, t), CanReply: policy.CanReply(v, t), CanLink: policy.CanLinkThreads(v),
		CanModerate: policy.CanModerate(v), CanFollow: policy.CanFollowThread(v, t), CSRF: csrf}
	d.Thread.HiddenReplies = hiddenReplies(v, posts)
	switch {
	case d.CanFollow && csrf == csrfSlot:
		d.FollowHTML = template.HTML(followSlot) //nolint:gosec // a constant
	case d.CanFollow:
		level, err := s.notify.ThreadLevel(ctx, v, t)
		if err != nil {
			return threadData{}, err
		}
		d.Follow = threadFollowForm(v, t, level, threadURL(t), csrf)
	}
	d.Opening, d.Helpful, d.Replies = postViews(v, t, posts, d.CSRF)
	d.CanUnmarkHelpful = d.Helpful != nil && policy.CanUnmarkHelpful(v, t)
	for _, l := range snap.links {
		if policy.CanView(v, l.Thread) {
			d.Linked = append(d.Linked, relatedView{Item: newThreadItem(v, l.Thread), Note: l.Note})
		}
	}
	auto, err := s.snapshotRelated(ctx, snap, policy.IsMember(v))
	if err != nil {
		return threadData{}, err
	}
	for _, r := range auto {
		if policy.CanView(v, r) {
			d.Related = append(d.Related, newThreadItem(v, r))
		}
	}
	d.CanSetConsent, d.Consent = policy.CanSetPublishConsent(v, t), t.PublishConsent
	d.Published = t.Visibility == model.VisibilityPublic
	d.CanPublish = !d.Published && policy.CanPublish(v, t)
	d.CanUnpublish = d.Published && policy.CanUnpublish(v, t)
	d.AskerWaits = policy.IsAskerAwaitingAnswer(v, t)
	d.Danger = snap.danger
	if policy.CanMoveThread(v, t) {
		all, err := s.store.Tags(ctx)
		if err != nil {
			return threadData{}, err
		}
		d.Move = &moveForm{AllTags: all}
		for _, tag := range t.Tags {
			d.Move.Tags = append(d.Move.Tags, tag.Slug)
		}
	}
	if csrf != csrfSlot {
		for _, h := range snap.heldOf(v) {
			d.Held = append(d.Held, newHeldView(v, h, nil, csrf))
		}
	}
	switch {
	case policy.IsPending(v):
		d.AwaitingApproval = true
	case !policy.IsMember(v):
		d.JoinHref = withNext("/login", threadURL(t))
	}
	if d.Reply, err = s.replyFormOf(c, snap, reply, d.CSRF); err != nil {
		return threadData{}, err
	}
	return d, nil
}

// replyFormOf fills the reply form of a thread page. reply is its content (a rejected
// reply comes back in it); when empty, a quote asked for or the member's saved draft
// fills it.
func (s *Server) replyFormOf(c echo.Context, snap *threadSnapshot, reply replyForm, csrf string) (replyForm, error) {
	v, t := viewer(c), snap.thread
	reply.ThreadID, reply.CSRF, reply.Names = t.ID, csrf, postingNamesOf(v)
	if !policy.CanReply(v, t) || reply.Body != "" || reply.Error != "" {
		return reply, nil
	}
	if q, _ := strconv.ParseInt(c.QueryParam("quote"), 10, 64); q > 0 {
		reply.Body = quoteOf(t, snap.posts, q)
		return reply, nil
	}
	draft, err := s.forum.Draft(c.Request().Context(), v, forum.DraftKeyReply(t.ID))
	if err != nil {
		return replyForm{}, err
	}
	if draft != nil {
		reply.Body, reply.ContentNote, reply.Anonymous, reply.Restored = draft.Body, draft.ContentNote, draft.Anonymous, true
	}
	return reply, nil
}

// postViews returns the posts of thread t as viewer v sees them: the opening post, the reply
// marked helpful (shown once, right under the question) and the other replies.
func postViews(v *model.User, t *model.Thread, posts []*model.Post, csrf string) (opening postView, helpful *postView, replies []postView) {
	for _, p := range posts {
		pv := newPostView(v, t, p)
		pv.CSRF = csrf
		switch {
		case p.Opening:
			opening = pv
		case pv.Helpful && pv.Removed == "":
			h := pv
			helpful = &h
		default:
			replies = append(replies, pv)
		}
	}
	return opening, helpful, replies
}

// threadFragments are the parts of the thread page that change as replies come and the
// question is answered (views/partials/live.html): the state badge, the count of replies,
// the heading over them and the note that tells the asker what happens next.
type threadFragments struct {
	Thread threadItem
	// Replies: replies are listed beside the one marked helpful; Helpful: one is.
	Replies, Helpful bool
	// AskerWaits: the viewer asked the question and nobody answered yet.
	AskerWaits bool
	// OOB marks each fragment to be swapped by its id, outside the target of a response.
	OOB bool
}

// Fragments returns the page's changing parts as it shows them.
func (d threadData) Fragments() threadFragments {
	return threadFragments{Thread: d.Thread, Replies: len(d.Replies) > 0, Helpful: d.Helpful != nil, AskerWaits: d.AskerWaits}
}

// fragmentsOf returns the changing parts of the thread page of snap as v sees them, to be
// swapped out of band.
func fragmentsOf(v *model.User, snap *threadSnapshot) threadFragments {
	_, helpful, replies := postViews(v, snap.thread, snap.posts, "")
	item := newThreadItem(v, snap.thread)
	item.HiddenReplies = hiddenReplies(v, snap.posts)
	return threadFragments{Thread: item, Replies: len(replies) > 0, Helpful: helpful != nil,
		AskerWaits: policy.IsAskerAwaitingAnswer(v, snap.thread), OOB: true}
}

// relatedThreads blends threads that share topics with threads whose words are alike
// (from the search index), alternating, up to five; links already shown are left out.
func (s *Server) relatedThreads(ctx context.Context, t *model.Thread, exclude []int64, publicOnly bool) ([]*model.Thread, error) {
	byTags, err := s.store.ThreadsSharingTags(ctx, t.ID, exclude, 5)
	if err != nil {
		return nil, err
	}
	if s.search == nil {
		return byTags, nil
	}
	similar, err := s.similarCache.Similar(ctx, t.ID, t.Title, publicOnly, 5)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{t.ID: true}
	for _, id := range exclude {
		seen[id] = true
	}
	var textIDs []int64
	for _, id := range similar {
		if !seen[id] {
			textIDs = append(textIDs, id)
		}
	}
	byText, err := s.store.ThreadsByIDs(ctx, textIDs)
	if err != nil {
		return nil, err
	}
	var out []*model.Thread
	for i := 0; len(out) < 5 && (i < len(byTags) || i < len(byText)); i++ {
		for _, list := range [][]*model.Thread{byTags, byText} {
			if i < len(list) && !seen[list[i].ID] && len(out) < 5 && !list[i].Hidden {
				seen[list[i].ID] = true
				out = append(out, list[i])
			}
		}
	}
	return out, nil
}

// quoteOf returns the markdown quote of post id, attributed as the thread's readers see
// its author (policy.QuoteName): never with the name behind an anonymous post, even when
// a moderator, who sees it, quotes.
func quoteOf(t *model.Thread, posts []*model.Post, id int64) string {
	for _, p := range posts {
		if p.ID == id && p.DeletedAt == nil && p.HiddenAt == nil {
			lines := strings.Split(strings.TrimSpace(p.BodySource), "\n")
			for i, l := range lines {
				lines[i] = "> " + l
			}
			return policy.QuoteName(t, p.Author, p.Anonymous) + " wrote:\n" + strings.Join(lines, "\n") + "\n\n"
		}
	}
	return ""
}

// crisis lists crisis lines; it is one click from every page.
func (s *Server) crisis(c echo.Context) error {
	return s.render(c, http.StatusOK, "crisis", "crisis", nil)
}

// membersOnly answers a request for members-only content from someone who is not a member:
// visitors get the sign-in page, pending accounts the page that says what happens next.
func (s *Server) membersOnly(c echo.Context, v *model.User) error {
	if policy.IsPending(v) {
		return s.redirect(c, "/welcome")
	}
	if v == nil {
		return errSignInRequired
	}
	return model.ErrForbidden
}
