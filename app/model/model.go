// Package model holds the plain records of the forum, with bun tags for the store.
package model

import (
	"time"

	"github.com/uptrace/bun"
)

// Role is what a person may do on the forum, from pending to admin.
type Role string

// The roles, lowest first (their ranks live in the roles table too).
const (
	RolePending   Role = "pending"
	RoleMember    Role = "member"
	RoleExpert    Role = "expert"
	RoleModerator Role = "moderator"
	RoleAdmin     Role = "admin"
)

// Roles lists every role, lowest first.
var Roles = []Role{RolePending, RoleMember, RoleExpert, RoleModerator, RoleAdmin}

// Rank orders roles: a higher rank may do all a lower one may.
func (r Role) Rank() int {
	// A switch, not a search of Roles: it is asked several times for every post a page
	// counts.
	switch r {
	case RolePending:
		return 0
	case RoleMember:
		return 1
	case RoleExpert:
		return 2
	case RoleModerator:
		return 3
	case RoleAdmin:
		return 4
	}
	return -1
}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r.Rank() >= 0 }

// AtLeast reports whether r ranks at or above other.
func (r Role) AtLeast(other Role) bool { return r.Valid() && r.Rank() >= other.Rank() }

// Status is where an account stands: active, or kept from the forum.
type Status string

// The account statuses.
const (
	StatusActive    Status = "active"
	StatusSuspended Status = "suspended"
	StatusDeclined  Status = "declined"
	StatusDeleted   Status = "deleted"
)

// User is a person with an account. Email and RealName come from the sign-in provider
// and are never shown to other people; Pseudonym is the public name.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID             int64      `bun:"id,pk,autoincrement"`
	Pseudonym      string     `bun:"pseudonym,notnull"`
	PseudonymLower string     `bun:"pseudonym_lower,notnull"`
	Email          string     `bun:"email,notnull"`
	RealName       string     `bun:"real_name,notnull"`
	Role           Role       `bun:"role,notnull"`
	Status         Status     `bun:"status,notnull"`
	Credential     string     `bun:"credential,notnull"`
	Bio            string     `bun:"bio,notnull"`
	DemoKey        *string    `bun:"demo_key"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	UpdatedAt      time.Time  `bun:"updated_at,notnull"`
	ApprovedAt     *time.Time `bun:"approved_at"`
	SuspendedAt    *time.Time `bun:"suspended_at"`
	// SuspendedUntil is when a suspension ends by itself; nil: when a moderator lifts it.
	SuspendedUntil *time.Time `bun:"suspended_until"`
	DeletedAt      *time.Time `bun:"deleted_at"`
	// PseudonymChosenAt is nil until the member has picked a pseudonym after first sign-in.
	PseudonymChosenAt *time.Time `bun:"pseudonym_chosen_at"`
	// PseudonymSkeleton is what the pseudonym looks like (store.Skeleton), unique so that no
	// name can pass for another; nil for a deleted account.
	PseudonymSkeleton *string `bun:"pseudonym_skeleton"`
	// JoinReason is what the person said brings them here while awaiting approval, for the
	// moderators; empty when they said nothing.
	JoinReason string `bun:"join_reason,nullzero"`
	// ApprovalSeenAt is when the member saw the notice that they were let in; a notice is
	// owed while ApprovedAt is later (policy.OwesWelcome).
	ApprovalSeenAt *time.Time `bun:"approval_seen_at"`
	// EmailTitles: the member opted in to thread titles in e-mail (discreet by default).
	EmailTitles bool `bun:"email_titles,notnull"`
	// DiscreetTitles: every page's title (the browser tab) is only the forum's name.
	DiscreetTitles bool `bun:"discreet_titles,notnull"`
}

// IsExpert reports whether the user carries the expert badge.
func (u *User) IsExpert() bool { return u != nil && u.Role == RoleExpert }

// Identity links a user to an account at a sign-in provider, by the provider's issuer and
// the subject: a subject is unique only at the issuer that gave it. Provider is the short
// name of the configured provider, for display.
type Identity struct {
	bun.BaseModel `bun:"table:identities"`

	ID         int64     `bun:"id,pk,autoincrement"`
	UserID     int64     `bun:"user_id,notnull"`
	Provider   string    `bun:"provider,notnull"`
	Issuer     string    `bun:"issuer,notnull"`
	Subject    string    `bun:"subject,notnull"`
	Email      string    `bun:"email,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	LastUsedAt time.Time `bun:"last_used_at,notnull"`
}

// UsedSignInState remembers a sign-in state that was answered, until the attempt would
// have expired anyway, so that each state works once on every node.
type UsedSignInState struct {
	bun.BaseModel `bun:"table:signin_states_used"`

	StateHash []byte    `bun:"state_hash,pk"`
	ExpiresAt time.Time `bun:"expires_at,notnull"`
}

