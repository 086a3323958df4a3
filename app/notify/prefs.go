package notify

import (
	"context"
	"fmt"

	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// Kinds lists every kind of notification, in the order the account page offers them.
func Kinds() []model.NotifyKind {
	return []model.NotifyKind{model.NotifyAnswer, model.NotifyReply, model.NotifyMention, model.NotifyHelpful,
		model.NotifyNewQuestion, model.NotifyApproved, model.NotifyPostHidden, model.NotifyPostRestored, model.NotifyPostEdited,
		model.NotifyFlagHandled, model.NotifyFlagDanger}
}

// Preferences are a member's choices of e-mail.
type Preferences struct {
	// Email is the delivery of each kind (every kind of Kinds).
	Email map[model.NotifyKind]model.Delivery
	// EmailTitles: e-mail may name the thread (discreet by default: never its words).
	EmailTitles bool
}

// Preferences returns v's choices of e-mail, with the default of every kind not chosen.
func (s *Service) Preferences(ctx context.Context, v *model.User) (Preferences, error) {
	p := Preferences{Email: map[model.NotifyKind]model.Delivery{}, EmailTitles: v.EmailTitles}
	for _, k := range Kinds() {
		p.Email[k] = model.DefaultDelivery(k)
	}
	prefs, err := s.store.NotificationPrefsOf(ctx, []int64{v.ID})
	if err != nil {
		return Preferences{}, err
	}
	for _, x := range prefs {
		if _, known := p.Email[x.Kind]; known {
			p.Email[x.Kind] = x.Delivery
		}
	}
	return p, nil
}

// SetPreferences saves v's choices of e-mail. Only the choices that differ from a kind's
// default are stored, so that a better default reaches everyone who never chose.
func (s *Service) SetPreferences(ctx context.Context, v *model.User, p Preferences) error {
	if !policy.CanChooseEmail(v) {
		return model.ErrForbidden
	}
	for k := range p.Email {
		if !isKind(k) {
			return model.Invalid("email", fmt.Sprintf("There is no kind of notification called %q.", quoted(string(k))))
		}
	}
	var rows []model.NotificationPref
	for _, k := range Kinds() {
		d, ok := p.Email[k]
		if !ok {
			d = model.DefaultDelivery(k)
		}
		switch d {
		case model.DeliveryNow, model.DeliveryDigest, model.DeliveryNever:
		default:
			return model.Invalid("email_"+string(k), "Choose at once, in a daily digest, or never.")
		}
		if d != model.DefaultDelivery(k) {
			rows = append(rows, model.NotificationPref{Kind: k, Delivery: d})
		}
	}
	prev := v.EmailTitles
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.SetNotificationPrefs(ctx, v.ID, rows); err != nil {
			return err
		}
		if p.EmailTitles == prev {
			return nil
		}
		v.EmailTitles, v.UpdatedAt = p.EmailTitles, s.now()
		return tx.UpdateUser(ctx, v, "email_titles", "updated_at")
	})
	if err != nil {
		v.EmailTitles = prev
	}
	return err
}

func isKind(k model.NotifyKind) bool {
	for _, x := range Kinds() {
		if x == k {
			return true
		}
	}
	return false
}

// quoted cuts what someone typed to a short prefix, for a message that quotes it.
func quoted(s string) string {
	if r := []rune(s); len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}
