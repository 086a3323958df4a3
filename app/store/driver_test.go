package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestEverySQLiteConnectionHasThePragmas holds several pooled connections open at once, so
// that each is a connection of its own, and reads every pragma of config.SQLiteDSN on each:
// a driver that ignored the DSN's _pragma parameters would leave them at SQLite's defaults.
// A transaction begins immediate, taking the write lock before its first statement.
func TestEverySQLiteConnectionHasThePragmas(t *testing.T) {
	st := storetest.Open(t, config.DriverSQLite)
	ctx := context.Background()
	db := store.DBOf(st)
	want := map[string]string{
		"busy_timeout":  "10000",
		"journal_mode":  "wal",
		"synchronous":   "1", // NORMAL
		"foreign_keys":  "1",
		"secure_delete": "1",
		"temp_store":    "2", // MEMORY
	}
	var conns []bun.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range 4 {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		for pragma, value := range want {
			var got string
			if err := conn.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if !strings.EqualFold(got, value) {
				t.Errorf("connection %d: PRAGMA %s = %s, want %s", i, pragma, got, value)
			}
		}
	}

	// While a transaction that has only read is open, no other connection can begin to write.
	other := conns[0]
	if _, err := other.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		t.Fatal(err)
	}
	defer other.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = 10000") //nolint:errcheck
	read, done := make(chan struct{}), make(chan struct{})
	txErr := make(chan error, 1)
	go func() {
		txErr <- st.Tx(ctx, func(tx *store.Tx) error {
			if _, err := tx.UserCount(ctx); err != nil {
				return err
			}
			close(read)
			<-done
			return nil
		})
	}()
	<-read
	_, err := other.ExecContext(ctx, "BEGIN IMMEDIATE")
	close(done)
	if err == nil {
		other.ExecContext(ctx, "ROLLBACK") //nolint:errcheck
		t.Fatal("another connection began to write while a transaction was open: transactions do not begin immediate")
	}
	if !store.IsBusy(err) {
		t.Fatalf("BEGIN IMMEDIATE beside an open transaction: %v, want a busy database", err)
	}
	if err := <-txErr; err != nil {
		t.Fatal(err)
	}
}

// TestDriverErrorsAreClassifiedByType: a unique violation and a busy database are told
// apart by the drivers' error types and codes, wrapped or not; an error that only reads
// like one is neither.
func TestDriverErrorsAreClassifiedByType(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		db := store.DBOf(st)
		now := time.Now().UTC()
		if _, err := db.NewRaw("INSERT INTO tags (name, slug, description, created_at, updated_at) VALUES ('CRAFT', 'craft', '', ?, ?)", now, now).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		_, unique := db.NewRaw("INSERT INTO tags (name, slug, description, created_at, updated_at) VALUES ('CRAFT', 'craft', '', ?, ?)", now, now).Exec(ctx)
		if unique == nil {
			t.Fatal("a second tag with the same slug was written")
		}
		_, notNull := db.NewRaw("INSERT INTO tags (name, slug, description, created_at, updated_at) VALUES (NULL, 'other', '', ?, ?)", now, now).Exec(ctx)
		if notNull == nil {
			t.Fatal("a tag without a name was written")
		}
		busy := busyError(t, st)
		for _, tc := range []struct {
			name         string
			err          error
			unique, busy bool
		}{
			{"unique violation", unique, true, false},
			{"wrapped unique violation", fmt.Errorf("insert tag: %w", unique), true, false},
			{"not-null violation", notNull, false, false},
			{"busy", busy, false, true},
			{"wrapped busy", fmt.Errorf("reply: %w", busy), false, true},
			{"text of a unique violation", errors.New("UNIQUE constraint failed: tags.slug (2067) SQLSTATE 23505"), false, false},
			{"text of a busy database", errors.New("database is locked (5) (SQLITE_BUSY) sqlite SQLSTATE 40001"), false, false},
			{"no rows", sql.ErrNoRows, false, false},
		} {
			if got := store.IsUnique(tc.err); got != tc.unique {
				t.Errorf("%s (%v): unique = %v, want %v", tc.name, tc.err, got, tc.unique)
			}
			if got := store.IsBusy(tc.err); got != tc.busy {
				t.Errorf("%s (%v): busy = %v, want %v", tc.name, tc.err, got, tc.busy)
			}
		}
	})
}

