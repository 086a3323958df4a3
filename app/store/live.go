package store

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// SessionUsers returns, by session id, the users of those sessions that are neither
// revoked nor expired at now, in one query: live updates check each stream's viewer again
// before they push to it, so that a signed-out, suspended or demoted reader is sent nothing.
func (q queries) SessionUsers(ctx context.Context, sessionIDs []int64, now time.Time) (map[int64]*model.User, error) {
	out := make(map[int64]*model.User, len(sessionIDs))
	if len(sessionIDs) == 0 {
		return out, nil
	}
	var sessions []*model.Session
	err := q.db.NewSelect().Model(&sessions).Relation("User").
		Where("session.id IN (?) AND session.revoked_at IS NULL AND session.expires_at > ?", bun.List(sessionIDs), now).
		Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("users of %d sessions: %w", len(sessionIDs), err)
	}
	for _, s := range sessions {
		if s.User != nil {
			out[s.ID] = s.User
		}
	}
	return out, nil
}
