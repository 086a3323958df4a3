package forum_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestTopicListsFollowEveryThreadChange checks the order and the content of topic pages,
// which read from thread_tags' copy of each thread's activity, hidden flag and visibility,
// through every operation that changes one of them: a reply, hiding and restoring,
// publishing, and merging a topic into another.
func TestTopicListsFollowEveryThreadChange(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := forum.New(st, markdown.New())
		clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		svc.Now = func() time.Time { clock = clock.Add(time.Minute); return clock }
		now := time.Now().UTC()
		mk := func(name string, role model.Role) *model.User {
			u := &model.User{Pseudonym: name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
				t.Fatal(err)
			}
			return u
		}
		member, expert, mod := mk("asker", model.RoleMember), mk("coach", model.RoleExpert), mk("mod", model.RoleModerator)
		tags := map[string]*model.Tag{}
		for _, slug := range []string{"craft", "mat"} {
			tg := &model.Tag{Name: slug, Slug: slug, CreatedAt: now, UpdatedAt: now}
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertTag(ctx, tg) }); err != nil {
				t.Fatal(err)
			}
			tags[slug] = tg
		}
		ask := func(title, tag string) *model.Thread {
			th, err := svc.Ask(ctx, member, forum.AskInput{Title: title, Body: "Body of " + title, Tags: []string{tag}, PublishConsent: true})
			if err != nil {
				t.Fatal(err)
			}
			return th
		}
		expect := func(step, tag string, publicOnly bool, want ...*model.Thread) {
			t.Helper()
			got, err := st.Threads(ctx, store.ThreadQuery{TagID: tags[tag].ID, PublicOnly: publicOnly})
			if err != nil {
				t.Fatal(err)
			}
			var g, w []string
			for _, th := range got {
				g = append(g, th.Title)
			}
			for _, th := range want {
				w = append(w, th.Title)
			}
			if fmt.Sprint(g) != fmt.Sprint(w) {
				t.Fatalf("%s: topic %s (public only %v) lists %q, want %q", step, tag, publicOnly, g, w)
			}
			// The next page starts after the first thread.
			if len(got) > 1 {
				next, err := st.Threads(ctx, store.ThreadQuery{TagID: tags[tag].ID, PublicOnly: publicOnly,
					After: &store.Cursor{LastActivity: got[0].LastActivityAt, ID: got[0].ID}})
				if err != nil {
					t.Fatal(err)
				}
				if len(next) != len(got)-1 || next[0].ID != got[1].ID {
					t.Fatalf("%s: the page after %q starts with %d threads", step, got[0].Title, len(next))
				}
			}
		}
		a, b, c := ask("The first question", "craft"), ask("The second question", "craft"), ask("The third question", "mat")
		expect("asked", "craft", false, b, a)

		if _, err := svc.Reply(ctx, expert, a.ID, forum.ReplyInput{Body: "An answer"}); err != nil {
			t.Fatal(err)
		}
		expect("a reply moves its thread up", "craft", false, a, b)

		if _, err := svc.ModerateThread(ctx, mod, a.ID, forum.ActionHide, "spam"); err != nil {
			t.Fatal(err)
		}
		expect("hidden", "craft", false, b)
		if _, err := svc.ModerateThread(ctx, mod, a.ID, forum.ActionRestore, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		expect("restored", "craft", false, a, b)

		expect("nothing published", "craft", true)
		if err := svc.Publish(ctx, expert, a.ID, true); err != nil {
			t.Fatal(err)
		}
		expect("published", "craft", true, a)

		if err := svc.MergeTags(ctx, mod, tags["mat"].ID, tags["craft"].ID); err != nil {
			t.Fatal(err)
		}
		expect("merged", "craft", false, a, c, b)
		expect("merged, public", "craft", true, a)
		if err := svc.Publish(ctx, expert, a.ID, false); err != nil {
			t.Fatal(err)
		}
		expect("unpublished", "craft", true)
	})
}
