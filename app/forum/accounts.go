package forum

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// ExternalAccount is an account at a sign-in provider, as the provider reported it.
// Issuer and Subject identify it; Provider is the configured provider's short name.
type ExternalAccount struct {
	Provider, Issuer, Subject, Email, Name string
}

// ErrInviteInvalid reports an invite that does not exist, expired, was revoked or used up.
var ErrInviteInvalid = errors.New("this invite link is no longer valid")

// ErrInviteNotApplicable reports a valid invite opened by someone it cannot make a member
// (policy.CanJoinWithInvite): a member already, or a person who was one before.
var ErrInviteNotApplicable = errors.New("an invite does not change this account")

// SignIn finds the user linked to an external account, by issuer and subject only (never
// by e-mail, never by the provider's short name), or creates one. A new account is
// pending, unless it is the very first account (it becomes admin) or comes with a valid
// invite (it becomes a member). An existing account that signs in with a valid invite
// becomes a member only if it never was one (policy.CanJoinWithInvite); for anyone else
// the invite changes nothing.
func (s *Service) SignIn(ctx context.Context, ext ExternalAccount, inviteCode string) (*model.User, error) {
	if ext.Provider == "" || ext.Issuer == "" || ext.Subject == "" {
		return nil, fmt.Errorf("sign in: provider, issuer and subject are required")
	}
	now := s.now()
	var user *model.User
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		inviteID, err := validInvite(ctx, tx, inviteCode, now)
		if err != nil && !errors.Is(err, ErrInviteInvalid) {
			return err
		}
		id, err := tx.IdentityByIssuerSubject(ctx, ext.Issuer, ext.Subject)
		switch {
		case err == nil:
			id.LastUsedAt = now
			// A provider may leave the e-mail out of one answer (a scope not granted this
			// time); that is no reason to forget the address it gave before.
			if ext.Email != "" {
				id.Email = ext.Email
			}
			if err := tx.TouchIdentity(ctx, id); err != nil {
				return err
			}
			if user, err = tx.UserByID(ctx, id.UserID); err != nil {
				return err
			}
			if policy.SuspensionOver(user, now) {
				if err := s.endSuspension(ctx, tx, user, now); err != nil {
					return err
				}
			}
			if inviteID != 0 && policy.CanJoinWithInvite(user) {
				return s.signInJoin(ctx, tx, user, inviteID, now)
			}
			return nil
		case !errors.Is(err, model.ErrNotFound):
			return err
		}

		// The first account becomes admin: what is counted must hold until the commit,
		// though another first sign-in runs at the same moment.
		if err := tx.LockSignUps(ctx); err != nil {
			return err
		}
		count, err := tx.UserCount(ctx)
		if err != nil {
			return err
		}
		user = &model.User{
			Pseudonym: temporaryPseudonym(), Email: ext.Email, RealName: ext.Name,
			Role: model.RolePending, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now,
		}
		if count == 0 {
			user.Role, user.ApprovedAt = model.RoleAdmin, &now
		}
		if err := tx.InsertUser(ctx, user); err != nil {
			return err
		}
		if err := tx.InsertIdentity(ctx, &model.Identity{
			UserID: user.ID, Provider: ext.Provider, Issuer: ext.Issuer, Subject: ext.Subject, Email: ext.Email,
			CreatedAt: now, LastUsedAt: now,
		}); err != nil {
			return err
		}
		if inviteID != 0 && policy.CanJoinWithInvite(user) {
			return s.signInJoin(ctx, tx, user, inviteID, now)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return user, nil
}

// inviteReader reads invites: the store, or a transaction that will use the invite.
type inviteReader interface {
	InviteByHash(ctx context.Context, hash []byte) (*model.Invite, error)
}

// validInvite returns the id of the invite of a code that can still be used.
func validInvite(ctx context.Context, r inviteReader, code string, now time.Time) (int64, error) {
	if code == "" {
		return 0, ErrInviteInvalid
	}
	inv, err := r.InviteByHash(ctx, hashCode(code))
	if errors.Is(err, model.ErrNotFound) {
		return 0, ErrInviteInvalid
	}
	if err != nil {
		return 0, err
	}
	if inv.RevokedAt != nil || !now.Before(inv.ExpiresAt) || inv.UsedCount >= inv.MaxUses {
		return 0, ErrInviteInvalid
	}
	return inv.ID, nil
}

// signInJoin makes u a member with an invite during a sign-in: an invite used up meanwhile
// leaves the account pending, and the sign-in goes on.
func (s *Service) signInJoin(ctx context.Context, tx *store.Tx, u *model.User, inviteID int64, now time.Time) error {
	if err := s.joinWithInvite(ctx, tx, u, inviteID, now); !errors.Is(err, ErrInviteInvalid) {
		return err
	}
	return nil
}

// joinWithInvite counts one use of the invite and makes u a member; an invite used up or
// revoked meanwhile is ErrInviteInvalid and changes nothing.
func (s *Service) joinWithInvite(ctx context.Context, tx *store.Tx, u *model.User, inviteID int64, now time.Time) error {
	ok, err := tx.UseInvite(ctx, inviteID, now)
	if err != nil {
		return err
	}
	if !ok {
		return ErrInviteInvalid
	}
	u.Role, u.ApprovedAt, u.UpdatedAt = model.RoleMember, &now, now
	if err := tx.UpdateUser(ctx, u, "role", "approved_at", "updated_at"); err != nil {
		return err
	}
	return tx.InsertAudit(ctx, &model.AuditEntry{Action: "join_with_invite", TargetType: "user", TargetID: u.ID,
		Note: fmt.Sprintf("invite #%d", inviteID), CreatedAt: now})
}

// RedeemInvite makes a signed-in person a member with a valid invite, if they were never
// one (policy.CanJoinWithInvite, asked of the account as stored, not as the caller last saw
// it). For anyone else it changes nothing and returns ErrInviteNotApplicable.
func (s *Service) RedeemInvite(ctx context.Context, u *model.User, code string) error {
	now := s.now()
	var joined *model.User
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		id, err := validInvite(ctx, tx, code, now)
		if err != nil {
			return err
		}
		fresh, err := tx.UserByID(ctx, u.ID)
		if err != nil {
			return err
		}
		if !policy.CanJoinWithInvite(fresh) {
			return ErrInviteNotApplicable
		}
		joined = fresh
		return s.joinWithInvite(ctx, tx, fresh, id, now)
	})
	if err != nil {
		return err
	}
	*u = *joined
	return nil
}

