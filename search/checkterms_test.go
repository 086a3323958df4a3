package search

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"forum/app/model"
)

// The words kept with a batch may rule a changed thread out of a page's check only where
// bleve would find it does not match: for every query (exact, rare and misspelt words,
// short and long words for visitors, stop words, words of two tokens, possessives) and
// every thread, a thread bleve matches is kept for bleve to check.
func TestKeptWordsRuleOutOnlyThreadsThatDoNotMatch(t *testing.T) {
	ix, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	texts := []string{
		"Our son's relapse after detox, and the boundaries we set",
		"Naloxone at home: where families keep the kit",
		"Co-parenting through court dates and probation",
		"The therapist said trust takes time after rehab",
		"Relapse is part of recovery for many, the counsellor told us",
		"Money, cravings and the sober house rules",
		"Naloxone training at the library on Tuesday",
		"A boundary about money that held for a month",
	}
	doc := func(id int64, round int) Document {
		text := texts[id-1] + fmt.Sprintf(" round%d", round)
		v := model.VisibilityMembers
		if id%2 == 0 {
			v = model.VisibilityPublic
		}
		return Document{ID: id, Text: text, All: text, Title: text, Body: text, Kind: "question", State: "open",
			Visibility: string(v), Created: time.Now(), LastActivity: time.Now()}
	}
	// Filler threads make "relapse", "naloxone" and "money" known words (in three threads or
	// more), the others rare.
	var docs []Document
	for id := int64(1); id <= int64(len(texts)); id++ {
		docs = append(docs, doc(id, 0))
	}
	for id := int64(100); id < 100+termBatchMax; id++ {
		docs = append(docs, Document{ID: id, Text: "relapse naloxone money", All: "relapse naloxone money", Kind: "question",
			State: "open", Visibility: string(model.VisibilityPublic), Created: time.Now(), LastActivity: time.Now()})
	}
	if err := ix.Apply(docs, nil, model.ChangePosition{ID: 1}); err != nil {
		t.Fatal(err)
	}
	var changed []int64
	for id := int64(1); id <= int64(len(texts)); id++ { // each thread replied to: a batch of its own
		if err := ix.Apply([]Document{doc(id, 1)}, nil, model.ChangePosition{ID: id + 1}); err != nil {
			t.Fatal(err)
		}
		changed = append(changed, id)
	}
	ctx := context.Background()
	ruledOut := 0
	for _, q := range []string{"relapse", "Relapse", "relapses", "relapse boundaries", "naloxone", "naloxone kit",
		"nalxone", "relapes", "boundaires", "naloxones", "money", "money court", "son", "son's", "the", "co-parenting", "co", "trust rehab", "boundary",
		"boundaries", "detox", "round1", "sober house", `"sober house"`, "relapse tag:probation", "zzzz"} {
		for _, publicOnly := range []bool{false, true} {
			r := Request{Query: ParseQuery(q), PublicOnly: publicOnly}
			kept := map[int64]bool{}
			for _, id := range ix.mayMatch(r, changed) {
				kept[id] = true
			}
			for _, id := range changed {
				req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(bleve.NewDocIDQuery([]string{docID(id)}), ix.build(r.Query, publicOnly)), 0, 0, false)
				res, err := ix.all.SearchInContext(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if res.Total > 0 && !kept[id] {
					t.Errorf("%q (visitor %v): thread %d matches, but its kept words ruled it out", q, publicOnly, id)
				}
				if !kept[id] {
					ruledOut++
				}
			}
			// The answers agree with bleve's.
			any, err := ix.MatchesAny(ctx, r, changed)
			if err != nil {
				t.Fatal(err)
			}
			req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(bleve.NewDocIDQuery(docIDs(changed)), ix.build(r.Query, publicOnly)), 0, 0, false)
			res, err := ix.all.SearchInContext(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if any != (res.Total > 0) {
				t.Errorf("%q (visitor %v): MatchesAny %v, bleve finds %d", q, publicOnly, any, res.Total)
			}
		}
	}
	if ruledOut == 0 {
		t.Error("the kept words ruled out no thread for any query")
	}
	t.Logf("threads ruled out without bleve: %d", ruledOut)
}

func docIDs(ids []int64) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = docID(id)
	}
	return out
}

func TestWithinOneEdit(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"relaps", "relaps", true}, {"relaps", "relasp", true}, {"relaps", "rlaps", true}, {"relaps", "relapse", true},
		{"relaps", "belaps", true}, {"naloxon", "naloxan", true}, {"ab", "ba", true}, {"", "a", true},
		{"relaps", "rleasp", false}, {"relaps", "relapsed", false}, {"naloxon", "nalxan", false}, {"abc", "cba", false},
		{"boundari", "boundary", true}, {"élan", "elan", true}, {"élan", "lan", true}, {"élan", "elax", false},
	} {
		if got := withinOneEdit(c.a, c.b); got != c.want {
			t.Errorf("withinOneEdit(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
		if got := withinOneEdit(c.b, c.a); got != c.want {
			t.Errorf("withinOneEdit(%q, %q) = %v, want %v", c.b, c.a, got, c.want)
		}
	}
}

// Only a thread's latest version keeps its words: a post removed from a thread leaves the
// memory of the index's recent batches with the batch that indexed the thread without it,
// as it does when the thread itself is removed.
func TestKeptWordsAreOnlyTheLatestVersions(t *testing.T) {
	ix, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	doc := func(id int64, text string) Document {
		return Document{ID: id, Text: text, All: text, Kind: "question", State: "open",
			Visibility: string(model.VisibilityMembers), Created: time.Now(), LastActivity: time.Now()}
	}
	apply := func(docs []Document, deletions []int64, pos int64) {
		if err := ix.Apply(docs, deletions, model.ChangePosition{ID: pos}); err != nil {
			t.Fatal(err)
		}
	}
	apply([]Document{doc(1, "our daughter moved out"), doc(2, "naloxone kit")}, nil, 1)
	apply([]Document{doc(1, "our daughter moved out zanzibarite")}, nil, 2) // a reply
	apply([]Document{doc(1, "our daughter moved out")}, nil, 3)             // the reply deleted
	apply(nil, []int64{2}, 4)                                               // a thread removed
	ix.recentMu.Lock()
	defer ix.recentMu.Unlock()
	for _, b := range ix.recent {
		for id, terms := range b.terms {
			if id == 2 || slices.Contains(terms, "zanzibarit") || slices.Contains(terms, "zanzibarite") {
				t.Errorf("batch %d still keeps thread %d's words %v", b.version, id, terms)
			}
		}
	}
	if terms, ok := ix.keptTerms(1); !ok || !slices.Contains(terms, "daughter") {
		t.Errorf("thread 1's latest words: %v, %v", terms, ok)
	}
}
