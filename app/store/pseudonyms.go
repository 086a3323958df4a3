package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/mtibben/confusables"
	"golang.org/x/text/unicode/norm"

	"forum/app/model"
)

// Skeleton returns what a name looks like, for telling apart names a reader could mistake
// for each other: compatibility forms folded (NFKC: a full-width ｍ is m), the Unicode
// confusables mapped to their prototypes (UTS #39: a Cyrillic а is a Latin a, 0 is O, m is
// rn), case folded, and the separators _ . - made one. Two names with the same skeleton
// look alike. Folding happens in Go so that SQLite and PostgreSQL agree.
func Skeleton(name string) string {
	s := norm.NFKC.String(strings.TrimSpace(name))
	// Mapping, folding case, and mapping again: a capital's prototype may be another
	// capital (Cyrillic М is M) whose lower case maps further (m is rn).
	s = strings.ToLower(confusables.Skeleton(strings.ToLower(confusables.Skeleton(s))))
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '-' {
			return '_'
		}
		return r
	}, s)
}

// skeletonOf returns the stored skeleton of u's pseudonym: none for a deleted account,
// whose name is gone and may be taken by anyone.
func skeletonOf(u *model.User) *string {
	if u.Status == model.StatusDeleted {
		return nil
	}
	sk := Skeleton(u.Pseudonym)
	return &sk
}

// PseudonymInUse reports whether another account than exceptID holds name (compared
// case-insensitively) or a name that looks like it (Skeleton).
func (q queries) PseudonymInUse(ctx context.Context, name string, exceptID int64) (taken, lookalike bool, err error) {
	var others []*model.User
	err = q.db.NewSelect().Model(&others).Column("pseudonym_lower").
		Where("id <> ?", exceptID).
		Where("(pseudonym_lower = ? OR pseudonym_skeleton = ?)", lower(name), Skeleton(name)).
		Limit(2).Scan(ctx)
	if err != nil {
		return false, false, fmt.Errorf("pseudonym in use: %w", err)
	}
	for _, o := range others {
		if o.PseudonymLower == lower(name) {
			return true, false, nil
		}
	}
	return false, len(others) > 0, nil
}

// fillPseudonymSkeletons computes the skeleton of every account that has none: accounts
// written before the column existed, or by an older version of the forum during an upgrade.
// Of two existing accounts whose names look alike, both keep their names; the later one's
// skeleton is marked with its id so that it stays unique, and the earlier one's blocks new
// look-alikes of both.
func (s *Store) fillPseudonymSkeletons(ctx context.Context) (int, error) {
	var users []*model.User
	err := s.db.NewSelect().Model(&users).Column("id", "pseudonym", "status").
		Where("pseudonym_skeleton IS NULL").Where("status <> ?", model.StatusDeleted).Order("id").Scan(ctx)
	if err != nil || len(users) == 0 {
		return 0, err
	}
	err = s.Tx(ctx, func(tx *Tx) error {
		for _, u := range users {
			sk := Skeleton(u.Pseudonym)
			held, err := tx.db.NewSelect().Model((*model.User)(nil)).Where("pseudonym_skeleton = ?", sk).Exists(ctx)
			if err != nil {
				return err
			}
			if held {
				sk = fmt.Sprintf("%s#%d", sk, u.ID)
			}
			if _, err := tx.write().NewUpdate().Model((*model.User)(nil)).Set("pseudonym_skeleton = ?", sk).
				Where("id = ? AND pseudonym_skeleton IS NULL", u.ID).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("fill pseudonym skeletons: %w", err)
	}
	return len(users), nil
}
