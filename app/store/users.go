package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// UserByID returns a user.
func (q queries) UserByID(ctx context.Context, id int64) (*model.User, error) {
	u := new(model.User)
	if err := q.db.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("user %d: %w", id, mapError(err))
	}
	return u, nil
}

// UserByPseudonym returns the user with the pseudonym, compared case-insensitively.
func (q queries) UserByPseudonym(ctx context.Context, name string) (*model.User, error) {
	u := new(model.User)
	if err := q.db.NewSelect().Model(u).Where("pseudonym_lower = ?", lower(name)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("user %q: %w", name, mapError(err))
	}
	return u, nil
}

// UserByDemoKey returns the demo persona with the given key.
func (q queries) UserByDemoKey(ctx context.Context, key string) (*model.User, error) {
	u := new(model.User)
	if err := q.db.NewSelect().Model(u).Where("demo_key = ?", key).Scan(ctx); err != nil {
		return nil, fmt.Errorf("demo user %q: %w", key, mapError(err))
	}
	return u, nil
}

// InsertUser writes a new user; a pseudonym taken, or looking like one taken, yields
// model.ErrConflict.
func (tx *Tx) InsertUser(ctx context.Context, u *model.User) error {
	u.PseudonymLower, u.PseudonymSkeleton = lower(u.Pseudonym), skeletonOf(u)
	if _, err := tx.write().NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert user: %w", mapError(err))
	}
	return nil
}

// InsertUsers writes new users in batches of a thousand rows (the benchmark board), each
// with the columns derived from its pseudonym.
func (tx *Tx) InsertUsers(ctx context.Context, users []*model.User) error {
	for _, u := range users {
		u.PseudonymLower, u.PseudonymSkeleton = lower(u.Pseudonym), skeletonOf(u)
	}
	for from := 0; from < len(users); from += batchRows {
		part := users[from:min(from+batchRows, len(users))]
		if _, err := tx.write().NewInsert().Model(&part).Returning("id").Exec(ctx); err != nil {
			return fmt.Errorf("insert users: %w", mapError(err))
		}
	}
	return nil
}

// batchRows is how many rows one bulk insert writes: far below the bound PostgreSQL puts on
// the parameters of a statement (65535), for the widest row.
const batchRows = 1000

// UserCount counts accounts.
func (q queries) UserCount(ctx context.Context) (int, error) {
	n, err := q.db.NewSelect().Model((*model.User)(nil)).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return int(n), nil
}

// DemoUsers returns the demo personas, for the development sign-in.
func (q queries) DemoUsers(ctx context.Context) ([]*model.User, error) {
	var out []*model.User
	if err := q.db.NewSelect().Model(&out).Where("demo_key IS NOT NULL").OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("demo users: %w", err)
	}
	return out, nil
}

// UsersByIDs returns the users with the given ids, by id; missing ids are left out.
func (q queries) UsersByIDs(ctx context.Context, ids []int64) (map[int64]*model.User, error) {
	out := map[int64]*model.User{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []*model.User
	if err := q.db.NewSelect().Model(&users).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("users by id: %w", err)
	}
	for _, u := range users {
		out[u.ID] = u
	}
	return out, nil
}
