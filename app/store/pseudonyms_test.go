package store_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

func TestSkeletonFoldsLookAlikes(t *testing.T) {
	same := [][2]string{
		{"maple_mom", "mаple_mоm"},   // Cyrillic а and о
		{"maple_mom", "MAPLE_MOM"},   // case
		{"maple_mom", "МАРLЕ_МОМ"},   // Cyrillic capitals
		{"maple_mom", "rnaple_rnom"}, // rn looks like m
		{"maple_mom", "maple.mom"},   // separators
		{"maple_mom", "ｍａｐｌｅ_mom"},   // full-width letters
		{"bob0", "bobO"},             // 0 and O
		{"Iris", "lris"},             // capital I and l
		{"river_stone", "rivеr-stone"},
	}
	for _, p := range same {
		if store.Skeleton(p[0]) != store.Skeleton(p[1]) {
			t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q: want the same", p[0], store.Skeleton(p[0]), p[1], store.Skeleton(p[1]))
		}
	}
	different := [][2]string{{"maple_mom", "maplemom"}, {"maple_mom", "maple_dad"}, {"bench_1_23", "bench_12_3"}}
	for _, p := range different {
		if store.Skeleton(p[0]) == store.Skeleton(p[1]) {
			t.Errorf("Skeleton(%q) = Skeleton(%q) = %q: want different", p[0], p[1], store.Skeleton(p[0]))
		}
	}
}

// TestLookAlikePseudonymIsConflict checks the unique skeleton: the database itself refuses
// a name that looks like a taken one, and frees the name of a deleted account.
func TestLookAlikePseudonymIsConflict(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		mk := func(name string) (*model.User, error) {
			u := &model.User{Pseudonym: name, Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
			return u, st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) })
		}
		a, err := mk("maple_mom")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mk("mаple_mom"); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("look-alike insert: got %v, want ErrConflict", err)
		}
		b, err := mk("quiet_harbor")
		if err != nil {
			t.Fatal(err)
		}
		b.Pseudonym = "maple.mom"
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, b, "pseudonym") }); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("look-alike rename: got %v, want ErrConflict", err)
		}
		if taken, alike, err := st.PseudonymInUse(ctx, "MAPLE_MOM", b.ID); err != nil || !taken {
			t.Fatalf("PseudonymInUse(MAPLE_MOM) = %v, %v, %v", taken, alike, err)
		}
		if taken, alike, err := st.PseudonymInUse(ctx, "rnaple_mom", b.ID); err != nil || taken || !alike {
			t.Fatalf("PseudonymInUse(rnaple_mom) = %v, %v, %v", taken, alike, err)
		}
		if taken, alike, err := st.PseudonymInUse(ctx, "Maple_Mom", a.ID); err != nil || taken || alike {
			t.Fatalf("own name in use = %v, %v, %v", taken, alike, err)
		}
		// A deleted account's name goes with it.
		a.Pseudonym, a.Status = "former-member-1", model.StatusDeleted
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, a, "pseudonym", "status") }); err != nil {
			t.Fatal(err)
		}
		if _, err := mk("mаple_mom"); err != nil {
			t.Fatalf("the name of a deleted account: %v", err)
		}
	})
}

// TestMigrateFillsPseudonymSkeletons writes accounts as the forum did before skeletons,
// and checks that migrating fills them, keeping look-alike names that already existed.
func TestMigrateFillsPseudonymSkeletons(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		var ids []int64
		for _, name := range []string{"maple_mom", "mаple_mom", "quiet_harbor"} {
			u := &model.User{Pseudonym: name, Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now,
				PseudonymLower: name}
			if _, err := store.DBOf(st).NewInsert().Model(u).ExcludeColumn("pseudonym_skeleton").Returning("id").Exec(ctx); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, u.ID)
		}
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		want := []string{store.Skeleton("maple_mom"), store.Skeleton("maple_mom") + "#" + strconv.FormatInt(ids[1], 10), store.Skeleton("quiet_harbor")}
		for i, id := range ids {
			u, err := st.UserByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if u.PseudonymSkeleton == nil || *u.PseudonymSkeleton != want[i] {
				t.Errorf("skeleton of %q = %v, want %q", u.Pseudonym, u.PseudonymSkeleton, want[i])
			}
		}
		// The existing look-alike keeps its name; a new one is still refused.
		u := &model.User{Pseudonym: "maple.mom", Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); !errors.Is(err, model.ErrConflict) {
			t.Fatalf("new look-alike after the fill: got %v, want ErrConflict", err)
		}
	})
}
