package search

import (
	"context"
	"errors"
	"slices"

	"github.com/bits-and-blooms/bitset"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// countTags wraps a query so that the one pass that ranks its matches also counts the
// topics of every match: each match is noted in a bitset as the collector walks past it,
// and once the walk ends, each topic's list of threads is checked against the bitset, in
// the same snapshot of the index. That is a few hundred thousand bit tests, where asking
// the index for the tags of each match costs a lookup per match.
type countTags struct {
	query.Query
	top    int
	counts []TagCount // filled when the search ends
}

// Searcher wraps the query's searcher.
func (q *countTags) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, options search.SearcherOptions) (search.Searcher, error) {
	s, err := q.Query.Searcher(ctx, r, m, options)
	if err != nil {
		return nil, err
	}
	return &tagCounter{Searcher: s, q: q, ctx: ctx, reader: r, seen: bitset.New(0)}, nil
}

type tagCounter struct {
	search.Searcher
	q      *countTags
	ctx    context.Context
	reader index.IndexReader
	seen   *bitset.BitSet
	done   bool
}

var errInternalID = errors.New("search: the index numbers its documents in a way the topic counts do not know")

func (t *tagCounter) note(m *search.DocumentMatch, err error) (*search.DocumentMatch, error) {
	if err != nil {
		return nil, err
	}
	if m == nil {
		if !t.done {
			t.done = true
			return nil, t.count()
		}
		return nil, nil
	}
	if len(m.IndexInternalID) != 8 {
		return nil, errInternalID
	}
	t.seen.Set(uint(m.IndexInternalID.Value()))
	return m, nil
}

func (t *tagCounter) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	return t.note(t.Searcher.Next(ctx))
}

func (t *tagCounter) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	return t.note(t.Searcher.Advance(ctx, id))
}

// count counts, for every topic, the matches that carry it, and keeps the top ones.
func (t *tagCounter) count() error {
	if t.seen.None() {
		return nil
	}
	dict, err := t.reader.FieldDict("tags")
	if err != nil {
		return err
	}
	var terms []string
	for {
		e, err := dict.Next()
		if err != nil {
			dict.Close()
			return err
		}
		if e == nil {
			break
		}
		terms = append(terms, e.Term)
	}
	if err := dict.Close(); err != nil {
		return err
	}
	var counts []TagCount
	var doc index.TermFieldDoc
	for _, term := range terms {
		tfr, err := t.reader.TermFieldReader(t.ctx, []byte(term), "tags", false, false, false)
		if err != nil {
			return err
		}
		n := 0
		for {
			d, err := tfr.Next(&doc)
			if err != nil {
				tfr.Close()
				return err
			}
			if d == nil {
				break
			}
			if len(d.ID) == 8 && t.seen.Test(uint(d.ID.Value())) {
				n++
			}
		}
		if err := tfr.Close(); err != nil {
			return err
		}
		if n > 0 {
			counts = append(counts, TagCount{Slug: term, Count: n})
		}
	}
	// Most matches first; ties in the order of the slugs.
	slices.SortStableFunc(counts, func(a, b TagCount) int { return b.Count - a.Count })
	if len(counts) > t.q.top {
		counts = counts[:t.q.top]
	}
	t.q.counts = counts
	return t.ctx.Err()
}
