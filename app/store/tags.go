package store

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// Tags returns every tag that was not merged into another, by name.
func (q queries) Tags(ctx context.Context) ([]*model.Tag, error) {
	var tags []*model.Tag
	if err := q.db.NewSelect().Model(&tags).Where("merged_into IS NULL").Order("name").Scan(ctx); err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	return tags, nil
}

// TagBySlug returns a tag.
func (q queries) TagBySlug(ctx context.Context, slug string) (*model.Tag, error) {
	t := new(model.Tag)
	if err := q.db.NewSelect().Model(t).Where("slug = ?", slug).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tag %q: %w", slug, mapError(err))
	}
	return t, nil
}

// TagsBySlugs returns the tags with the given slugs, in no particular order.
func (q queries) TagsBySlugs(ctx context.Context, slugs []string) ([]*model.Tag, error) {
	var tags []*model.Tag
	if len(slugs) == 0 {
		return tags, nil
	}
	if err := q.db.NewSelect().Model(&tags).Where("slug IN (?) AND merged_into IS NULL", bun.List(slugs)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("tags by slug: %w", err)
	}
	return tags, nil
}

// InsertTag writes a new tag; a taken slug yields model.ErrConflict.
func (tx *Tx) InsertTag(ctx context.Context, t *model.Tag) error {
	if _, err := tx.write().NewInsert().Model(t).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert tag %q: %w", t.Slug, mapError(err))
	}
	return nil
}

// RecountTags sets every tag's thread count from the threads that carry it (after the
// benchmark board was written in bulk).
func (tx *Tx) RecountTags(ctx context.Context) error {
	_, err := tx.write().NewRaw(`UPDATE tags SET thread_count = (SELECT COUNT(*) FROM thread_tags WHERE thread_tags.tag_id = tags.id)`).Exec(ctx)
	if err != nil {
		return fmt.Errorf("recount tags: %w", err)
	}
	return nil
}
