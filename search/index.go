// Package search keeps the bleve full-text index of the forum's threads, one document per
// thread, fed from the change log. The database is the truth; the index is derived and can
// always be rebuilt (forum reindex).
package search

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/analysis"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/custom"
	"github.com/blevesearch/bleve/v2/analysis/analyzer/keyword"
	"github.com/blevesearch/bleve/v2/analysis/lang/en"
	"github.com/blevesearch/bleve/v2/analysis/token/lowercase"
	"github.com/blevesearch/bleve/v2/analysis/token/porter"
	"github.com/blevesearch/bleve/v2/analysis/token/shingle"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/regexp"
	"github.com/blevesearch/bleve/v2/analysis/tokenizer/unicode"
	"github.com/blevesearch/bleve/v2/index/scorch/mergeplan"
	"github.com/blevesearch/bleve/v2/mapping"
	zapx "github.com/blevesearch/zapx/v17"
	bolterrors "go.etcd.io/bbolt/errors"
	"golang.org/x/sync/errgroup"

	"forum/app/model"
)

// lastChangeKey is where the index keeps the position of the last change-log row it applied.
var lastChangeKey = []byte("last_change")

// schemaKey is where the index keeps the version of the mapping it was built with.
var schemaKey = []byte("schema")

// schemaVersion is the version of newMapping. Raise it whenever the mapping or the
// documents change: an index built with an earlier version, or whose rebuild did not
// finish, is then replaced by an empty one, which the syncer fills again from the
// database.
const schemaVersion = "4"

// pairsAnalyzer turns text into the pairs of words that follow each other (English
// analysis first, so "the drug tests" gives "_ drug" and "drug test"): a phrase query
// then looks up its pairs as terms instead of reading word positions.
const pairsAnalyzer = "en_pairs"

// ErrInUse reports an index opened by another process (bleve allows one writer).
var ErrInUse = errors.New("the search index is in use by another process (a running server?)")

// shards is how many bleve indexes the threads are spread over, by id. A search runs in
// every shard at once and bleve merges the hits, so a query that matches most threads uses
// two cores instead of one; the term statistics that score a match are summed over every
// shard (see globalStats), so results rank as in one index. Changing it rebuilds the index.
const shards = 2

// mergePlan is how bleve merges the small segments each batch of changes writes. Its
// default treats every segment under 2,000 documents as 2,000 big, so a shard of fewer
// than 2,000 threads is allowed one segment: every batch (a reply re-indexes its thread)
// was merged with the whole shard, rewriting all its terms several times a second while
// people wrote; at 1,000 threads and 10 replies a second that merging took half of the
// machine. A floor of 64 documents keeps a small shard to a handful of segments, merges
// the small ones among themselves and the large ones rarely (tiers grow tenfold). Deleted
// documents weigh nothing in the choice of a merge (bleve's default favours merges that
// reclaim them): a reply deletes its thread's document from the segment that held it, so
// on a living board every large segment always has a few, and merges chosen to reclaim
// them rewrote the large segments again and again (half of the CPU at 20,000 threads and
// 10 replies a second, 9% without). They are reclaimed when their segment is merged for
// its size.
var mergePlan = map[string]any{
	"MaxSegmentsPerTier":   10,
	"MaxSegmentSize":       5000000,
	"TierGrowth":           10.0,
	"SegmentsPerMergeTask": 10,
	"FloorSegmentSize":     64,
	"ReclaimDeletesWeight": 0.0,
}

func init() {
	// bleve sizes the buffer of each batch's new segment as if the batch held 100 more
	// documents than it does, at the size of the documents of the batch before: meant for
	// bulk loads, it made each reply (its thread re-indexed in a batch of its own) allocate
	// about a hundred threads' worth, 25 MB for a long thread (BenchmarkApplyOneThread),
	// held until the segment was written to disk. The buffer grows as needed instead.
	zapx.NewSegmentBufferNumResultsBump = 0
}