// CheckInvite reports whether an invite code can still be used.
func (s *Service) CheckInvite(ctx context.Context, code string) error {
	_, err := validInvite(ctx, s.store, code, s.now())
	return err
}

// InviteInput is a new invite as an admin fills it in.
type InviteInput struct {
	MaxUses int
	Days    int
	Note    string
}

// CreateInvite makes an invite link; the code is returned once and only its hash is kept.
func (s *Service) CreateInvite(ctx context.Context, actor *model.User, in InviteInput) (string, *model.Invite, error) {
	if !policy.CanManageInvites(actor) {
		return "", nil, model.ErrForbidden
	}
	inv := &model.InvalidError{}
	if in.MaxUses < 1 || in.MaxUses > 500 {
		inv.Add("max_uses", "An invite can be used from 1 to 500 times.")
	}
	if in.Days < 1 || in.Days > 90 {
		inv.Add("days", "An invite stays valid from 1 to 90 days.")
	}
	in.Note = strings.TrimSpace(in.Note)
	if len([]rune(in.Note)) > 200 {
		inv.Add("note", "Keep the note under 200 characters.")
	}
	if err := inv.Err(); err != nil {
		return "", nil, err
	}
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	code := base64.RawURLEncoding.EncodeToString(b)
	now := s.now()
	invite := &model.Invite{CodeHash: hashCode(code), CreatedBy: actor.ID, MaxUses: in.MaxUses, Note: in.Note,
		CreatedAt: now, ExpiresAt: now.Add(time.Duration(in.Days) * 24 * time.Hour)}
	if err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.InsertInvite(ctx, invite) }); err != nil {
		return "", nil, err
	}
	return code, invite, nil
}

