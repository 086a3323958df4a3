package storetest

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/store"
	"forum/app/store/internal/fortests"
)

// The raw access of tests: what no operation of the forum does, but a test must (write a
// row as an older version did, read every column of every table, hold a reader open).
// It goes through the store's test hooks, so that no package outside app/store holds the
// database handle.

func db(st *store.Store) *bun.DB { return st.DBForTests(fortests.Key{}) }

// SQL returns the database/sql handle under st, for a test that must send the database a
// statement as it is, without bun's placeholders (the plan of a recorded query).
func SQL(st *store.Store) *sql.DB { return db(st).DB }

// Exec runs a statement with ? placeholders, failing the test on an error.
func Exec(t testing.TB, st *store.Store, query string, args ...any) {
	t.Helper()
	if _, err := db(st).NewRaw(query, args...).Exec(context.Background()); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Scan runs a query with ? placeholders into dest: a pointer to a value, to a slice of
// values, or to a slice of structs whose fields carry bun tags naming the columns.
func Scan(t testing.TB, st *store.Store, dest any, query string, args ...any) {
	t.Helper()
	if err := db(st).NewRaw(query, args...).Scan(context.Background(), dest); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// Column is a column of a table of the forum.
type Column struct {
	Table   string `bun:"table_name"`
	Name    string `bun:"column_name"`
	NotNull bool   `bun:"not_null"`
}

// Columns returns every column of every table of the database (bun's migration tables too).
func Columns(t testing.TB, st *store.Store) []Column {
	t.Helper()
	var cols []Column
	if st.Driver() == config.DriverSQLite {
		Scan(t, st, &cols, `SELECT m.name AS table_name, p.name AS column_name, (p."notnull" OR p.pk = 1) AS not_null
			FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`)
	} else {
		Scan(t, st, &cols, `SELECT table_name, column_name, is_nullable = 'NO' AS not_null
			FROM information_schema.columns WHERE table_schema = current_schema()`)
	}
	return cols
}

// DatabaseFile returns the path of a SQLite database's main file.
func DatabaseFile(t testing.TB, st *store.Store) string {
	t.Helper()
	var path string
	Scan(t, st, &path, "SELECT file FROM pragma_database_list WHERE name = 'main'")
	if path == "" {
		t.Fatal("the SQLite database has no file")
	}
	return path
}

// HoldReader opens a read transaction on a connection of its own and reads from it, as a
// page being rendered does; until release is called, SQLite cannot empty its write-ahead
// log. release ends the transaction.
func HoldReader(t testing.TB, st *store.Store) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := db(st).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN"); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, "SELECT COUNT(*) FROM posts").Scan(&n); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	var once atomic.Bool
	release = func() {
		if once.Swap(true) {
			return
		}
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil && err != sql.ErrConnDone {
			t.Errorf("end the read transaction: %v", err)
		}
		conn.Close()
	}
	t.Cleanup(release)
	return release
}

// OtherNode returns a second store on st's database, as another node of the forum has:
// writes through it advance its own generation, not st's.
func OtherNode(st *store.Store) *store.Store { return st.OtherNodeForTests(fortests.Key{}) }
