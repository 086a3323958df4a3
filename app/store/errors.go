package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"forum/app/model"
)

// Database errors are told apart by the drivers' own error types and codes, never by
// their text: modernc.org/sqlite's *sqlite.Error carries SQLite's extended result code,
// pgx's *pgconn.PgError the SQLSTATE.

// PostgreSQL error codes (SQLSTATE) the forum acts on.
const (
	pgUniqueViolation      = "23505"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

// mapError turns driver errors into domain errors: no row is model.ErrNotFound, a
// unique or primary key violation model.ErrConflict.
func mapError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return model.ErrNotFound
	case isUnique(err):
		return fmt.Errorf("%w: %v", model.ErrConflict, err)
	}
	return err
}

// isUnique reports a row refused because a unique index or primary key holds its value.
func isUnique(err error) bool {
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || lite.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == pgUniqueViolation
}

// isBusy reports a transaction that failed only because others held the database, and
// succeeds when run again: SQLite's busy codes (the primary code of the extended ones),
// a PostgreSQL serialization failure or deadlock.
func isBusy(err error) bool {
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		return lite.Code()&0xff == sqlite3.SQLITE_BUSY
	}
	var pg *pgconn.PgError
	return errors.As(err, &pg) && (pg.Code == pgSerializationFailure || pg.Code == pgDeadlockDetected)
}
