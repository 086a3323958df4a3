package notify

import (
	"context"
	"regexp"
	"strings"
	"time"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// Notice is a notification as its recipient reads it now.
type Notice struct {
	ID   int64
	Kind model.NotifyKind
	// Text says what happened, naming people as the viewer may see them
	// (policy.ShowAuthor): an anonymous author is "A member of the community".
	Text string
	// Reason is a moderator's reason, on a notice of their action.
	Reason string
	// Thread is the thread the notice is about, when the viewer may read it now; PostID
	// the post to go to in it (0: the thread).
	Thread *model.Thread
	PostID int64
	// Href, when set, is where the notice leads instead of the thread (the member's held
	// posts, the moderators' queue).
	Href string
	// Gone: the notice is about something the viewer may no longer read; it says so and
	// nothing more.
	Gone      bool
	CreatedAt time.Time
	Read      bool
}

// goneText is what a notice says of something its reader may no longer read.
const goneText = "This was about something that is no longer available to you."

// Describe is notification n as viewer v (its recipient) may read it now, given the
// thread t and post p it is about and its actor, each nil where there is none or it is gone.
func Describe(v *model.User, n *model.Notification, t *model.Thread, p *model.Post, actor *model.User) Notice {
	out := Notice{ID: n.ID, Kind: n.Kind, CreatedAt: n.CreatedAt, Read: n.ReadAt != nil}
	if !policy.CanReadNotice(v, n.Kind, t, p) {
		out.Text, out.Gone = goneText, true
		return out
	}
	if t != nil && policy.CanView(v, t) {
		out.Thread = t
		if p != nil && !p.Opening {
			out.PostID = p.ID
		}
	}
	who := func(anonymous bool) string {
		s := policy.ShowAuthor(v, actor, anonymous)
		if s.Anonymous {
			return s.Name + " (anonymously)"
		}
		return s.Name
	}
	switch n.Kind {
	case model.NotifyReply:
		out.Text = who(p.Anonymous) + " replied"
	case model.NotifyAnswer:
		out.Text = "An expert answered your question"
	case model.NotifyMention:
		out.Text = who(p.Anonymous) + " mentioned you"
	case model.NotifyNewQuestion:
		what := "asked a new question"
		switch t.Kind {
		case model.KindDiscussion:
			what = "started a new discussion"
		case model.KindArticle:
			what = "wrote a new article"
		}
		out.Text = who(p.Anonymous) + " " + what + " in a topic you watch"
	case model.NotifyHelpful:
		out.Text = "Your reply was marked helpful"
	case model.NotifyApproved:
		out.Text = "Your membership was approved: welcome"
	case model.NotifyPostHidden:
		out.Text, out.Reason = "A moderator hid your post", n.Reason
	case model.NotifyPostRestored:
		out.Text, out.Reason = "A moderator restored your post", n.Reason
	case model.NotifyPostEdited:
		out.Text, out.Reason = "A moderator edited your post", n.Reason
	case model.NotifyFlagDanger:
		out.Text = "A member reported that someone may be in danger"
	case model.NotifyFlagHandled:
		// What was done, never who wrote the post nor its words.
		out.Text = n.Reason
		if out.Text == "" {
			out.Text = "A moderator handled a post you reported"
		}
	case model.NotifyPostApproved:
		out.Text = "A moderator published your post: everyone can read it now"
	case model.NotifyPostDeclined:
		out.Text, out.Reason, out.Href = "A moderator did not publish your post; your words are kept for you", n.Reason, "/held"
	case model.NotifyDanger:
		out.Text = "Words in a post suggest someone may be in danger: please look now"
		if p == nil {
			out.Href = "/mod/queue"
		}
	default:
		out.Text = "Something happened"
	}
	return out
}

// Notices is a page of a member's notifications, newest first.
type Notices struct {
	Notices []Notice
	// NextBefore continues after this page (0: the last page).
	NextBefore int64
	Unread     int
}

// noticesPerPage is how many notifications a page shows.
const noticesPerPage = 40

// Notices returns v's notifications with ids below before (0: from the newest).
func (s *Service) Notices(ctx context.Context, v *model.User, before int64) (Notices, error) {
	if !policy.CanReadNotices(v) {
		return Notices{}, model.ErrForbidden
	}
	ns, err := s.store.NotificationsOf(ctx, v.ID, before, noticesPerPage+1)
	if err != nil {
		return Notices{}, err
	}
	var out Notices
	if len(ns) > noticesPerPage {
		ns = ns[:noticesPerPage]
		out.NextBefore = ns[len(ns)-1].ID
	}
	out.Notices, err = s.describe(ctx, v, ns)
	if err != nil {
		return Notices{}, err
	}
	if out.Unread, err = s.store.UnreadNotificationCount(ctx, v.ID); err != nil {
		return Notices{}, err
	}
	return out, nil
}

// Notice returns one of v's notifications.
func (s *Service) Notice(ctx context.Context, v *model.User, id int64) (Notice, error) {
	if !policy.CanReadNotices(v) {
		return Notice{}, model.ErrForbidden
	}
	n, err := s.store.NotificationOf(ctx, v.ID, id)
	if err != nil {
		return Notice{}, err
	}
	out, err := s.describe(ctx, v, []*model.Notification{n})
	if err != nil {
		return Notice{}, err
	}
	return out[0], nil
}

// describe loads what notifications are about, in three queries, and describes each.
func (s *Service) describe(ctx context.Context, v *model.User, ns []*model.Notification) ([]Notice, error) {
	var threadIDs, postIDs, actorIDs []int64
	for _, n := range ns {
		if n.ThreadID != nil {
			threadIDs = append(threadIDs, *n.ThreadID)
		}
		if n.PostID != nil {
			postIDs = append(postIDs, *n.PostID)
		}
		if n.ActorID != nil {
			actorIDs = append(actorIDs, *n.ActorID)
		}
	}
	threads, err := s.store.ThreadRowsByIDs(ctx, threadIDs)
	if err != nil {
		return nil, err
	}
	posts, err := s.store.PostsByIDs(ctx, postIDs)
	if err != nil {
		return nil, err
	}
	actors, err := s.store.UsersByIDs(ctx, actorIDs)
	if err != nil {
		return nil, err
	}
	out := make([]Notice, 0, len(ns))
	for _, n := range ns {
		var (
			t     *model.Thread
			p     *model.Post
			actor *model.User
		)
		if n.ThreadID != nil {
			t = threads[*n.ThreadID]
		}
		if n.PostID != nil {
			p = posts[*n.PostID]
		}
		if n.ActorID != nil {
			actor = actors[*n.ActorID]
		}
		out = append(out, Describe(v, n, t, p, actor))
	}
	return out, nil
}

// UnreadCount returns how many of v's notifications are unread (0 for anyone who has none).
func (s *Service) UnreadCount(ctx context.Context, v *model.User) (int, error) {
	if !policy.CanReadNotices(v) {
		return 0, nil
	}
	return s.store.UnreadNotificationCount(ctx, v.ID)
}

// MarkRead marks one of v's notifications read.
func (s *Service) MarkRead(ctx context.Context, v *model.User, id int64) error {
	if !policy.CanReadNotices(v) {
		return model.ErrForbidden
	}
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		ok, err := tx.MarkNotificationRead(ctx, v.ID, id, now)
		if err == nil && !ok {
			err = model.ErrNotFound
		}
		return err
	})
}