// Session is a signed-in browser. Only the hash of its token is stored.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID         int64      `bun:"id,pk,autoincrement"`
	UserID     int64      `bun:"user_id,notnull"`
	TokenHash  []byte     `bun:"token_hash,notnull"`
	UserAgent  string     `bun:"user_agent,notnull"`
	IP         string     `bun:"ip,notnull"`
	CreatedAt  time.Time  `bun:"created_at,notnull"`
	LastSeenAt time.Time  `bun:"last_seen_at,notnull"`
	ExpiresAt  time.Time  `bun:"expires_at,notnull"`
	RevokedAt  *time.Time `bun:"revoked_at"`

	User *User `bun:"rel:belongs-to,join:user_id=id"`
}

// Invite lets a person join as a member at once. Only the hash of its code is stored.
type Invite struct {
	bun.BaseModel `bun:"table:invites"`

	ID        int64      `bun:"id,pk,autoincrement"`
	CodeHash  []byte     `bun:"code_hash,notnull"`
	CreatedBy int64      `bun:"created_by,notnull"`
	MaxUses   int        `bun:"max_uses,notnull"`
	UsedCount int        `bun:"used_count,notnull"`
	Note      string     `bun:"note,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

// Kind is what a thread is: a question, a discussion or an article.
type Kind string

// The thread kinds.
const (
	KindQuestion   Kind = "question"
	KindDiscussion Kind = "discussion"
	KindArticle    Kind = "article"
)

// State is how far a question has come.
type State string

// Thread states: open, answered (an expert replied), resolved (the asker marked a reply helpful).
const (
	StateOpen     State = "open"
	StateAnswered State = "answered"
	StateResolved State = "resolved"
)

// Visibility is who may read a thread.
type Visibility string

// Thread visibility: members only by default, public once published to the archive.
const (
	VisibilityMembers Visibility = "members"
	VisibilityPublic  Visibility = "public"
)

// Thread is a question, discussion or article with its replies.
type Thread struct {
	bun.BaseModel `bun:"table:threads"`

	ID             int64      `bun:"id,pk,autoincrement"`
	Kind           Kind       `bun:"kind,notnull"`
	Title          string     `bun:"title,notnull"`
	Slug           string     `bun:"slug,notnull"`
	AuthorID       int64      `bun:"author_id,notnull"`
	Anonymous      bool       `bun:"anonymous,notnull"`
	Visibility     Visibility `bun:"visibility,notnull"`
	State          State      `bun:"state,notnull"`
	Locked         bool       `bun:"locked,notnull"`
	Pinned         bool       `bun:"pinned,notnull"`
	Hidden         bool       `bun:"hidden,notnull"`
	PublishConsent bool       `bun:"publish_consent,notnull"`
	HelpfulPostID  *int64     `bun:"helpful_post_id"`
	ReplyCount     int        `bun:"reply_count,notnull"`
	DemoKey        *string    `bun:"demo_key"`
	CreatedAt      time.Time  `bun:"created_at,notnull"`
	UpdatedAt      time.Time  `bun:"updated_at,notnull"`
	LastActivityAt time.Time  `bun:"last_activity_at,notnull"`
	PublishedAt    *time.Time `bun:"published_at"`
	PublishedBy    *int64     `bun:"published_by"`
	// HeldHelpfulPostID keeps the helpful mark while the reply it marks is hidden, so that
	// restoring the reply brings the mark (and the Resolved state) back.
	HeldHelpfulPostID *int64 `bun:"held_helpful_post_id"`
	// ArchiveWithheld: the thread was published, and is out of the public archive while
	// one of its answers is hidden.
	ArchiveWithheld bool `bun:"archive_withheld,notnull"`
	// MergedInto is the thread a duplicate was merged into: its address leads there.
	MergedInto *int64 `bun:"merged_into"`

	Author *User  `bun:"rel:belongs-to,join:author_id=id"`
	Tags   []*Tag `bun:"m2m:thread_tags,join:Thread=Tag"`
}

// Post is the opening post or a reply. BodyHTML is rendered and sanitized when the post is written.
type Post struct {
	bun.BaseModel `bun:"table:posts"`

	ID          int64      `bun:"id,pk,autoincrement"`
	ThreadID    int64      `bun:"thread_id,notnull"`
	AuthorID    int64      `bun:"author_id,notnull"`
	Anonymous   bool       `bun:"anonymous,notnull"`
	Opening     bool       `bun:"opening,notnull"`
	Expert      bool       `bun:"expert,notnull"`
	BodySource  string     `bun:"body_source,notnull"`
	BodyHTML    string     `bun:"body_html,notnull"`
	ContentNote string     `bun:"content_note,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	UpdatedAt   time.Time  `bun:"updated_at,notnull"`
	EditedAt    *time.Time `bun:"edited_at"`
	HiddenAt    *time.Time `bun:"hidden_at"`
	DeletedAt   *time.Time `bun:"deleted_at"`
	// FlagHidden: the post is hidden because several established members flagged it,
	// until a moderator decides.
	FlagHidden bool `bun:"flag_hidden,notnull"`

	Author *User `bun:"rel:belongs-to,join:author_id=id"`
}

