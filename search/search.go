package search

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search"
	"github.com/blevesearch/bleve/v2/search/query"
	index "github.com/blevesearch/bleve_index_api"

	"forum/app/model"
)

// Request is one search.
type Request struct {
	Query      Query
	PublicOnly bool // visitors: only threads published to the public archive
	Newest     bool // order by last activity instead of relevance
	From, Size int  // page
}

// Hit is one matching thread with highlighted snippets. Snippets are built by bleve's
// HTML formatter, which escapes the text around the <mark> it adds.
type Hit struct {
	ThreadID int64
	Title    template.HTML
	Snippet  template.HTML
}

// TagCount is a tag facet.
type TagCount struct {
	Slug  string
	Count int
}

// Result is a page of hits, the total, and tag facets.
type Result struct {
	Total uint64
	Hits  []Hit
	Tags  []TagCount
}

// ranked are the fields where a phrase found raises a thread's score, and their boosts:
// the title counts most, then expert answers. (Words are weighted so in the text field,
// and a word in the title raises the score as the matches are collected: see onePass.)
var ranked = []struct {
	name  string
	boost float64
}{{"title", titleBoost}, {"answers", 2}}

// titleBoost is how much a phrase found in a title adds to a thread's score, and how many
// times its score a thread with every word of the query in its title has.
const titleBoost = 3

// titleTerms returns, for each word of q, its terms in the title field.
func (ix *Index) titleTerms(q Query) [][][]byte {
	out := make([][][]byte, 0, len(q.Words))
	for _, w := range q.Words {
		var terms [][]byte
		for _, t := range ix.text.Analyze([]byte(w)) {
			terms = append(terms, t.Term)
		}
		out = append(out, terms)
	}
	return out
}

// snippetFields are the stored fields that hits show, highlighted.
var snippetFields = []string{"title", "answers", "body"}

// word matches w in field, forgiving one typo in words of five letters or more.
func word(field, w string) *query.MatchQuery {
	m := bleve.NewMatchQuery(w)
	m.SetField(field)
	if len([]rune(w)) >= 5 {
		m.SetFuzziness(1) // typo tolerance for longer words; short acronyms stay exact
		m.SetPrefix(1)    // the first letter must match: far fewer terms to expand
	}
	return m
}

// knownIn is how many threads must hold a word for it to be taken as typed: a word the
// index holds in fewer is matched with one typo forgiven.
const knownIn = 3

// textWord matches w in the text field: exactly when the index knows the word well,
// else forgiving one typo (see word).
func (ix *Index) textWord(w string) query.Query {
	if tokens := ix.text.Analyze([]byte(w)); len(tokens) == 1 {
		if n, err := ix.threadsWith("text", tokens[0].Term); err == nil && n >= knownIn {
			return term("text", string(tokens[0].Term))
		}
	}
	return word("text", w)
}

