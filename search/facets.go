package search

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/bits-and-blooms/bitset"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"
)

// onePass wraps a query so that the one pass that ranks its matches also does two things
// bleve would otherwise need more passes or clauses for:
//
//   - It counts the topics of every match: each match is noted in a bitset as the collector
//     walks past it, and once the walk ends, the bitset is intersected with each topic's own
//     bitset of threads, in the same snapshot of the index. That is a few thousand machine
//     words per topic, where asking the index for the tags of each match costs a lookup
//     per match.
//   - It ranks a thread with the query's words in its title higher, whatever the length of
//     the thread (the text field's score shrinks with it): the titles holding each word are
//     read into bitsets first, and a match's score is multiplied by up to titleBoost, by the
//     share of the words in its title. A clause on the title field costs the same on every
//     match; a bit test costs nothing.
type onePass struct {
	query.Query
	topics     *topicSets
	top        int
	titleWords [][][]byte // the title terms of each word of the query
	counts     []TagCount // filled when the search ends
}

// Searcher wraps the query's searcher.
func (q *onePass) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, options search.SearcherOptions) (search.Searcher, error) {
	titles := make([]*bitset.BitSet, 0, len(q.titleWords))
	for _, terms := range q.titleWords {
		set := bitset.New(0)
		for _, t := range terms {
			if err := readPostings(ctx, r, "title", t, set); err != nil {
				return nil, err
			}
		}
		titles = append(titles, set)
	}
	s, err := q.Query.Searcher(ctx, r, m, options)
	if err != nil {
		return nil, err
	}
	return &tagCounter{Searcher: s, q: q, ctx: ctx, reader: r, seen: bitset.New(0), titles: titles}, nil
}

type tagCounter struct {
	search.Searcher
	q      *onePass
	ctx    context.Context
	reader index.IndexReader
	seen   *bitset.BitSet
	titles []*bitset.BitSet // per word of the query: the threads with it in their title
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
	n := uint(m.IndexInternalID.Value())
	t.seen.Set(n)
	inTitle := 0
	for _, set := range t.titles {
		if set.Test(n) {
			inTitle++
		}
	}
	if inTitle > 0 {
		m.Score *= 1 + (titleBoost-1)*float64(inTitle)/float64(len(t.titles))
	}
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
	sets, err := t.q.topics.of(t.ctx, t.reader)
	if err != nil {
		return err
	}
	var counts []TagCount
	for _, ts := range sets {
		if n := int(t.seen.IntersectionCardinality(ts.threads)); n > 0 {
			counts = append(counts, TagCount{Slug: ts.slug, Count: n})
		}
	}
	// Most matches first; ties in the order of the slugs.
	slices.SortStableFunc(counts, func(a, b TagCount) int { return b.Count - a.Count })
	if len(counts) > t.q.top {
		counts = counts[:t.q.top]
	}
	t.q.counts = counts
	return nil
}

// topicSets keeps each topic's bitset of threads for the latest snapshot of the index that
// a search read. A snapshot never changes, and the documents' numbers are the snapshot's
// own, so the sets are right for exactly that snapshot: a search in another one (after a
// write, or after the index merged its segments) builds them again, once.
type topicSets struct {
	mu       sync.Mutex
	snapshot index.IndexReader // held only to compare: keeping it keeps its address unique
	sets     []topicSet
}

type topicSet struct {
	slug    string
	threads *bitset.BitSet
}

// of returns the topics' sets in snapshot r, reading them from r when r is new.
func (ts *topicSets) of(ctx context.Context, r index.IndexReader) ([]topicSet, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.snapshot == r {
		return ts.sets, nil
	}
	sets, err := readTopicSets(ctx, r)
	if err != nil {
		return nil, err
	}
	ts.snapshot, ts.sets = r, sets
	return sets, nil
}

func readTopicSets(ctx context.Context, r index.IndexReader) ([]topicSet, error) {
	dict, err := r.FieldDict("tags")
	if err != nil {
		return nil, err
	}
	var slugs []string
	for {
		e, err := dict.Next()
		if err != nil {
			dict.Close()
			return nil, err
		}
		if e == nil {
			break
		}
		slugs = append(slugs, e.Term)
	}
	if err := dict.Close(); err != nil {
		return nil, err
	}
	sets := make([]topicSet, 0, len(slugs))
	for _, slug := range slugs {
		threads := bitset.New(0)
		if err := readPostings(ctx, r, "tags", []byte(slug), threads); err != nil {
			return nil, err
		}
		sets = append(sets, topicSet{slug: slug, threads: threads})
	}
	return sets, ctx.Err()
}

// readPostings sets in set the number of every document with term in field.
func readPostings(ctx context.Context, r index.IndexReader, field string, term []byte, set *bitset.BitSet) error {
	tfr, err := r.TermFieldReader(ctx, term, field, false, false, false)
	if err != nil {
		return err
	}
	var doc index.TermFieldDoc
	for {
		d, err := tfr.Next(&doc)
		if err != nil {
			tfr.Close()
			return err
		}
		if d == nil {
			return tfr.Close()
		}
		if len(d.ID) != 8 {
			tfr.Close()
			return errInternalID
		}
		set.Set(uint(d.ID.Value()))
	}
}
