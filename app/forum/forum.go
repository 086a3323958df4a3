// Package forum holds the operations people do on the forum: ask, reply, mark helpful.
// Each checks the rules (app/policy), validates the input and writes in one transaction,
// together with the change-log rows that keep the search index in step.
package forum

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"forum/app/markdown"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// Limits on what members write.
const (
	MaxTitle       = 150
	MinTitle       = 8
	MaxBody        = 50_000
	MaxContentNote = 80
	MaxTags        = 5
)

// Service runs the forum's operations.
type Service struct {
	store *store.Store
	md    *markdown.Renderer
	// Now is the clock; the demo seeder sets it to write a board with a past.
	Now func() time.Time
	// AfterEvent, when set, is called after the commit of every change that wrote a notify
	// event (app/notify's Poke), so that its notifications are written at once.
	AfterEvent func()
}

// New returns a Service.
func New(st *store.Store, md *markdown.Renderer) *Service {
	return &Service{store: st, md: md, Now: func() time.Time { return time.Now().UTC() }}
}

func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// eventWritten tells the fan-out that a committed change wrote a notify event.
func (s *Service) eventWritten() {
	if s.AfterEvent != nil {
		s.AfterEvent()
	}
}

// event is a notify event of kind by actor about post p of thread t.
func event(kind model.NotifyKind, actor *model.User, t *model.Thread, p *model.Post, at time.Time) *model.NotifyEvent {
	e := &model.NotifyEvent{Kind: kind, CreatedAt: at}
	if actor != nil && actor.ID != 0 {
		e.ActorID = &actor.ID
	}
	if t != nil {
		e.ThreadID = &t.ID
	}
	if p != nil {
		e.PostID = &p.ID
	}
	return e
}

// AskInput is a new thread as submitted.
type AskInput struct {
	Kind        model.Kind // model.KindQuestion by default
	Title       string
	Body        string
	ContentNote string
	Tags        []string // tag slugs
	Anonymous   bool
	// PublishConsent: the asker agrees that the question may be published to the public archive.
	PublishConsent bool
}

// Ask starts a thread: a question, a discussion or (experts) an article.
func (s *Service) Ask(ctx context.Context, author *model.User, in AskInput) (*model.Thread, error) {
	if in.Kind == "" {
		in.Kind = model.KindQuestion
	}
	switch in.Kind {
	case model.KindQuestion, model.KindDiscussion:
		if !policy.CanAsk(author) {
			return nil, model.ErrForbidden
		}
	case model.KindArticle:
		if !policy.CanWriteArticle(author) {
			return nil, model.ErrForbidden
		}
	default:
		return nil, model.Invalid("kind", "Choose a question, a discussion or an article.")
	}
	in.Title = strings.TrimSpace(in.Title)
	in.ContentNote = strings.TrimSpace(in.ContentNote)
	inv := &model.InvalidError{}
	validateTitle(inv, in.Title)
	validateBody(inv, in.Body)
	validateNote(inv, in.ContentNote)
	slugs := dedupe(in.Tags)
	switch {
	case len(slugs) == 0:
		inv.Add("tags", "Choose at least one tag, so the right people find your question.")
	case len(slugs) > MaxTags:
		inv.Add("tags", fmt.Sprintf("Choose at most %d tags.", MaxTags))
	}
	if err := inv.Err(); err != nil {
		return nil, err
	}
	html, err := s.render(in.Body)
	if err != nil {
		return nil, err
	}

	now := s.now()
	t := &model.Thread{
		Kind: in.Kind, Title: in.Title, Slug: Slugify(in.Title), AuthorID: author.ID,
		Anonymous: in.Anonymous, Visibility: model.VisibilityMembers, State: model.StateOpen, PublishConsent: in.PublishConsent,
		CreatedAt: now, UpdatedAt: now, LastActivityAt: now,
	}
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		tags, err := tx.TagsBySlugs(ctx, slugs)
		if err != nil {
			return err
		}
		if len(tags) != len(slugs) {
			return model.Invalid("tags", "Choose tags from the list; "+unknownTags(slugs, tags)+" is not one of them.")
		}
		ids := make([]int64, len(tags))
		for i, tag := range tags {
			ids[i] = tag.ID
		}
		if err := tx.InsertThread(ctx, t, ids); err != nil {
			return err
		}
		p := &model.Post{
			ThreadID: t.ID, AuthorID: author.ID, Anonymous: in.Anonymous, Opening: true,
			BodySource: in.Body, BodyHTML: html, ContentNote: in.ContentNote,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.InsertPost(ctx, p); err != nil {
			return err
		}
		// The asker has read their own question: an answer to it shows as new to them.
		if err := tx.SaveReadPositions(ctx, []model.ThreadRead{{UserID: author.ID, ThreadID: t.ID, LastReadPostID: p.ID, ReadAt: now}}); err != nil {
			return err
		}
		if err := tx.DeleteDraft(ctx, author.ID, DraftKeyAsk()); err != nil {
			return err
		}
		// The asker hears of every reply; watchers of its topics hear of the new thread.
		if err := tx.AutoFollowThread(ctx, author.ID, t.ID, model.LevelWatching, now); err != nil {
			return err
		}
		if err := tx.InsertNotifyEvent(ctx, event(model.NotifyNewQuestion, author, t, p, now)); err != nil {
			return err
		}
		return tx.AddChange(ctx, "thread", t.ID, t.ID, "create", now)
	})
	if err != nil {
		return nil, err
	}
	s.eventWritten()
	return t, nil
}

