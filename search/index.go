// Package search keeps the bleve full-text index of the forum's threads, one document per
// thread, fed from the change log. The database is the truth; the index is derived and can
// always be rebuilt (forum reindex).
package search

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/shingle"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/mapping"
	bolterrors "go.etcd.io/bbolt/errors"
)

// lastChangeKey is where the index keeps the id of the last change-log row it applied.
var lastChangeKey = []byte("last_change")

// schemaKey is where the index keeps the version of the mapping it was built with.
var schemaKey = []byte("schema")

// schemaVersion is the version of newMapping. Raise it whenever the mapping or the
// documents change: an index built with an earlier version, or whose rebuild did not
// finish, is then replaced by an empty one, which the syncer fills again from the
// database.
const schemaVersion = "2"

// pairsAnalyzer turns text into the pairs of words that follow each other (English
// analysis first, so "the drug tests" gives "_ drug" and "drug test"): a phrase query
// then looks up its pairs as terms instead of reading word positions.
const pairsAnalyzer = "en_pairs"

// ErrInUse reports an index opened by another process (bleve allows one writer).
var ErrInUse = errors.New("the search index is in use by another process (a running server?)")

// Index is the bleve index of threads.
type Index struct {
	mu   sync.RWMutex
	idx  bleve.Index
	path string
	// replaced tells that Open found an index built by an earlier version, or one whose
	// rebuild did not finish, and put an empty one in its place: it needs a full rebuild
	// (the syncer does it).
	replaced bool
	closed   bool
	pairs    analysis.Analyzer
	text     analysis.Analyzer
	topics   topicSets
}

// Open opens the index in dir, creating it when missing. It does not wait for an index
// another process holds: it returns ErrInUse after a short timeout.
//
// An index built by an earlier version of the mapping, or whose rebuild did not finish,
// is removed and created again empty; Replaced then reports true.
func Open(dir string) (*Index, error) {
	path := filepath.Join(dir, "search.bleve")
	config := map[string]interface{}{"bolt_timeout": "2s"}
	idx, err := bleve.OpenUsing(path, config)
	replaced := false
	if err == nil {
		var v []byte
		if v, err = idx.GetInternal(schemaKey); err == nil && string(v) != schemaVersion {
			if err = idx.Close(); err == nil {
				err = os.RemoveAll(path)
			}
			if err == nil {
				err, replaced = bleve.ErrorIndexPathDoesNotExist, true
			}
		}
	}
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		idx, err = bleve.NewUsing(path, newMapping(), bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, config)
		if err == nil {
			err = idx.SetInternal(schemaKey, []byte(schemaVersion))
		}
	}
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, ErrInUse
	}
	if err != nil {
		return nil, fmt.Errorf("open search index %s: %w", path, err)
	}
	pairs := idx.Mapping().AnalyzerNamed(pairsAnalyzer)
	if pairs == nil {
		idx.Close()
		return nil, fmt.Errorf("open search index %s: no analyzer %s", path, pairsAnalyzer)
	}
	return &Index{idx: idx, path: path, replaced: replaced, pairs: pairs, text: idx.Mapping().AnalyzerNamed(en.AnalyzerName)}, nil
}

// Replaced reports whether Open replaced an index built by an earlier version, or left
// unfinished by a rebuild, with an empty one, which a full rebuild must fill.
func (ix *Index) Replaced() bool { return ix.replaced }

// Close closes the index; closing it again does nothing.
func (ix *Index) Close() error {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	return ix.idx.Close()
}

// LastApplied returns the id of the last change-log row the index applied (0 for none).
func (ix *Index) LastApplied() (int64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b, err := ix.idx.GetInternal(lastChangeKey)
	if err != nil || len(b) == 0 {
		return 0, err
	}
	return strconv.ParseInt(string(b), 10, 64)
}

