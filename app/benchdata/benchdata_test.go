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

// TestBoardTextIsRealistic: the community's words are each in a few percent of the
// threads, as on a real board (not in nearly all of them), thread lengths run from 1 post
// to long ones, and the vocabulary is large.
func TestBoardTextIsRealistic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const threads = 300
		if _, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: threads, Posts: 2400, Seed: 3}, nil); err != nil {
			t.Fatal(err)
		}
		ix, err := search.Open(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if _, err := search.Rebuild(ctx, st, ix, nil); err != nil {
			t.Fatal(err)
		}
		for _, w := range []string{"relapse", "boundaries", "probation", "naloxone"} {
			res, err := ix.Search(ctx, search.Request{Query: search.ParseQuery(w)})
			if err != nil {
				t.Fatal(err)
			}
			share := float64(res.Total) / threads
			t.Logf("%q: %d of %d threads (%.1f%%)", w, res.Total, threads, 100*share)
			if share < 0.005 || share > 0.25 {
				t.Errorf("%q is in %d of %d threads (%.1f%%): want a few percent", w, res.Total, threads, 100*share)
			}
		}
		shortest, longest := 1000, 0
		for id := int64(1); id <= threads; id++ {
			th, err := st.ThreadByID(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			shortest, longest = min(shortest, th.ReplyCount+1), max(longest, th.ReplyCount+1)
		}
		if shortest != 1 || longest < 40 {
			t.Errorf("threads have %d to %d posts: want 1 post to a long tail", shortest, longest)
		}
		if benchdata.VocabularySize < 20000 {
			t.Errorf("vocabulary of %d words", benchdata.VocabularySize)
		}
	})
}
