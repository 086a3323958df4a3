// Package auth signs people in: OAuth (GitHub) and OpenID Connect (ID tokens verified with
// go-oidc) through golang.org/x/oauth2, the development sign-in, and the database sessions
// that keep them signed in.
package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"

	"forum/app/store"
)

// NewToken returns a random 256-bit token, URL-safe, and the hash that is stored in its place.
func NewToken() (token string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: no randomness: " + err.Error()) // crypto/rand never fails on supported systems
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the stored form of a session token or invite code.
func HashToken(token string) []byte { return store.HashSecret(token) }

// sign returns an HMAC of data under secret, URL-safe.
func sign(secret []byte, data string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(data))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// verify reports whether mac is the HMAC of data under secret.
func verify(secret []byte, data, mac string) bool {
	return hmac.Equal([]byte(sign(secret, data)), []byte(mac))
}