// Index is the bleve index of threads, in shards searched together.
type Index struct {
	mu     sync.RWMutex
	shards []bleve.Index
	all    bleve.IndexAlias // every shard, searched at once
	path   string
	// replaced tells that Open found an index built by an earlier version, or one whose
	// rebuild did not finish, and put an empty one in its place: it needs a full rebuild
	// (the syncer does it).
	replaced bool
	closed   bool
	// node names this node among the readers of the change log (see nodeID).
	node   string
	pairs  analysis.Analyzer
	text   analysis.Analyzer
	topics topicSets
	// version counts the batches applied, so that a cache of search results can tell
	// that the index changed (Version).
	version atomic.Uint64
	// recent are the threads the latest batches changed, by version (ChangedSince).
	recentMu sync.Mutex
	recent   []batchChange
	// reclaiming tells, per shard, that it is being merged into one segment to drop the
	// versions replies replaced (reclaimIfDue); reclaims are those merges, waited for by
	// Close; reclaimMu lets one shard merge at a time.
	reclaiming [shards]atomic.Bool
	reclaims   sync.WaitGroup
	reclaimMu  sync.Mutex
	// readThrough counts the bytes of the pages those merges read and let go of
	// (mergeShard).
	readThrough atomic.Int64
	// stopRelease stops releaseLoop, which lets go of the pages of the index's files;
	// releaseDone tells that it has.
	stopRelease   chan struct{}
	releaseDone   chan struct{}
	stopReleasing sync.Once
	// releaseNow asks releaseLoop for a look at the ceiling before its next tick (a
	// reclaim's merge is in place).
	releaseNow chan struct{}
	// mappedLimit is the ceiling on those pages (LimitMapped), mappedNow what the release
	// loop found mapped in last (Mapped).
	mappedLimit atomic.Int64
	mappedNow   atomic.Int64
}

// batchChange is the threads one applied batch indexed or removed, and the version it made.
type batchChange struct {
	version uint64
	threads []int64
	// terms are the words of the threads a small batch indexed (see mayMatch).
	terms map[int64][]string
}

// recentBatches is how many batches ChangedSince remembers: at 10 a second, 25 seconds.
const recentBatches = 256

// ChangedSince returns the threads that the batches applied after version v indexed or
// removed; false when the index no longer remembers every one of them (v is too old) or
// they are too many to be worth checking.
func (ix *Index) ChangedSince(v uint64) ([]int64, bool) {
	ix.recentMu.Lock()
	defer ix.recentMu.Unlock()
	cur := ix.version.Load()
	if v == cur {
		return nil, true
	}
	if v > cur || len(ix.recent) == 0 || ix.recent[0].version > v+1 || ix.recent[len(ix.recent)-1].version < cur {
		return nil, false
	}
	var out []int64
	for _, b := range ix.recent {
		if b.version > v {
			out = append(out, b.threads...)
		}
	}
	if len(out) > 512 {
		return nil, false
	}
	return out, true
}

// recordBatch notes the threads of a batch, and the words of those it indexed, under the
// next version. The words earlier batches kept of the same threads are let go: only a
// thread's latest version is checked (keptTerms), and a removed post's words leave memory
// with the batch that re-indexed its thread without them.
func (ix *Index) recordBatch(threads []int64, terms map[int64][]string) {
	ix.recentMu.Lock()
	defer ix.recentMu.Unlock()
	v := ix.version.Add(1)
	if len(ix.recent) >= recentBatches {
		ix.recent = append(ix.recent[:0], ix.recent[len(ix.recent)-recentBatches+1:]...)
	}
	for _, b := range ix.recent {
		for _, id := range threads {
			delete(b.terms, id)
		}
	}
	ix.recent = append(ix.recent, batchChange{version: v, threads: threads, terms: terms})
}

// Version counts the batches the index applied since it was opened: a search whose
// results were cached at another version may find more, or less, now.
func (ix *Index) Version() uint64 { return ix.version.Load() }

// meta is the shard that keeps the index's own records (last change, mapping version).
func (ix *Index) meta() bleve.Index { return ix.shards[0] }

// Open opens the index in dir, creating it when missing. It does not wait for an index
// another process holds: it returns ErrInUse after a short timeout.
//
// An index built by an earlier version of the mapping, or whose rebuild did not finish,
// is removed and created again empty; Replaced then reports true.
func Open(dir string) (*Index, error) {
	path := filepath.Join(dir, "search")
	ix, err := open(path)
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, ErrInUse
	}
	if err != nil {
		return nil, fmt.Errorf("open search index %s: %w", path, err)
	}
	if legacy := filepath.Join(dir, "search.bleve"); dirExists(legacy) {
		// The single index of an earlier version.
		if err := os.RemoveAll(legacy); err != nil {
			ix.Close()
			return nil, err
		}
		ix.replaced = true
	}
	ix.pairs = ix.meta().Mapping().AnalyzerNamed(pairsAnalyzer)
	ix.text = ix.meta().Mapping().AnalyzerNamed(en.AnalyzerName)
	if ix.pairs == nil || ix.text == nil {
		ix.Close()
		return nil, fmt.Errorf("open search index %s: its analyzers are missing", path)
	}
	if ix.node, err = nodeID(dir); err != nil {
		ix.Close()
		return nil, err
	}
	ix.stopRelease, ix.releaseDone = make(chan struct{}), make(chan struct{})
	ix.releaseNow = make(chan struct{}, 1)
	go ix.releaseLoop(ix.stopRelease, ix.releaseDone)
	return ix, nil
}