// PostRevision keeps an earlier version of an edited post.
type PostRevision struct {
	bun.BaseModel `bun:"table:post_revisions"`

	ID         int64     `bun:"id,pk,autoincrement"`
	PostID     int64     `bun:"post_id,notnull"`
	EditorID   int64     `bun:"editor_id,notnull"`
	Title      string    `bun:"title,notnull"`
	BodySource string    `bun:"body_source,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	// ModeratorOnly: a moderator's edit replaced this version; only moderators read it.
	ModeratorOnly bool `bun:"moderator_only,notnull"`
}

// Tag is a curated topic such as CRAFT or harm reduction.
type Tag struct {
	bun.BaseModel `bun:"table:tags"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Name        string    `bun:"name,notnull"`
	Slug        string    `bun:"slug,notnull"`
	Description string    `bun:"description,notnull"`
	ThreadCount int       `bun:"thread_count,notnull"`
	MergedInto  *int64    `bun:"merged_into"`
	CreatedAt   time.Time `bun:"created_at,notnull"`
	UpdatedAt   time.Time `bun:"updated_at,notnull"`
}

// ThreadTag joins threads and tags.
type ThreadTag struct {
	bun.BaseModel `bun:"table:thread_tags"`

	ThreadID int64   `bun:"thread_id,pk"`
	TagID    int64   `bun:"tag_id,pk"`
	Thread   *Thread `bun:"rel:belongs-to,join:thread_id=id"`
	Tag      *Tag    `bun:"rel:belongs-to,join:tag_id=id"`
}

