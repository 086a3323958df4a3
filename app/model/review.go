package model

import (
	"time"

	"github.com/uptrace/bun"
)

// HeldPost is a new member's post waiting for a moderator (first-post review): a new
// thread (ThreadID nil) or a reply to ThreadID. Until a moderator decides, only its author
// and the moderators see it; nothing of it is in threads or posts.
type HeldPost struct {
	bun.BaseModel `bun:"table:held_posts"`

	ID             int64      `bun:"id,pk,autoincrement"`
	AuthorID       int64      `bun:"author_id,notnull"`
	ThreadID       *int64     `bun:"thread_id"`
	Kind           Kind       `bun:"kind,notnull"`
	Title          string     `bun:"title,notnull"`
	BodySource     string     `bun:"body_source,notnull"`
	BodyHTML       string     `bun:"body_html,notnull"`
	ContentNote    string     `bun:"content_note,notnull"`
	Anonymous      bool       `bun:"anonymous,notnull"`
	PublishConsent bool       `bun:"publish_consent,notnull"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	DecidedAt      *time.Time `bun:"decided_at"`
	DecidedBy      *int64     `bun:"decided_by"`
	Declined       bool       `bun:"declined,notnull"`
	Reason         string     `bun:"reason,notnull"`
	// PostID is the post it became once published.
	PostID *int64 `bun:"post_id"`

	Author *User  `bun:"rel:belongs-to,join:author_id=id"`
	Tags   []*Tag `bun:"m2m:held_post_tags,join:HeldPost=Tag"`
}

// Waiting reports whether no moderator has decided on h yet.
func (h *HeldPost) Waiting() bool { return h != nil && h.DecidedAt == nil }

// IsReply reports whether h is a reply to a thread (else it starts one).
func (h *HeldPost) IsReply() bool { return h != nil && h.ThreadID != nil }

// HeldPostTag joins held posts and the topics chosen for them.
type HeldPostTag struct {
	bun.BaseModel `bun:"table:held_post_tags"`

	HeldPostID int64     `bun:"held_post_id,pk"`
	TagID      int64     `bun:"tag_id,pk"`
	HeldPost   *HeldPost `bun:"rel:belongs-to,join:held_post_id=id"`
	Tag        *Tag      `bun:"rel:belongs-to,join:tag_id=id"`
}

// Notification kinds of first-post review and danger words.
const (
	NotifyPostApproved NotifyKind = "post_approved" // a moderator published my held post
	NotifyPostDeclined NotifyKind = "post_declined" // a moderator declined my held post (with the reason)
	// NotifyDanger tells every moderator that a post's words suggest someone may be in
	// immediate danger (app/danger).
	NotifyDanger NotifyKind = "danger"
)