// nodeID returns the name of this node among the readers of the change log: the host's
// name and a random suffix, made up the first time and kept in the data directory, so
// that it outlives a rebuilt index (each node has its own data directory and index).
func nodeID(dir string) (string, error) {
	path := filepath.Join(dir, "node-id")
	b, err := os.ReadFile(path)
	if id := strings.TrimSpace(string(b)); err == nil && id != "" {
		return id, nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read the node id: %w", err)
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "node"
	}
	suffix := make([]byte, 4)
	if _, err := rand.Read(suffix); err != nil {
		return "", err
	}
	id := host + "-" + hex.EncodeToString(suffix)
	if err := os.WriteFile(path, []byte(id+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write the node id: %w", err)
	}
	return id, nil
}

// Node returns the name of this node among the readers of the change log.
func (ix *Index) Node() string { return ix.node }

// open opens the shards in path, or creates them all when one is missing, of another
// version or unfinished.
func open(path string) (*Index, error) {
	config := map[string]interface{}{"bolt_timeout": "2s", "scorchMergePlanOptions": mergePlan}
	ix := &Index{path: path}
	current := true
	for i := 0; i < shards; i++ {
		idx, err := bleve.OpenUsing(filepath.Join(path, strconv.Itoa(i)), config)
		if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
			current = false
			break
		}
		if err != nil {
			ix.closeShards()
			return nil, err
		}
		ix.shards = append(ix.shards, idx)
	}
	if current {
		v, err := ix.meta().GetInternal(schemaKey)
		if err != nil {
			ix.closeShards()
			return nil, err
		}
		current = string(v) == schemaVersion
	}
	if !current {
		existed := dirExists(path)
		if err := ix.closeShards(); err != nil {
			return nil, err
		}
		if err := os.RemoveAll(path); err != nil {
			return nil, err
		}
		for i := 0; i < shards; i++ {
			idx, err := bleve.NewUsing(filepath.Join(path, strconv.Itoa(i)), newMapping(), bleve.Config.DefaultIndexType, bleve.Config.DefaultKVStore, config)
			if err != nil {
				ix.closeShards()
				return nil, err
			}
			ix.shards = append(ix.shards, idx)
		}
		if err := ix.meta().SetInternal(schemaKey, []byte(schemaVersion)); err != nil {
			ix.closeShards()
			return nil, err
		}
		ix.replaced = existed
	}
	ix.all = bleve.NewIndexAlias(ix.shards...)
	return ix, nil
}

func (ix *Index) closeShards() error {
	var errs []error
	for _, s := range ix.shards {
		errs = append(errs, s.Close())
	}
	ix.shards = nil
	return errors.Join(errs...)
}

func dirExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

// Replaced reports whether Open replaced an index built by an earlier version, or left
// unfinished by a rebuild, with an empty one, which a full rebuild must fill.
func (ix *Index) Replaced() bool { return ix.replaced }

// Close closes the index; closing it again does nothing.
func (ix *Index) Close() error {
	ix.stopReleaseLoop()
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if ix.closed {
		return nil
	}
	ix.closed = true
	err := ix.closeShards()
	ix.reclaims.Wait() // the shards' merges return as they close
	return err
}

// LastApplied returns the position of the last change-log row the index applied (zero for
// none). An index written before positions had a transaction part records an id alone,
// read as (0, id): on PostgreSQL the rows written before positions were recorded have
// transaction 0, and a position that comes too early only applies rows again.
func (ix *Index) LastApplied() (model.ChangePosition, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return model.ChangePosition{}, bleve.ErrorIndexClosed
	}
	b, err := ix.meta().GetInternal(lastChangeKey)
	if err != nil || len(b) == 0 {
		return model.ChangePosition{}, err
	}
	return parsePosition(string(b))
}

// parsePosition reads what formatPosition wrote, or an id alone.
func parsePosition(s string) (model.ChangePosition, error) {
	tx, id, ok := strings.Cut(s, "/")
	if !ok {
		tx, id = "0", s
	}
	var p model.ChangePosition
	var err1, err2 error
	p.Tx, err1 = strconv.ParseInt(tx, 10, 64)
	p.ID, err2 = strconv.ParseInt(id, 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return model.ChangePosition{}, fmt.Errorf("the search index's change-log position %q: %w", s, err)
	}
	return p, nil
}

func formatPosition(p model.ChangePosition) string {
	return strconv.FormatInt(p.Tx, 10) + "/" + strconv.FormatInt(p.ID, 10)
}

