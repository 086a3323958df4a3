package model

import (
	"time"

	"github.com/uptrace/bun"
)

// DefaultDelivery is how a member hears of kind by e-mail until they choose: at once for an
// answer to their own question, for their approval, and (moderators) for a report that
// someone may be in danger; never for anything else.
func DefaultDelivery(kind NotifyKind) Delivery {
	switch kind {
	case NotifyAnswer, NotifyApproved, NotifyFlagDanger:
		return DeliveryNow
	}
	return DeliveryNever
}

// MailSent records a message the SMTP server accepted, so that it is never sent twice.
type MailSent struct {
	bun.BaseModel `bun:"table:mail_sent"`

	// Key is "n:<notification id>" for a message at once, "d:<user id>:<day>" for a digest.
	Key       string `bun:"mail_key,pk"`
	UserID    int64  `bun:"user_id,notnull"`
	MessageID string `bun:"message_id,notnull"`
	// CoveredThrough is, for a digest, the newest notification it told of.
	CoveredThrough int64 `bun:"covered_through,notnull"`
	// Answer is what the SMTP server said when it accepted the message.
	Answer string    `bun:"answer,notnull"`
	SentAt time.Time `bun:"sent_at,notnull"`
}

// DevMail is a message kept in the development mailbox (/dev/mail) instead of being sent.
type DevMail struct {
	bun.BaseModel `bun:"table:dev_mail"`

	ID              int64     `bun:"id,pk,autoincrement"`
	UserID          *int64    `bun:"user_id"`
	MessageID       string    `bun:"message_id,notnull"`
	To              string    `bun:"to_addr,notnull"`
	Subject         string    `bun:"subject,notnull"`
	TextBody        string    `bun:"text_body,notnull"`
	HTMLBody        string    `bun:"html_body,notnull"`
	ListUnsubscribe string    `bun:"list_unsubscribe,notnull"`
	Raw             string    `bun:"raw,notnull"`
	CreatedAt       time.Time `bun:"created_at,notnull"`
}
