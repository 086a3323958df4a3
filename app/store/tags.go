package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// Tags returns every tag that was not merged into another, by name.
func (s *Store) Tags(ctx context.Context) ([]*model.Tag, error) {
	var tags []*model.Tag
	if err := s.DB.NewSelect().Model(&tags).Where("merged_into IS NULL").Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return tags, nil
}

// TagBySlug returns a tag.
func (s *Store) TagBySlug(ctx context.Context, db bun.IDB, slug string) (*model.Tag, error) {
	t := new(model.Tag)
	if err := db.NewSelect().Model(t).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tag %q: %w", slug, mapError(err))
	}
	return t, nil
}

// TagsBySlugs returns the tags with the given slugs, in no particular order.
func (s *Store) TagsBySlugs(ctx context.Context, db bun.IDB, slugs []string) ([]*model.Tag, error) {
	var tags []*model.Tag
	if len(slugs) == 0 {
		return tags, nil
	}
	if err := db.NewSelect().Model(&tags).Where("slug IN (?) AND merged_into IS NULL", bun.List(slugs)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tags by slug: %w", err)
	}
	return tags, nil
}

// InsertTag writes a new tag; a taken slug yields model.ErrConflict.
func (s *Store) InsertTag(ctx context.Context, db bun.IDB, t *model.Tag) error {
	if _, err := db.NewInsert().Model(t).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert tag %q: %w", t.Slug, mapError(err))
	}
	return nil
}