// RevokeInvite stops an invite from being used.
func (s *Service) RevokeInvite(ctx context.Context, actor *model.User, id int64) error {
	if !policy.CanManageInvites(actor) {
		return model.ErrForbidden
	}
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error { return tx.RevokeInvite(ctx, id, now) })
}

// Membership decisions a moderator takes on a pending account.
const (
	DecisionApprove = "approve"
	DecisionDecline = "decline"
)

// DecideMembership approves or declines a pending account, with an optional note kept
// in the audit log.
func (s *Service) DecideMembership(ctx context.Context, actor *model.User, userID int64, decision, note string) error {
	if !policy.CanApproveMembers(actor) {
		return model.ErrForbidden
	}
	note = strings.TrimSpace(note)
	if len([]rune(note)) > 500 {
		return model.Invalid("note", "Keep the note under 500 characters.")
	}
	now := s.now()
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if !policy.IsPending(u) {
			return fmt.Errorf("%w: this account is not awaiting approval", model.ErrConflict)
		}
		switch decision {
		case DecisionApprove:
			u.Role, u.ApprovedAt = model.RoleMember, &now
		case DecisionDecline:
			u.Status = model.StatusDeclined
			if err := tx.RevokeSessions(ctx, u.ID, now); err != nil {
				return err
			}
		default:
			return model.Invalid("decision", "Choose approve or decline.")
		}
		u.UpdatedAt = now
		if err := tx.UpdateUser(ctx, u, "role", "status", "approved_at", "updated_at"); err != nil {
			return err
		}
		if decision == DecisionApprove {
			e := event(model.NotifyApproved, actor, nil, nil, now)
			e.UserID = &u.ID
			if err := tx.InsertNotifyEvent(ctx, e); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, actor, decision+"_member", "user", u.ID, note, now)
	})
	if err != nil {
		return err
	}
	if decision == DecisionApprove {
		s.eventWritten()
	}
	return nil
}

// SetRole gives a user a role; an expert's credential line is set with it.
func (s *Service) SetRole(ctx context.Context, actor *model.User, userID int64, role model.Role, credential string) error {
	credential = strings.TrimSpace(credential)
	if !role.Valid() {
		return model.Invalid("role", "Choose one of pending, member, expert, moderator, admin.")
	}
	if role == model.RoleExpert && credential == "" {
		return model.Invalid("credential", "An expert needs a credential line, shown on every post (for example \"CRAFT-certified family coach\").")
	}
	if len([]rune(credential)) > 120 {
		return model.Invalid("credential", "Keep the credential line under 120 characters.")
	}
	now := s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		if !policy.CanSetRole(actor, u, role) {
			return model.ErrForbidden
		}
		u.Role, u.UpdatedAt = role, now
		if role == model.RoleExpert {
			u.Credential = credential
		} else if credential != "" {
			u.Credential = credential
		}
		if role != model.RolePending && u.ApprovedAt == nil {
			u.ApprovedAt = &now
		}
		if err := tx.UpdateUser(ctx, u, "role", "credential", "approved_at", "updated_at"); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor, "set_role", "user", u.ID, string(role), now)
	})
}

// Suspend stops a member from signing in and signs them out everywhere; Unsuspend undoes it.
func (s *Service) Suspend(ctx context.Context, actor *model.User, userID int64, note string) error {
	return s.setSuspended(ctx, actor, userID, true, note)
}

// Unsuspend lets a suspended member sign in again.
func (s *Service) Unsuspend(ctx context.Context, actor *model.User, userID int64, note string) error {
	return s.setSuspended(ctx, actor, userID, false, note)
}

// SuspendUntil suspends a member until a time (nil: until a moderator lifts it); a
// suspension that has ended is lifted when the member next signs in.
func (s *Service) SuspendUntil(ctx context.Context, actor *model.User, userID int64, until *time.Time, note string) error {
	return s.setSuspendedUntil(ctx, actor, userID, true, until, note)
}

func (s *Service) setSuspended(ctx context.Context, actor *model.User, userID int64, suspend bool, note string) error {
	return s.setSuspendedUntil(ctx, actor, userID, suspend, nil, note)
}

