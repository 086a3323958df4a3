package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// SQLTx returns the database/sql transaction under tx, for the job queue only: app/mail
// hands it to River, so that an e-mail job is queued, or completed, in the same
// transaction as the change it belongs to. Nothing else may write through it.
func (tx *Tx) SQLTx() *sql.Tx { return tx.sql }

// MailItem is a notification with what deciding whether to e-mail it, and composing the
// message, needs.
type MailItem struct {
	Notification *model.Notification
	Recipient    *model.User
	// Thread is nil when the kind concerns no thread (an approval) or the thread is gone;
	// Post likewise.
	Thread *model.Thread
	Post   *model.Post
	// Delivery is the recipient's choice of e-mail for the notification's kind.
	Delivery model.Delivery
}

// MailItemByNotification returns notification id with its recipient, thread, post and the
// recipient's choice of e-mail for its kind, as they are now.
func (q queries) MailItemByNotification(ctx context.Context, id int64) (*MailItem, error) {
	n := new(model.Notification)
	if err := q.db.NewSelect().Model(n).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("notification %d: %w", id, mapError(err))
	}
	it := &MailItem{Notification: n}
	var err error
	if it.Recipient, err = q.UserByID(ctx, n.UserID); err != nil {
		return nil, err
	}
	if n.ThreadID != nil {
		if it.Thread, err = q.ThreadRow(ctx, *n.ThreadID); err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
	}
	if n.PostID != nil {
		if it.Post, err = q.PostByID(ctx, *n.PostID); err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
	}
	if it.Delivery, err = q.MailDelivery(ctx, n.UserID, n.Kind); err != nil {
		return nil, err
	}
	return it, nil
}

// MailDelivery returns how a member wants e-mail of kind: their choice, or the kind's default.
func (q queries) MailDelivery(ctx context.Context, userID int64, kind model.NotifyKind) (model.Delivery, error) {
	var d model.Delivery
	err := q.db.NewSelect().Model((*model.NotificationPref)(nil)).Column("delivery").
		Where("user_id = ? AND kind = ?", userID, kind).Scan(ctx, &d)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return model.DefaultDelivery(kind), nil
	case err != nil:
		return "", fmt.Errorf("e-mail choice of member %d: %w", userID, err)
	}
	return d, nil
}

// MailSentByKey returns the record of a message the SMTP server accepted, or
// model.ErrNotFound when it was not sent.
func (q queries) MailSentByKey(ctx context.Context, key string) (*model.MailSent, error) {
	m := new(model.MailSent)
	if err := q.db.NewSelect().Model(m).Where("mail_key = ?", key).Scan(ctx); err != nil {
		return nil, fmt.Errorf("sent mail %s: %w", key, mapError(err))
	}
	return m, nil
}

