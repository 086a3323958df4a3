package search

import (
	"context"
	"fmt"
	"io"
	"time"

	"forum/app/store"
)

// Summary reports a full rebuild.
type Summary struct {
	Threads  int
	Posts    int
	Duration time.Duration
}

// Rebuild indexes every thread from scratch into ix and records the change log's position
// taken before it started, so that the syncer then applies whatever changed meanwhile.
// progress, when not nil, receives a progress line as it goes.
//
// Until it ends, the index carries no mapping version: if the process is killed halfway,
// the next Open takes the index for an unfinished one and it is rebuilt again.
func Rebuild(ctx context.Context, st *store.Store, ix *Index, progress io.Writer) (Summary, error) {
	start := time.Now()
	if err := ix.setSchema(""); err != nil {
		return Summary{}, err
	}
	mark, err := st.ChangeHead(ctx)
	if err != nil {
		return Summary{}, err
	}
	total, err := st.ThreadCount(ctx)
	if err != nil {
		return Summary{}, err
	}
	// The database is read one batch ahead while the index takes the batch before.
	ctx, cancel := context.WithCancel(ctx)
	batches := make(chan rebuildBatch, 1)
	go readBatches(ctx, st, batches)
	// However Rebuild returns, the reader is stopped and waited for: it closes batches as
	// it returns, and nothing reads the database after Rebuild.
	defer func() {
		cancel()
		for range batches {
		}
	}()
	var sum Summary
	for b := range batches {
		if b.err != nil {
			return sum, b.err
		}
		if err := ix.Apply(b.docs, b.gone, mark); err != nil {
			return sum, err
		}
		sum.Threads += len(b.docs)
		sum.Posts += b.posts
		if progress != nil {
			fmt.Fprintf(progress, "\r%s %d/%d threads", bar(sum.Threads, total, 30), sum.Threads, total)
		}
	}
	if err := ctx.Err(); err != nil {
		return sum, err
	}
	if err := ix.setSchema(schemaVersion); err != nil {
		return sum, err
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	if err := ix.compact(ctx); err != nil {
		return sum, err
	}
	sum.Duration = time.Since(start)
	return sum, nil
}

// rebuildBatch is the documents of a run of threads, and the hidden ones among them.
type rebuildBatch struct {
	docs  []Document
	gone  []int64
	posts int
	err   error
}

// readBatches sends every thread's document, chunkSize threads at a time, then closes
// out. It stops at the first error, which it sends, or when ctx ends.
func readBatches(ctx context.Context, st *store.Store, out chan<- rebuildBatch) {
	defer close(out)
	send := func(b rebuildBatch) bool {
		select {
		case out <- b:
			return b.err == nil
		case <-ctx.Done():
			return false
		}
	}
	after := int64(0)
	for {
		ids, err := st.ThreadIDsAfter(ctx, after, chunkSize)
		if err != nil || len(ids) == 0 {
			if err != nil {
				send(rebuildBatch{err: err})
			}
			return
		}
		var b rebuildBatch
		if b.docs, b.gone, b.posts, err = loadDocuments(ctx, st, ids); err != nil {
			send(rebuildBatch{err: err})
			return
		}
		if !send(b) {
			return
		}
		after = ids[len(ids)-1]
	}
}

// loadDocuments builds the documents of the threads ids in three queries, whatever their
// number (the threads with their topics, then the posts of all of them), and returns them
// with the ids of the threads to remove from the index (hidden, or no longer there) and
// the number of posts read. Callers pass at most chunkSize ids.
func loadDocuments(ctx context.Context, st *store.Store, ids []int64) (docs []Document, gone []int64, posts int, err error) {
	threads, err := st.ThreadsByIDs(ctx, ids)
	if err != nil {
		return nil, nil, 0, err
	}
	found := make(map[int64]bool, len(threads))
	var visible []int64
	for _, t := range threads {
		found[t.ID] = true
		if !t.Hidden {
			visible = append(visible, t.ID)
		}
	}
	for _, id := range ids {
		if !found[id] {
			gone = append(gone, id)
		}
	}
	byThread, err := st.PostsByThreads(ctx, visible)
	if err != nil {
		return nil, nil, 0, err
	}
	for _, t := range threads {
		if t.Hidden {
			gone = append(gone, t.ID)
			continue
		}
		docs = append(docs, NewDocument(t, byThread[t.ID]))
		posts += len(byThread[t.ID])
	}
	return docs, gone, posts, nil
}

func bar(done, total, width int) string {
	if total <= 0 {
		total = 1
	}
	n := done * width / total
	if n > width {
		n = width
	}
	b := make([]byte, width)
	for i := range b {
		b[i] = '.'
		if i < n {
			b[i] = '#'
		}
	}
	return "[" + string(b) + "]"
}
