// Package changelog reads the change log as it grows, without skipping a row (DESIGN 14).
package changelog

import (
	"context"
	"time"

	"forum/app/model"
)

// Source is where a Reader reads the change log (a *store.Store).
type Source interface {
	ChangesAfter(ctx context.Context, after int64, limit int) ([]model.Change, error)
	LatestChangeID(ctx context.Context) (int64, error)
}

const (
	// batch is how many rows one read takes.
	batch = 500
	// gapWait is how long a missing id is waited for. On PostgreSQL ids come from a
	// sequence and are not committed in order: a transaction holding id 41 may commit after
	// one holding 42, or roll back and leave 41 missing for ever.
	gapWait = 15 * time.Second
	// maxGaps bounds the ids waited for; a larger jump is a bulk write or a pruned stretch.
	maxGaps = 1000
)

// Reader returns each row of the change log once, in about the order of commit, starting
// after the newest row when it was made. A row whose id is below one already read (it
// committed late) is still returned, when it commits within gapWait. It is used by one
// goroutine at a time.
type Reader struct {
	src    Source
	now    func() time.Time
	cursor int64               // every id up to here was read or is waited for in gaps
	gaps   map[int64]time.Time // ids below cursor not read yet, since when
}

// NewReader returns a Reader of the rows written from now on.
func NewReader(ctx context.Context, src Source) (*Reader, error) {
	last, err := src.LatestChangeID(ctx)
	if err != nil {
		return nil, err
	}
	return &Reader{src: src, now: time.Now, cursor: last, gaps: map[int64]time.Time{}}, nil
}

// Next returns the rows committed since the last call, oldest id first.
func (r *Reader) Next(ctx context.Context) ([]model.Change, error) {
	now := r.now()
	from := r.cursor
	for id, since := range r.gaps {
		if now.Sub(since) > gapWait {
			delete(r.gaps, id) // rolled back, or a sequence's cached ids: it never comes
			continue
		}
		from = min(from, id-1)
	}
	var out []model.Change
	for {
		rows, err := r.src.ChangesAfter(ctx, from, batch)
		if err != nil {
			return out, err
		}
		for _, c := range rows {
			switch {
			case c.ID > r.cursor:
				if missing := c.ID - r.cursor - 1; missing > 0 && missing+int64(len(r.gaps)) <= maxGaps {
					for id := r.cursor + 1; id < c.ID; id++ {
						r.gaps[id] = now
					}
				}
				r.cursor = c.ID
				out = append(out, c)
			case !r.gaps[c.ID].IsZero():
				delete(r.gaps, c.ID)
				out = append(out, c)
			}
		}
		if len(rows) < batch {
			return out, nil
		}
		from = rows[len(rows)-1].ID
	}
}

// Waiting returns how many ids the reader waits for.
func (r *Reader) Waiting() int { return len(r.gaps) }