// RelatedLink links two threads, stored once with ThreadID < OtherID and shown both ways.
type RelatedLink struct {
	bun.BaseModel `bun:"table:related_links"`

	ID        int64     `bun:"id,pk,autoincrement"`
	ThreadID  int64     `bun:"thread_id,notnull"`
	OtherID   int64     `bun:"other_id,notnull"`
	Note      string    `bun:"note,notnull"`
	CreatedBy int64     `bun:"created_by,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
}

// AuditEntry records a moderator's or admin's action.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID         int64     `bun:"id,pk,autoincrement"`
	ActorID    *int64    `bun:"actor_id"`
	Action     string    `bun:"action,notnull"`
	TargetType string    `bun:"target_type,notnull"`
	TargetID   int64     `bun:"target_id,notnull"`
	Note       string    `bun:"note,notnull"`
	CreatedAt  time.Time `bun:"created_at,notnull"`
	// SubjectID is the member the action concerned (a post's or thread's author, or the
	// account acted on); ThreadID the thread it happened in. Both nil where none.
	SubjectID *int64 `bun:"subject_id"`
	ThreadID  *int64 `bun:"thread_id"`
}

// Change is one row of the change log that the search index follows. Every write that
// changes searchable content adds one in the same transaction.
type Change struct {
	bun.BaseModel `bun:"table:changes"`

	ID        int64     `bun:"id,pk,autoincrement"`
	Entity    string    `bun:"entity,notnull"`
	EntityID  int64     `bun:"entity_id,notnull"`
	ThreadID  int64     `bun:"thread_id,notnull"`
	Op        string    `bun:"op,notnull"`
	CreatedAt time.Time `bun:"created_at,notnull"`
	// Tx orders the rows as their transactions do: on PostgreSQL the id of the transaction
	// that wrote the row (set by the database), on SQLite, whose writers take turns, the
	// row's own id. Read only.
	Tx int64 `bun:"tx,scanonly"`
}

// ChangeHeldPost is the entity of a change-log row that names a post held for review (its
// EntityID the held post, its ThreadID the thread a held reply answers, 0 for a held
// question): it changes what its author sees, on every node (the thread's page, their own
// lists), and nothing anyone else sees. Caches drop those pages; the search index and the
// live updates skip the row.
const ChangeHeldPost = "held_post"

// Position is where the row stands in the change log, which is read in the order of
// (Tx, ID).
func (c Change) Position() ChangePosition { return ChangePosition{Tx: c.Tx, ID: c.ID} }

// ChangePosition is a place in the change log: a reader there has read every row up to
// it, in the order of (Tx, ID), and none after it.
type ChangePosition struct {
	Tx int64
	ID int64
}

// Before reports whether p comes before q in the change log.
func (p ChangePosition) Before(q ChangePosition) bool {
	return p.Tx < q.Tx || (p.Tx == q.Tx && p.ID < q.ID)
}

// Level is how closely a member follows a thread or a topic.
type Level string

// Follow levels (DESIGN section 12).
const (
	// LevelWatching: every reply in the thread, every new question in the topic.
	LevelWatching Level = "watching"
	// LevelNormal: answers to my question, replies that quote or mention me.
	LevelNormal Level = "normal"
	// LevelMuted: nothing, not even what normal would tell.
	LevelMuted Level = "muted"
)

// Follow is a member following one thread (ThreadID) or one topic (TagID).
type Follow struct {
	bun.BaseModel `bun:"table:follows"`

	UserID    int64     `bun:"user_id,notnull"`
	ThreadID  *int64    `bun:"thread_id"`
	TagID     *int64    `bun:"tag_id"`
	Level     Level     `bun:"level,notnull"`
	Auto      bool      `bun:"auto,notnull"` // followed because the member started or replied to the thread
	CreatedAt time.Time `bun:"created_at,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// NotifyKind is what a notification tells.
type NotifyKind string

// Notification kinds (DESIGN section 12).
const (
	NotifyReply        NotifyKind = "reply"         // a reply in a thread I watch
	NotifyAnswer       NotifyKind = "answer"        // an expert answered my question
	NotifyHelpful      NotifyKind = "helpful"       // my reply was marked helpful
	NotifyMention      NotifyKind = "mention"       // someone mentioned or quoted me
	NotifyNewQuestion  NotifyKind = "new_question"  // a new question in a topic I watch
	NotifyApproved     NotifyKind = "approved"      // my membership was approved
	NotifyPostHidden   NotifyKind = "post_hidden"   // a moderator hid my post (with the reason)
	NotifyPostRestored NotifyKind = "post_restored" // a moderator restored my post
	NotifyPostEdited   NotifyKind = "post_edited"   // a moderator edited my post (with the reason)
	NotifyFlagDanger   NotifyKind = "flag_danger"   // to moderators: a member reported that someone may be in danger
	NotifyFlagHandled  NotifyKind = "flag_handled"  // to a flagger: a moderator handled the post I reported
)

// NotifyEvent is written in the same transaction as the change that causes it; the fan-out
// turns it into notifications after the commit, exactly once (FannedOutAt).
type NotifyEvent struct {
	bun.BaseModel `bun:"table:notify_events"`

	ID          int64      `bun:"id,pk,autoincrement"`
	Kind        NotifyKind `bun:"kind,notnull"`
	ThreadID    *int64     `bun:"thread_id"`
	PostID      *int64     `bun:"post_id"`
	ActorID     *int64     `bun:"actor_id"`
	UserID      *int64     `bun:"user_id"` // the one recipient of a personal event (approval, a hidden post)
	Reason      string     `bun:"reason,notnull"`
	CreatedAt   time.Time  `bun:"created_at,notnull"`
	FannedOutAt *time.Time `bun:"fanned_out_at"`
}

// Notification is one member's notice of one event.
type Notification struct {
	bun.BaseModel `bun:"table:notifications"`

	ID        int64      `bun:"id,pk,autoincrement"`
	UserID    int64      `bun:"user_id,notnull"`
	EventID   int64      `bun:"event_id,notnull"`
	Kind      NotifyKind `bun:"kind,notnull"`
	ThreadID  *int64     `bun:"thread_id"`
	PostID    *int64     `bun:"post_id"`
	ActorID   *int64     `bun:"actor_id"`
	Reason    string     `bun:"reason,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	ReadAt    *time.Time `bun:"read_at"`
}

// Delivery is how a member wants e-mail of one kind of notification.
type Delivery string

// E-mail deliveries.
const (
	DeliveryNow    Delivery = "now"
	DeliveryDigest Delivery = "digest"
	DeliveryNever  Delivery = "never"
)

// NotificationPref is a member's choice of e-mail for one kind; without a row the kind's
// default holds (at once for an answer to my question and for approval, never otherwise).
type NotificationPref struct {
	bun.BaseModel `bun:"table:notification_prefs"`

	UserID   int64      `bun:"user_id,pk"`
	Kind     NotifyKind `bun:"kind,pk"`
	Delivery Delivery   `bun:"delivery,notnull"`
}

// ThreadRead is a member's read position in a thread: the newest post they have seen.
type ThreadRead struct {
	bun.BaseModel `bun:"table:thread_reads"`

	UserID         int64     `bun:"user_id,pk"`
	ThreadID       int64     `bun:"thread_id,pk"`
	LastReadPostID int64     `bun:"last_read_post_id,notnull"`
	ReadAt         time.Time `bun:"read_at,notnull"`
}