// ReplyInput is a reply as submitted.
type ReplyInput struct {
	Body        string
	ContentNote string
	Anonymous   bool
}

// Reply adds a reply to a thread. A reply by an expert, not posted anonymously, marks an
// open question answered.
func (s *Service) Reply(ctx context.Context, author *model.User, threadID int64, in ReplyInput) (*model.Post, error) {
	in.ContentNote = strings.TrimSpace(in.ContentNote)
	inv := &model.InvalidError{}
	validateBody(inv, in.Body)
	validateNote(inv, in.ContentNote)
	if err := inv.Err(); err != nil {
		return nil, err
	}
	html, err := s.render(in.Body)
	if err != nil {
		return nil, err
	}
	now := s.now()
	var p *model.Post
	err = s.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := s.threadFor(ctx, tx, author, threadID, policy.CanReply)
		if err != nil {
			return err
		}
		p = &model.Post{
			ThreadID: t.ID, AuthorID: author.ID, Anonymous: in.Anonymous,
			Expert:     policy.IsExpertAnswer(author, in.Anonymous),
			BodySource: in.Body, BodyHTML: html, ContentNote: in.ContentNote,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.InsertPost(ctx, p); err != nil {
			return err
		}
		t.ReplyCount++
		t.LastActivityAt = now
		t.UpdatedAt = now
		if p.Expert && t.State == model.StateOpen {
			t.State = model.StateAnswered
		}
		if err := tx.UpdateThread(ctx, t, "reply_count", "last_activity_at", "updated_at", "state"); err != nil {
			return err
		}
		if err := tx.DeleteDraft(ctx, author.ID, DraftKeyReply(t.ID)); err != nil {
			return err
		}
		// One event, whatever the number of watchers: the fan-out finds them after the commit.
		if err := tx.AutoFollowThread(ctx, author.ID, t.ID, model.LevelNormal, now); err != nil {
			return err
		}
		kind := model.NotifyReply
		if policy.ShowsAsExpertAnswer(p) && t.Kind == model.KindQuestion {
			kind = model.NotifyAnswer
		}
		if err := tx.InsertNotifyEvent(ctx, event(kind, author, t, p, now)); err != nil {
			return err
		}
		return tx.AddChange(ctx, "post", p.ID, t.ID, "create", now)
	})
	if err != nil {
		return nil, err
	}
	s.eventWritten()
	return p, nil
}

// MarkHelpful marks a reply as the one that helped the asker; the question becomes resolved.
func (s *Service) MarkHelpful(ctx context.Context, actor *model.User, threadID, postID int64) error {
	now := s.now()
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		t, err := s.threadFor(ctx, tx, actor, threadID, policy.CanMarkHelpful)
		if err != nil {
			return err
		}
		p, err := tx.PostByID(ctx, postID)
		if err != nil {
			return err
		}
		if !policy.CanMarkReplyHelpful(actor, t, p) {
			return model.Invalid("post", "Only a reply in this thread can be marked helpful.")
		}
		// A mark kept for a hidden reply gives way to the one chosen now.
		t.HelpfulPostID, t.HeldHelpfulPostID = &p.ID, nil
		t.State = model.StateResolved
		t.UpdatedAt = now
		if err := tx.UpdateThread(ctx, t, "helpful_post_id", "held_helpful_post_id", "state", "updated_at"); err != nil {
			return err
		}
		e := event(model.NotifyHelpful, actor, t, p, now)
		e.UserID = &p.AuthorID
		if err := tx.InsertNotifyEvent(ctx, e); err != nil {
			return err
		}
		return tx.AddChange(ctx, "thread", t.ID, t.ID, "update", now)
	})
	if err != nil {
		return err
	}
	s.eventWritten()
	return nil
}