func (s *Service) setSuspendedUntil(ctx context.Context, actor *model.User, userID int64, suspend bool, until *time.Time, note string) error {
	now := s.now()
	if !policy.CanModerate(actor) {
		return model.ErrForbidden
	}
	return s.store.Tx(ctx, func(tx *store.Tx) error {
		u, err := tx.UserByID(ctx, userID)
		if err != nil {
			return err
		}
		return s.suspendIn(ctx, tx, actor, u, suspend, until, note, now)
	})
}

// suspendIn suspends or reinstates u in tx.
func (s *Service) suspendIn(ctx context.Context, tx *store.Tx, actor, u *model.User, suspend bool, until *time.Time, note string, now time.Time) error {
	if u.Status == model.StatusDeleted {
		return fmt.Errorf("%w: account #%d was deleted by its owner and cannot be suspended or brought back", model.ErrForbidden, u.ID)
	}
	allowed := policy.CanSuspend
	if !suspend {
		allowed = policy.CanReinstate
	}
	if !allowed(actor, u) {
		if policy.CanSuspend(actor, u) || policy.CanReinstate(actor, u) {
			// Already done (a second click): nothing to change.
			return fmt.Errorf("%w: account #%d is already %s", model.ErrConflict, u.ID, u.Status)
		}
		return model.ErrForbidden
	}
	inv := &model.InvalidError{}
	if msg := policy.ReasonProblem(note); msg != "" {
		inv.Add("note", msg)
	}
	if suspend && until != nil && !until.After(now) {
		inv.Add("until", "Choose a day after today.")
	}
	if err := inv.Err(); err != nil {
		return err
	}
	action := "unsuspend"
	if suspend {
		action = "suspend"
		u.Status, u.SuspendedAt, u.SuspendedUntil = model.StatusSuspended, &now, until
		if err := tx.RevokeSessions(ctx, u.ID, now); err != nil {
			return err
		}
	} else {
		u.Status, u.SuspendedAt, u.SuspendedUntil = model.StatusActive, nil, nil
	}
	u.UpdatedAt = now
	if err := tx.UpdateUser(ctx, u, "status", "suspended_at", "suspended_until", "updated_at"); err != nil {
		return err
	}
	note = strings.TrimSpace(note)
	if until != nil {
		note += " (until " + until.UTC().Format("2 January 2006") + ")"
	}
	return s.audit(ctx, tx, actor, action, "user", u.ID, note, now)
}

// endSuspension lifts a suspension whose time is up, as the member signs in again.
func (s *Service) endSuspension(ctx context.Context, tx *store.Tx, u *model.User, now time.Time) error {
	u.Status, u.SuspendedAt, u.SuspendedUntil, u.UpdatedAt = model.StatusActive, nil, nil, now
	if err := tx.UpdateUser(ctx, u, "status", "suspended_at", "suspended_until", "updated_at"); err != nil {
		return err
	}
	return s.audit(ctx, tx, nil, "suspension_ended", "user", u.ID, "", now)
}

// CommandLine is the actor of the `forum user` command: the operator of the server, who
// may do what an admin may. It has no account; the audit log records it without one.
var CommandLine = &model.User{Pseudonym: "the command line", Role: model.RoleAdmin, Status: model.StatusActive}

