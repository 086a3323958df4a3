package search

import (
	"slices"
)

// A kept search page is checked against every batch the index applied since it was
// searched (MatchesAny, Outranks): with replies coming ten a second, on nearly every request
// for it. Run as a bleve search restricted to the changed threads, each check looked up
// every term of the query and expanded its typos in every segment, and that was most of
// the cost of the search page under writes. The words of each small batch's threads are
// kept with the batch, so that a changed thread without one of the query's exact
// words is known not to match without asking bleve; bleve checks only the threads that
// hold them all. The words are a necessary condition only (a typo-forgiven word, a phrase
// or a filter is not checked here), so a thread left in may still not match; one left out
// cannot.

// termBatchMax is the largest batch whose threads' words are kept: a reply's batch is one
// thread; a rebuild's batches are not checked against (ChangedSince gives up past 512).
const termBatchMax = 16

// threadTerms returns the terms d's text field holds, sorted, each once.
func (ix *Index) threadTerms(d Document) []string {
	tokens := ix.text.Analyze([]byte(d.Text))
	out := make([]string, 0, len(tokens))
	for _, t := range tokens {
		out = append(out, string(t.Term))
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// wantTerm is a term every thread a query matches holds in its text field, exactly or,
// for a word matched with a typo forgiven, within one edit.
type wantTerm struct {
	term  string
	fuzzy bool
}

// requiredTerms returns the terms every thread r matches must hold in its text field: one
// for each of the query's words that is one term (see build: textWord, word). A word of
// five letters or more may be forgiven a typo; whether it is, for a member, depends on
// how many threads hold it (textWord), which is not asked here (two dictionary look-ups a
// word, a good part of a check): such a word is required within one edit, which the word
// itself is too.
func (ix *Index) requiredTerms(r Request) []wantTerm {
	var out []wantTerm
	for _, w := range r.Query.Words {
		if tokens := ix.text.Analyze([]byte(w)); len(tokens) == 1 {
			out = append(out, wantTerm{term: string(tokens[0].Term), fuzzy: len([]rune(w)) >= 5})
		}
	}
	return out
}

// mayMatch returns the threads of threads that may match r: those whose words the index
// does not keep (removed, or changed in a large batch), and those that hold all of r's
// required terms.
func (ix *Index) mayMatch(r Request, threads []int64) []int64 {
	required := ix.requiredTerms(r)
	if len(required) == 0 {
		return threads
	}
	ix.recentMu.Lock()
	defer ix.recentMu.Unlock()
	out := make([]int64, 0, len(threads))
	for _, id := range threads {
		if terms, ok := ix.keptTerms(id); !ok || holdsAll(terms, required) {
			out = append(out, id)
		}
	}
	return out
}

// keptTerms returns the words kept of thread id's latest version among the recent
// batches. Called under recentMu.
func (ix *Index) keptTerms(id int64) ([]string, bool) {
	for i := len(ix.recent) - 1; i >= 0; i-- {
		b := ix.recent[i]
		if slices.Contains(b.threads, id) {
			terms, ok := b.terms[id]
			return terms, ok
		}
	}
	return nil, false
}

func holdsAll(terms []string, required []wantTerm) bool {
	for _, w := range required {
		if _, ok := slices.BinarySearch(terms, w.term); ok {
			continue
		}
		if !w.fuzzy || !slices.ContainsFunc(terms, func(t string) bool { return withinOneEdit(t, w.term) }) {
			return false
		}
	}
	return true
}

// withinOneEdit reports whether a and b differ by at most one letter changed, added or
// removed, or two neighbours swapped: all that bleve's typo forgiveness (one edit, its
// first letter kept) allows, and more (the first letter may differ here), so that no
// thread bleve would match is ruled out.
func withinOneEdit(a, b string) bool {
	x, y := []rune(a), []rune(b)
	if len(x) < len(y) {
		x, y = y, x
	}
	switch len(x) - len(y) {
	case 0:
		first := -1
		for i := range x {
			if x[i] == y[i] {
				continue
			}
			if first >= 0 {
				// A second difference: only a swap of neighbours, and nothing after it.
				return i == first+1 && x[first] == y[i] && x[i] == y[first] && string(x[i+1:]) == string(y[i+1:])
			}
			first = i
		}
		return true
	case 1:
		i := 0
		for i < len(y) && x[i] == y[i] {
			i++
		}
		return string(x[i+1:]) == string(y[i:])
	}
	return false
}
