package search

import (
	"context"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/search/query"

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

// fields and their boosts: the title counts most, then expert answers.
var fields = []struct {
	name  string
	boost float64
}{{"title", 3}, {"answers", 2}, {"body", 1}, {"replies", 0.6}}

// build turns a Query into a bleve query; visibility filters for visitors.
func build(q Query, publicOnly bool) query.Query {
	var must []query.Query
	for _, w := range q.Words {
		var any []query.Query
		for _, f := range fields {
			m := bleve.NewMatchQuery(w)
			m.SetField(f.name)
			m.SetBoost(f.boost)
			if len([]rune(w)) >= 5 {
				m.SetFuzziness(1) // typo tolerance for longer words; short acronyms stay exact
				m.SetPrefix(1)    // the first letter must match: far fewer terms to expand
			}
			any = append(any, m)
		}
		// A word that names a topic (CRAFT, MAT) finds the threads with that tag too.
		tag := bleve.NewTermQuery(strings.ToLower(w))
		tag.SetField("tags")
		tag.SetBoost(2)
		any = append(any, tag)
		must = append(must, bleve.NewDisjunctionQuery(any...))
	}
	for _, p := range q.Phrases {
		var any []query.Query
		for _, f := range fields {
			m := bleve.NewMatchPhraseQuery(p)
			m.SetField(f.name)
			m.SetBoost(f.boost)
			any = append(any, m)
		}
		must = append(must, bleve.NewDisjunctionQuery(any...))
	}
	term := func(field, value string) query.Query {
		t := bleve.NewTermQuery(value)
		t.SetField(field)
		return t
	}
	for _, tag := range q.Tags {
		must = append(must, term("tags", tag))
	}
	if len(q.States) > 0 {
		var any []query.Query
		for _, s := range q.States {
			any = append(any, term("state", s))
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
	if publicOnly {
		must = append(must, term("visibility", model.VisibilityPublic))
	}
	if len(must) == 0 {
		return bleve.NewMatchNoneQuery()
	}
	return bleve.NewConjunctionQuery(must...)
}

// Search runs a request.
func (ix *Index) Search(ctx context.Context, r Request) (*Result, error) {
	if r.Size <= 0 || r.Size > 50 {
		r.Size = 20
	}
	q := build(r.Query, r.PublicOnly)
	req := bleve.NewSearchRequestOptions(q, r.Size, r.From, false)
	req.Highlight = bleve.NewHighlightWithStyle("html")
	req.Highlight.AddField("title")
	req.Highlight.AddField("body")
	req.Highlight.AddField("answers")
	req.Fields = []string{"title"}
	if r.Newest {
		req.SortBy([]string{"-last_activity", "-_score"})
	}
	// The tag facets count every match, and need no score: a second, unscored request
	// computes them beside the page of hits, on another core.
	facets := bleve.NewSearchRequestOptions(q, 0, 0, false)
	facets.Score = "none"
	facets.AddFacet("tags", bleve.NewFacetRequest("tags", 12))
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	type result struct {
		res *bleve.SearchResult
		err error
	}
	counted := make(chan result, 1)
	go func() {
		res, err := ix.idx.SearchInContext(ctx, facets)
		counted <- result{res, err}
	}()
	res, err := ix.idx.SearchInContext(ctx, req)
	fr := <-counted
	if err == nil {
		err = fr.err
	}
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	out := &Result{Total: res.Total}
	for _, h := range res.Hits {
		id, err := strconv.ParseInt(h.ID, 10, 64)
		if err != nil {
			continue
		}
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
		out.Hits = append(out.Hits, hit)
	}
	if f, ok := fr.res.Facets["tags"]; ok && f.Terms != nil {
		for _, t := range f.Terms.Terms() {
			out.Tags = append(out.Tags, TagCount{Slug: t.Term, Count: t.Count})
		}
	}
	return out, nil
}

// CountMembersOnly counts the members-only threads that match q: the only thing a visitor
// learns of them. It runs a count-only query, so no document reaches the caller.
func (ix *Index) CountMembersOnly(ctx context.Context, q Query) (uint64, error) {
	t := bleve.NewTermQuery(model.VisibilityMembers)
	t.SetField("visibility")
	req := bleve.NewSearchRequestOptions(bleve.NewConjunctionQuery(build(q, false), t), 0, 0, false)
	req.Score = "none"
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	res, err := ix.idx.SearchInContext(ctx, req)
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return res.Total, nil
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
		t := bleve.NewTermQuery(model.VisibilityPublic)
		t.SetField("visibility")
		q = bleve.NewConjunctionQuery(q, t)
	}
	req := bleve.NewSearchRequestOptions(q, n+1, 0, false)
	ix.mu.RLock()
	res, err := ix.idx.SearchInContext(ctx, req)
	ix.mu.RUnlock()
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
