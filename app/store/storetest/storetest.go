// Package storetest opens real, isolated, migrated databases for tests: SQLite in a
// temporary folder always, and PostgreSQL as well when FORUM_TEST_POSTGRES_URL is set.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"

	"forum/app/config"
	"forum/app/store"
)

// PostgresEnv names the variable holding the PostgreSQL server that tests may use.
const PostgresEnv = "FORUM_TEST_POSTGRES_URL"

// Drivers lists the databases to test on: SQLite, and PostgreSQL when configured.
func Drivers(t testing.TB) []string {
	if os.Getenv(PostgresEnv) == "" {
		t.Logf("%s is unset: skipping the PostgreSQL run of this test (set it, e.g. postgres://postgres@127.0.0.1:5432/test, to run it)", PostgresEnv)
		return []string{config.DriverSQLite}
	}
	return []string{config.DriverSQLite, config.DriverPostgres}
}

// Each runs fn once per database of Drivers, each with its own fresh migrated store.
func Each(t *testing.T, fn func(t *testing.T, st *store.Store)) {
	for _, d := range Drivers(t) {
		t.Run(d, func(t *testing.T) { fn(t, Open(t, d)) })
	}
}

// Open returns a fresh migrated store on driver, removed when the test ends.
func Open(t testing.TB, driver string) *store.Store {
	t.Helper()
	_, dsn, label := DSN(t, driver)
	st, err := store.Open(context.Background(), driver, dsn, label)
	if err != nil {
		t.Fatalf("open %s: %v", driver, err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s: %v", driver, err)
	}
	return st
}

// DSN prepares an empty database for driver and returns how to open it: a SQLite file in
// a temporary folder, or a PostgreSQL schema of its own (dropped when the test ends).
func DSN(t testing.TB, driver string) (driverName, dsn, label string) {
	t.Helper()
	if driver == config.DriverSQLite {
		path := filepath.Join(t.TempDir(), "forum.db")
		return driver, config.SQLiteDSN(path), path
	}
	base := os.Getenv(PostgresEnv)
	if base == "" {
		t.Skipf("%s is unset: skipping PostgreSQL", PostgresEnv)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", PostgresEnv, err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create schema on %s: %v", PostgresEnv, err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return driver, u.String(), u.Redacted()
}
