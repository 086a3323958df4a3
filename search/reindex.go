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
func Rebuild(ctx context.Context, st *store.Store, ix *Index, progress io.Writer) (Summary, error) {
	start := time.Now()
	mark, err := st.LatestChangeID(ctx)
	if err != nil {
		return Summary{}, err
	}
	total, err := st.CountThreads(ctx)
	if err != nil {
		return Summary{}, err
	}
	var sum Summary
	after := int64(0)
	for {
		ids, err := st.ThreadIDsAfter(ctx, after, 200)
		if err != nil {
			return sum, err
		}
		if len(ids) == 0 {
			break
		}
		var docs []Document
		var gone []int64
		for _, id := range ids {
			t, err := st.ThreadByID(ctx, id)
			if err != nil {
				return sum, err
			}
			if t.Hidden {
				gone = append(gone, id)
				continue
			}
			posts, err := st.PostsByThread(ctx, id)
			if err != nil {
				return sum, err
			}
			docs = append(docs, NewDocument(t, posts))
			sum.Posts += len(posts)
		}
		if err := ix.Apply(docs, gone, mark); err != nil {
			return sum, err
		}
		sum.Threads += len(docs)
		after = ids[len(ids)-1]
		if progress != nil {
			fmt.Fprintf(progress, "\r%s %d/%d threads", bar(sum.Threads, total, 30), sum.Threads, total)
		}
		if err := ctx.Err(); err != nil {
			return sum, err
		}
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	sum.Duration = time.Since(start)
	return sum, nil
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
