package forum_test

import (
	"context"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestEveryContentChangeWritesTheChangeLog runs each operation that changes searchable
// content and checks it left a change-log row for the right thread.
func TestEveryContentChangeWritesTheChangeLog(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := forum.New(st, markdown.New())
		now := time.Now().UTC()
		mk := func(name string, role model.Role) *model.User {
			u := &model.User{Pseudonym: name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
				t.Fatal(err)
			}
			return u
		}
		member, expert, mod := mk("asker", model.RoleMember), mk("coach", model.RoleExpert), mk("mod", model.RoleModerator)
		for _, slug := range []string{"craft", "mat"} {
			if err := st.Tx(ctx, func(tx *store.Tx) error {
				return tx.InsertTag(ctx, &model.Tag{Name: slug, Slug: slug, CreatedAt: now, UpdatedAt: now})
			}); err != nil {
				t.Fatal(err)
			}
		}
		last := int64(0)
		expect := func(op string, threadID int64) {
			t.Helper()
			cs, err := st.ChangesAfter(ctx, last, 100)
			if err != nil {
				t.Fatal(err)
			}
			if len(cs) == 0 {
				t.Fatalf("%s wrote no change-log row", op)
			}
			found := false
			for _, c := range cs {
				found = found || c.ThreadID == threadID || (c.Entity == "tag" && threadID == 0)
				last = c.ID
			}
			if !found {
				t.Fatalf("%s wrote change-log rows %+v, none for thread %d", op, cs, threadID)
			}
		}
		th, err := svc.Ask(ctx, member, forum.AskInput{Title: "A question about CRAFT", Body: "Body", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		expect("ask", th.ID)
		p, err := svc.Reply(ctx, expert, th.ID, forum.ReplyInput{Body: "An answer"})
		if err != nil {
			t.Fatal(err)
		}
		expect("reply", th.ID)
		if th2, _ := st.ThreadByID(ctx, th.ID); th2.State != model.StateAnswered {
			t.Fatalf("state after an expert reply = %s", th2.State)
		}
		if err := svc.MarkHelpful(ctx, member, th.ID, p.ID); err != nil {
			t.Fatal(err)
		}
		expect("mark helpful", th.ID)
		if _, _, err := svc.EditPost(ctx, expert, p.ID, forum.EditInput{Body: "A better answer"}); err != nil {
			t.Fatal(err)
		}
		expect("edit", th.ID)
		own, err := svc.Reply(ctx, member, th.ID, forum.ReplyInput{Body: "Thank you"})
		if err != nil {
			t.Fatal(err)
		}
		expect("own reply", th.ID)
		if _, err := svc.DeletePost(ctx, member, own.ID); err != nil {
			t.Fatal(err)
		}
		expect("delete own reply", th.ID)
		if _, err := svc.ModeratePost(ctx, mod, p.ID, forum.ActionHide, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		expect("hide post", th.ID)
		if th2, _ := st.ThreadByID(ctx, th.ID); th2.State != model.StateOpen || th2.HelpfulPostID != nil || th2.ReplyCount != 0 {
			t.Fatalf("after hiding the only reply: state %s, helpful %v, %d replies", th2.State, th2.HelpfulPostID, th2.ReplyCount)
		}
		if _, err := svc.ModerateThread(ctx, mod, th.ID, forum.ActionHide, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		expect("hide thread", th.ID)
		tag, _ := st.TagBySlug(ctx, "craft")
		if _, err := svc.UpdateTag(ctx, mod, tag.ID, forum.TagInput{Name: "CRAFT", Slug: "craft"}); err != nil {
			t.Fatal(err)
		}
		expect("rename tag", 0)
		mat, _ := st.TagBySlug(ctx, "mat")
		if err := svc.MergeTags(ctx, mod, tag.ID, mat.ID); err != nil {
			t.Fatal(err)
		}
		expect("merge tags", th.ID)
		if err := svc.DeleteAccount(ctx, member, true); err != nil {
			t.Fatal(err)
		}
		expect("delete account", th.ID)
	})
}

// TestConcurrentWritersNeverSeeLocked has many members reply at once: on SQLite every
// write must succeed (busy timeout, immediate transactions, retries), never "database is locked".
func TestConcurrentWritersNeverSeeLocked(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		svc := forum.New(st, markdown.New())
		now := time.Now().UTC()
		var users []*model.User
		for i := 0; i < 8; i++ {
			u := &model.User{Pseudonym: "writer_" + string(rune('a'+i)), Role: model.RoleMember, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now}
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
				t.Fatal(err)
			}
			users = append(users, u)
		}
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
		th, err := svc.Ask(ctx, users[0], forum.AskInput{Title: "Many replies at once", Body: "Go", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		const each = 15
		errs := make(chan error, len(users)*each)
		done := make(chan struct{})
		for _, u := range users {
			go func(u *model.User) {
				defer func() { done <- struct{}{} }()
				for i := 0; i < each; i++ {
					if _, err := svc.Reply(ctx, u, th.ID, forum.ReplyInput{Body: "Reply"}); err != nil {
						errs <- err
					}
					if err := svc.SaveDraft(ctx, u, forum.DraftKeyReply(th.ID), forum.DraftInput{Body: "typing"}); err != nil {
						errs <- err
					}
				}
			}(u)
		}
		for range users {
			<-done
		}
		close(errs)
		for err := range errs {
			t.Errorf("concurrent write failed: %v", err)
		}
		got, err := st.ThreadByID(ctx, th.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ReplyCount != len(users)*each {
			t.Fatalf("reply count = %d, want %d", got.ReplyCount, len(users)*each)
		}
		t.Logf("%d transactions were retried after a busy database", st.BusyRetries())
	})
}