// InsertMailSent records a message the SMTP server accepted. It reports false when the
// message was recorded already, which leaves the first record as it was.
func (tx *Tx) InsertMailSent(ctx context.Context, m *model.MailSent) (bool, error) {
	// No page shows what was e-mailed.
	res, err := tx.db.NewInsert().Model(m).On("CONFLICT (mail_key) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("record sent mail %s: %w", m.Key, mapError(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DigestCoveredThrough returns the newest notification a digest to the member told of
// (0: none did).
func (q queries) DigestCoveredThrough(ctx context.Context, userID int64) (int64, error) {
	var through sql.NullInt64
	err := q.db.NewSelect().Model((*model.MailSent)(nil)).ColumnExpr("MAX(covered_through)").
		Where("user_id = ?", userID).Scan(ctx, &through)
	if err != nil {
		return 0, fmt.Errorf("digest of member %d: %w", userID, err)
	}
	return through.Int64, nil
}

// digestPending selects the unread notifications a member wants in their digest: of kinds
// they set to digest, newer than since and than what their last digest told of.
func digestPending(q *bun.SelectQuery, since time.Time) *bun.SelectQuery {
	return q.Where("n.read_at IS NULL AND n.created_at >= ?", since.UTC()).
		Where("EXISTS (SELECT 1 FROM notification_prefs AS p WHERE p.user_id = n.user_id AND p.kind = n.kind AND p.delivery = ?)", model.DeliveryDigest).
		Where("n.id > COALESCE((SELECT MAX(m.covered_through) FROM mail_sent AS m WHERE m.user_id = n.user_id), 0)")
}

// DigestRecipients returns the members who have notifications waiting for their digest,
// from those of digest kinds created since since.
func (q queries) DigestRecipients(ctx context.Context, since time.Time) ([]int64, error) {
	var ids []int64
	sq := q.db.NewSelect().TableExpr("notifications AS n").ColumnExpr("DISTINCT n.user_id").
		Where("n.user_id IN (SELECT user_id FROM notification_prefs WHERE delivery = ?)", model.DeliveryDigest)
	if err := digestPending(sq, since).OrderExpr("n.user_id").Scan(ctx, &ids); err != nil {
		return nil, fmt.Errorf("members with a digest to send: %w", err)
	}
	return ids, nil
}

// DigestItems returns up to limit of the notifications waiting for member userID's digest
// (see DigestRecipients), oldest first, each with its thread and post as they are now.
// Recipient and Delivery are left unset: the caller has them.
func (q queries) DigestItems(ctx context.Context, userID int64, since time.Time, limit int) ([]*MailItem, error) {
	var ns []*model.Notification
	sq := q.db.NewSelect().Model(&ns).ModelTableExpr("notifications AS n").ColumnExpr("n.*").Where("n.user_id = ?", userID)
	if err := digestPending(sq, since).OrderExpr("n.id").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("digest of member %d: %w", userID, err)
	}
	var threadIDs, postIDs []int64
	for _, n := range ns {
		if n.ThreadID != nil {
			threadIDs = append(threadIDs, *n.ThreadID)
		}
		if n.PostID != nil {
			postIDs = append(postIDs, *n.PostID)
		}
	}
	threads := map[int64]*model.Thread{}
	if len(threadIDs) > 0 {
		var ts []*model.Thread
		if err := q.db.NewSelect().Model(&ts).Where("id IN (?)", bun.List(threadIDs)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("threads of a digest: %w", err)
		}
		for _, t := range ts {
			threads[t.ID] = t
		}
	}
	posts := map[int64]*model.Post{}
	if len(postIDs) > 0 {
		var ps []*model.Post
		if err := q.db.NewSelect().Model(&ps).Where("id IN (?)", bun.List(postIDs)).Scan(ctx); err != nil {
			return nil, fmt.Errorf("posts of a digest: %w", err)
		}
		for _, p := range ps {
			posts[p.ID] = p
		}
	}
	items := make([]*MailItem, len(ns))
	for i, n := range ns {
		it := &MailItem{Notification: n}
		if n.ThreadID != nil {
			it.Thread = threads[*n.ThreadID]
		}
		if n.PostID != nil {
			it.Post = posts[*n.PostID]
		}
		items[i] = it
	}
	return items, nil
}

// StopMail sets the member's e-mail of each of kinds to never (a one-click unsubscribe).
func (tx *Tx) StopMail(ctx context.Context, userID int64, kinds ...model.NotifyKind) error {
	for _, k := range kinds {
		p := &model.NotificationPref{UserID: userID, Kind: k, Delivery: model.DeliveryNever}
		_, err := tx.write().NewInsert().Model(p).
			On("CONFLICT (user_id, kind) DO UPDATE").Set("delivery = EXCLUDED.delivery").Exec(ctx)
		if err != nil {
			return fmt.Errorf("stop e-mail of %s to member %d: %w", k, userID, err)
		}
	}
	return nil
}

// StopDigest sets every kind the member gets in a digest to never; it returns those kinds.
func (tx *Tx) StopDigest(ctx context.Context, userID int64) ([]model.NotifyKind, error) {
	var kinds []model.NotifyKind
	err := tx.write().NewUpdate().Model((*model.NotificationPref)(nil)).
		Set("delivery = ?", model.DeliveryNever).
		Where("user_id = ? AND delivery = ?", userID, model.DeliveryDigest).
		Returning("kind").Scan(ctx, &kinds)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("stop the digest of member %d: %w", userID, err)
	}
	return kinds, nil
}

// InsertDevMail keeps a message in the development mailbox. A message already kept (the
// same Message-ID) is left as it was, and InsertDevMail reports false.
func (tx *Tx) InsertDevMail(ctx context.Context, m *model.DevMail) (bool, error) {
	res, err := tx.db.NewInsert().Model(m).On("CONFLICT (message_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("keep a development message: %w", mapError(err))
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DevMails returns the newest messages of the development mailbox, newest first.
func (q queries) DevMails(ctx context.Context, limit int) ([]*model.DevMail, error) {
	var ms []*model.DevMail
	if err := q.db.NewSelect().Model(&ms).Order("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("development mailbox: %w", err)
	}
	return ms, nil
}

// DeleteMail removes the records of mail sent to a member, and their messages in the
// development mailbox (a deleted account).
func (tx *Tx) DeleteMail(ctx context.Context, userID int64) error {
	if _, err := tx.db.NewDelete().Model((*model.MailSent)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete sent mail of member %d: %w", userID, err)
	}
	if _, err := tx.db.NewDelete().Model((*model.DevMail)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("delete development mail of member %d: %w", userID, err)
	}
	return nil
}

// PruneMail removes records of mail sent before before, and development messages older
// than it. A record is needed only while its job may still run again, which is days.
func (s *Store) PruneMail(ctx context.Context, before time.Time) (int64, error) {
	var total int64
	for _, m := range []any{(*model.MailSent)(nil), (*model.DevMail)(nil)} {
		col := "sent_at"
		if _, ok := m.(*model.DevMail); ok {
			col = "created_at"
		}
		res, err := s.db.NewDelete().Model(m).Where("? < ?", bun.Ident(col), before.UTC()).Exec(ctx)
		if err != nil {
			return total, fmt.Errorf("prune sent mail: %w", err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
