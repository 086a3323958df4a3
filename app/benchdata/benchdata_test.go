package benchdata_test

import (
	"context"
	"testing"

	"forum/app/benchdata"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/search"
)

func TestGenerateIsDeterministicAndSearchable(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		sum, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: 120, Posts: 1000, Seed: 7}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Threads != 120 || sum.Posts != 1000 {
			t.Fatalf("summary = %+v", sum)
		}
		first, err := st.ThreadByID(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		// The same seed writes the same board.
		other := storetest.Open(t, st.Driver())
		if _, err := benchdata.Generate(ctx, other, benchdata.Options{Threads: 120, Posts: 1000, Seed: 7}, nil); err != nil {
			t.Fatal(err)
		}
		again, _ := other.ThreadByID(ctx, 1)
		if again.Title != first.Title || len(again.Tags) != len(first.Tags) {
			t.Fatalf("seed 7 wrote %q then %q", first.Title, again.Title)
		}
		ix, err := search.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		rs, err := search.Rebuild(ctx, st, ix, nil)
		if err != nil || rs.Threads != 120 || rs.Posts != 1000 {
			t.Fatalf("rebuild = %+v, %v", rs, err)
		}
		res, err := ix.Search(ctx, search.Request{Query: search.ParseQuery("relapse")})
		if err != nil || res.Total == 0 {
			t.Fatalf("search the synthetic board: %+v %v", res, err)
		}
	})
}
