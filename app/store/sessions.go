package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// InsertSession writes a new session.
func (s *Store) InsertSession(ctx context.Context, sess *model.Session) error {
	if _, err := s.DB.NewInsert().Model(sess).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert session: %w", mapError(err))
	}
	return nil
}

// SessionByHash returns the session with the token hash and its user, in one query.
func (s *Store) SessionByHash(ctx context.Context, hash []byte) (*model.Session, *model.User, error) {
	sess := new(model.Session)
	err := s.DB.NewSelect().Model(sess).Relation("User").Where("session.token_hash = ?", hash).Scan(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("session: %w", mapError(err))
	}
	return sess, sess.User, nil
}

// TouchSession moves a session's last use and expiry forward.
func (s *Store) TouchSession(ctx context.Context, sess *model.Session) error {
	_, err := s.DB.NewUpdate().Model(sess).Column("last_seen_at", "expires_at").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("touch session %d: %w", sess.ID, err)
	}
	return nil
}

// RevokeSession ends a session.
func (s *Store) RevokeSession(ctx context.Context, db bun.IDB, id int64, at time.Time) error {
	_, err := db.NewUpdate().Model((*model.Session)(nil)).Set("revoked_at = ?", at).
		Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke session %d: %w", id, err)
	}
	s.Changed()
	return nil
}

// RevokeUserSessions ends every session of a user.
func (s *Store) RevokeUserSessions(ctx context.Context, db bun.IDB, userID int64, at time.Time) error {
	_, err := db.NewUpdate().Model((*model.Session)(nil)).Set("revoked_at = ?", at).
		Where("user_id = ? AND revoked_at IS NULL", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke sessions of user %d: %w", userID, err)
	}
	return nil
}

// ActiveSessions returns a user's sessions that are neither revoked nor expired, newest use first.
func (s *Store) ActiveSessions(ctx context.Context, userID int64, now time.Time) ([]*model.Session, error) {
	var out []*model.Session
	err := s.DB.NewSelect().Model(&out).
		Where("user_id = ? AND revoked_at IS NULL AND expires_at > ?", userID, now).
		OrderExpr("last_seen_at DESC, id DESC").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("sessions of user %d: %w", userID, err)
	}
	return out, nil
}
