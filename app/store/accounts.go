package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"forum/app/model"
)

// IdentityByIssuerSubject returns the identity of an account at the provider whose
// issuer is given. An empty issuer matches nothing.
func (s *Store) IdentityByIssuerSubject(ctx context.Context, db bun.IDB, issuer, subject string) (*model.Identity, error) {
	if issuer == "" || subject == "" {
		return nil, fmt.Errorf("identity: %w", model.ErrNotFound)
	}
	id := new(model.Identity)
	err := db.NewSelect().Model(id).Where("issuer = ? AND subject = ?", issuer, subject).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("identity at %s: %w", issuer, mapError(err))
	}
	return id, nil
}

// LegacyIssuer is the issuer that the migration to issuer-keyed identities gave the rows of
// a provider whose issuer it could not know (the generic OpenID Connect one).
func LegacyIssuer(provider string) string { return "legacy:" + provider }

// ClaimLegacyIdentities gives the identities of provider that still carry the migration's
// placeholder the issuer now configured for it, and returns how many it changed. It runs at
// start: after it, identities are matched only by issuer, so pointing the provider at
// another issuer later links no one to these accounts. A row whose subject already has an
// identity at the issuer stays as it is.
func (s *Store) ClaimLegacyIdentities(ctx context.Context, provider, issuer string) (int64, error) {
	res, err := s.DB.NewUpdate().Table("identities").Set("issuer = ?", issuer).
		Where("issuer = ?", LegacyIssuer(provider)).
		Where("NOT EXISTS (SELECT 1 FROM identities AS taken WHERE taken.issuer = ? AND taken.subject = identities.subject)", issuer).
		Exec(ctx)
	if err != nil {
		return 0, fmt.Errorf("claim the identities of %s for %s: %w", provider, issuer, err)
	}
	return res.RowsAffected()
}

// UseSignInState records that a sign-in state was answered and reports whether it was the
// first time. The row is kept until expires, when the attempt would be refused anyway;
// rows past their time are removed on the way.
func (s *Store) UseSignInState(ctx context.Context, hash []byte, expires, now time.Time) (bool, error) {
	if _, err := s.DB.NewDelete().Model((*model.UsedSignInState)(nil)).Where("expires_at < ?", now).Exec(ctx); err != nil {
		return false, fmt.Errorf("forget old sign-in states: %w", err)
	}
	res, err := s.DB.NewInsert().Model(&model.UsedSignInState{StateHash: hash, ExpiresAt: expires}).
		On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("remember a sign-in state: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// InsertIdentity links an account at a provider to a user.
func (s *Store) InsertIdentity(ctx context.Context, db bun.IDB, id *model.Identity) error {
	if _, err := db.NewInsert().Model(id).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert identity: %w", mapError(err))
	}
	return nil
}

// TouchIdentity records a sign-in through an identity (its time and e-mail).
func (s *Store) TouchIdentity(ctx context.Context, db bun.IDB, id *model.Identity) error {
	_, err := db.NewUpdate().Model(id).Column("last_used_at", "email").WherePK().Exec(ctx)
	return err
}

// IdentitiesByUser returns a user's sign-in identities.
func (s *Store) IdentitiesByUser(ctx context.Context, userID int64) ([]*model.Identity, error) {
	var out []*model.Identity
	if err := s.DB.NewSelect().Model(&out).Where("user_id = ?", userID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("identities of user %d: %w", userID, err)
	}
	return out, nil
}

// DeleteIdentities removes a user's sign-in identities (on account deletion).
func (s *Store) DeleteIdentities(ctx context.Context, db bun.IDB, userID int64) error {
	_, err := db.NewDelete().Model((*model.Identity)(nil)).Where("user_id = ?", userID).Exec(ctx)
	return err
}

// UserByIDTx returns a user inside a transaction.
func (s *Store) UserByIDTx(ctx context.Context, db bun.IDB, id int64) (*model.User, error) {
	u := new(model.User)
	if err := db.NewSelect().Model(u).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("user %d: %w", id, mapError(err))
	}
	return u, nil
}

// UserByEmail returns the oldest account with the e-mail address (for the command line).
func (s *Store) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	u := new(model.User)
	err := s.DB.NewSelect().Model(u).Where("lower(email) = ?", lower(email)).Order("id").Limit(1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("user with e-mail %q: %w", email, mapError(err))
	}
	return u, nil
}

// UpdateUser writes the named columns of u. A new pseudonym is written with the columns
// derived from it; one taken, or looking like one taken, yields model.ErrConflict.
func (s *Store) UpdateUser(ctx context.Context, db bun.IDB, u *model.User, columns ...string) error {
	u.PseudonymLower, u.PseudonymSkeleton = lower(u.Pseudonym), skeletonOf(u)
	if slices.Contains(columns, "pseudonym") {
		columns = slices.Concat(slices.DeleteFunc(slices.Clone(columns), func(c string) bool {
			return c == "pseudonym_lower" || c == "pseudonym_skeleton"
		}), []string{"pseudonym_lower", "pseudonym_skeleton"})
	}
	if _, err := db.NewUpdate().Model(u).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, mapError(err))
	}
	s.Changed()
	return nil
}

