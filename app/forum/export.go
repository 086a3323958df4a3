package forum

import (
	"context"
	"time"

	"forum/app/model"
	"forum/app/notify"
)

// Export is everything the forum holds about a member, as the member downloads it.
type Export struct {
	ExportedAt time.Time        `json:"exported_at"`
	Account    ExportAccount    `json:"account"`
	Identities []ExportIdentity `json:"sign_in_identities"`
	Sessions   []ExportSession  `json:"sessions"`
	Threads    []ExportThread   `json:"threads_started"`
	Posts      []ExportPost     `json:"posts"`
	// Held: posts that waited for a moderator's review, with what became of them.
	Held []ExportHeldPost `json:"posts_held_for_review,omitempty"`
	// Notifications: what the member follows, what they were told and how they want e-mail.
	Notifications ExportNotifications `json:"notifications"`
}

// ExportNotifications is the following and notifications part of an Export.
type ExportNotifications struct {
	// Email is the delivery chosen (or the default) of each kind: now, digest or never.
	Email       map[string]string    `json:"email_delivery"`
	EmailTitles bool                 `json:"email_includes_thread_titles"`
	Following   []ExportFollow       `json:"following"`
	Received    []ExportNotification `json:"received"`
}

// ExportFollow is a thread or topic the member follows.
type ExportFollow struct {
	ThreadID *int64    `json:"thread_id,omitempty"`
	TopicID  *int64    `json:"topic_id,omitempty"`
	Level    string    `json:"level"`
	Auto     bool      `json:"automatic"`
	Since    time.Time `json:"since"`
}

// ExportNotification is a notification the member received. Who caused it is left out:
// it may be the author of an anonymous post.
type ExportNotification struct {
	Kind      string     `json:"kind"`
	ThreadID  *int64     `json:"thread_id,omitempty"`
	PostID    *int64     `json:"post_id,omitempty"`
	Reason    string     `json:"moderator_reason,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ReadAt    *time.Time `json:"read_at,omitempty"`
}

// ExportAccount is the account part of an Export.
type ExportAccount struct {
	ID         int64      `json:"id"`
	Pseudonym  string     `json:"pseudonym"`
	Email      string     `json:"email"`
	Name       string     `json:"name_from_sign_in_provider"`
	Role       string     `json:"role"`
	Status     string     `json:"status"`
	Credential string     `json:"credential,omitempty"`
	Bio        string     `json:"bio"`
	JoinReason string     `json:"what_brings_you_here,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ApprovedAt *time.Time `json:"approved_at,omitempty"`
}

// ExportIdentity is a sign-in identity in an Export.
type ExportIdentity struct {
	Provider   string    `json:"provider"`
	Issuer     string    `json:"issuer"`
	Email      string    `json:"email"`
	CreatedAt  time.Time `json:"created_at"`
	LastUsedAt time.Time `json:"last_used_at"`
}

// ExportSession is a signed-in browser in an Export.
type ExportSession struct {
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	UserAgent  string    `json:"user_agent"`
	IP         string    `json:"ip"`
}

// ExportThread is a thread the member started.
type ExportThread struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Anonymous bool      `json:"anonymous"`
	CreatedAt time.Time `json:"created_at"`
}

// ExportPost is a post the member wrote, in the markdown they wrote it in.
type ExportPost struct {
	ID          int64      `json:"id"`
	ThreadID    int64      `json:"thread_id"`
	Opening     bool       `json:"opening_post"`
	Anonymous   bool       `json:"anonymous"`
	Body        string     `json:"body_markdown"`
	ContentNote string     `json:"content_note,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	EditedAt    *time.Time `json:"edited_at,omitempty"`
	DeletedAt   *time.Time `json:"deleted_at,omitempty"`
}

// ExportHeldPost is a post the member wrote that was held for review.
type ExportHeldPost struct {
	ThreadID    *int64     `json:"reply_to_thread_id,omitempty"`
	Title       string     `json:"title,omitempty"`
	Anonymous   bool       `json:"anonymous"`
	Body        string     `json:"body_markdown"`
	ContentNote string     `json:"content_note,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
	DecidedAt   *time.Time `json:"decided_at,omitempty"`
	Declined    bool       `json:"declined"`
	Reason      string     `json:"moderator_reason,omitempty"`
	PostID      *int64     `json:"published_as_post_id,omitempty"`
}

