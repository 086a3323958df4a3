package model

import (
	"time"

	"github.com/uptrace/bun"
)

// FlagReason is why a member reports a post.
type FlagReason string

// The reasons a member may give.
const (
	FlagDanger   FlagReason = "danger"   // someone may be in danger
	FlagUnkind   FlagReason = "unkind"   // unkind or harmful
	FlagSpam     FlagReason = "spam"     // spam or selling
	FlagIdentity FlagReason = "identity" // reveals someone's identity
	FlagOffTopic FlagReason = "off_topic"
	FlagOther    FlagReason = "other" // with a note
)

// Flag is one member's report of one post. A member flags a post once.
type Flag struct {
	bun.BaseModel `bun:"table:flags"`

	ID        int64      `bun:"id,pk,autoincrement"`
	PostID    int64      `bun:"post_id,notnull"`
	ThreadID  int64      `bun:"thread_id,notnull"`
	FlaggerID int64      `bun:"flagger_id,notnull"`
	Reason    FlagReason `bun:"reason,notnull"`
	Note      string     `bun:"note,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	HandledAt *time.Time `bun:"handled_at"`
	HandledBy *int64     `bun:"handled_by"`
	// Outcome is what the moderator did (a FlagAction), once handled.
	Outcome string `bun:"outcome,notnull"`
}

// Warning is a moderator's message to a member, shown on their pages until acknowledged.
type Warning struct {
	bun.BaseModel `bun:"table:warnings"`

	ID             int64      `bun:"id,pk,autoincrement"`
	UserID         int64      `bun:"user_id,notnull"`
	ModeratorID    *int64     `bun:"moderator_id"`
	PostID         *int64     `bun:"post_id"`
	Message        string     `bun:"message,notnull"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	AcknowledgedAt *time.Time `bun:"acknowledged_at"`
}
