package notify

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"forum/app/markdown"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
)

// pendingBatch is how many pending events one look at the queue takes.
const pendingBatch = 100

// FanOut fans out every pending event, each in a transaction of its own, and returns how
// many it fanned out. An event that fails is left for the next round (the error of the
// first is returned once no other event can be done); one that another node is fanning
// out is left to it.
func (s *Service) FanOut(ctx context.Context) (int, error) {
	total := 0
	for {
		ids, err := s.store.PendingNotifyEvents(ctx, pendingBatch)
		if err != nil || len(ids) == 0 {
			return total, err
		}
		done := 0
		var failed error
		for _, id := range ids {
			ok, err := s.fanOutEvent(ctx, id)
			switch {
			case err != nil && ctx.Err() != nil:
				return total + done, ctx.Err()
			case err != nil:
				s.log.Warn("notification fan-out: event failed", "event", id, "err", err)
				if failed == nil {
					failed = err
				}
			case ok:
				done++
			}
		}
		total += done
		if done == 0 {
			return total, failed
		}
	}
}

// fanOutEvent writes the notifications of event id and marks it fanned out, in one
// transaction (an event that tells nobody is removed instead); it reports false when the
// event was fanned out already or another node holds it.
func (s *Service) fanOutEvent(ctx context.Context, id int64) (bool, error) {
	var (
		claimed    bool
		recipients []int64
	)
	err := s.store.Tx(ctx, func(tx *store.Tx) error {
		claimed, recipients = false, nil
		ev, err := tx.ClaimNotifyEvent(ctx, id)
		if errors.Is(err, model.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		claimed = true
		ns, err := s.notificationsOf(ctx, tx, ev)
		if err != nil {
			return err
		}
		if len(ns) > 0 {
			stored, err := tx.InsertNotifications(ctx, ev.ID, ns)
			if err != nil {
				return err
			}
			if err := s.enqueueMail(ctx, tx, stored); err != nil {
				return err
			}
			for _, n := range stored {
				recipients = append(recipients, n.UserID)
			}
		}
		if len(ns) == 0 {
			// It told nobody: nothing needs it any more.
			return tx.DeleteNotifyEvent(ctx, ev.ID)
		}
		return tx.MarkNotifyEventFannedOut(ctx, ev.ID, s.now())
	})
	if err != nil {
		return false, fmt.Errorf("fan out notify event %d: %w", id, err)
	}
	if claimed {
		s.tellNotified(recipients)
	}
	return claimed, nil
}

// rank orders the kinds a recipient could receive for one event: each gets one
// notification, of the kind that concerns them most.
func rank(k model.NotifyKind) int {
	switch k {
	case "":
		return 0
	case model.NotifyReply, model.NotifyNewQuestion:
		return 1
	case model.NotifyMention:
		return 2
	case model.NotifyAnswer:
		return 3
	}
	return 4
}

// notificationsOf returns the notifications of an event, one per recipient: who follows
// what the event is about, at a level that wants it, and who is named in it, less its
// actor and anyone who may not be told of it now (policy.MayNotify).
func (s *Service) notificationsOf(ctx context.Context, tx *store.Tx, ev *model.NotifyEvent) ([]*model.Notification, error) {
	t, p, err := eventContent(ctx, tx, ev)
	if err != nil {
		return nil, err
	}
	want := map[int64]model.NotifyKind{}
	add := func(user int64, k model.NotifyKind) {
		if rank(k) > rank(want[user]) {
			want[user] = k
		}
	}
	switch ev.Kind {
	case model.NotifyReply, model.NotifyAnswer:
		if t == nil || p == nil {
			break
		}
		follows, err := tx.ThreadFollowers(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		levels := map[int64]model.Level{}
		for _, f := range follows {
			levels[f.UserID] = f.Level
			if f.Level == model.LevelWatching {
				add(f.UserID, model.NotifyReply)
			}
		}
		if ev.Kind == model.NotifyAnswer {
			switch policy.ThreadLevel(&model.User{ID: t.AuthorID}, t, levels[t.AuthorID]) {
			case model.LevelWatching, model.LevelNormal:
				add(t.AuthorID, model.NotifyAnswer)
			}
		}
		named, err := referenced(ctx, tx, p)
		if err != nil {
			return nil, err
		}
		for _, u := range named {
			if levels[u] != model.LevelMuted {
				add(u, model.NotifyMention)
			}
		}
	case model.NotifyNewQuestion:
		if t == nil || p == nil {
			break
		}
		tags, err := tx.ThreadTagIDs(ctx, t.ID)
		if err != nil {
			return nil, err
		}
		follows, err := tx.TagFollowers(ctx, tags)
		if err != nil {
			return nil, err
		}
		// A topic muted is quieter than another watched: the thread is in both.
		watching, muted := map[int64]bool{}, map[int64]bool{}
		for _, f := range follows {
			switch f.Level {
			case model.LevelWatching:
				watching[f.UserID] = true
			case model.LevelMuted:
				muted[f.UserID] = true
			}
		}
		for u := range watching {
			if !muted[u] {
				add(u, model.NotifyNewQuestion)
			}
		}
		named, err := referenced(ctx, tx, p)
		if err != nil {
			return nil, err
		}
		for _, u := range named {
			add(u, model.NotifyMention)
		}
	case model.NotifyHelpful:
		if t == nil || ev.UserID == nil {
			break
		}
		f, err := tx.ThreadFollowOf(ctx, *ev.UserID, t.ID)
		if err != nil && !errors.Is(err, model.ErrNotFound) {
			return nil, err
		}
		if f == nil || f.Level != model.LevelMuted {
			add(*ev.UserID, ev.Kind)
		}
	case model.NotifyApproved, model.NotifyPostHidden, model.NotifyPostRestored, model.NotifyPostEdited,
		model.NotifyFlagHandled, model.NotifyPostApproved, model.NotifyPostDeclined:
		if ev.UserID != nil {
			add(*ev.UserID, ev.Kind)
		}
	case model.NotifyFlagDanger, model.NotifyDanger:
		// Every moderator, at once: someone may be in danger.
		mods, err := tx.ModeratorIDs(ctx)
		if err != nil {
			return nil, err
		}
		for _, id := range mods {
			add(id, ev.Kind)
		}
	}
	if ev.ActorID != nil {
		delete(want, *ev.ActorID)
	}
	ids := make([]int64, 0, len(want))
	for u := range want {
		ids = append(ids, u)
	}
	slices.Sort(ids)
	var out []*model.Notification
	for from := 0; from < len(ids); from += usersPerQuery {
		part := ids[from:min(from+usersPerQuery, len(ids))]
		users, err := tx.UsersByIDs(ctx, part)
		if err != nil {
			return nil, err
		}
		for _, id := range part {
			u, kind := users[id], want[id]
			if u == nil || !policy.MayNotify(u, kind, t, p) {
				continue
			}
			n := &model.Notification{UserID: id, Kind: kind, ThreadID: ev.ThreadID, PostID: ev.PostID, ActorID: ev.ActorID,
				CreatedAt: ev.CreatedAt}
			if policy.IsModerationNotice(kind) || kind == model.NotifyFlagHandled || kind == model.NotifyPostDeclined {
				n.Reason = ev.Reason
			}
			out = append(out, n)
		}
	}
	return out, nil
}

// usersPerQuery bounds the ids one query looks up.
const usersPerQuery = 1000

// eventContent loads the thread and post an event is about, nil where it has none or
// they are gone.
func eventContent(ctx context.Context, tx *store.Tx, ev *model.NotifyEvent) (*model.Thread, *model.Post, error) {
	var (
		t   *model.Thread
		p   *model.Post
		err error
	)
	if ev.ThreadID != nil {
		if t, err = tx.ThreadRow(ctx, *ev.ThreadID); errors.Is(err, model.ErrNotFound) {
			t, err = nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
	if ev.PostID != nil {
		if p, err = tx.PostByID(ctx, *ev.PostID); errors.Is(err, model.ErrNotFound) {
			p, err = nil, nil
		}
		if err != nil {
			return nil, nil, err
		}
	}
	return t, p, nil
}

// referenced returns the accounts a post names: mentioned (@name) or quoted. A name
// that belongs to nobody names nobody.
func referenced(ctx context.Context, tx *store.Tx, p *model.Post) ([]int64, error) {
	refs := markdown.ReferencesOf(p.BodySource)
	names := append(refs.Mentions, refs.Quoted...)
	if len(names) == 0 {
		return nil, nil
	}
	users, err := tx.UsersByPseudonyms(ctx, names)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	return ids, nil
}

// enqueueMail hands the notifications their recipients want e-mailed at once to the
// mailer, in the fan-out's transaction.
func (s *Service) enqueueMail(ctx context.Context, tx *store.Tx, ns []*model.Notification) error {
	users := make([]int64, 0, len(ns))
	for _, n := range ns {
		users = append(users, n.UserID)
	}
	prefs, err := tx.NotificationPrefsOf(ctx, users)
	if err != nil {
		return err
	}
	type key struct {
		user int64
		kind model.NotifyKind
	}
	chosen := make(map[key]model.Delivery, len(prefs))
	for _, p := range prefs {
		chosen[key{p.UserID, p.Kind}] = p.Delivery
	}
	for _, n := range ns {
		d, ok := chosen[key{n.UserID, n.Kind}]
		if !ok {
			d = model.DefaultDelivery(n.Kind)
		}
		if d != model.DeliveryNow {
			continue
		}
		if err := s.mailer.Enqueue(ctx, tx, n); err != nil {
			return fmt.Errorf("queue e-mail of notification %d: %w", n.ID, err)
		}
	}
	return nil
}
