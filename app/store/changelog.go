package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"forum/app/model"
)

// ReaderPosition is how far one reader of the change log (the search index of a node, say)
// has applied it.
type ReaderPosition struct {
	bun.BaseModel `bun:"table:change_readers"`

	Node      string    `bun:"node,pk"`
	Reader    string    `bun:"reader,pk"`
	AppliedTx int64     `bun:"applied_tx,notnull"`
	AppliedID int64     `bun:"applied_id,notnull"`
	UpdatedAt time.Time `bun:"updated_at,notnull"`
}

// Applied returns the position in the change log up to which the reader applied it.
func (p ReaderPosition) Applied() model.ChangePosition {
	return model.ChangePosition{Tx: p.AppliedTx, ID: p.AppliedID}
}

// changeRow is a change-log row read with the horizon of the snapshot that read it.
type changeRow struct {
	model.Change `bun:",extend"`
	Horizon      int64 `bun:"horizon,scanonly"`
}

// ChangesSince returns up to limit change-log rows after pos, in the order of (Tx, ID),
// that are final: every transaction that could still write a row before them has ended.
// On PostgreSQL, whose sequence hands out ids before the commits that make them visible,
// a row is final once its transaction is older than the oldest one still running (the xmin
// of the reading snapshot); held reports that rows already committed wait behind such an
// open transaction, so that the caller reads again soon. On SQLite, whose writers take
// turns, a row's tx is its id, every committed row is final and held is false.
//
// Readers that follow the log do it through app/changelog, never by id alone.
func (q queries) ChangesSince(ctx context.Context, pos model.ChangePosition, limit int) (changes []model.Change, held bool, err error) {
	horizon := bun.Safe("9223372036854775807") // SQLite: every committed row is final
	if q.db.Dialect().Name() == dialect.PG {
		horizon = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
	}
	var rows []changeRow
	err = q.db.NewRaw(`SELECT id, entity, entity_id, thread_id, op, created_at, tx, ? AS horizon
		FROM changes WHERE (tx, id) > (?, ?) ORDER BY tx, id LIMIT ?`, horizon, pos.Tx, pos.ID, limit).Scan(ctx, &rows)
	if err != nil {
		return nil, false, fmt.Errorf("read change log: %w", err)
	}
	changes = make([]model.Change, 0, len(rows))
	for _, r := range rows {
		if r.Tx >= r.Horizon {
			// Committed, but a transaction begun before it is still open and may yet
			// write a row that comes first: this one and those after it wait.
			return changes, true, nil
		}
		changes = append(changes, r.Change)
	}
	return changes, false, nil
}

// ChangeHead returns the position of a reader that starts now: the rows after it are
// those a transaction may still be writing, or that wait behind one (PostgreSQL), and the
// rows after the newest on SQLite. Rows committed before the head are all before it.
func (q queries) ChangeHead(ctx context.Context) (model.ChangePosition, error) {
	if q.db.Dialect().Name() != dialect.PG {
		id, err := q.LatestChangeID(ctx) // its tx is its id
		return model.ChangePosition{Tx: id, ID: id}, err
	}
	var horizon int64
	err := q.db.NewRaw("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint").Scan(ctx, &horizon)
	if err != nil {
		return model.ChangePosition{}, fmt.Errorf("change-log head: %w", err)
	}
	return model.ChangePosition{Tx: horizon}, nil
}

// SetReaderPosition records that reader on node applied the change log up to pos.
func (tx *Tx) SetReaderPosition(ctx context.Context, node, reader string, pos model.ChangePosition, at time.Time) error {
	// No page shows a reader's position.
	p := &ReaderPosition{Node: node, Reader: reader, AppliedTx: pos.Tx, AppliedID: pos.ID, UpdatedAt: at}
	_, err := tx.db.NewInsert().Model(p).
		On("CONFLICT (node, reader) DO UPDATE").
		Set("applied_tx = EXCLUDED.applied_tx, applied_id = EXCLUDED.applied_id, updated_at = EXCLUDED.updated_at").
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

// ChangeLogPrunedThrough returns the last change-log position that pruning may have
// removed (zero: none). A reader whose position is before it has missed rows.
func (q queries) ChangeLogPrunedThrough(ctx context.Context) (model.ChangePosition, error) {
	var marks []struct {
		Tx int64 `bun:"through_tx"`
		ID int64 `bun:"through_id"`
	}
	err := q.db.NewSelect().Table("change_log_pruned").Column("through_tx", "through_id").Scan(ctx, &marks)
	if err != nil {
		return model.ChangePosition{}, fmt.Errorf("pruned change log: %w", err)
	}
	var through model.ChangePosition
	for _, m := range marks {
		if p := (model.ChangePosition{Tx: m.Tx, ID: m.ID}); through.Before(p) {
			through = p
		}
	}
	return through, nil
}

// pruneChunk is how many change-log rows one pruning transaction removes, so that a first
// pruning of a long log never holds the database's write lock for long.
const pruneChunk = 5000

// PruneChanges removes the change-log rows that every reader has applied, and returns how
// many it removed. Readers not heard of for staleAfter (a node that was shut down) are
// forgotten first: should one come back, it finds its position before the pruned rows and
// rebuilds from the database. Rows written within keep of now stay whatever the readers
// say (a node starting up), and so does the newest row, so that the log's latest id never
// goes back. With no reader at all, nothing is removed.
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
	readers, err := s.ReaderPositions(ctx)
	if err != nil {
		return 0, err
	}
	if len(readers) == 0 {
		return 0, nil
	}
	floor := readers[0].Applied()
	for _, r := range readers[1:] {
		if r.Applied().Before(floor) {
			floor = r.Applied()
		}
	}
	newest, err := s.LatestChangeID(ctx)
	if err != nil {
		return 0, err
	}
	cutoff := now.Add(-keep)
	var total int64
	for {
		var chunk []struct {
			Tx int64 `bun:"tx"`
			ID int64 `bun:"id"`
		}
		err := s.db.NewSelect().Model((*model.Change)(nil)).Column("tx", "id").
			Where("(tx, id) <= (?, ?) AND id < ? AND created_at < ?", floor.Tx, floor.ID, newest, cutoff).
			Order("tx", "id").Limit(pruneChunk).Scan(ctx, &chunk)
		if err != nil {
			return total, fmt.Errorf("prune the change log: %w", err)
		}
		if len(chunk) == 0 {
			return total, nil
		}
		upTo := chunk[len(chunk)-1]
		var n int64
		err = s.Tx(ctx, func(tx *Tx) error {
			res, err := tx.db.NewDelete().Model((*model.Change)(nil)).
				Where("(tx, id) <= (?, ?) AND id < ? AND created_at < ?", upTo.Tx, upTo.ID, newest, cutoff).Exec(ctx)
			if err != nil {
				return err
			}
			n, _ = res.RowsAffected()
			// In the same transaction: no reader may see the rows gone and not the mark.
			_, err = tx.db.NewRaw(`INSERT INTO change_log_pruned (id, through_tx, through_id, pruned_at) VALUES (1, ?, ?, ?)
				ON CONFLICT (id) DO UPDATE SET through_tx = EXCLUDED.through_tx, through_id = EXCLUDED.through_id, pruned_at = EXCLUDED.pruned_at
				WHERE (change_log_pruned.through_tx, change_log_pruned.through_id) < (EXCLUDED.through_tx, EXCLUDED.through_id)`,
				upTo.Tx, upTo.ID, now).Exec(ctx)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune the change log: %w", err)
		}
		total += n
		if len(chunk) < pruneChunk {
			return total, nil
		}
	}
}
