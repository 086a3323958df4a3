package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// ReaderPosition is how far one reader of the change log (the search index of a node, say)
// has applied it.
type ReaderPosition struct {
	bun.BaseModel `bun:"table:change_readers"`

	Node      string    `bun:"node,pk"`
	Reader    string    `bun:"reader,pk"`
	AppliedID int64     `bun:"applied_id,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// SetReaderPosition records that reader on node applied the change log up to row applied.
func (tx *Tx) SetReaderPosition(ctx context.Context, node, reader string, applied int64, at time.Time) error {
	// No page shows a reader's position.
	p := &ReaderPosition{Node: node, Reader: reader, AppliedID: applied, UpdatedAt: at}
	_, err := tx.db.NewInsert().Model(p).
		On("CONFLICT (node, reader) DO UPDATE").
		Set("applied_id = EXCLUDED.applied_id, updated_at = EXCLUDED.updated_at").
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("record the position of %s on %s: %w", reader, node, err)
	}
	return nil
}

// ReaderPositions returns every reader's position, by node and reader.
func (q queries) ReaderPositions(ctx context.Context) ([]ReaderPosition, error) {
	var out []ReaderPosition
	if err := q.db.NewSelect().Model(&out).Order("node", "reader").Scan(ctx); err != nil {
		return nil, fmt.Errorf("change-log readers: %w", err)
	}
	return out, nil
}

// ChangeLogPrunedThrough returns the highest change-log id that pruning may have removed
// (0: none). A reader whose position is below it has missed rows.
func (q queries) ChangeLogPrunedThrough(ctx context.Context) (int64, error) {
	var through sql.NullInt64
	err := q.db.NewSelect().Table("change_log_pruned").ColumnExpr("MAX(through_id)").Scan(ctx, &through)
	if err != nil {
		return 0, fmt.Errorf("pruned change log: %w", err)
	}
	return through.Int64, nil
}

// pruneChunk is how many change-log rows one pruning transaction removes, so that a first
// pruning of a long log never holds the database's write lock for long.
const pruneChunk = 5000

// PruneChanges removes the change-log rows that every reader has applied, and returns how
// many it removed. Readers not heard of for staleAfter (a node that was shut down) are
// forgotten first: should one come back, it finds its position below the pruned rows and
// rebuilds from the database. Rows written within keep of now stay whatever the readers
// say (a node starting up, a reader that re-reads a window behind its position), and so
// does the newest row, so that the log's latest id never goes back. With no reader at all,
// nothing is removed.
//
// It is the store's housekeeping, as Migrate is: it runs a transaction of its own for
// each chunk of rows, rather than taking part in the transaction of an operation.
func (s *Store) PruneChanges(ctx context.Context, now time.Time, staleAfter, keep time.Duration) (int64, error) {
	// No page shows the change log: pruning leaves the caches as they are.
	err := s.Tx(ctx, func(tx *Tx) error {
		_, err := tx.db.NewDelete().Model((*ReaderPosition)(nil)).Where("updated_at < ?", now.Add(-staleAfter)).Exec(ctx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("forget stale change-log readers: %w", err)
	}
	var floor sql.NullInt64
	if err := s.db.NewSelect().Model((*ReaderPosition)(nil)).ColumnExpr("MIN(applied_id)").Scan(ctx, &floor); err != nil {
		return 0, fmt.Errorf("change-log readers: %w", err)
	}
	if !floor.Valid {
		return 0, nil
	}
	newest, err := s.LatestChangeID(ctx)
	if err != nil {
		return 0, err
	}
	limit := min(floor.Int64, newest-1)
	cutoff := now.Add(-keep)
	var total int64
	for {
		var upTo sql.NullInt64
		err := s.db.NewSelect().TableExpr("(?) AS c", s.db.NewSelect().Model((*model.Change)(nil)).Column("id").
			Where("id <= ? AND created_at < ?", limit, cutoff).Order("id").Limit(pruneChunk)).
			ColumnExpr("MAX(c.id)").Scan(ctx, &upTo)
		if err != nil {
			return total, fmt.Errorf("prune the change log: %w", err)
		}
		if !upTo.Valid {
			return total, nil
		}
		var n int64
		err = s.Tx(ctx, func(tx *Tx) error {
			res, err := tx.db.NewDelete().Model((*model.Change)(nil)).Where("id <= ? AND created_at < ?", upTo.Int64, cutoff).Exec(ctx)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			// In the same transaction: no reader may see the rows gone and not the mark.
			_, err = tx.db.NewRaw(`INSERT INTO change_log_pruned (id, through_id, pruned_at) VALUES (1, ?, ?)
				ON CONFLICT (id) DO UPDATE SET through_id = EXCLUDED.through_id, pruned_at = EXCLUDED.pruned_at
				WHERE change_log_pruned.through_id < EXCLUDED.through_id`, upTo.Int64, now).Exec(ctx)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune the change log: %w", err)
		}
		total += n
		if n < pruneChunk {
			return total, nil
		}
	}
}