// threadsWith returns how many threads hold term in field.
func (ix *Index) threadsWith(field string, term []byte) (uint64, error) {
	var n uint64
	for _, s := range ix.shards {
		d, err := s.FieldDictRange(field, term, term)
		if err != nil {
			return 0, err
		}
		e, err := d.Next()
		if e != nil {
			n += e.Count
		}
		if err = errors.Join(err, d.Close()); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// phraseMatch matches phrase p anywhere in a thread: it looks up the pairs of words of
// p, all of which must be there; a "phrase" of one word is that word, exactly.
func (ix *Index) phraseMatch(p string) query.Query {
	if q := ix.pairsMatch(p); q != nil {
		return q
	}
	m := bleve.NewMatchQuery(p)
	m.SetOperator(query.MatchQueryOperatorAnd)
	m.SetField("text")
	return m
}

func phrase(field, p string) *query.MatchPhraseQuery {
	m := bleve.NewMatchPhraseQuery(p)
	m.SetField(field)
	return m
}

func term(field, value string) *query.TermQuery {
	t := bleve.NewTermQuery(value)
	t.SetField(field)
	return t
}

// build turns a Query into a bleve query; visibility filters for visitors. The words must
// match the text field and the phrases the pairs fields, which hold all of a thread; the
// clauses on the ranked fields only add to the score of a phrase.
//
// For visitors, whether a word is matched exactly or with a typo forgiven does not depend
// on how many threads hold it (textWord), since members-only threads count there too.
func (ix *Index) build(q Query, publicOnly bool) query.Query {
	var must, should []query.Query
	for _, w := range q.Words {
		if publicOnly {
			must = append(must, word("text", w))
		} else {
			must = append(must, ix.textWord(w))
		}
	}
	for _, p := range q.Phrases {
		must = append(must, ix.phraseMatch(p))
		for _, f := range ranked {
			m := phrase(f.name, p)
			m.SetBoost(f.boost)
			should = append(should, m)
		}
	}
	must = append(must, filters(q)...)
	if publicOnly {
		must = append(must, term("visibility", string(model.VisibilityPublic)))
	}
	if len(must) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	if len(should) == 0 {
		return bleve.NewConjunctionQuery(must...)
	}
	return query.NewBooleanQuery(must, should, nil)
}

// filters are the clauses of q's operators: topics, states, by:expert and dates.
func filters(q Query) []query.Query {
	var must []query.Query
	for _, tag := range q.Tags {
		must = append(must, term("tags", tag))
	}
	if len(q.States) > 0 {
		var any []query.Query
		for _, s := range q.States {
			any = append(any, term("state", string(s)))
		}
		must = append(must, bleve.NewDisjunctionQuery(any...))
	}
	if q.ByExpert {
		b := bleve.NewBoolFieldQuery(true)
		b.SetField("expert_answered")
		must = append(must, b)
	}
	if !q.Before.IsZero() || !q.After.IsZero() {
		r := bleve.NewDateRangeQuery(q.After, q.Before)
		r.SetField("created")
		must = append(must, r)
	}
	return must
}

// highlight is the query that finds the words and phrases of q in the stored fields of
// the threads ids, so that bleve can mark them; it matches each of ids even where none of
// the words is in a stored field.
func highlight(q Query, ids []string) query.Query {
	var should []query.Query
	for _, f := range snippetFields {
		for _, w := range q.Words {
			should = append(should, word(f, w))
		}
		for _, p := range q.Phrases {
			should = append(should, phrase(f, p))
		}
	}
	must := []query.Query{bleve.NewDocIDQuery(ids)}
	if len(should) == 0 {
		return bleve.NewConjunctionQuery(must...)
	}
	return query.NewBooleanQuery(must, should, nil)
}

// Search runs a request: one scored pass for the page of hits that also counts the topics
// of every match, then a small query that highlights the page's hits only.
func (ix *Index) Search(ctx context.Context, r Request) (*Result, error) {
	if r.Size <= 0 || r.Size > 50 {
		r.Size = 20
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, bleve.ErrorIndexClosed
	}
	counted := &onePass{Query: ix.build(r.Query, r.PublicOnly), topics: &ix.topics, titleWords: ix.titleTerms(r.Query)}
	req := bleve.NewSearchRequestOptions(counted, r.Size, r.From, false)
	if r.Newest {
		req.SortBy([]string{"-last_activity", "-_score"})
	}
	res, err := ix.searchScored(ctx, counted, req)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := &Result{Total: res.Total, Tags: counted.top(12)}
	if len(res.Hits) == 0 {
		return out, nil
	}
	page := make([]string, len(res.Hits))
	for i, h := range res.Hits {
		page[i] = h.ID
	}
	hl := bleve.NewSearchRequestOptions(highlight(r.Query, page), len(page), 0, false)
	hl.Score = "none"
	hl.Highlight = bleve.NewHighlightWithStyle("html")
	for _, f := range snippetFields {
		hl.Highlight.AddField(f)
	}
	hl.Fields = []string{"title"}
	marked, err := ix.all.SearchInContext(ctx, hl)
	if err != nil {
		return nil, fmt.Errorf("highlight: %w", err)
	}
	byID := make(map[string]*search.DocumentMatch, len(marked.Hits))
	for _, h := range marked.Hits {
		byID[h.ID] = h
	}
	for _, id := range page {
		h := byID[id]
		n, err := strconv.ParseInt(id, 10, 64)
		if err != nil || h == nil {
			continue // removed since the first query
		}
		out.Hits = append(out.Hits, newHit(n, h))
	}
	return out, nil
}

// MatchesAny reports whether r's query (its words, filters and visibility) matches any of
// threads: a cached page of r's results still holds after a batch that changed only
// threads it does not match and does not show.
func (ix *Index) MatchesAny(ctx context.Context, r Request, threads []int64) (bool, error) {
	if len(threads) == 0 {
		return false, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return false, bleve.ErrorIndexClosed
	}
	if threads = ix.mayMatch(r, threads); len(threads) == 0 {
		return false, nil
	}
	ids := make([]string, len(threads))
	for i, id := range threads {
		ids[i] = docID(id)
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(bleve.NewDocIDQuery(ids), ix.build(r.Query, r.PublicOnly)), 0, 0, false)
	req.Score = "none"
	res, err := ix.all.SearchInContext(ctx, req)
	if err != nil {
		return false, fmt.Errorf("search: %w", err)
	}
	return res.Total > 0, nil
}

// Outranks reports whether a page of r's results, in the order of relevance, whose last
// hit is thread last, changes when the index changed threads: whether any of them matches
// r's query and ranks with last or above it, so that it enters the page or moves within
// it. A changed thread that matches but ranks below leaves the page as it was, but for
// the total and the topic counts, which may then be short by the threads that newly match
// beyond it. The threads and last are scored together by the page's own query (the same
// words, filters, statistics and title boost), so that their order is the one a search
// would give them now.
func (ix *Index) Outranks(ctx context.Context, r Request, threads []int64, last int64) (bool, error) {
	if len(threads) == 0 {
		return false, nil
	}
	if slices.Contains(threads, last) {
		return true, nil
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return false, bleve.ErrorIndexClosed
	}
	if threads = ix.mayMatch(r, threads); len(threads) == 0 {
		return false, nil
	}
	ids := make([]string, 0, len(threads)+1)
	for _, id := range threads {
		ids = append(ids, docID(id))
	}
	lastID := docID(last)
	ids = append(ids, lastID)
	pass := &onePass{Query: &onlyDocs{Query: ix.build(r.Query, r.PublicOnly), ids: ids}, titleWords: ix.titleTerms(r.Query)}
	res, err := ix.searchScored(ctx, pass, bleve.NewSearchRequestOptions(pass, len(ids), 0, false))
	if err != nil {
		return false, fmt.Errorf("search: %w", err)
	}
	bar := -1.0
	for _, h := range res.Hits {
		if h.ID == lastID {
			bar = h.Score
		}
	}
	if bar < 0 {
		return true, nil // the page's last hit matches no more
	}
	for _, h := range res.Hits {
		if h.ID != lastID && h.Score >= bar {
			return true, nil
		}
	}
	return false, nil
}

// onlyDocs is a query that matches what its query matches among the documents ids only,
// each scored as the query alone scores it (a conjunction with a query of the ids would
// add that query's score to each).
type onlyDocs struct {
	query.Query
	ids []string
}

// Searcher steps the query's searcher to each of the documents in turn.
func (q *onlyDocs) Searcher(ctx context.Context, r index.IndexReader, m mapping.IndexMapping, options search.SearcherOptions) (search.Searcher, error) {
	targets := make([]index.IndexInternalID, 0, len(q.ids))
	for _, id := range q.ids {
		n, err := r.InternalID(id)
		if err != nil {
			return nil, err
		}
		if len(n) > 0 { // in this shard
			targets = append(targets, n)
		}
	}
	slices.SortFunc(targets, index.IndexInternalID.Compare)
	s, err := q.Query.Searcher(ctx, r, m, options)
	if err != nil {
		return nil, err
	}
	return &onlySearcher{Searcher: s, targets: targets}, nil
}

type onlySearcher struct {
	search.Searcher
	targets []index.IndexInternalID // in order; those before next were looked at
	next    int
}

func (s *onlySearcher) Next(ctx *search.SearchContext) (*search.DocumentMatch, error) {
	for s.next < len(s.targets) {
		m, err := s.Searcher.Advance(ctx, s.targets[s.next])
		if err != nil || m == nil {
			s.next = len(s.targets)
			return nil, err
		}
		// The targets before the match do not match.
		for s.next < len(s.targets) && s.targets[s.next].Compare(m.IndexInternalID) < 0 {
			s.next++
		}
		if s.next < len(s.targets) && s.targets[s.next].Equals(m.IndexInternalID) {
			s.next++
			return m, nil
		}
		ctx.DocumentMatchPool.Put(m)
	}
	return nil, nil
}

func (s *onlySearcher) Advance(ctx *search.SearchContext, id index.IndexInternalID) (*search.DocumentMatch, error) {
	for s.next < len(s.targets) && s.targets[s.next].Compare(id) < 0 {
		s.next++
	}
	return s.Next(ctx)
}

// searchScored runs req, whose query is pass, in every shard at once, scored with the term
// statistics of the whole index. The caller holds ix.mu.
func (ix *Index) searchScored(ctx context.Context, pass *onePass, req *bleve.SearchRequest) (*bleve.SearchResult, error) {
	stats, err := ix.newGlobalStats()
	if err != nil {
		return nil, err
	}
	defer stats.close()
	pass.stats = stats
	return ix.all.SearchInContext(ctx, req)
}

// newHit builds a hit from the highlighted match h of thread id.
func newHit(id int64, h *search.DocumentMatch) Hit {
	hit := Hit{ThreadID: id}
	if f := h.Fragments["title"]; len(f) > 0 {
		hit.Title = template.HTML(f[0]) // escaped by bleve's HTML formatter
	} else if t, ok := h.Fields["title"].(string); ok {
		hit.Title = template.HTML(template.HTMLEscapeString(t))
	}
	// The snippet is the first fragment that shows a matched word, expert answers first.
	for _, field := range []string{"answers", "body"} {
		if f := h.Fragments[field]; len(f) > 0 && (hit.Snippet == "" || strings.Contains(f[0], "<mark>")) {
			hit.Snippet = template.HTML(strings.Join(f, " … ")) // escaped by bleve's HTML formatter
			if strings.Contains(f[0], "<mark>") {
				break
			}
		}
	}
	return hit
}

// MembersOnlyThreshold is how many members-only threads must match a visitor's search
// before the visitor is told that some do.
const MembersOnlyThreshold = 10

// MembersOnlyMatch reports whether a visitor's search q matches at least
// MembersOnlyThreshold members-only threads, by the words of their titles and topics and
// by q's operators: the only thing a visitor learns of them. Whatever a visitor searches,
// what they are told never depends on the words of a post, on a phrase (a search with one
// is never counted), or on anything fewer than MembersOnlyThreshold threads have in common,
// so no search can test whether some private words were written. It runs a count-only
// query, so no document reaches the caller.
func (ix *Index) MembersOnlyMatch(ctx context.Context, q Query) (bool, error) {
	if len(q.Phrases) > 0 {
		return false, nil
	}
	must := []query.Query{term("visibility", string(model.VisibilityMembers))}
	for _, w := range q.Words {
		// As typed: no typo forgiven, which would match words nobody searched for.
		must = append(must, bleve.NewDisjunctionQuery(field("title", w), field("topics", w)))
	}
	must = append(must, filters(q)...)
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return false, bleve.ErrorIndexClosed
	}
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(must...), 0, 0, false)
	req.Score = "none"
	res, err := ix.all.SearchInContext(ctx, req)
	if err != nil {
		return false, fmt.Errorf("count members-only matches: %w", err)
	}
	return res.Total >= MembersOnlyThreshold, nil
}

