package store

import (
	"crypto/sha256"
	"strings"
)

// lower folds a name for the case-insensitive unique columns (pseudonym_lower).
// Folding happens in Go so that SQLite and PostgreSQL agree on non-ASCII letters.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// HashSecret returns the stored form of a secret code (invite codes): only hashes are kept.
func HashSecret(code string) []byte {
	sum := sha256.Sum256([]byte(code))
	return sum[:]
}
