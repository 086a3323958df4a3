package search

import (
	"hash/fnv"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"
)

// The pairs of words that find phrases are spread over pairBuckets fields, "pairs.0" to
// "pairs.15", each pair in the one its hash names. They are most of the index's distinct
// terms (at 20,000 threads, more than half of the index), and bleve writes each field's
// dictionary of terms by building it whole in memory first, in a buffer that doubles as
// it grows: with one field, a merge of a shard at 20,000 threads held a 33 MB buffer for
// that dictionary alone, of a 63 MB live heap (heap profiles taken through a soak), and a
// shard of the reference size more. Spread over sixteen fields, each dictionary is a sixteenth as large, and a merge
// builds them one at a time.
const pairBuckets = 16

// pairsPath is the document property that holds the buckets (see Document.Pairs).
const pairsPath = "pairs"

// pairLinesAnalyzer reads a bucket of pairs back as its terms: one pair a line, as the
// pairs analyzer made it.
const pairLinesAnalyzer = "pair_lines"

// pairBucket returns the bucket of pair (a term of the pairs analyzer). FNV, not a seeded
// hash: every node and every run must put a pair where a query will look for it.
func pairBucket(pair []byte) int {
	h := fnv.New32a()
	h.Write(pair)
	return int(h.Sum32() % pairBuckets)
}

// pairField returns the field that holds pair.
func pairField(pair []byte) string { return pairsPath + "." + strconv.Itoa(pairBucket(pair)) }

// pairsOf returns the buckets of the pairs of words of all (Document.All), each bucket its
// pairs one a line, in order and repeated as often as they occur, so that each keeps its
// frequency.
func (ix *Index) pairsOf(all string) map[string]string {
	var buckets [pairBuckets]strings.Builder
	for _, tok := range ix.pairs.Analyze([]byte(all)) {
		if len(tok.Term) == 0 {
			continue
		}
		b := &buckets[pairBucket(tok.Term)]
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.Write(tok.Term)
	}
	out := make(map[string]string, pairBuckets)
	for i := range buckets {
		if buckets[i].Len() > 0 {
			out[strconv.Itoa(i)] = buckets[i].String()
		}
	}
	return out
}

// pairsMatch matches every pair of words of phrase p, each in its bucket; nil when p has
// no pair (one word, or only stop words).
func (ix *Index) pairsMatch(p string) query.Query {
	toks := ix.pairs.Analyze([]byte(p))
	if len(toks) == 0 {
		return nil
	}
	must := make([]query.Query, 0, len(toks))
	for _, tok := range toks {
		must = append(must, term(pairField(tok.Term), string(tok.Term)))
	}
	if len(must) == 1 {
		return must[0]
	}
	return bleve.NewConjunctionQuery(must...)
}
