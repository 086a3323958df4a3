package search

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"forum/app/changelog"
	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
)

const (
	// batchSize is how many change-log rows one batch reads.
	batchSize = 500
	// chunkSize is how many threads are loaded and indexed at a time, by the syncer and by
	// a full rebuild: the memory and the time of one step stay bounded whatever a change
	// touches (a renamed topic touches every thread it has).
	chunkSize = 200
	// finishTimeout bounds the chunk the syncer finishes after it is told to stop.
	finishTimeout = 15 * time.Second
	// fallbackInterval is how often the syncer looks at the change log when nothing woke
	// it, where every commit of every node wakes it (PostgreSQL's NOTIFY): only in case a
	// signal was lost with its connection. pollInterval is how often it looks on SQLite,
	// where this process's commits wake it but a command-line tool's are not heard.
	fallbackInterval = 5 * time.Second
	// heldWait bounds how long one SyncOnce waits for rows held back by an open transaction.
	heldWait     = time.Second
	pollInterval = time.Second

	// readerName is the search index's name among the readers of the change log.
	readerName = "search"
	// positionRefresh is how often an idle syncer records its position again, so that a
	// node with nothing to apply is not taken for a stopped one.
	positionRefresh = time.Hour
	// readerStaleAfter is how long a reader that records nothing still holds back pruning:
	// a node stopped for longer rebuilds its index when it comes back.
	readerStaleAfter = 7 * 24 * time.Hour
	// pruneKeep is how long a change-log row stays whatever the readers' positions.
	pruneKeep = 24 * time.Hour
)

// Syncer follows the change log (through a changelog.Reader, which never skips a row) and
// keeps the index in step with the database. It is woken as changes are committed, on
// this node or another (store.Hear); after each batch it records how far it has applied
// the log (under the node's name, see Index.Node), and now and then it prunes the rows
// every reader has applied.
type Syncer struct {
	store *store.Store
	index *Index
	log   *slog.Logger
	wake  chan struct{}
	// Interval is how long the syncer waits when it has caught up and nothing wakes it.
	Interval time.Duration
	// PruneEvery is how often Run prunes the change log; 0 never does.
	PruneEvery time.Duration
	lag        atomic.Int64

	// Used by the one goroutine that syncs.
	reader     *changelog.Reader // at the index's position
	recordedAt time.Time         // when the position was last recorded
	prunedAt   time.Time
}

// NewSyncer returns a syncer of ix from st.
func NewSyncer(st *store.Store, ix *Index, log *slog.Logger) *Syncer {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	interval := pollInterval
	if st.HearsOtherNodes() {
		interval = fallbackInterval
	}
	return &Syncer{store: st, index: ix, log: log, wake: make(chan struct{}, 1), Interval: interval, PruneEvery: time.Hour}
}

// Wake makes a waiting Run look at the change log at once.
func (s *Syncer) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Run applies new change-log rows until ctx ends. It catches up first; an index that Open
// replaced (built by an earlier version, or left unfinished) is rebuilt from the database
// before that. Told to stop in the middle of a batch, it finishes the chunk of threads it
// is indexing and records it before it returns, so that whoever waits for it may then
// close the index and the database.
func (s *Syncer) Run(ctx context.Context) {
	s.store.Hear(ctx, store.Listeners{Changed: s.Wake})
	if s.index.Replaced() {
		err := s.rebuild(ctx, "search index built by an earlier version or left unfinished: rebuilding it from the database")
		if err != nil && ctx.Err() == nil {
			s.log.Error("search index rebuild", "err", err)
		}
	}
	for ctx.Err() == nil {
		n, err := s.SyncOnce(ctx)
		if err != nil && ctx.Err() == nil {
			s.log.Error("search index sync", "err", err)
		}
		if n == batchSize {
			continue // more waiting
		}
		s.prune(ctx)
		wait := time.NewTimer(s.Interval)
		select {
		case <-ctx.Done():
		case <-s.wake:
		case <-wait.C:
		}
		wait.Stop()
	}
	last, _ := s.index.LastApplied()
	s.log.Info("search syncer stopped", "last_applied_change", last.ID, "last_applied_tx", last.Tx)
}

