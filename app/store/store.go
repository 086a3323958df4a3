// Package store is the forum's only way to the database: it opens SQLite or PostgreSQL
// through bun, applies the migrations and holds every query.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
	"github.com/uptrace/bun/migrate"

	"forum/app/config"
	"forum/app/model"
	"forum/migrations"
)

// Store holds the database handle.
type Store struct {
	DB     *bun.DB
	Driver string // config.DriverSQLite or config.DriverPostgres
	label  string
	busy   atomic.Int64  // transactions retried after a busy database
	gen    atomic.Uint64 // see Generation
	drafts draftCache
}

// Generation counts the writes committed through this Store that can change what a page
// shows (every transaction, a revoked session, a changed profile). A cache of loaded or
// rendered data remembers the generation it was filled at and holds only while it lasts.
// Writes by other processes reach it through Changed.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Changed advances the generation, after a write that the store did not see itself
// (another node or a command-line tool wrote to the shared database).
func (s *Store) Changed() { s.gen.Add(1) }

// Open connects to the database and checks that it answers.
// label names the database in error messages without a password.
func Open(ctx context.Context, driver, dsn, label string) (*Store, error) {
	var (
		sqldb *sql.DB
		err   error
		db    *bun.DB
	)
	switch driver {
	case config.DriverSQLite:
		sqldb, err = sql.Open(sqliteshim.ShimName, dsn)
		if err != nil {
			return nil, fmt.Errorf("open SQLite database %s: %w", label, err)
		}
		// SQLite allows one writer; readers run in parallel under WAL.
		sqldb.SetMaxOpenConns(8)
		sqldb.SetMaxIdleConns(8)
		sqldb.SetConnMaxIdleTime(0)
		db = bun.NewDB(sqldb, sqlitedialect.New())
	case config.DriverPostgres:
		sqldb, err = sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database %s: %s", label, oneLine(err))
		}
		sqldb.SetMaxOpenConns(20)
		sqldb.SetMaxIdleConns(10)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		db = bun.NewDB(sqldb, pgdialect.New())
	default:
		return nil, fmt.Errorf("unknown database driver %q", driver)
	}
	db.RegisterModel((*model.ThreadTag)(nil))
	s := &Store{DB: db, Driver: driver, label: label}
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("cannot reach database %s: %s", label, oneLine(err))
	}
	return s, nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.DB.NewSelect().ColumnExpr("1").Scan(ctx, &one)
}

// Close closes the database.
func (s *Store) Close() error { return s.DB.Close() }

// Migrate applies the migrations not yet applied and returns their names.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	sub, err := fs.Sub(migrations.FS, s.Driver)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	m := migrate.NewMigrator(s.DB, ms, migrate.WithMarkAppliedOnSuccess(true))

	if s.Driver == config.DriverPostgres {
		// Nodes starting together take turns: the advisory lock waits, bun's lock table would fail.
		conn, err := s.DB.Conn(ctx)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		const lockID = 7_246_150_011
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", lockID); err != nil {
			return nil, fmt.Errorf("lock migrations: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", lockID) //nolint:errcheck
	}
	if err := m.Init(ctx); err != nil {
		return nil, fmt.Errorf("prepare migration tables: %w", err)
	}
	group, err := m.Migrate(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	var names []string
	for _, mig := range group.Migrations {
		names = append(names, mig.Name+"_"+mig.Comment)
	}
	// Columns derived in Go are filled here, still under the lock on PostgreSQL.
	if _, err := s.fillPseudonymSkeletons(ctx); err != nil {
		return names, err
	}
	return names, nil
}

// Tx runs fn in one transaction and retries it when the database reports it is busy,
// so that concurrent writers never surface "database is locked" to a person.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	const attempts = 5
	var err error
	for i := range attempts {
		err = s.DB.RunInTx(ctx, nil, fn)
		if err == nil {
			// After the commit: a reader that filled a cache meanwhile saw the old
			// generation, so its entry is dropped.
			s.Changed()
		}
		if err == nil || !isBusy(err) {
			return mapError(err)
		}
		s.busy.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(i+1) * 20 * time.Millisecond):
		}
	}
	return mapError(err)
}

// BusyRetries is how many transactions were retried after a busy database.
func (s *Store) BusyRetries() int64 { return s.busy.Load() }

// mapError turns driver errors into domain errors.
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

func isUnique(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || // SQLite
		strings.Contains(msg, "SQLSTATE 23505") // PostgreSQL unique_violation
}

func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "database is locked") || strings.Contains(msg, "SQLITE_BUSY") ||
		strings.Contains(msg, "(5)") && strings.Contains(msg, "sqlite") ||
		strings.Contains(msg, "SQLSTATE 40001") || strings.Contains(msg, "SQLSTATE 40P01") // serialization failure, deadlock
}

// oneLine joins a driver error's lines into one readable line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