// Apply indexes docs, removes the threads in deletions and records lastChange. Each shard
// takes its part in one batch, all at once, and lastChange is recorded only once every
// shard has: after a crash the syncer applies the same rows again, and applying a row
// twice leaves the same documents.
func (ix *Index) Apply(docs []Document, deletions []int64, lastChange model.ChangePosition) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return bleve.ErrorIndexClosed
	}
	batches := make([]*bleve.Batch, len(ix.shards))
	for i, s := range ix.shards {
		batches[i] = s.NewBatch()
	}
	for _, d := range docs {
		d.Pairs = ix.pairsOf(d.All)
		if err := batches[ix.shardOf(d.ID)].Index(docID(d.ID), d); err != nil {
			return fmt.Errorf("index thread %d: %w", d.ID, err)
		}
	}
	for _, id := range deletions {
		batches[ix.shardOf(id)].Delete(docID(id))
	}
	var g errgroup.Group
	for i, b := range batches {
		if b.Size() > 0 {
			g.Go(func() error { return ix.shards[i].Batch(b) })
		}
	}
	// Whatever the outcome, the documents may have changed.
	changed := make([]int64, 0, len(docs)+len(deletions))
	for _, d := range docs {
		changed = append(changed, d.ID)
	}
	var terms map[int64][]string
	if len(docs) <= termBatchMax {
		terms = make(map[int64][]string, len(docs))
		for _, d := range docs {
			terms[d.ID] = ix.threadTerms(d)
		}
	}
	defer ix.recordBatch(append(changed, deletions...), terms)
	if err := g.Wait(); err != nil {
		return err
	}
	for i, b := range batches {
		if b.Size() > 0 {
			ix.reclaimIfDue(i)
		}
	}
	return ix.meta().SetInternal(lastChangeKey, []byte(formatPosition(lastChange)))
}

func (ix *Index) shardOf(id int64) int { return int(uint64(id) % uint64(len(ix.shards))) }

// setSchema records the mapping version of a complete index, or with "" that the index is
// being rebuilt and not complete yet.
func (ix *Index) setSchema(v string) error {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return bleve.ErrorIndexClosed
	}
	if v == "" {
		return ix.meta().DeleteInternal(schemaKey)
	}
	return ix.meta().SetInternal(schemaKey, []byte(v))
}

// Count returns the number of indexed threads.
func (ix *Index) Count() (uint64, error) {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	if ix.closed {
		return 0, bleve.ErrorIndexClosed
	}
	return ix.all.DocCount()
}

func docID(id int64) string { return strconv.FormatInt(id, 10) }

// newMapping is a lean mapping: no _all field, no doc values on text, only what search
// and highlighting need. Every word of a thread is in text, the one field a query's words
// must match and the one its score comes from, and every pair of words in the pairs
// fields, which its phrases must match; title, body and answers are kept, with positions, for
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
	// The pairs, already made by the pairs analyzer (Index.pairsOf), one a line in each
	// of their buckets (see pairBuckets).
	pairs := bleve.NewDocumentStaticMapping()
	for i := 0; i < pairBuckets; i++ {
		f := text(false)
		f.Analyzer = pairLinesAnalyzer
		f.IncludeTermVectors = false
		pairs.AddFieldMappingsAt(strconv.Itoa(i), f)
	}
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
	doc.AddSubDocumentMapping(pairsPath, pairs)
	doc.AddFieldMappingsAt("title", text(true))
	doc.AddFieldMappingsAt("topics", text(false))
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
	must(m.AddCustomTokenizer("lines", map[string]interface{}{"type": regexp.Name, "regexp": `[^\n]+`}))
	must(m.AddCustomAnalyzer(pairLinesAnalyzer, map[string]interface{}{"type": custom.Name, "tokenizer": "lines"}))
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

// Remove deletes the index folder, and that of an earlier version.
func Remove(dir string) error {
	return errors.Join(os.RemoveAll(filepath.Join(dir, "search")), os.RemoveAll(filepath.Join(dir, "search.bleve")))
}

// compact merges each shard into one segment. A bulk build leaves each shard in many
// segments of every size, a third of them or more of documents already replaced; the merge
// plan would otherwise rewrite them bit by bit once replies start (at 20,000 threads, twice
// in the first three minutes, each time holding some 40 MB more while it merged) and every
// search would read them all meanwhile. One segment a shard also takes half the disk.
func (ix *Index) compact(ctx context.Context) error {
	// Not under ix.mu: a Close meanwhile ends the merge (bleve's ForceMerge returns when
	// its index closes).
	ix.mu.RLock()
	shards, closed := ix.shards, ix.closed
	ix.mu.RUnlock()
	if closed {
		return bleve.ErrorIndexClosed
	}
	var g errgroup.Group
	for i, s := range shards {
		g.Go(func() error {
			sc := scorchOf(s)
			if sc == nil {
				return nil
			}
			// bleve runs one forced merge a shard at a time: wait for a reclaim's.
			for !ix.reclaiming[i].CompareAndSwap(false, true) {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
			defer ix.reclaiming[i].Store(false)
			return mergeShard(ctx, sc, &mergeplan.SingleSegmentMergePlanOptions, &ix.readThrough)
		})
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("compact the search index: %w", err)
	}
	return nil
}