// rebuild indexes every thread again and records the position it reached.
func (s *Syncer) rebuild(ctx context.Context, why string) error {
	s.log.Info(why)
	sum, err := Rebuild(ctx, s.store, s.index, nil)
	if err != nil {
		return fmt.Errorf("rebuild: %w", err)
	}
	s.log.Info("search index rebuilt", "threads", sum.Threads, "posts", sum.Posts, "duration", sum.Duration.Round(time.Millisecond))
	if last, err := s.lastApplied(); err == nil {
		s.record(ctx, last)
	}
	return nil
}

// SyncOnce applies one batch of change-log rows and returns how many it applied. When ctx
// ends, it finishes and records the chunk of threads it is indexing, and returns.
func (s *Syncer) SyncOnce(ctx context.Context) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	last, err := s.lastApplied()
	if err != nil {
		return 0, err
	}
	pruned, err := s.store.ChangeLogPrunedThrough(ctx)
	if err != nil {
		return 0, err
	}
	if last.Before(pruned) {
		// Rows this index never applied were pruned (its node was stopped for longer than
		// readers are waited for): only the database can bring it up to date.
		err := s.rebuild(ctx, fmt.Sprintf("search index is at change %v, the change log was pruned through %v: rebuilding it from the database", last, pruned))
		return 0, err
	}
	if s.reader == nil || s.reader.Position() != last {
		// The first batch, or one stopped in the middle: read on from what the index holds.
		s.reader = changelog.NewReaderAt(s.store, last)
	}
	changes, err := s.reader.Read(ctx, batchSize)
	// Rows committed behind a transaction still open (PostgreSQL) are read as soon as it
	// ends: such transactions are short, and whoever calls SyncOnce takes 0 for "caught up".
	for wait, waited := time.Millisecond, time.Duration(0); err == nil && len(changes) == 0 && s.reader.Held() && waited < heldWait; wait = min(2*wait, 100*time.Millisecond) {
		select {
		case <-ctx.Done():
			return 0, nil
		case <-time.After(wait):
		}
		waited += wait
		changes, err = s.reader.Read(ctx, batchSize)
	}
	if err != nil {
		return 0, err
	}
	if len(changes) == 0 {
		s.lag.Store(0)
		if time.Since(s.recordedAt) >= positionRefresh {
			s.record(ctx, last)
		}
		return 0, nil
	}
	n, through, err := s.apply(ctx, last, changes)
	if last.Before(through) {
		s.record(ctx, through)
	}
	if err != nil {
		return n, err
	}
	if len(changes) < batchSize && !s.reader.Held() {
		s.lag.Store(0)
	} else if latest, err := s.store.LatestChangeID(ctx); err == nil {
		s.lag.Store(max(latest-through.ID, 0)) // ids are not in order on PostgreSQL: about as many
	}
	return n, nil
}

// lastApplied returns the index's position in the change log. On SQLite a row's
// transaction order is its id, which an index written before positions had a
// transaction part does not record.
func (s *Syncer) lastApplied() (model.ChangePosition, error) {
	last, err := s.index.LastApplied()
	if err == nil && s.store.Driver() == config.DriverSQLite {
		last.Tx = last.ID
	}
	return last, err
}

