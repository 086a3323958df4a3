package forum

import (
	"context"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// SetDiscreetTitles saves whether every page's title (the browser tab) shows only the
// forum's name to u, so that a glance at a shared screen tells nothing.
func (s *Service) SetDiscreetTitles(ctx context.Context, u *model.User, discreet bool) error {
	if !policy.Active(u) {
		return model.ErrForbidden
	}
	prev := u.DiscreetTitles
	u.DiscreetTitles, u.UpdatedAt = discreet, s.now()
	err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u, "discreet_titles", "updated_at") })
	if err != nil {
		u.DiscreetTitles = prev
	}
	return err
}
