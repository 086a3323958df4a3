package store_test

import (
	"context"
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/uptrace/bun/migrate"

	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/migrations"
)

// migrateBefore applies the migrations named before the one called name, as a database
// made by an older version of the forum has them.
func migrateBefore(t *testing.T, st *store.Store, name string) {
	t.Helper()
	sub, err := fs.Sub(migrations.FS, st.Driver())
	if err != nil {
		t.Fatal(err)
	}
	older := fstest.MapFS{}
	entries, err := fs.ReadDir(sub, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() < name {
			b, err := fs.ReadFile(sub, e.Name())
			if err != nil {
				t.Fatal(err)
			}
			older[e.Name()] = &fstest.MapFile{Data: b}
		}
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(older); err != nil {
		t.Fatal(err)
	}
	m := migrate.NewMigrator(store.DBOf(st), ms, migrate.WithMarkAppliedOnSuccess(true))
	ctx := context.Background()
	if err := m.Init(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx); err != nil {
		t.Fatalf("apply the older migrations: %v", err)
	}
}

// The migration to issuer-keyed identities keeps every row, gives each the issuer of its
// provider (a placeholder for the generic OpenID Connect one, claimed at start), and makes
// (issuer, subject) the key.
func TestIdentityIssuerMigration(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			_, dsn, label := storetest.DSN(t, driver)
			st, err := store.Open(ctx, driver, dsn, label)
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			migrateBefore(t, st, "20261202010000")

			now := time.Now().UTC()
			for i, name := range []string{"gh_person", "google_person", "oidc_person", "dev_person"} {
				if _, err := store.DBOf(st).NewRaw(`INSERT INTO users (pseudonym, pseudonym_lower, email, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?)`, name, name, name+"@example.org", now, now).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				provider := []string{"github", "google", "oidc", "dev"}[i]
				if _, err := store.DBOf(st).NewRaw(`INSERT INTO identities (user_id, provider, subject, email, created_at, last_used_at)
					VALUES (?, ?, ?, ?, ?, ?)`, i+1, provider, "subject-1", name+"@example.org", now, now).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}

			applied, err := st.Migrate(ctx)
			if err != nil {
				t.Fatalf("migrate: %v", err)
			}
			if len(applied) == 0 || !strings.HasPrefix(applied[0], "20261202010000") {
				t.Fatalf("applied %v, want the identity migration first", applied)
			}
			want := map[string]string{"github": "https://github.com", "google": "https://accounts.google.com",
				"oidc": store.LegacyIssuer("oidc"), "dev": "dev"}
			issuers := func() map[string]string {
				var ids []model.Identity
				if err := store.DBOf(st).NewSelect().Model(&ids).Order("id").Scan(ctx); err != nil {
					t.Fatal(err)
				}
				got := map[string]string{}
				for i, id := range ids {
					if id.UserID != int64(i+1) || id.Subject != "subject-1" || !strings.HasSuffix(id.Email, "@example.org") {
						t.Fatalf("identity %d changed in the migration: %+v", i+1, id)
					}
					got[id.Provider] = id.Issuer
				}
				return got
			}
			got := issuers()
			for p, iss := range want {
				if got[p] != iss {
					t.Errorf("%s identity has issuer %q, want %q", p, got[p], iss)
				}
			}

			claim := func(issuer string) (n int64, err error) {
				err = st.Tx(ctx, func(tx *store.Tx) error {
					n, err = tx.ClaimLegacyIdentities(ctx, "oidc", issuer)
					return err
				})
				return n, err
			}
			// The server starts with the OpenID Connect provider: its rows take its issuer, once.
			n, err := claim("https://id.clinic.example")
			if err != nil || n != 1 {
				t.Fatalf("claim = %d, %v; want 1 row", n, err)
			}
			if got := issuers(); got["oidc"] != "https://id.clinic.example" {
				t.Fatalf("oidc identity has issuer %q after the claim", got["oidc"])
			}
			if n, err := claim("https://elsewhere.example"); err != nil || n != 0 {
				t.Fatalf("second claim = %d, %v; want nothing left to claim", n, err)
			}
			id, err := st.IdentityByIssuerSubject(ctx, "https://id.clinic.example", "subject-1")
			if err != nil || id.UserID != 3 {
				t.Fatalf("identity by issuer = %+v, %v", id, err)
			}

			// The key is (issuer, subject): the same subject under the same provider name at
			// another issuer is another identity, and a second row for one key is refused.
			err = st.Tx(ctx, func(tx *store.Tx) error {
				return tx.InsertIdentity(ctx, &model.Identity{UserID: 1, Provider: "oidc", Issuer: "https://elsewhere.example",
					Subject: "subject-1", CreatedAt: now, LastUsedAt: now})
			})
			if err != nil {
				t.Fatalf("same subject at another issuer: %v", err)
			}
			err = st.Tx(ctx, func(tx *store.Tx) error {
				return tx.InsertIdentity(ctx, &model.Identity{UserID: 2, Provider: "other", Issuer: "https://elsewhere.example",
					Subject: "subject-1", CreatedAt: now, LastUsedAt: now})
			})
			if !errors.Is(err, model.ErrConflict) {
				t.Fatalf("a second identity for one issuer and subject: %v, want a conflict", err)
			}
		})
	}
}

// A sign-in state works once; remembered states are forgotten once expired.
func TestUseSignInState(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		hash := store.HashSecret("state-1")
		use := func(hash []byte, expires, now time.Time) (ok bool, err error) {
			err = st.Tx(ctx, func(tx *store.Tx) error {
				ok, err = tx.UseSignInState(ctx, hash, expires, now)
				return err
			})
			return ok, err
		}
		for i, want := range []bool{true, false, false} {
			ok, err := use(hash, now.Add(10*time.Minute), now)
			if err != nil || ok != want {
				t.Fatalf("use %d = %v, %v; want %v", i+1, ok, err, want)
			}
		}
		// After its expiry the row is removed by the next use of any state.
		if ok, err := use(store.HashSecret("state-2"), now.Add(30*time.Minute), now.Add(20*time.Minute)); !ok || err != nil {
			t.Fatalf("another state = %v, %v", ok, err)
		}
		n, err := store.DBOf(st).NewSelect().Model((*model.UsedSignInState)(nil)).Count(ctx)
		if err != nil || n != 1 {
			t.Fatalf("%d remembered states, want only the unexpired one (%v)", n, err)
		}
	})
}
