package store_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/migrations"
)

// TestAnonymityMigrationFixesOlderRows writes rows as they were before anonymous replies
// stopped counting as expert answers, runs the data part of the migration again, and
// checks that no anonymous reply is an expert answer any more, nor answers a question.
func TestAnonymityMigrationFixesOlderRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		now := time.Now().UTC()
		svc := forum.New(st, markdown.New())
		mk := func(name string, role model.Role) *model.User {
			u := &model.User{Pseudonym: name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
				t.Fatal(err)
			}
			return u
		}
		member, expert := mk("asker", model.RoleMember), mk("coach", model.RoleExpert)
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
		ask := func(title string, anonymous bool) (*model.Thread, *model.Post) {
			th, err := svc.Ask(ctx, member, forum.AskInput{Title: title, Body: "Body.", Tags: []string{"craft"}})
			if err != nil {
				t.Fatal(err)
			}
			p, err := svc.Reply(ctx, expert, th.ID, forum.ReplyInput{Body: "Answer.", Anonymous: anonymous})
			if err != nil {
				t.Fatal(err)
			}
			return th, p
		}
		anonThread, anonPost := ask("An anonymous expert replied", true)
		namedThread, _ := ask("A named expert replied", false)
		// As an older version wrote them.
		if _, err := store.DBOf(st).NewRaw("UPDATE posts SET expert = ? WHERE id = ?", true, anonPost.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := store.DBOf(st).NewRaw("UPDATE threads SET state = ? WHERE id = ?", model.StateAnswered, anonThread.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		sql, err := fs.ReadFile(migrations.FS, st.Driver()+"/20261202040000_anonymity.tx.up.sql")
		if err != nil {
			t.Fatal(err)
		}
		ran := 0
		for _, stmt := range strings.Split(string(sql), "--bun:split") {
			if strings.Contains(stmt, "UPDATE") {
				if _, err := store.DBOf(st).ExecContext(ctx, stmt); err != nil {
					t.Fatalf("%s: %v", stmt, err)
				}
				ran++
			}
		}
		if ran != 2 {
			t.Fatalf("ran %d data statements, want 2", ran)
		}
		p, err := st.PostByID(ctx, anonPost.ID)
		if err != nil || p.Expert {
			t.Fatalf("anonymous reply: expert %v, %v", p.Expert, err)
		}
		for _, tc := range []struct {
			id    int64
			state model.State
		}{{anonThread.ID, model.StateOpen}, {namedThread.ID, model.StateAnswered}} {
			th, err := st.ThreadByID(ctx, tc.id)
			if err != nil || th.State != tc.state {
				t.Fatalf("thread %d: state %s, %v, want %s", tc.id, th.State, err, tc.state)
			}
		}
	})
}
