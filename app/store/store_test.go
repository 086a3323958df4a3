package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// columns returns table -> sorted "column notnull" entries of the forum's tables.
func columns(t *testing.T, st *store.Store) map[string][]string {
	t.Helper()
	ctx := context.Background()
	out := map[string][]string{}
	var rows []struct {
		Table   string `bun:"table_name"`
		Column  string `bun:"column_name"`
		NotNull bool   `bun:"not_null"`
	}
	var err error
	if st.Driver() == config.DriverSQLite {
		err = store.DBOf(st).NewRaw(`SELECT m.name AS table_name, p.name AS column_name, (p."notnull" OR p.pk = 1) AS not_null
			FROM sqlite_master m JOIN pragma_table_info(m.name) p
			WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'`).Scan(ctx, &rows)
	} else {
		err = store.DBOf(st).NewRaw(`SELECT table_name, column_name, is_nullable = 'NO' AS not_null
			FROM information_schema.columns WHERE table_schema = current_schema()`).Scan(ctx, &rows)
	}
	if err != nil {
		t.Fatalf("read schema: %v", err)
	}
	for _, r := range rows {
		out[r.Table] = append(out[r.Table], fmt.Sprintf("%s notnull=%v", r.Column, r.NotNull))
	}
	for k := range out {
		sort.Strings(out[k])
	}
	return out
}

func TestDialectsHaveSameSchema(t *testing.T) {
	drivers := storetest.Drivers(t)
	if len(drivers) < 2 {
		t.Skipf("needs PostgreSQL too: set %s", storetest.PostgresEnv)
	}
	lite := columns(t, storetest.Open(t, config.DriverSQLite))
	pg := columns(t, storetest.Open(t, config.DriverPostgres))
	if len(lite) < 15 {
		t.Fatalf("SQLite has only %d tables", len(lite))
	}
	for table, cols := range lite {
		if strings.HasPrefix(table, "bun_") {
			continue
		}
		if got := strings.Join(pg[table], "\n"); got != strings.Join(cols, "\n") {
			t.Errorf("table %s differs:\nSQLite:\n%s\nPostgreSQL:\n%s", table, strings.Join(cols, "\n"), got)
		}
	}
	for table := range pg {
		if _, ok := lite[table]; !ok {
			t.Errorf("table %s exists only on PostgreSQL", table)
		}
	}
}

// TestModelsMatchSchema checks that every column a model names exists in its table.
func TestModelsMatchSchema(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		cols := columns(t, st)
		models := []any{
			(*model.User)(nil), (*model.Identity)(nil), (*model.Session)(nil), (*model.Invite)(nil),
			(*model.Thread)(nil), (*model.Post)(nil), (*model.PostRevision)(nil), (*model.Tag)(nil),
			(*model.ThreadTag)(nil), (*model.RelatedLink)(nil), (*model.AuditEntry)(nil), (*model.Change)(nil),
			(*store.ReaderPosition)(nil),
		}
		for _, m := range models {
			table := store.DBOf(st).Table(reflectType(m))
			have := map[string]bool{}
			for _, c := range cols[table.Name] {
				have[strings.Fields(c)[0]] = true
			}
			if len(have) == 0 {
				t.Errorf("model %T: table %s missing", m, table.Name)
				continue
			}
			for _, f := range table.Fields {
				if !have[f.Name] {
					t.Errorf("model %T: column %s.%s missing", m, table.Name, f.Name)
				}
			}
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		applied, err := st.Migrate(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second migrate applied %v", applied)
		}
	})
}

func TestUniquePseudonymIsConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		a := &model.User{Pseudonym: "Maple_Mom", Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, a) }); err != nil {
			t.Fatal(err)
		}
		b := &model.User{Pseudonym: "maple_mom", Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
		err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, b) })
		if !errors.Is(err, model.ErrConflict) {
			t.Fatalf("second maple_mom: got %v, want ErrConflict", err)
		}
		got, err := st.UserByPseudonym(ctx, "MAPLE_MOM")
		if err != nil || got.ID != a.ID {
			t.Fatalf("UserByPseudonym = %v, %v", got, err)
		}
		if _, err := st.UserByID(ctx, 999999); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("missing user: got %v, want ErrNotFound", err)
		}
	})
}

func TestTimesRoundTripInUTC(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		at := time.Date(2026, 3, 4, 5, 6, 7, 123456000, time.UTC)
		u := &model.User{Pseudonym: "harbor", Role: model.RoleMember, Status: model.StatusActive, CreatedAt: at, UpdatedAt: at}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		got, err := st.UserByID(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(at) {
			t.Fatalf("created_at = %v, want %v", got.CreatedAt, at)
		}
	})
}

// TestEverySQLiteConnectionZeroesDeletedText: secure_delete is set on each pooled
// connection, so that whichever one runs a deletion, the freed space is zeroed; and a
// checkpoint leaves the write-ahead log empty.
func TestEverySQLiteConnectionZeroesDeletedText(t *testing.T) {
	st := storetest.Open(t, config.DriverSQLite)
	ctx := context.Background()
	var conns []interface{ Close() error }
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < 4; i++ {
		conn, err := store.DBOf(st).Conn(ctx) // held open, so that each is a new pooled connection
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn)
		var on int
		if err := conn.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&on); err != nil {
			t.Fatal(err)
		}
		if on != 1 {
			t.Fatalf("connection %d: secure_delete = %d, want 1", i, on)
		}
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil
	now := time.Now().UTC()
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertUser(ctx, &model.User{Pseudonym: "harbor", Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	var path string
	if err := store.DBOf(st).NewRaw("SELECT file FROM pragma_database_list WHERE name = 'main'").Scan(ctx, &path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() != 0 {
		t.Fatalf("write-ahead log after a checkpoint: %v, %v", fi, err)
	}
}

// A commit does not wait for the write-ahead log to be copied into the database file: the
// store copies it in the background, long before SQLite's own threshold of 1,000 pages.
func TestWriteAheadLogIsCopiedInTheBackground(t *testing.T) {
	st := storetest.Open(t, config.DriverSQLite)
	ctx := context.Background()
	storetest.Exec(t, st, "CREATE TABLE ballast (b BLOB NOT NULL)")
	if err := st.Checkpoint(ctx); err != nil { // the log empty, the file as it is
		t.Fatal(err)
	}
	path := storetest.DatabaseFile(t, st)
	size := func() int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}
	before := size()
	storetest.Exec(t, st, "INSERT INTO ballast VALUES (randomblob(200000))") // some 50 pages, in the log
	for deadline := time.Now().Add(10 * time.Second); size() < before+150000; {
		if time.Now().After(deadline) {
			t.Fatalf("the database file is still %d bytes (%d before the write): the log was not copied into it", size(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An erasure's checkpoint, which empties the log of the deleted text, is never refused
// because the store's background checkpoint is running: SQLite refuses a second at once.
func TestCheckpointIsNotRefusedForTheBackgroundOne(t *testing.T) {
	defer store.SetCheckpointEvery(time.Millisecond)()
	st := storetest.Open(t, config.DriverSQLite)
	storetest.Exec(t, st, "CREATE TABLE ballast (b BLOB NOT NULL)")
	for i := 0; i < 100; i++ {
		storetest.Exec(t, st, "INSERT INTO ballast VALUES (randomblob(400000))")
		if err := st.Checkpoint(context.Background()); err != nil {
			t.Fatalf("checkpoint %d: %v", i, err)
		}
	}
}
