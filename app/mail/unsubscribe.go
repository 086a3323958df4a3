package mail

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"forum/app/model"
	"forum/app/store"
)

// TokenLifetime is how long an unsubscribe link works: messages are read, and kept, long
// after they arrive.
const TokenLifetime = 365 * 24 * time.Hour

// Errors of an unsubscribe token. Neither changes anything.
var (
	// ErrBadToken: the token was not made by this forum (forged, cut short, mistyped).
	ErrBadToken = errors.New("this unsubscribe link is not valid")
	// ErrExpiredToken: the token was made by this forum, but too long ago.
	ErrExpiredToken = errors.New("this unsubscribe link has expired")
)

// tokenVersion starts every token, so that a later format can be told apart.
const tokenVersion = "1"

// Tokens signs and checks one-click unsubscribe tokens: the member, the kind of e-mail to
// stop (a notification kind, or "digest") and an expiry, signed with an HMAC under the
// session secret. A token is all the authority an unsubscribe needs: mail clients follow
// it without signing in (RFC 8058).
type Tokens struct {
	secret []byte
	now    func() time.Time
}

// NewTokens returns the tokens signed with secret (the forum's session secret).
func NewTokens(secret []byte, now func() time.Time) *Tokens {
	if now == nil {
		now = time.Now
	}
	return &Tokens{secret: secret, now: now}
}

func (t *Tokens) mac(payload string) string {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte("mail-unsubscribe"))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// Unsubscribe returns a token that stops member userID's e-mail of kind.
func (t *Tokens) Unsubscribe(userID int64, kind string) string {
	expires := t.now().Add(TokenLifetime).Unix()
	payload := strings.Join([]string{tokenVersion, strconv.FormatInt(userID, 36), kind, strconv.FormatInt(expires, 36)}, ".")
	return payload + "." + t.mac(payload)
}

// Unsubscription is what a valid token stops.
type Unsubscription struct {
	UserID int64
	Kind   string // a model.NotifyKind, or "digest"
}

// Check verifies a token and returns what it stops: ErrBadToken for a token this forum
// did not sign, ErrExpiredToken for one signed too long ago.
func (t *Tokens) Check(token string) (Unsubscription, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != tokenVersion {
		return Unsubscription{}, ErrBadToken
	}
	payload := strings.Join(parts[:4], ".")
	if !hmac.Equal([]byte(parts[4]), []byte(t.mac(payload))) {
		return Unsubscription{}, ErrBadToken
	}
	userID, err1 := strconv.ParseInt(parts[1], 36, 64)
	expires, err2 := strconv.ParseInt(parts[3], 36, 64)
	kind := parts[2]
	if err1 != nil || err2 != nil || !knownKind(kind) {
		return Unsubscription{}, ErrBadToken
	}
	if t.now().Unix() > expires {
		return Unsubscription{}, ErrExpiredToken
	}
	return Unsubscription{UserID: userID, Kind: kind}, nil
}

func knownKind(kind string) bool {
	if kind == digestKind {
		return true
	}
	_, ok := kindWords[model.NotifyKind(kind)]
	return ok
}

// Unsubscriber carries out one-click unsubscribes.
type Unsubscriber struct {
	store  *store.Store
	tokens *Tokens
}

// NewUnsubscriber returns an unsubscriber checking tokens signed with secret. It works
// whether or not e-mail is on: links in messages sent earlier keep working.
func NewUnsubscriber(st *store.Store, secret []byte) *Unsubscriber {
	return &Unsubscriber{store: st, tokens: NewTokens(secret, nil)}
}

// Check verifies a token without changing anything (the confirmation page).
func (u *Unsubscriber) Check(token string) (Unsubscription, error) { return u.tokens.Check(token) }

// Unsubscribe sets the e-mail that token names to never: one kind, or for a digest every
// kind the member gets in it. Doing it again changes nothing more.
func (u *Unsubscriber) Unsubscribe(ctx context.Context, token string) (Unsubscription, error) {
	sub, err := u.tokens.Check(token)
	if err != nil {
		return sub, err
	}
	err = u.store.Tx(ctx, func(tx *store.Tx) error {
		if _, err := tx.UserByID(ctx, sub.UserID); errors.Is(err, model.ErrNotFound) {
			return nil // the account is gone, and its e-mail with it
		} else if err != nil {
			return err
		}
		if sub.Kind == digestKind {
			_, err := tx.StopDigest(ctx, sub.UserID)
			return err
		}
		return tx.StopMail(ctx, sub.UserID, model.NotifyKind(sub.Kind))
	})
	if err != nil {
		return sub, fmt.Errorf("unsubscribe: %w", err)
	}
	return sub, nil
}
