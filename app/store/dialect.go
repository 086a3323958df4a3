package store

import "strings"

// lower folds a name for the case-insensitive unique columns (pseudonym_lower).
// Folding happens in Go so that SQLite and PostgreSQL agree on non-ASCII letters.
func lower(s string) string { return strings.ToLower(strings.TrimSpace(s)) }
