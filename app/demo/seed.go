// Package demo writes the invented demo board: personas, tags and threads with replies.
// Seeding is idempotent: personas, tags and threads carry stable keys and are written once.
package demo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
)

// Result counts what a seed run wrote.
type Result struct {
	Users, Tags, Threads, Replies int
}

// Seed writes whatever of the demo board is missing. now anchors the board's dates:
// threads are dated DaysAgo days before it.
func Seed(ctx context.Context, st *store.Store, svc *forum.Service, now time.Time) (Result, error) {
	var res Result
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
	return res, nil
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
		u.ApprovedAt = &at
	}
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