// audit records an action of actor.
// The entry names the member the action concerned and the thread it happened in (a
// post's or a thread's author, or the account acted on), so that the log reads as
// sentences and filters by member.
func (s *Service) audit(ctx context.Context, tx *store.Tx, actor *model.User, action, targetType string, targetID int64, note string, at time.Time) error {
	e := &model.AuditEntry{Action: action, TargetType: targetType, TargetID: targetID, Note: note, CreatedAt: at}
	if actor != nil && actor != CommandLine && actor.ID != 0 {
		e.ActorID = &actor.ID
	}
	switch targetType {
	case "post":
		p, err := tx.PostByID(ctx, targetID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		if p != nil {
			e.SubjectID, e.ThreadID = &p.AuthorID, &p.ThreadID
		}
	case "thread":
		t, err := tx.ThreadRow(ctx, targetID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		if t != nil {
			e.SubjectID, e.ThreadID = &t.AuthorID, &t.ID
		}
	case "user":
		e.SubjectID = &targetID
	case "held_post":
		h, err := tx.HeldPostByID(ctx, targetID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return err
		}
		if h != nil {
			e.SubjectID = &h.AuthorID
			e.ThreadID = h.ThreadID
		}
	}
	return tx.InsertAudit(ctx, e)
}

var pseudonymPattern = regexp.MustCompile(`^[\p{L}\p{N}][\p{L}\p{N}_.-]{2,29}$`)

// reservedNames may not be chosen by anyone: they would pass for the forum's own labels or
// staff. They are compared by what they look like (store.Skeleton), as are the prefixes of
// the names the forum gives (member-… before a name is chosen, former-member-… after a deletion).
var reservedNames, reservedPrefixes = skeletons("admin", "administrator", "moderator", "mod", "expert", "staff", "kinship",
	"anonymous", "a-family-member", "familymember", "former-member", "system", "support", "member"),
	skeletons("member-", "former-member-")

// staffWords make a name sound like the forum's staff, alone or joined to each other or to
// a filler ("Kinship_Team", "moderator1", "TheAdmins"); only staff may carry such a name.
var staffWords, staffFillers = staffFold("admin", "admins", "administrator", "administrators", "moderator", "moderators",
	"mod", "mods", "staff", "team", "official", "officials", "support", "kinship", "expert", "experts", "system",
	"sysop", "helpdesk", "webmaster"), staffFold("the", "real", "hq", "crew", "desk")

// Messages beside the pseudonym field.
const (
	pseudonymTaken     = "That name is taken; choose another."
	pseudonymLookalike = "That name looks almost the same as another member's name, so readers could mistake one for the other (letters from other alphabets, or rn for m, can look alike). Choose another."
	pseudonymStaffLike = "Names that sound like the forum's staff (admin, moderator, support, team, Kinship and the like) are kept for staff, so that nobody is misled. Choose another."
)

// CheckPseudonym reports whether u may take name, apart from whether it is in use: its
// form, the reserved names, and the staff-like names only staff may carry
// (policy.CanTakeStaffName).
func CheckPseudonym(u *model.User, name string) error {
	switch {
	case name == "":
		return model.Invalid("pseudonym", "Choose a name to be known by here.")
	case !pseudonymPattern.MatchString(name):
		return model.Invalid("pseudonym", "Use 3 to 30 letters or digits; _ . and - may join them. No spaces.")
	}
	if staffLike(name) && !policy.CanTakeStaffName(u) {
		return model.Invalid("pseudonym", pseudonymStaffLike)
	}
	sk := store.Skeleton(name)
	if slices.Contains(reservedNames, sk) || slices.ContainsFunc(reservedPrefixes, func(p string) bool { return strings.HasPrefix(sk, p) }) {
		return model.Invalid("pseudonym", "That name is reserved; choose another.")
	}
	return nil
}

// SetPseudonym sets the public name a member chose (CheckPseudonym). A name is refused
// when another account holds it, compared case-insensitively, or a name that looks like it
// (store.Skeleton), so that nobody can pass for someone else.
func (s *Service) SetPseudonym(ctx context.Context, u *model.User, name string) error {
	name = strings.TrimSpace(name)
	if err := CheckPseudonym(u, name); err != nil {
		return err
	}
	now := s.now()
	prev := *u
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		taken, lookalike, err := tx.PseudonymInUse(ctx, name, u.ID)
		switch {
		case err != nil:
			return err
		case taken:
			return model.Invalid("pseudonym", pseudonymTaken)
		case lookalike:
			return model.Invalid("pseudonym", pseudonymLookalike)
		}
		u.Pseudonym, u.UpdatedAt, u.PseudonymChosenAt = name, now, &now
		return tx.UpdateUser(ctx, u, "pseudonym", "updated_at", "pseudonym_chosen_at")
	})
	if err != nil {
		*u = prev
	}
	if errors.Is(err, model.ErrConflict) {
		// Taken by someone else between the check and the write.
		return model.Invalid("pseudonym", pseudonymTaken)
	}
	return err
}

