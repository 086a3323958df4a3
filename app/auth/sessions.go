package auth

import (
	"context"
	"errors"
	"strings"
	"sync"
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
//
// A checked session is remembered for a few seconds (lookupCacheTTL), so that a page view
// does not read the session and its user again. Any write that drops every cached page
// drops what it remembers (store.Generation), so a sign-out, a suspension or a new role
// takes effect at once: here at the commit, and on PostgreSQL on every other node as it
// hears of it (forum_generation, a few milliseconds); on SQLite a command-line tool's
// within lookupCacheTTL.
type Sessions struct {
	store *store.Store
	Now   func() time.Time

	mu     sync.Mutex
	recent map[string]checkedSession // by token hash
}

type checkedSession struct {
	user    model.User
	sess    model.Session
	gen     uint64
	checked time.Time
}

const (
	lookupCacheTTL  = 5 * time.Second
	lookupCacheSize = 50_000
)

// NewSessions returns a Sessions on st.
func NewSessions(st *store.Store) *Sessions {
	return &Sessions{store: st, Now: func() time.Time { return time.Now().UTC() },
		recent: map[string]checkedSession{}}
}

// Create starts a session for a user and returns its token, to be given to the browser only.
func (s *Sessions) Create(ctx context.Context, userID int64, userAgent, ip string) (string, *model.Session, error) {
	token, hash := NewToken()
	now := s.Now().UTC()
	// The header is the client's to fill: keep text a database takes (valid UTF-8, no NUL),
	// and cut it on a character boundary.
	userAgent = strings.ToValidUTF8(strings.ReplaceAll(userAgent, "\x00", ""), "")
	if len(userAgent) > 200 {
		userAgent = strings.ToValidUTF8(userAgent[:200], "")
	}
	sess := &model.Session{
		UserID: userID, TokenHash: hash, UserAgent: userAgent, IP: ip,
		CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(SessionTTL),
	}
	if err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.InsertSession(ctx, sess) }); err != nil {
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
	hash := HashToken(token)
	now := s.Now().UTC()
	gen := s.store.Generation() // before the read: a write committed meanwhile drops the entry
	if u, sess, ok := s.remembered(string(hash), gen, now); ok {
		return u, sess, nil
	}
	sess, user, err := s.store.SessionByHash(ctx, hash)
	if errors.Is(err, model.ErrNotFound) {
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	if sess.RevokedAt != nil || !now.Before(sess.ExpiresAt) || user.Status == model.StatusSuspended ||
		user.Status == model.StatusDeleted {
		return nil, nil, ErrNoSession
	}
	if now.Sub(sess.LastSeenAt) > sessionRenewAfter {
		sess.LastSeenAt, sess.ExpiresAt = now, now.Add(SessionTTL)
		if err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.TouchSession(ctx, sess) }); err != nil {
			return nil, nil, err
		}
	}
	s.remember(string(hash), checkedSession{user: *user, sess: *sess, gen: gen, checked: now})
	return user, sess, nil
}

// remembered returns copies of a recently checked session and its user, if no write
// came since and the session needs no renewal.
func (s *Sessions) remembered(hash string, gen uint64, now time.Time) (*model.User, *model.Session, bool) {
	s.mu.Lock()
	e, ok := s.recent[hash]
	s.mu.Unlock()
	if !ok || e.gen != gen || now.Sub(e.checked) >= lookupCacheTTL || now.Before(e.checked) ||
		!now.Before(e.sess.ExpiresAt) || now.Sub(e.sess.LastSeenAt) > sessionRenewAfter {
		return nil, nil, false
	}
	u, sess := e.user, e.sess
	sess.User = &u
	return &u, &sess, true
}

func (s *Sessions) remember(hash string, e checkedSession) {
	e.sess.User = nil
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.recent) >= lookupCacheSize {
		for k, old := range s.recent {
			if old.gen != e.gen || e.checked.Sub(old.checked) >= lookupCacheTTL {
				delete(s.recent, k)
			}
		}
		if len(s.recent) >= lookupCacheSize {
			clear(s.recent)
		}
	}
	s.recent[hash] = e
}

// Revoke ends one session.
func (s *Sessions) Revoke(ctx context.Context, sessionID int64) error {
	now := s.Now().UTC()
	return s.store.Tx(ctx, func(tx *store.Tx) error { return tx.RevokeSession(ctx, sessionID, now) })
}