// CreatedCursor marks a place in a list ordered by creation, newest first.
type CreatedCursor struct {
	CreatedAt time.Time
	ID        int64
}

// UserQuery selects users for the member lists.
type UserQuery struct {
	Role   model.Role
	Status model.Status
	// Approved leaves out accounts awaiting approval and deleted accounts: the members.
	Approved bool
	After    *CreatedCursor // continue after this user (keyset pagination)
	Limit    int
}

// Users returns users, newest first.
func (s *Store) Users(ctx context.Context, q UserQuery) ([]*model.User, error) {
	var out []*model.User
	sel := s.DB.NewSelect().Model(&out).OrderExpr("created_at DESC, id DESC")
	if q.Role != "" {
		sel.Where("role = ?", q.Role)
	}
	if q.Status != "" {
		sel.Where("status = ?", q.Status)
	}
	if q.Approved {
		sel.Where("role <> ? AND status <> ?", model.RolePending, model.StatusDeleted)
	}
	if q.After != nil {
		sel.Where("(created_at < ? OR (created_at = ? AND id < ?))", q.After.CreatedAt, q.After.CreatedAt, q.After.ID)
	}
	if q.Limit > 0 {
		sel.Limit(int64(q.Limit))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// CountAwaitingApproval counts the active accounts awaiting a moderator's decision (through
// the index on role and status: moderators read it on every page).
func (s *Store) CountAwaitingApproval(ctx context.Context) (int, error) {
	n, err := s.DB.NewSelect().Model((*model.User)(nil)).
		Where("role = ? AND status = ?", model.RolePending, model.StatusActive).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count accounts awaiting approval: %w", err)
	}
	return int(n), nil
}

// CountUsersTx counts accounts inside a transaction.
func (s *Store) CountUsersTx(ctx context.Context, db bun.IDB) (int, error) {
	n, err := db.NewSelect().Model((*model.User)(nil)).Count(ctx)
	return int(n), err
}

// InsertAudit records a moderator's or admin's action.
func (s *Store) InsertAudit(ctx context.Context, db bun.IDB, a *model.AuditEntry) error {
	if _, err := db.NewInsert().Model(a).Exec(ctx); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// AuditQuery selects a page of the audit log.
type AuditQuery struct {
	After *CreatedCursor // continue after this entry (keyset pagination)
	Limit int
}

// AuditLog returns audit entries, latest first.
func (s *Store) AuditLog(ctx context.Context, q AuditQuery) ([]*model.AuditEntry, error) {
	var out []*model.AuditEntry
	sel := s.DB.NewSelect().Model(&out).OrderExpr("created_at DESC, id DESC").Limit(int64(q.Limit))
	if q.After != nil {
		sel.Where("(created_at < ? OR (created_at = ? AND id < ?))", q.After.CreatedAt, q.After.CreatedAt, q.After.ID)
	}
	err := sel.Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// InsertInvite writes an invite.
func (s *Store) InsertInvite(ctx context.Context, inv *model.Invite) error {
	if _, err := s.DB.NewInsert().Model(inv).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert invite: %w", mapError(err))
	}
	return nil
}

// InviteByHash returns the invite whose code has the hash.
func (s *Store) InviteByHash(ctx context.Context, db bun.IDB, hash []byte) (*model.Invite, error) {
	inv := new(model.Invite)
	if err := db.NewSelect().Model(inv).Where("code_hash = ?", hash).Scan(ctx); err != nil {
		return nil, fmt.Errorf("invite: %w", mapError(err))
	}
	return inv, nil
}

// UseInvite counts one use of an invite if it is still valid; it reports whether it was.
func (s *Store) UseInvite(ctx context.Context, db bun.IDB, id int64, now time.Time) (bool, error) {
	res, err := db.NewUpdate().Model((*model.Invite)(nil)).Set("used_count = used_count + 1").
		Where("id = ? AND used_count < max_uses AND expires_at > ? AND revoked_at IS NULL", id, now).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("use invite %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Invites returns the latest invites.
func (s *Store) Invites(ctx context.Context, limit int) ([]*model.Invite, error) {
	var out []*model.Invite
	if err := s.DB.NewSelect().Model(&out).OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	return out, nil
}

// RevokeInvite stops an invite from being used.
func (s *Store) RevokeInvite(ctx context.Context, id int64, at time.Time) error {
	_, err := s.DB.NewUpdate().Model((*model.Invite)(nil)).Set("revoked_at = ?", at).
		Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	return err
}

// PostsByAuthor returns every post a user wrote, oldest first (for the data export).
func (s *Store) PostsByAuthor(ctx context.Context, userID int64) ([]*model.Post, error) {
	var out []*model.Post
	if err := s.DB.NewSelect().Model(&out).Where("author_id = ?", userID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("posts of user %d: %w", userID, err)
	}
	return out, nil
}

// ThreadsByAuthor returns every thread a user started, oldest first.
func (s *Store) ThreadsByAuthor(ctx context.Context, db bun.IDB, userID int64) ([]*model.Thread, error) {
	var out []*model.Thread
	if err := db.NewSelect().Model(&out).Where("author_id = ?", userID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("threads of user %d: %w", userID, err)
	}
	return out, nil
}