// Apply indexes docs, removes the threads in deletions and records lastChange, in one
// batch: after a crash the index either has all of it or none of it, and the syncer
// applies the same rows again.
func (ix *Index) Apply(docs []Document, deletions []int64, lastChange int64) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	b := ix.idx.NewBatch()
	for _, d := range docs {
		if err := b.Index(docID(d.ID), d); err != nil {
			return fmt.Errorf("index thread %d: %w", d.ID, err)
		}
	}
	for _, id := range deletions {
		b.Delete(docID(id))
	}
	b.SetInternal(lastChangeKey, []byte(strconv.FormatInt(lastChange, 10)))
	return ix.idx.Batch(b)
}

// setSchema records the mapping version of a complete index, or with "" that the index is
// being rebuilt and not complete yet.
func (ix *Index) setSchema(v string) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if v == "" {
		return ix.idx.DeleteInternal(schemaKey)
	}
	return ix.idx.SetInternal(schemaKey, []byte(v))
}

// Count returns the number of indexed threads.
func (ix *Index) Count() (uint64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	return ix.idx.DocCount()
}

func docID(id int64) string { return strconv.FormatInt(id, 10) }

// newMapping is a lean mapping: no _all field, no doc values on text, only what search
// and highlighting need. Every word of a thread is in text, the one field a query's words
// must match and the one its score comes from, and every pair of words in pairs, the one
// field its phrases must match; title, body and answers are kept, with positions, for
// snippets and similar threads.
func newMapping() mapping.IndexMapping {
	text := func(store bool) *mapping.FieldMapping {
		f := bleve.NewTextFieldMapping()
		f.Analyzer = en.AnalyzerName
		f.Store = store
		f.IncludeInAll = false
		f.DocValues = false
		f.IncludeTermVectors = store // positions, to highlight
		return f
	}
	pairs := text(false)
	pairs.Name = "pairs"
	pairs.Analyzer = pairsAnalyzer
	pairs.IncludeTermVectors = false
	kw := func() *mapping.FieldMapping {
		f := bleve.NewKeywordFieldMapping()
		f.Analyzer = keyword.Name
		f.IncludeInAll = false
		f.Store = false              // filters only: nothing is read back
		f.IncludeTermVectors = false // nor highlighted
		f.DocValues = false          // topics are counted from their lists of threads
		return f
	}
	// Dates filter and sort (newest first: doc values); the flag only filters.
	date := bleve.NewDateTimeFieldMapping()
	date.IncludeInAll = false
	date.Store = false
	flag := bleve.NewBooleanFieldMapping()
	flag.IncludeInAll = false
	flag.Store = false
	flag.DocValues = false

	doc := bleve.NewDocumentStaticMapping()
	doc.AddFieldMappingsAt("text", text(false))
	doc.AddFieldMappingsAt("all", pairs)
	doc.AddFieldMappingsAt("title", text(true))
	doc.AddFieldMappingsAt("body", text(true))
	doc.AddFieldMappingsAt("answers", text(true))
	doc.AddFieldMappingsAt("tags", kw())
	doc.AddFieldMappingsAt("kind", kw())
	doc.AddFieldMappingsAt("state", kw())
	doc.AddFieldMappingsAt("visibility", kw())
	doc.AddFieldMappingsAt("expert_answered", flag)
	doc.AddFieldMappingsAt("created", date)
	doc.AddFieldMappingsAt("last_activity", date)

	m := bleve.NewIndexMapping()
	must(m.AddCustomTokenFilter("pair", map[string]interface{}{
		"type": shingle.Name, "min": 2.0, "max": 2.0, "output_original": false, "separator": " ", "filler": "_",
	}))
	must(m.AddCustomAnalyzer(pairsAnalyzer, map[string]interface{}{
		"type":          custom.Name,
		"tokenizer":     unicode.Name,
		"token_filters": []string{en.PossessiveName, lowercase.Name, en.StopName, porter.Name, "pair"},
	}))
	m.DefaultMapping = doc
	m.DefaultAnalyzer = en.AnalyzerName
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

// must panics on an error in the constant mapping, which a test would meet first.
func must(err error) {
	if err != nil {
		panic(err)
	}
}

// Remove deletes the index folder (forum reindex builds a new one beside it).
func Remove(dir string) error { return os.RemoveAll(filepath.Join(dir, "search.bleve")) }