// apply indexes the threads that changes touch, chunkSize at a time; with each chunk the
// index records the last change whose threads are all indexed, so that a stop between
// chunks (or a crash) leaves it at a row that was wholly applied. It returns how many
// changes it applied and the last one. When ctx ends it stops reading changes and
// finishes the chunk it holds.
func (s *Syncer) apply(ctx context.Context, last model.ChangePosition, changes []model.Change) (int, model.ChangePosition, error) {
	var (
		ids     []int64
		queued  = map[int64]bool{}
		through = last // every thread of the changes up to here is queued or indexed
		applied = last // recorded in the index
		n       int
	)
	flush := func() error {
		if len(ids) == 0 && through == applied {
			return nil
		}
		// What is begun is finished, also after a stop (bounded by finishTimeout).
		work, cancel := finishing(ctx)
		defer cancel()
		s.log.Debug("search index: applying changes", "threads", len(ids), "through_change", through.ID)
		docs, gone, _, err := loadDocuments(work, s.store, ids)
		if err != nil {
			return err
		}
		if err := s.index.Apply(docs, gone, through); err != nil {
			return fmt.Errorf("apply %d threads: %w", len(ids), err)
		}
		applied = through
		ids = ids[:0]
		clear(queued)
		return nil
	}
	queue := func(id int64) {
		if !queued[id] {
			queued[id] = true
			ids = append(ids, id)
		}
	}
	// A topic's threads are many: its chunks are indexed as they fill, under the
	// position of the change before it.
	queueAndFlush := func(id int64) error {
		if queue(id); len(ids) >= chunkSize {
			return flush()
		}
		return nil
	}
	var err error
	for _, c := range changes {
		if ctx.Err() != nil {
			break
		}
		switch {
		case c.Entity == model.ChangeHeldPost:
			// A post held for review is in no thread's document until it is published
			// (which writes rows of its own).
		case c.Entity == "tag":
			// A renamed topic changes every thread it has: they are read a page at a time.
			err = s.eachThreadWithTag(ctx, c.EntityID, queueAndFlush)
		case c.ThreadID != 0:
			queue(c.ThreadID)
		}
		if err != nil {
			break
		}
		through = c.Position()
		n++
		if len(ids) >= chunkSize {
			if err = flush(); err != nil {
				break
			}
		}
	}
	if err == nil || ctx.Err() != nil {
		// What is queued is indexed, also after a stop; a read the stop cut short is no
		// failure.
		err = flush()
	}
	return n, applied, err
}

// eachThreadWithTag calls fn with every thread that carries a tag.
func (s *Syncer) eachThreadWithTag(ctx context.Context, tagID int64, fn func(int64) error) error {
	after := int64(0)
	for {
		page, err := s.store.ThreadIDsWithTag(ctx, tagID, after, chunkSize)
		if err != nil {
			return err
		}
		for _, id := range page {
			if err := fn(id); err != nil {
				return err
			}
		}
		if len(page) < chunkSize {
			return nil
		}
		after = page[len(page)-1]
	}
}

// record writes how far this node's index has applied the change log; a failure is
// logged, and the next batch writes it again.
func (s *Syncer) record(ctx context.Context, applied model.ChangePosition) {
	work, cancel := finishing(ctx)
	defer cancel()
	now := time.Now().UTC()
	err := s.store.Tx(work, func(tx *store.Tx) error {
		return tx.SetReaderPosition(work, s.index.Node(), readerName, applied, now)
	})
	if err != nil {
		s.log.Warn("search index position", "err", err)
		return
	}
	s.recordedAt = now
}

// prune removes, every PruneEvery, the change-log rows that every reader has applied.
func (s *Syncer) prune(ctx context.Context) {
	if s.PruneEvery <= 0 || time.Since(s.prunedAt) < s.PruneEvery {
		return
	}
	s.prunedAt = time.Now()
	n, err := s.store.PruneChanges(ctx, time.Now().UTC(), readerStaleAfter, pruneKeep)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Warn("change log pruning", "err", err)
		}
		return
	}
	if n > 0 {
		s.log.Info("change log pruned", "rows", n)
	}
}

// finishing returns a context for work that must end even when ctx has ended (a chunk
// begun, the position that records it), bounded by finishTimeout.
func finishing(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
}

// Lag is how many change-log rows were still waiting after the last batch.
func (s *Syncer) Lag() int64 { return s.lag.Load() }