// MarkAllRead marks every notification of v read.
func (s *Service) MarkAllRead(ctx context.Context, v *model.User) error {
	if !policy.CanReadNotices(v) {
		return model.ErrForbidden
	}
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error { return tx.MarkAllNotificationsRead(ctx, v.ID, now) })
}

// MaxCompletions is how many names a mention completion offers.
const MaxCompletions = 8

// namePrefix is what may start a pseudonym (app/forum's pseudonym rule).
var namePrefix = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.-]{0,29}$`)

// CompleteNames returns up to MaxCompletions pseudonyms of active members that start
// with prefix, for a member typing "@prefix": names only, never anything else of anyone,
// and never who wrote what.
func (s *Service) CompleteNames(ctx context.Context, v *model.User, prefix string) ([]string, error) {
	if !policy.CanCompleteNames(v) {
		return nil, model.ErrForbidden
	}
	prefix = strings.TrimPrefix(strings.TrimSpace(prefix), "@")
	if !namePrefix.MatchString(prefix) {
		return []string{}, nil
	}
	users, err := s.store.MembersByPrefix(ctx, prefix, v.ID, MaxCompletions)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(users))
	for _, u := range users {
		if policy.Mentionable(u) {
			names = append(names, u.Pseudonym)
		}
	}
	return names, nil
}
