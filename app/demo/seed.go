// Package demo writes the invented demo board: personas, tags and threads with replies.
// Seeding is idempotent: personas, tags and threads carry stable keys and are written once.
package demo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
)

// Result counts what a seed run wrote.
type Result struct {
	Users, Tags, Threads, Replies int
	// Published counts questions put in the public archive, Links related-thread links.
	Published, Links int
}

// Seed writes whatever of the demo board is missing. now anchors the board's dates:
// threads are dated DaysAgo days before it.
func Seed(ctx context.Context, st *store.Store, svc *forum.Service, now time.Time) (res Result, err error) {
	now = now.UTC().Truncate(time.Second)
	users := map[string]*model.User{}
	for _, p := range Personas {
		u, created, err := ensurePersona(ctx, st, p, now.AddDate(0, 0, -150))
		if err != nil {
			return res, err
		}
		if created {
			res.Users++
		}
		users[p.Key] = u
	}
	for _, t := range Tags {
		created, err := ensureTag(ctx, st, t, now.AddDate(0, 0, -150))
		if err != nil {
			return res, err
		}
		if created {
			res.Tags++
		}
	}

	// The board's history is written through the forum's operations, which write the
	// events the notifications come from. They are history, not news: a newcomer who signs
	// in as a persona starts with no notifications and an empty mailbox, and the first
	// notification they see is one their own question earned.
	settleFrom, err := st.LatestNotifyEventID(ctx)
	if err != nil {
		return res, err
	}
	defer func() {
		if err == nil {
			err = st.Tx(ctx, func(tx *store.Tx) error {
				_, err := tx.SettleNotifyEventsAfter(ctx, settleFrom, now)
				return err
			})
		}
	}()
	clock := svc.Now
	defer func() { svc.Now = clock }()
	for _, t := range Threads {
		if _, err := st.ThreadByDemoKey(ctx, t.Key); err == nil {
			continue
		} else if !errors.Is(err, model.ErrNotFound) {
			return res, err
		}
		n, err := seedThread(ctx, st, svc, users, t, now)
		if err != nil {
			return res, fmt.Errorf("demo thread %q: %w", t.Key, err)
		}
		res.Threads++
		res.Replies += n
	}
	// Links and publishing come after every thread exists; both are done through the
	// forum's operations by the experts, and only where they are missing.
	for _, t := range Threads {
		n, err := linkThread(ctx, st, svc, users, t, now)
		if err != nil {
			return res, fmt.Errorf("demo thread %q: %w", t.Key, err)
		}
		res.Links += n
		published, err := publishThread(ctx, st, svc, users, t, now)
		if err != nil {
			return res, fmt.Errorf("demo thread %q: %w", t.Key, err)
		}
		if published {
			res.Published++
		}
	}
	return res, nil
}

// linkThread links the thread to its related threads, as the expert who links them; a
// link already there is left as it is. It returns how many links it added.
func linkThread(ctx context.Context, st *store.Store, svc *forum.Service, users map[string]*model.User, t Thread, now time.Time) (int, error) {
	if len(t.Related) == 0 {
		return 0, nil
	}
	th, err := st.ThreadByDemoKey(ctx, t.Key)
	if err != nil {
		return 0, err
	}
	links, err := st.RelatedLinks(ctx, th.ID)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, r := range t.Related {
		other, err := st.ThreadByDemoKey(ctx, r.Key)
		if err != nil {
			return added, fmt.Errorf("related %q: %w", r.Key, err)
		}
		if slices.ContainsFunc(links, func(l store.RelatedThread) bool { return l.Thread.ID == other.ID }) {
			continue
		}
		by, ok := users[r.By]
		if !ok {
			return added, fmt.Errorf("unknown persona %q", r.By)
		}
		at := latest(th, other).Add(2 * time.Hour)
		svc.Now = func() time.Time { return before(at, now) }
		if err := svc.LinkThreads(ctx, by, th.ID, other.ID, r.Note); err != nil {
			return added, fmt.Errorf("link to %q: %w", r.Key, err)
		}
		added++
	}
	return added, nil
}

// publishThread puts an answered question in the public archive, as its asker and an
// expert do: the asker agrees, then the expert publishes. A question already in the
// archive, or whose asker already agreed (an expert may have taken it out since), is left
// as it is.
func publishThread(ctx context.Context, st *store.Store, svc *forum.Service, users map[string]*model.User, t Thread, now time.Time) (bool, error) {
	if t.PublishedBy == "" {
		return false, nil
	}
	th, err := st.ThreadByDemoKey(ctx, t.Key)
	if err != nil {
		return false, err
	}
	if th.PublishConsent || th.Visibility == model.VisibilityPublic {
		return false, nil
	}
	asker, expert := users[t.Author], users[t.PublishedBy]
	if asker == nil || expert == nil {
		return false, fmt.Errorf("unknown persona %q or %q", t.Author, t.PublishedBy)
	}
	at := th.LastActivityAt.Add(24 * time.Hour)
	svc.Now = func() time.Time { return before(at, now) }
	if err := svc.SetPublishConsent(ctx, asker, th.ID, true); err != nil {
		return false, fmt.Errorf("consent: %w", err)
	}
	svc.Now = func() time.Time { return before(at.Add(3*time.Hour), now) }
	if err := svc.Publish(ctx, expert, th.ID, true); err != nil {
		return false, fmt.Errorf("publish: %w", err)
	}
	return true, nil
}

