package store_test

import (
	"context"
	"testing"
	"time"

	"forum/app/store"
	"forum/app/store/storetest"
)

// The tidy migration drops what nothing used (threads.view_count, flags, follows) from a
// database made by an older version, and keeps every thread; the notifications and the
// reports migrations then make follows and flags anew.
func TestTidyMigrationDropsUnusedSchema(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			_, dsn, label := storetest.DSN(t, driver)
			st, err := store.Open(ctx, driver, dsn, label)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			migrateBefore(t, st, "20261202070000")

			has := func(table, column string) bool {
				t.Helper()
				q := `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? AND (? = '' OR column_name = ?)`
				if driver == "sqlite" {
					q = `SELECT COUNT(*) FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name = ? AND (? = '' OR p.name = ?)`
				}
				var n int
				if err := store.DBOf(st).NewRaw(q, table, column, column).Scan(ctx, &n); err != nil {
					t.Fatal(err)
				}
				return n > 0
			}
			for _, tc := range [][2]string{{"threads", "view_count"}, {"flags", ""}, {"follows", ""}} {
				if !has(tc[0], tc[1]) {
					t.Fatalf("before the migration %s %s is missing: the test cannot fail", tc[0], tc[1])
				}
			}
			now := time.Now().UTC()
			if _, err := store.DBOf(st).NewRaw(`INSERT INTO users (pseudonym, pseudonym_lower, created_at, updated_at) VALUES ('asker', 'asker', ?, ?)`,
				now, now).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := store.DBOf(st).NewRaw(`INSERT INTO threads (title, slug, author_id, view_count, created_at, updated_at, last_activity_at)
				VALUES ('How do we talk about it', 'how-do-we-talk-about-it', 1, 12, ?, ?, ?)`, now, now, now).Exec(ctx); err != nil {
				t.Fatal(err)
			}

			if _, err := st.Migrate(ctx); err != nil {
				t.Fatalf("migrate: %v", err)
			}
			for _, tc := range [][2]string{{"threads", "view_count"}, {"flags", "user_id"}, {"flags", "resolved_by"}} {
				if has(tc[0], tc[1]) {
					t.Errorf("after the migration %s %s is still there", tc[0], tc[1])
				}
			}
			// Following and reports came back later as features of their own, with levels
			// and with the member who reported.
			if !has("follows", "level") {
				t.Errorf("after the migrations follows is not the table of follow levels")
			}
			if !has("flags", "flagger_id") {
				t.Errorf("after the migrations flags is not the table of reports")
			}
			th, err := st.ThreadByID(ctx, 1)
			if err != nil || th.Title != "How do we talk about it" {
				t.Fatalf("the thread after the migration: %+v, %v", th, err)
			}
		})
	}
}
