// Package store is the forum's only way to the database: it opens SQLite or PostgreSQL
// through bun, applies the migrations and holds every query. Reads are methods of Store;
// writes are methods of Tx, which Store.Tx hands to a function run in one transaction.
// No bun type leaves the package.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/migrate"
	_ "modernc.org/sqlite" // database/sql driver "sqlite": pure Go, and it reads the _pragma parameters of the DSN

	"forum/app/config"
	"forum/app/model"
	"forum/migrations"
)

// sqliteDriver is the database/sql name of modernc.org/sqlite. It is named here rather
// than left to a shim: another SQLite driver would ignore the pragmas of config.SQLiteDSN.
const sqliteDriver = "sqlite"

// Store reads the forum's data and runs its transactions (Tx).
type Store struct {
	queries // every read, on the pool of connections

	db     *bun.DB
	driver string // config.DriverSQLite or config.DriverPostgres
	dsn    string // what ListenOtherNodes connects to on PostgreSQL
	label  string
	busy   atomic.Int64  // transactions retried after a busy database
	gen    atomic.Uint64 // see Generation
	drafts draftCache

	node     string   // names this Store as the sender of its signals (see signals.go)
	channels channels // PostgreSQL's channels for them
	signals  signals
	// members remembers, for a few seconds, each member's unread count and follow levels.
	members memberCache
	// commits are told of each commit (OnCommit).
	commits commitHooks
	// stopCheckpoints ends a SQLite store's checkpointer, which closes checkpointsDone.
	stopCheckpoints, checkpointsDone chan struct{}
	// checkpointing is held through each checkpoint this store runs: SQLite refuses a
	// second one at once (SQLITE_BUSY, no waiting), which would fail an erasure's.
	checkpointing sync.Mutex
}

// newStore returns a Store reading and writing through db.
func newStore(db *bun.DB, driver, dsn, label string) *Store {
	return &Store{queries: queries{db: db}, db: db, driver: driver, dsn: dsn, label: label, node: newNodeName()}
}

// Driver names the database: config.DriverSQLite or config.DriverPostgres.
func (s *Store) Driver() string { return s.driver }

// Generation counts the writes committed through this Store that can change what a page
// shows (a thread, a post, a tag, an account, a revoked session). A cache of loaded or
// rendered data remembers the generation it was filled at and holds only while it lasts.
// Writes by other processes reach it through Changed.
func (s *Store) Generation() uint64 { return s.gen.Load() }

// Changed advances the generation, after a write that the store did not see itself
// (another node or a command-line tool wrote to the shared database).
func (s *Store) Changed() { s.gen.Add(1) }

// Open connects to the database and checks that it answers.
// label names the database in error messages without a password.
func Open(ctx context.Context, driver, dsn, label string) (*Store, error) {
	var db *bun.DB
	switch driver {
	case config.DriverSQLite:
		sqldb, err := sql.Open(sqliteDriver, dsn)
		if err != nil {
			return nil, fmt.Errorf("open SQLite database %s: %w", label, err)
		}
		// SQLite allows one writer; readers run in parallel under WAL. The pragmas are in
		// the DSN, so that each of these connections runs them when it opens.
		sqldb.SetMaxOpenConns(8)
		sqldb.SetMaxIdleConns(8)
		sqldb.SetConnMaxIdleTime(0)
		db = bun.NewDB(sqldb, sqlitedialect.New())
	case config.DriverPostgres:
		cc, err := pgx.ParseConfig(dsn)
		if err != nil {
			return nil, fmt.Errorf("open PostgreSQL database %s: %s", label, oneLine(err))
		}
		// bun writes each query's values into its text, so nearly every query is a text of
		// its own: pgx's default, preparing and keeping every text on every connection (up
		// to 512 each, on the client and in the server), would only grow the memory of both.
		// Each query is sent in one round trip instead, prepared for that run only.
		cc.DefaultQueryExecMode = pgx.QueryExecModeExec
		sqldb := stdlib.OpenDB(*cc)
		sqldb.SetMaxOpenConns(20)
		sqldb.SetMaxIdleConns(10)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		db = bun.NewDB(sqldb, pgdialect.New())
	default:
		return nil, fmt.Errorf("unknown database driver %q", driver)
	}
	db.RegisterModel((*model.ThreadTag)(nil), (*model.HeldPostTag)(nil))
	s := newStore(db, driver, dsn, label)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := s.Ping(pingCtx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("cannot reach database %s: %s", label, oneLine(err))
	}
	if driver == config.DriverSQLite {
		s.stopCheckpoints, s.checkpointsDone = make(chan struct{}), make(chan struct{})
		go s.checkpointer(db.DB, checkpointEvery, s.stopCheckpoints, s.checkpointsDone)
	}
	if driver == config.DriverPostgres {
		if err := s.findChannels(pingCtx); err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("database %s: %s", label, oneLine(err))
		}
	}
	return s, nil
}

// Ping checks that the database answers a query.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	return s.db.NewSelect().ColumnExpr("1").Scan(ctx, &one)
}

// Close closes the database.
func (s *Store) Close() error {
	if s.stopCheckpoints != nil {
		close(s.stopCheckpoints)
		<-s.checkpointsDone
		s.stopCheckpoints = nil
	}
	return s.db.Close()
}

// Migrate applies the migrations not yet applied and returns their names.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	sub, err := fs.Sub(migrations.FS, s.driver)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, fmt.Errorf("read migrations: %w", err)
	}
	m := migrate.NewMigrator(s.db, ms, migrate.WithMarkAppliedOnSuccess(true))

	var names []string
	err = s.WithMigrationLock(ctx, func(ctx context.Context) error {
		if err := m.Init(ctx); err != nil {
			return fmt.Errorf("prepare migration tables: %w", err)
		}
		group, err := m.Migrate(ctx)
		if err != nil {
			return fmt.Errorf("apply migrations: %w", err)
		}
		for _, mig := range group.Migrations {
			names = append(names, mig.Name+"_"+mig.Comment)
		}
		// Columns derived in Go are filled here, still under the lock on PostgreSQL.
		_, err = s.fillPseudonymSkeletons(ctx)
		return err
	})
	return names, err
}

// WithMigrationLock runs fn while this process alone migrates the database, so that any
// number of processes started together on a new database all succeed: on PostgreSQL they
// take turns on an advisory lock (it waits, where bun's lock table would fail); on SQLite
// on a lock file beside the database (its name with ".migrate-lock" added). Migrations
// other than the forum's (the job queue's) run under it too.
func (s *Store) WithMigrationLock(ctx context.Context, fn func(ctx context.Context) error) error {
	if s.driver != config.DriverPostgres {
		unlock, err := lockFile(ctx, sqlitePath(s.dsn)+".migrate-lock")
		if err != nil {
			return err
		}
		defer unlock()
		return fn(ctx)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// One lock per schema: forums in other schemas of the database migrate on their own.
	const lockClass = 724_615_001
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?, hashtext(current_schema()))", lockClass); err != nil {
		return fmt.Errorf("lock migrations: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?, hashtext(current_schema()))", lockClass) //nolint:errcheck
	return fn(ctx)
}

// sqlitePath returns the file of a SQLite DSN (config.SQLiteDSN).
func sqlitePath(dsn string) string {
	path, _, _ := strings.Cut(strings.TrimPrefix(dsn, "file:"), "?")
	return path
}

// oneLine joins a driver error's lines into one readable line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
