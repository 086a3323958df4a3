package search

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/bits-and-blooms/bitset"
	"github.com/blevesearch/bleve/v2/index/scorch"
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
//
// Each shard of the index runs it on its own, at the same time, scored with the statistics
// of the whole index (stats); their topic counts add up.
type onePass struct {
	query.Query
	stats      *globalStats
	topics     *topicSets // nil: no topic counts
	titleWords [][][]byte // the title terms of each word of the query

	mu     sync.Mutex
	counts map[string]int
}

// top returns the n topics with the most matches, most first, ties by slug.
func (q *onePass) top(n int) []TagCount {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]TagCount, 0, len(q.counts))
	for slug, c := range q.counts {
		out = append(out, TagCount{Slug: slug, Count: c})
	}
	slices.SortFunc(out, func(a, b TagCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return strings.Compare(a.Slug, b.Slug)
	})
	return out[:min(n, len(out))]
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
	scored := r
	if snap, ok := r.(*scorch.IndexSnapshot); ok && q.stats != nil {
		scored = &globalReader{IndexSnapshot: snap, stats: q.stats}
	}
	s, err := q.Query.Searcher(ctx, scored, m, options)
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
	if t.q.topics != nil {
		t.seen.Set(n)
	}
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
	t.q.mu.Lock()
	defer t.q.mu.Unlock()
	if t.q.counts == nil {
		t.q.counts = map[string]int{}
	}
	for _, ts := range sets {
		if n := int(t.seen.IntersectionCardinality(ts.threads)); n > 0 {
			t.q.counts[ts.slug] += n
		}
	}
	return nil
}

// topicSets keeps each topic's bitset of threads for the latest snapshots of the index's
// shards that a search read. A snapshot never changes, and the documents' numbers are the
// snapshot's own, so the sets are right for exactly that snapshot: a search in another one
// (after a write, or after a shard merged its segments) builds them again, once.
type topicSets struct {
	mu sync.Mutex
	// The snapshots are held only to be compared: keeping them keeps their addresses unique.
	sets map[index.IndexReader][]topicSet
}

type topicSet struct {
	slug    string
	threads *bitset.BitSet
}

// of returns the topics' sets in snapshot r, reading them from r when r is new.
func (ts *topicSets) of(ctx context.Context, r index.IndexReader) ([]topicSet, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if sets, ok := ts.sets[r]; ok {
		return sets, nil
	}
	sets, err := readTopicSets(ctx, r)
	if err != nil {
		return nil, err
	}
	if ts.sets == nil || len(ts.sets) >= 2*shards {
		ts.sets = map[index.IndexReader][]topicSet{} // older snapshots are done with
	}
	ts.sets[r] = sets
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

// globalStats are the term statistics of the whole index, summed over its shards, read
// from a snapshot of each shard taken as a search begins. Scored with them, each shard
// ranks its matches as one index holding every thread would, so the merged hits are in the
// right order however the threads fall into shards.
type globalStats struct {
	readers []index.IndexReader
	docs    uint64

	mu     sync.Mutex
	counts map[string]uint64 // by field and term
}

func (ix *Index) newGlobalStats() (*globalStats, error) {
	g := &globalStats{counts: map[string]uint64{}}
	for _, s := range ix.shards {
		adv, err := s.Advanced()
		if err != nil {
			g.close()
			return nil, err
		}
		r, err := adv.Reader()
		if err != nil {
			g.close()
			return nil, err
		}
		g.readers = append(g.readers, r)
		n, err := r.DocCount()
		if err != nil {
			g.close()
			return nil, err
		}
		g.docs += n
	}
	return g, nil
}

func (g *globalStats) close() {
	for _, r := range g.readers {
		r.Close()
	}
}

// count returns how many threads of the whole index hold term in field.
func (g *globalStats) count(ctx context.Context, field string, term []byte) (uint64, error) {
	key := field + "\x00" + string(term)
	g.mu.Lock()
	defer g.mu.Unlock()
	if n, ok := g.counts[key]; ok {
		return n, nil
	}
	var n uint64
	for _, r := range g.readers {
		tfr, err := r.TermFieldReader(ctx, term, field, false, false, false)
		if err != nil {
			return 0, err
		}
		n += tfr.Count()
		if err := tfr.Close(); err != nil {
			return 0, err
		}
	}
	g.counts[key] = n
	return n, nil
}

// globalReader is a shard's snapshot that tells the whole index's term statistics, so the
// searchers built on it score with them; everything else is the snapshot's.
type globalReader struct {
	*scorch.IndexSnapshot
	stats *globalStats
}

func (g *globalReader) DocCount() (uint64, error) { return g.stats.docs, nil }

func (g *globalReader) TermFieldReader(ctx context.Context, term []byte, field string, includeFreq, includeNorm, includeTermVectors bool) (index.TermFieldReader, error) {
	tfr, err := g.IndexSnapshot.TermFieldReader(ctx, term, field, includeFreq, includeNorm, includeTermVectors)
	if err != nil {
		return nil, err
	}
	n, err := g.stats.count(ctx, field, term)
	if err != nil {
		tfr.Close()
		return nil, err
	}
	return &globalTermReader{TermFieldReader: tfr, count: n}, nil
}

// globalTermReader reads a term's threads in one shard and tells their count in all.
type globalTermReader struct {
	index.TermFieldReader
	count uint64
}

func (t *globalTermReader) Count() uint64 { return t.count }

// Optimize lets the shard's own reader take part in bleve's conjunction shortcuts.
func (t *globalTermReader) Optimize(kind string, octx index.OptimizableContext) (index.OptimizableContext, error) {
	if o, ok := t.TermFieldReader.(index.Optimizable); ok {
		return o.Optimize(kind, octx)
	}
	return nil, nil
}
