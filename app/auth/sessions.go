package auth

import (
	"context"
	"errors"
	"time"

	"forum/app/model"
	"forum/app/store"
)

// Session lifetimes: a session lasts 30 days from its last use; its expiry moves forward
// at most once every 12 hours, so that reading pages rarely writes to the database.
const (
	SessionTTL        = 30 * 24 * time.Hour
	sessionRenewAfter = 12 * time.Hour
)

// CookieName is the session cookie.
const CookieName = "forum_session"

// ErrNoSession reports a missing, unknown, expired or revoked session.
var ErrNoSession = errors.New("no valid session")

// Sessions creates, finds and revokes database sessions.
type Sessions struct {
	store *store.Store
	Now   func() time.Time
}

// NewSessions returns a Sessions on st.
func NewSessions(st *store.Store) *Sessions {
	return &Sessions{store: st, Now: func() time.Time { return time.Now().UTC() }}
}

// Create starts a session for a user and returns its token, to be given to the browser only.
func (s *Sessions) Create(ctx context.Context, userID int64, userAgent, ip string) (string, *model.Session, error) {
	token, hash := NewToken()
	now := s.Now().UTC()
	if len(userAgent) > 200 {
		userAgent = userAgent[:200]
	}
	sess := &model.Session{
		UserID: userID, TokenHash: hash, UserAgent: userAgent, IP: ip,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionTTL),
	}
	if err := s.store.InsertSession(ctx, sess); err != nil {
		return "", nil, err
	}
	return token, sess, nil
}

// Lookup returns the user and session of a token. A suspended, declined or deleted
// user has no session. The session's expiry slides forward with use.
func (s *Sessions) Lookup(ctx context.Context, token string) (*model.User, *model.Session, error) {
	if token == "" || len(token) > 100 {
		return nil, nil, ErrNoSession
	}
	sess, user, err := s.store.SessionByHash(ctx, HashToken(token))
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	now := s.Now().UTC()
	if sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) || user.Status == model.StatusSuspended ||
		user.Status == model.StatusDeleted {
		return nil, nil, ErrNoSession
	}
	if now.Sub(sess.LastSeenAt) > sessionRenewAfter {
		sess.LastSeenAt, sess.ExpiresAt = now, now.Add(SessionTTL)
		if err := s.store.TouchSession(ctx, sess); err != nil {
			return nil, nil, err
		}
	}
	return user, sess, nil
}

// Revoke ends one session.
func (s *Sessions) Revoke(ctx context.Context, sessionID int64) error {
	return s.store.RevokeSession(ctx, s.store.DB, sessionID, s.Now().UTC())
}
