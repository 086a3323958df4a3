package store

import (
	"context"
	"fmt"
	"time"

	"forum/app/model"
)

// InsertSession writes a new session.
func (tx *Tx) InsertSession(ctx context.Context, sess *model.Session) error {
	// A new session is in no cache yet.
	if _, err := tx.db.NewInsert().Model(sess).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert session: %w", mapError(err))
	}
	return nil
}

// SessionByHash returns the session with the token hash and its user, in one query.
func (q queries) SessionByHash(ctx context.Context, hash []byte) (*model.Session, *model.User, error) {
	sess := new(model.Session)
	err := q.db.NewSelect().Model(sess).Relation("User").Where("session.token_hash = ?", hash).Scan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("session: %w", mapError(err))
	}
	return sess, sess.User, nil
}

// TouchSession moves a session's last use and expiry forward.
func (tx *Tx) TouchSession(ctx context.Context, sess *model.Session) error {
	// The session cache keeps the moved times itself (auth.Sessions); no page shows them.
	_, err := tx.db.NewUpdate().Model(sess).Column("last_seen_at", "expires_at").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("touch session %d: %w", sess.ID, err)
	}
	return nil
}

// RevokeSession ends a session.
func (tx *Tx) RevokeSession(ctx context.Context, id int64, at time.Time) error {
	_, err := tx.write().NewUpdate().Model((*model.Session)(nil)).Set("revoked_at = ?", at).
		Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke session %d: %w", id, err)
	}
	return nil
}

// RevokeSessions ends every session of a user.
func (tx *Tx) RevokeSessions(ctx context.Context, userID int64, at time.Time) error {
	_, err := tx.write().NewUpdate().Model((*model.Session)(nil)).Set("revoked_at = ?", at).
		Where("user_id = ? AND revoked_at IS NULL", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke sessions of user %d: %w", userID, err)
	}
	return nil
}

// ActiveSessions returns a user's sessions that are neither revoked nor expired, newest use first.
func (q queries) ActiveSessions(ctx context.Context, userID int64, now time.Time) ([]*model.Session, error) {
	var out []*model.Session
	err := q.db.NewSelect().Model(&out).
		Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, now).
		OrderExpr("last_seen_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("sessions of user %d: %w", userID, err)
	}
	return out, nil
}
