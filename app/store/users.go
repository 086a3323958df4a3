package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// UserByID returns a user.
func (s *Store) UserByID(ctx context.Context, id int64) (*model.User, error) {
	u := new(model.User)
	if err := s.DB.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("user %d: %w", id, mapError(err))
	}
	return u, nil
}

// UserByPseudonym returns the user with the pseudonym, compared case-insensitively.
func (s *Store) UserByPseudonym(ctx context.Context, name string) (*model.User, error) {
	u := new(model.User)
	if err := s.DB.NewSelect().Model(u).Where("pseudonym_lower = ?", lower(name)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("user %q: %w", name, mapError(err))
	}
	return u, nil
}

// UserByDemoKey returns the demo persona with the given key.
func (s *Store) UserByDemoKey(ctx context.Context, db bun.IDB, key string) (*model.User, error) {
	u := new(model.User)
	if err := db.NewSelect().Model(u).Where("demo_key = ?", key).Scan(ctx); err != nil {
		return nil, fmt.Errorf("demo user %q: %w", key, mapError(err))
	}
	return u, nil
}

// InsertUser writes a new user; a pseudonym taken, or looking like one taken, yields
// model.ErrConflict.
func (s *Store) InsertUser(ctx context.Context, db bun.IDB, u *model.User) error {
	u.PseudonymLower, u.PseudonymSkeleton = lower(u.Pseudonym), skeletonOf(u)
	if _, err := db.NewInsert().Model(u).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert user: %w", mapError(err))
	}
	return nil
}

// DemoUsers returns the demo personas, for the development sign-in.
func (s *Store) DemoUsers(ctx context.Context) ([]*model.User, error) {
	var out []*model.User
	if err := s.DB.NewSelect().Model(&out).Where("demo_key IS NOT NULL").OrderExpr("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("demo users: %w", err)
	}
	return out, nil
}

// UsersByIDs returns the users with the given ids, by id; missing ids are left out.
func (s *Store) UsersByIDs(ctx context.Context, ids []int64) (map[int64]*model.User, error) {
	out := map[int64]*model.User{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []*model.User
	if err := s.DB.NewSelect().Model(&users).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("users by id: %w", err)
	}
	for _, u := range users {
		out[u.ID] = u
	}
	return out, nil
}