// ExportData gathers everything the forum holds about u.
func (s *Service) ExportData(ctx context.Context, u *model.User) (*Export, error) {
	now := s.now()
	e := &Export{ExportedAt: now, Account: ExportAccount{
		ID: u.ID, Pseudonym: u.Pseudonym, Email: u.Email, Name: u.RealName, Role: string(u.Role), Status: string(u.Status),
		Credential: u.Credential, Bio: u.Bio, JoinReason: u.JoinReason, CreatedAt: u.CreatedAt, ApprovedAt: u.ApprovedAt,
	}}
	ids, err := s.store.IdentitiesByUser(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, i := range ids {
		e.Identities = append(e.Identities, ExportIdentity{i.Provider, i.Issuer, i.Email, i.CreatedAt, i.LastUsedAt})
	}
	sessions, err := s.store.ActiveSessions(ctx, u.ID, now)
	if err != nil {
		return nil, err
	}
	for _, x := range sessions {
		e.Sessions = append(e.Sessions, ExportSession{x.CreatedAt, x.LastSeenAt, x.UserAgent, x.IP})
	}
	threads, err := s.store.ThreadsByAuthor(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, t := range threads {
		e.Threads = append(e.Threads, ExportThread{t.ID, string(t.Kind), t.Title, t.Anonymous, t.CreatedAt})
	}
	posts, err := s.store.PostsByAuthor(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	for _, p := range posts {
		e.Posts = append(e.Posts, ExportPost{p.ID, p.ThreadID, p.Opening, p.Anonymous, p.BodySource, p.ContentNote, p.CreatedAt, p.EditedAt, p.DeletedAt})
	}
	held, err := s.store.HeldPostsByAuthor(ctx, u.ID, 1000)
	if err != nil {
		return nil, err
	}
	for _, h := range held {
		e.Held = append(e.Held, ExportHeldPost{h.ThreadID, h.Title, h.Anonymous, h.BodySource, h.ContentNote, h.CreatedAt,
			h.DecidedAt, h.Declined, h.Reason, h.PostID})
	}
	if e.Notifications, err = s.exportNotifications(ctx, u); err != nil {
		return nil, err
	}
	return e, nil
}

// exportNotifications gathers what u follows, the notifications u received and u's
// choices of e-mail.
func (s *Service) exportNotifications(ctx context.Context, u *model.User) (ExportNotifications, error) {
	out := ExportNotifications{Email: map[string]string{}, EmailTitles: u.EmailTitles}
	for _, k := range notify.Kinds() {
		out.Email[string(k)] = string(model.DefaultDelivery(k))
	}
	prefs, err := s.store.NotificationPrefsOf(ctx, []int64{u.ID})
	if err != nil {
		return out, err
	}
	for _, p := range prefs {
		out.Email[string(p.Kind)] = string(p.Delivery)
	}
	follows, err := s.store.FollowsOf(ctx, u.ID)
	if err != nil {
		return out, err
	}
	for _, f := range follows {
		out.Following = append(out.Following, ExportFollow{f.ThreadID, f.TagID, string(f.Level), f.Auto, f.CreatedAt})
	}
	received, err := s.store.NotificationsOf(ctx, u.ID, 0, 0)
	if err != nil {
		return out, err
	}
	for _, n := range received {
		out.Received = append(out.Received, ExportNotification{string(n.Kind), n.ThreadID, n.PostID, n.Reason, n.CreatedAt, n.ReadAt})
	}
	return out, nil
}