// latest returns the later last activity of two threads.
func latest(a, b *model.Thread) time.Time {
	if a.LastActivityAt.After(b.LastActivityAt) {
		return a.LastActivityAt
	}
	return b.LastActivityAt
}

// before returns t, or a minute before now if t is not in the past.
func before(t, now time.Time) time.Time {
	if t.Before(now) {
		return t
	}
	return now.Add(-time.Minute)
}

func ensurePersona(ctx context.Context, st *store.Store, p Persona, at time.Time) (*model.User, bool, error) {
	u, err := st.UserByDemoKey(ctx, p.Key)
	if err == nil {
		return u, false, nil
	}
	if !errors.Is(err, model.ErrNotFound) {
		return nil, false, err
	}
	key := p.Key
	u = &model.User{
		Pseudonym: p.Pseudonym, Email: p.Email, Role: p.Role, Status: model.StatusActive,
		Credential: p.Credential, Bio: p.Bio, DemoKey: &key, CreatedAt: at, UpdatedAt: at, PseudonymChosenAt: &at,
	}
	if u.Role != model.RolePending {
		// Let in long ago: no "you are now a member" notice is owed.
		u.ApprovedAt, u.ApprovalSeenAt = &at, &at
	}
	u.JoinReason = p.JoinReason
	if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
		return nil, false, fmt.Errorf("persona %q: %w", p.Key, err)
	}
	return u, true, nil
}

func ensureTag(ctx context.Context, st *store.Store, t Tag, at time.Time) (bool, error) {
	if _, err := st.TagBySlug(ctx, t.Slug); err == nil {
		return false, nil
	} else if !errors.Is(err, model.ErrNotFound) {
		return false, err
	}
	tag := &model.Tag{Name: t.Name, Slug: t.Slug, Description: t.Description, CreatedAt: at, UpdatedAt: at}
	return true, st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertTag(ctx, tag) })
}

// seedThread writes one thread through the forum's own operations, so the demo board
// follows the same rules and writes the same change log as members do.
func seedThread(ctx context.Context, st *store.Store, svc *forum.Service, users map[string]*model.User, t Thread, now time.Time) (int, error) {
	author, ok := users[t.Author]
	if !ok {
		return 0, fmt.Errorf("unknown persona %q", t.Author)
	}
	start := now.AddDate(0, 0, -t.DaysAgo).Add(-time.Duration(len(t.Key)%9) * time.Hour)
	svc.Now = func() time.Time { return start }
	th, err := svc.Ask(ctx, author, forum.AskInput{
		Kind: t.Kind, Title: t.Title, Body: t.Body, ContentNote: t.ContentNote,
		Tags: t.Tags, Anonymous: t.Anonymous,
	})
	if err != nil {
		return 0, err
	}
	for _, r := range t.Replies {
		ra, ok := users[r.Author]
		if !ok {
			return 0, fmt.Errorf("unknown persona %q", r.Author)
		}
		at := start.Add(time.Duration(r.HoursLater) * time.Hour)
		if at.After(now) {
			at = now.Add(-time.Minute)
		}
		svc.Now = func() time.Time { return at }
		p, err := svc.Reply(ctx, ra, th.ID, forum.ReplyInput{Body: r.Body, Anonymous: r.Anonymous})
		if err != nil {
			return 0, err
		}
		if r.Helpful {
			if err := svc.MarkHelpful(ctx, author, th.ID, p.ID); err != nil {
				return 0, err
			}
		}
	}
	if t.Edit != nil {
		posts, err := st.PostsByThread(ctx, th.ID)
		if err != nil {
			return 0, err
		}
		at := before(start.Add(time.Duration(t.Edit.HoursLater)*time.Hour), now)
		svc.Now = func() time.Time { return at }
		if _, _, err := svc.EditPost(ctx, author, posts[0].ID, forum.EditInput{Title: t.Title, Body: t.Edit.Body,
			ContentNote: t.ContentNote}); err != nil {
			return 0, fmt.Errorf("edit: %w", err)
		}
	}
	// Pinning and locking are moderator decisions; the demo board starts with them made.
	th, err = st.ThreadByID(ctx, th.ID)
	if err != nil {
		return 0, err
	}
	key := t.Key
	th.DemoKey, th.Pinned, th.Locked = &key, t.Pinned, t.Locked
	if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateThread(ctx, th, "demo_key", "pinned", "locked") }); err != nil {
		return 0, err
	}
	return len(t.Replies), nil
}