// threadFor loads a thread for a change by actor: not found when the actor may not read
// it, forbidden when allowed says no.
func (s *Service) threadFor(ctx context.Context, tx *store.Tx, actor *model.User, threadID int64,
	allowed func(*model.User, *model.Thread) bool) (*model.Thread, error) {
	t, err := tx.ThreadForUpdate(ctx, threadID)
	if err != nil {
		return nil, err
	}
	if !policy.CanView(actor, t) {
		return nil, model.ErrNotFound
	}
	if !allowed(actor, t) {
		return nil, model.ErrForbidden
	}
	return t, nil
}

func validateTitle(inv *model.InvalidError, title string) {
	n := utf8.RuneCountInString(title)
	switch {
	case n == 0:
		inv.Add("title", "Give your question a title.")
	case n < MinTitle:
		inv.Add("title", fmt.Sprintf("Use a few more words in the title (at least %d characters).", MinTitle))
	case n > MaxTitle:
		inv.Add("title", fmt.Sprintf("Keep the title under %d characters; it has %d. The details can go in the text below.", MaxTitle, n))
	}
}

func validateBody(inv *model.InvalidError, body string) {
	n := utf8.RuneCountInString(body)
	switch {
	case strings.TrimSpace(body) == "":
		inv.Add("body", "Write a few words before posting.")
	case n > MaxBody:
		inv.Add("body", fmt.Sprintf("This is %d characters; the limit is %d. Split it into two posts, or shorten it.", n, MaxBody))
	case !utf8.ValidString(body):
		inv.Add("body", "The text contains characters that are not valid UTF-8.")
	}
}

func validateNote(inv *model.InvalidError, note string) {
	if utf8.RuneCountInString(note) > MaxContentNote {
		inv.Add("content_note", fmt.Sprintf("Keep the content note under %d characters.", MaxContentNote))
	}
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func unknownTags(slugs []string, found []*model.Tag) string {
	known := map[string]bool{}
	for _, t := range found {
		known[t.Slug] = true
	}
	var missing []string
	for _, s := range slugs {
		if !known[s] {
			missing = append(missing, fmt.Sprintf("%q", quotedPrefix(s)))
		}
	}
	return strings.Join(missing, ", ")
}

// maxQuoted is how many characters of what someone typed a message quotes back.
const maxQuoted = 30

// quotedPrefix cuts what someone typed to a short prefix, for a message that quotes it:
// a message never echoes a whole input, which may be as long as the body limit.
func quotedPrefix(s string) string {
	if utf8.RuneCountInString(s) <= maxQuoted {
		return s
	}
	return string([]rune(s)[:maxQuoted]) + "…"
}

// Slugify makes the URL slug of a title: lowercase ASCII words joined by hyphens.
func Slugify(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		switch {
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	s := strings.Trim(b.String(), "-")
	if s == "" {
		return "thread"
	}
	return s
}

// RenderMarkdown renders text as a post would show it (for the live preview). Text that
// could not be posted is refused with the message posting would give.
func (s *Service) RenderMarkdown(source string) (string, error) {
	if n := utf8.RuneCountInString(source); n > MaxBody {
		return "", model.Invalid("body", fmt.Sprintf("This is %d characters; the limit is %d. Split it into two posts, or shorten it.", n, MaxBody))
	}
	return s.render(source)
}

// render renders a post's text; text whose HTML would be too large is invalid, not a failure.
func (s *Service) render(body string) (string, error) {
	html, err := s.md.Render(body)
	if errors.Is(err, markdown.ErrTooLarge) {
		return "", model.Invalid("body", "This text would make a page too large to show. Split it into two posts, or shorten it.")
	}
	return html, err
}
