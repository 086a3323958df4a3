// Package migrations holds the SQL migrations of each database dialect, embedded in the binary.
//
// Files are named 20260101000000_name.tx.up.sql and applied in order by bun/migrate.
// Migrations only add: they never drop a table that holds what members wrote.
package migrations

import "embed"

// FS holds one folder per dialect: sqlite/ and postgres/.
//
//go:embed sqlite/*.sql postgres/*.sql
var FS embed.FS