// staffLike reports whether a name sounds like the forum's staff: one of its words, split
// at _ . - and where digits or a capital begin ("KinshipTeam2"), or one of the words of what
// it looks like ("m0derator", "аdmin" with a Cyrillic а), is made of staff words and fillers
// with at least one staff word.
func staffLike(name string) bool {
	name = norm.NFKC.String(name)
	var words []string
	var cur []rune
	prev := rune(0)
	for _, r := range name {
		boundary := r == '_' || r == '.' || r == '-' ||
			unicode.IsDigit(r) != unicode.IsDigit(prev) || unicode.IsUpper(r) && unicode.IsLower(prev)
		if boundary && len(cur) > 0 {
			words = append(words, string(cur))
			cur = cur[:0]
		}
		if r != '_' && r != '.' && r != '-' {
			cur = append(cur, r)
		}
		prev = r
	}
	if len(cur) > 0 {
		words = append(words, string(cur))
	}
	words = append(words, strings.FieldsFunc(store.Skeleton(name), func(r rune) bool {
		return r == '_' || unicode.IsDigit(r)
	})...)
	for _, w := range words {
		if madeOfStaffWords(staffFold(w)[0], false) {
			return true
		}
	}
	return false
}

// madeOfStaffWords reports whether w splits wholly into staffWords and staffFillers, with
// at least one staff word (or one already seen, staff).
func madeOfStaffWords(w string, staff bool) bool {
	if w == "" {
		return staff
	}
	for _, p := range staffWords {
		if strings.HasPrefix(w, p) && madeOfStaffWords(w[len(p):], true) {
			return true
		}
	}
	for _, p := range staffFillers {
		if strings.HasPrefix(w, p) && madeOfStaffWords(w[len(p):], staff) {
			return true
		}
	}
	return false
}

// staffFold folds words for comparing with staff words: their skeleton, with l and i made
// one too (an "adm1n" looks like admin there).
func staffFold(words ...string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = strings.ReplaceAll(store.Skeleton(w), "l", "i")
	}
	return out
}

func skeletons(words ...string) []string {
	out := make([]string, len(words))
	for i, w := range words {
		out[i] = store.Skeleton(w)
	}
	return out
}

// UpdateBio sets the short text shown on a member's profile.
func (s *Service) UpdateBio(ctx context.Context, u *model.User, bio string) error {
	bio = strings.TrimSpace(bio)
	if len([]rune(bio)) > 500 {
		return model.Invalid("bio", "Keep it under 500 characters.")
	}
	u.Bio, u.UpdatedAt = bio, s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u, "bio", "updated_at") })
}

// MaxJoinReason is the most characters a person awaiting approval may write on what brings
// them here.
const MaxJoinReason = 500

// SetJoinReason keeps what a person awaiting approval says brings them here, for the
// moderators who decide; an empty reason takes it back.
func (s *Service) SetJoinReason(ctx context.Context, u *model.User, reason string) error {
	if !policy.CanSayWhyJoining(u) {
		return model.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	if n := utf8.RuneCountInString(reason); n > MaxJoinReason {
		return model.Invalid("join_reason", fmt.Sprintf("Keep it under %d characters; it has %d. A few words are enough.", MaxJoinReason, n))
	}
	u.JoinReason, u.UpdatedAt = reason, s.now()
	return s.store.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u, "join_reason", "updated_at") })
}

// MarkWelcomed records that member u saw the notice that they were let in, so that it is
// shown once (policy.OwesWelcome). It writes once in an account's life.
func (s *Service) MarkWelcomed(ctx context.Context, u *model.User) error {
	if !policy.OwesWelcome(u) {
		return nil
	}
	now := s.now()
	u.ApprovalSeenAt = &now
	return s.store.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u, "approval_seen_at") })
}

func temporaryPseudonym() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return "member-" + hex.EncodeToString(b)
}

func hashCode(code string) []byte { return store.HashSecret(code) }