// busyError returns the error of a database that is busy: SQLite's write lock held by
// another connection, or a PostgreSQL serialization failure.
func busyError(t *testing.T, st *store.Store) error {
	t.Helper()
	ctx := context.Background()
	db := store.DBOf(st)
	if st.Driver() == config.DriverPostgres {
		_, err := db.ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'could not serialize access' USING ERRCODE = '40001'; END $$`)
		if err == nil {
			t.Fatal("no error raised")
		}
		return err
	}
	holder, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	waiter, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer waiter.Close()
	if _, err := holder.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	defer holder.ExecContext(context.WithoutCancel(ctx), "ROLLBACK") //nolint:errcheck
	if _, err := waiter.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		t.Fatal(err)
	}
	defer waiter.ExecContext(context.WithoutCancel(ctx), "PRAGMA busy_timeout = 10000") //nolint:errcheck
	_, err = waiter.ExecContext(ctx, "BEGIN IMMEDIATE")
	if err == nil {
		waiter.ExecContext(ctx, "ROLLBACK") //nolint:errcheck
		t.Fatal("two connections hold SQLite's write lock")
	}
	return err
}

// TestBusyTransactionRunsAgain: a transaction that meets a busy database (a serialization
// failure on PostgreSQL, SQLite's write lock held past the busy timeout) runs again and
// commits, and a unique violation is a conflict that does not.
func TestBusyTransactionRunsAgain(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			st := openShortBusyTimeout(t, driver)
			now := time.Now().UTC()
			var runs atomic.Int32
			var release func()
			if driver == config.DriverSQLite {
				release = holdWriteLock(t, st)
				go func() {
					// Once the transaction met the lock and is waiting to run again.
					for deadline := time.Now().Add(2 * time.Second); st.BusyRetries() == 0 && time.Now().Before(deadline); {
						time.Sleep(5 * time.Millisecond)
					}
					release()
				}()
			}
			err := st.Tx(ctx, func(tx *store.Tx) error {
				if runs.Add(1) == 1 && driver == config.DriverPostgres {
					_, err := store.TxDB(tx).ExecContext(ctx, `DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$`)
					return err
				}
				return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
			})
			if err != nil {
				t.Fatalf("transaction on a busy database: %v", err)
			}
			if st.BusyRetries() == 0 {
				t.Fatal("the transaction committed without meeting a busy database: the test cannot fail")
			}
			if _, err := st.TagBySlug(ctx, "craft"); err != nil {
				t.Fatalf("the tag of the retried transaction: %v", err)
			}

			retries := st.BusyRetries()
			runs.Store(0)
			err = st.Tx(ctx, func(tx *store.Tx) error {
				runs.Add(1)
				return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
			})
			if !errors.Is(err, model.ErrConflict) || runs.Load() != 1 || st.BusyRetries() != retries {
				t.Fatalf("a taken slug: %v after %d runs, want one run and a conflict", err, runs.Load())
			}
		})
	}
}

// openShortBusyTimeout opens a fresh store whose SQLite connections wait 50 ms for a lock.
func openShortBusyTimeout(t *testing.T, driver string) *store.Store {
	t.Helper()
	_, dsn, label := storetest.DSN(t, driver)
	dsn = strings.Replace(dsn, "busy_timeout%2810000%29", "busy_timeout%2850%29", 1)
	st, err := store.Open(context.Background(), driver, dsn, label)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// holdWriteLock takes SQLite's write lock on a connection of st until release is called.
func holdWriteLock(t *testing.T, st *store.Store) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := store.DBOf(st).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	var once atomic.Bool
	release = func() {
		if !once.Swap(true) {
			conn.ExecContext(ctx, "ROLLBACK") //nolint:errcheck
			conn.Close()
		}
	}
	t.Cleanup(release)
	return release
}

// TestGenerationAdvancesAfterWritesPagesShow: a committed write that a page can show
// advances the generation that caches hold by; sessions and drafts, which no cached page
// shows, and a transaction rolled back leave it.
func TestGenerationAdvancesAfterWritesPagesShow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		u := &model.User{Pseudonym: "harbor", Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
		steps := []struct {
			name    string
			fn      func(tx *store.Tx) error
			advance bool
		}{
			{"a new account", func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }, true},
			{"a new session", func(tx *store.Tx) error {
				return tx.InsertSession(ctx, &model.Session{UserID: u.ID, TokenHash: store.HashSecret("token"),
					CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Hour)})
			}, false},
			{"a draft", func(tx *store.Tx) error {
				return tx.SaveDraft(ctx, &store.Draft{UserID: u.ID, Key: "ask", Body: "words", UpdatedAt: now}, 5)
			}, false},
			{"a rolled-back tag", func(tx *store.Tx) error {
				if err := tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now}); err != nil {
					return err
				}
				return errors.New("changed my mind")
			}, false},
			{"a tag", func(tx *store.Tx) error {
				return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
			}, true},
			{"a revoked session", func(tx *store.Tx) error { return tx.RevokeSessions(ctx, u.ID, now) }, true},
		}
		for _, s := range steps {
			before := st.Generation()
			_ = st.Tx(ctx, s.fn)
			if advanced := st.Generation() != before; advanced != s.advance {
				t.Errorf("%s: generation advanced %v, want %v", s.name, advanced, s.advance)
			}
		}
		if d, err := st.DraftByKey(ctx, u.ID, "ask"); err != nil || d.Body != "words" {
			t.Fatalf("draft = %+v, %v", d, err)
		}
	})
}
