package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// TakeRateToken spends one request of client's budget under rule, shared by every node, and
// reports whether the budget allowed it: burst requests at once, then one every every. It
// is the generic cell rate algorithm in one statement: the row holds the time at which the
// client's budget is full again (tat), which each allowed request moves on by every.
func (tx *Tx) TakeRateToken(ctx context.Context, rule, client string, every time.Duration, burst int, now time.Time) (bool, error) {
	// A budget changes no page.
	t, at := every.Microseconds(), now.UnixMicro()
	greatest := bun.Safe("MAX") // SQLite's MAX of two values
	if tx.db.Dialect().Name() == dialect.PG {
		greatest = "GREATEST"
	}
	var tat int64
	err := tx.db.NewRaw(`INSERT INTO rate_limits (rule, client, tat) VALUES (?, ?, ?)
		ON CONFLICT (rule, client) DO UPDATE SET tat = ?(rate_limits.tat, ?) + ?
		WHERE ?(rate_limits.tat, ?) + ? - ? <= ?
		RETURNING tat`, rule, client, at+t, greatest, at, t, greatest, at, t, at, int64(burst)*t).Scan(ctx, &tat)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil // the budget is spent: the row stays as it was
	case err != nil:
		return false, fmt.Errorf("rate limit %s: %w", rule, err)
	}
	return true, nil
}

// ForgetFullRateBudgets removes the budgets that are full again at now: a client not seen
// since costs no row.
func (tx *Tx) ForgetFullRateBudgets(ctx context.Context, now time.Time) (int64, error) {
	res, err := tx.db.NewRaw("DELETE FROM rate_limits WHERE tat < ?", now.UnixMicro()).Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("forget full rate budgets: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
