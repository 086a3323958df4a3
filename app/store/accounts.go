package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"forum/app/config"
	"forum/app/model"
)

// IdentityByIssuerSubject returns the identity of an account at the provider whose
// issuer is given. An empty issuer matches nothing.
func (q queries) IdentityByIssuerSubject(ctx context.Context, issuer, subject string) (*model.Identity, error) {
	if issuer == "" || subject == "" {
		return nil, fmt.Errorf("identity: %w", model.ErrNotFound)
	}
	id := new(model.Identity)
	err := q.db.NewSelect().Model(id).Where("issuer = ? AND subject = ?", issuer, subject).Scan(ctx)
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
func (tx *Tx) ClaimLegacyIdentities(ctx context.Context, provider, issuer string) (int64, error) {
	// No page shows an identity's issuer.
	res, err := tx.db.NewUpdate().Table("identities").Set("issuer = ?", issuer).
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
func (tx *Tx) UseSignInState(ctx context.Context, hash []byte, expires, now time.Time) (bool, error) {
	// No page shows a sign-in state.
	if _, err := tx.db.NewDelete().Model((*model.UsedSignInState)(nil)).Where("expires_at < ?", now).Exec(ctx); err != nil {
		return false, fmt.Errorf("forget old sign-in states: %w", err)
	}
	res, err := tx.db.NewInsert().Model(&model.UsedSignInState{StateHash: hash, ExpiresAt: expires}).
		On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("remember a sign-in state: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// InsertIdentity links an account at a provider to a user.
func (tx *Tx) InsertIdentity(ctx context.Context, id *model.Identity) error {
	if _, err := tx.write().NewInsert().Model(id).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert identity: %w", mapError(err))
	}
	return nil
}

// TouchIdentity records a sign-in through an identity (its time and e-mail).
func (tx *Tx) TouchIdentity(ctx context.Context, id *model.Identity) error {
	_, err := tx.write().NewUpdate().Model(id).Column("last_used_at", "email").WherePK().Exec(ctx)
	if err != nil {
		return fmt.Errorf("touch identity %d: %w", id.ID, err)
	}
	return nil
}

// IdentitiesByUser returns a user's sign-in identities.
func (q queries) IdentitiesByUser(ctx context.Context, userID int64) ([]*model.Identity, error) {
	var out []*model.Identity
	if err := q.db.NewSelect().Model(&out).Where("user_id = ?", userID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("identities of user %d: %w", userID, err)
	}
	return out, nil
}

// DeleteIdentities removes a user's sign-in identities (on account deletion).
func (tx *Tx) DeleteIdentities(ctx context.Context, userID int64) error {
	_, err := tx.write().NewDelete().Model((*model.Identity)(nil)).Where("user_id = ?", userID).Exec(ctx)
	if err != nil {
		return fmt.Errorf("delete identities of user %d: %w", userID, err)
	}
	return nil
}

// UserByEmail returns the oldest account with the e-mail address (for the command line).
func (q queries) UserByEmail(ctx context.Context, email string) (*model.User, error) {
	u := new(model.User)
	err := q.db.NewSelect().Model(u).Where("lower(email) = ?", lower(email)).Order("id").Limit(1).Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("user with e-mail %q: %w", email, mapError(err))
	}
	return u, nil
}

// UpdateUser writes the named columns of u. A new pseudonym is written with the columns
// derived from it; one taken, or looking like one taken, yields model.ErrConflict.
func (tx *Tx) UpdateUser(ctx context.Context, u *model.User, columns ...string) error {
	u.PseudonymLower, u.PseudonymSkeleton = lower(u.Pseudonym), skeletonOf(u)
	if slices.Contains(columns, "pseudonym") {
		columns = slices.Concat(slices.DeleteFunc(slices.Clone(columns), func(c string) bool {
			return c == "pseudonym_lower" || c == "pseudonym_skeleton"
		}), []string{"pseudonym_lower", "pseudonym_skeleton"})
	}
	if _, err := tx.write().NewUpdate().Model(u).Column(columns...).WherePK().Exec(ctx); err != nil {
		return fmt.Errorf("update user %d: %w", u.ID, mapError(err))
	}
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
func (q queries) Users(ctx context.Context, uq UserQuery) ([]*model.User, error) {
	var out []*model.User
	sel := q.db.NewSelect().Model(&out).OrderExpr("created_at DESC, id DESC")
	if uq.Role != "" {
		sel.Where("role = ?", uq.Role)
	}
	if uq.Status != "" {
		sel.Where("status = ?", uq.Status)
	}
	if uq.Approved {
		sel.Where("role <> ? AND status <> ?", model.RolePending, model.StatusDeleted)
	}
	if uq.After != nil {
		sel.Where("(created_at < ? OR (created_at = ? AND id < ?))", uq.After.CreatedAt, uq.After.CreatedAt, uq.After.ID)
	}
	if uq.Limit > 0 {
		sel.Limit(int64(uq.Limit))
	}
	if err := sel.Scan(ctx); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return out, nil
}

// signUpLock is the PostgreSQL advisory lock that new accounts are written under.
const signUpLock = 7_246_150_012

// LockSignUps makes the transaction the only one writing a new account until it ends, so
// that what it counts of the accounts stays true until it commits: of two first sign-ins
// at the same moment, one counts no account and the other counts the first. On
// PostgreSQL it takes a transaction-scoped advisory lock; SQLite's immediate transactions
// already run one writer at a time.
func (tx *Tx) LockSignUps(ctx context.Context) error {
	if tx.store.driver != config.DriverPostgres {
		return nil
	}
	if _, err := tx.db.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", signUpLock); err != nil {
		return fmt.Errorf("lock sign-ups: %w", err)
	}
	return nil
}

// AwaitingApprovalCount counts the active accounts awaiting a moderator's decision (through
// the index on role and status: moderators read it on every page).
func (q queries) AwaitingApprovalCount(ctx context.Context) (int, error) {
	n, err := q.db.NewSelect().Model((*model.User)(nil)).
		Where("role = ? AND status = ?", model.RolePending, model.StatusActive).Count(ctx)
	if err != nil {
		return 0, fmt.Errorf("count accounts awaiting approval: %w", err)
	}
	return int(n), nil
}

// InsertAudit records a moderator's or admin's action.
func (tx *Tx) InsertAudit(ctx context.Context, a *model.AuditEntry) error {
	if _, err := tx.write().NewInsert().Model(a).Exec(ctx); err != nil {
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// AuditQuery selects a page of the audit log.
type AuditQuery struct {
	After *CreatedCursor // continue after this entry (keyset pagination)
	Limit int
	// Filters, each ignored when zero: who acted, the member the action concerned, the
	// actions (any of them), and the span of time [Since, Before).
	ActorID   int64
	SubjectID int64
	Actions   []string
	Since     time.Time
	Before    time.Time
}

// AuditLog returns audit entries, latest first.
func (q queries) AuditLog(ctx context.Context, aq AuditQuery) ([]*model.AuditEntry, error) {
	var out []*model.AuditEntry
	sel := q.db.NewSelect().Model(&out).OrderExpr("created_at DESC, id DESC").Limit(int64(aq.Limit))
	if aq.After != nil {
		sel.Where("(created_at < ? OR (created_at = ? AND id < ?))", aq.After.CreatedAt, aq.After.CreatedAt, aq.After.ID)
	}
	if aq.ActorID != 0 {
		sel.Where("actor_id = ?", aq.ActorID)
	}
	if aq.SubjectID != 0 {
		sel.Where("subject_id = ?", aq.SubjectID)
	}
	if len(aq.Actions) > 0 {
		sel.Where("action IN (?)", bun.List(aq.Actions))
	}
	if !aq.Since.IsZero() {
		sel.Where("created_at >= ?", aq.Since)
	}
	if !aq.Before.IsZero() {
		sel.Where("created_at < ?", aq.Before)
	}
	err := sel.Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return out, nil
}

// InsertInvite writes an invite.
func (tx *Tx) InsertInvite(ctx context.Context, inv *model.Invite) error {
	// Invites are listed on the admin's page only, which no cache holds.
	if _, err := tx.db.NewInsert().Model(inv).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("insert invite: %w", mapError(err))
	}
	return nil
}

// InviteByHash returns the invite whose code has the hash.
func (q queries) InviteByHash(ctx context.Context, hash []byte) (*model.Invite, error) {
	inv := new(model.Invite)
	if err := q.db.NewSelect().Model(inv).Where("code_hash = ?", hash).Scan(ctx); err != nil {
		return nil, fmt.Errorf("invite: %w", mapError(err))
	}
	return inv, nil
}

// UseInvite counts one use of an invite if it is still valid; it reports whether it was.
func (tx *Tx) UseInvite(ctx context.Context, id int64, now time.Time) (bool, error) {
	res, err := tx.write().NewUpdate().Model((*model.Invite)(nil)).Set("used_count = used_count + 1").
		Where("id = ? AND used_count < max_uses AND expires_at > ? AND revoked_at IS NULL", id, now).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("use invite %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// Invites returns the latest invites.
func (q queries) Invites(ctx context.Context, limit int) ([]*model.Invite, error) {
	var out []*model.Invite
	if err := q.db.NewSelect().Model(&out).OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	return out, nil
}

// RevokeInvite stops an invite from being used.
func (tx *Tx) RevokeInvite(ctx context.Context, id int64, at time.Time) error {
	// Invites are listed on the admin's page only, which no cache holds.
	_, err := tx.db.NewUpdate().Model((*model.Invite)(nil)).Set("revoked_at = ?", at).
		Where("id = ? AND revoked_at IS NULL", id).Exec(ctx)
	if err != nil {
		return fmt.Errorf("revoke invite %d: %w", id, err)
	}
	return nil
}

// PostsByAuthor returns every post a user wrote, oldest first (for the data export).
func (q queries) PostsByAuthor(ctx context.Context, userID int64) ([]*model.Post, error) {
	var out []*model.Post
	if err := q.db.NewSelect().Model(&out).Where("author_id = ?", userID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("posts of user %d: %w", userID, err)
	}
	return out, nil
}

// ThreadsByAuthor returns every thread a user started, oldest first.
func (q queries) ThreadsByAuthor(ctx context.Context, userID int64) ([]*model.Thread, error) {
	var out []*model.Thread
	if err := q.db.NewSelect().Model(&out).Where("author_id = ?", userID).Order("id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("threads of user %d: %w", userID, err)
	}
	return out, nil
}