// field matches the words of w in field, exactly.
func field(name, w string) *query.MatchQuery {
	m := bleve.NewMatchQuery(w)
	m.SetField(name)
	m.SetOperator(query.MatchQueryOperatorAnd)
	return m
}

// Similar returns up to n threads whose words resemble text (a title being typed, or a
// thread's own title and opening), best first, leaving out exclude.
func (ix *Index) Similar(ctx context.Context, text string, exclude int64, publicOnly bool, n int) ([]int64, error) {
	words := ParseQuery(text).Words
	if len(words) == 0 {
		return nil, nil
	}
	joined := strings.Join(words, " ")
	var any []query.Query
	for _, f := range []struct {
		name  string
		boost float64
	}{{"title", 3}, {"body", 1}, {"answers", 0.5}} {
		m := bleve.NewMatchQuery(joined) // any of the words
		m.SetField(f.name)
		m.SetBoost(f.boost)
		any = append(any, m)
	}
	var q query.Query = bleve.NewDisjunctionQuery(any...)
	if publicOnly {
		t := bleve.NewTermQuery(string(model.VisibilityPublic))
		t.SetField("visibility")
		q = bleve.NewConjunctionQuery(q, t)
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return nil, bleve.ErrorIndexClosed
	}
	pass := &onePass{Query: q}
	res, err := ix.searchScored(ctx, pass, bleve.NewSearchRequestOptions(pass, n+1, 0, false))
	if err != nil {
		return nil, fmt.Errorf("similar: %w", err)
	}
	var out []int64
	for _, h := range res.Hits {
		id, err := strconv.ParseInt(h.ID, 10, 64)
		if err == nil && id != exclude && len(out) < n {
			out = append(out, id)
		}
	}
	return out, nil
}
