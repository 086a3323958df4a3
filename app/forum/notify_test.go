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

// eventBoard is a forum with an asker, an expert, a moderator, a topic and a question.
type eventBoard struct {
	st                 *store.Store
	svc                *forum.Service
	asker, expert, mod *model.User
	question           *model.Thread
	pokes              int
	lastEvent          int64
	ctx                context.Context
	t                  testing.TB
}

func newEventBoard(t testing.TB, st *store.Store) *eventBoard {
	t.Helper()
	b := &eventBoard{st: st, svc: forum.New(st, markdown.New()), ctx: context.Background(), t: t}
	b.svc.AfterEvent = func() { b.pokes++ }
	b.asker, b.expert, b.mod = b.user("asker", model.RoleMember), b.user("coach", model.RoleExpert), b.user("mod", model.RoleModerator)
	now := time.Now().UTC()
	if err := st.Tx(b.ctx, func(tx *store.Tx) error {
		return tx.InsertTag(b.ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	if b.question, err = b.svc.Ask(b.ctx, b.asker, forum.AskInput{Title: "A question about CRAFT", Body: "Body", Tags: []string{"craft"}}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *eventBoard) user(name string, role model.Role) *model.User {
	b.t.Helper()
	now := time.Now().UTC()
	u := &model.User{Pseudonym: name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
	if role == model.RoleExpert {
		u.Credential = "CRAFT coach"
	}
	if err := b.st.Tx(b.ctx, func(tx *store.Tx) error { return tx.InsertUser(b.ctx, u) }); err != nil {
		b.t.Fatal(err)
	}
	return u
}

// events returns the notify events written since the last call.
func (b *eventBoard) events() []model.NotifyEvent {
	b.t.Helper()
	var out []model.NotifyEvent
	storetest.Scan(b.t, b.st, &out, "SELECT * FROM notify_events WHERE id > ? ORDER BY id", b.lastEvent)
	if len(out) > 0 {
		b.lastEvent = out[len(out)-1].ID
	}
	return out
}

func (b *eventBoard) count(table string) int {
	b.t.Helper()
	var n int
	storetest.Scan(b.t, b.st, &n, "SELECT COUNT(*) FROM "+table)
	return n
}

// TestEveryEventWritesOneNotifyEvent runs each operation that people are told of and
// checks it wrote one event, with what the fan-out needs, and woke the fan-out.
func TestEveryEventWritesOneNotifyEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newEventBoard(t, st)
		ctx := b.ctx
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		expect := func(op string, kind model.NotifyKind, actor *model.User, threadID, postID, userID int64, reason string) {
			t.Helper()
			evs := b.events()
			if len(evs) != 1 {
				t.Fatalf("%s wrote %d notify events, want 1", op, len(evs))
			}
			e := evs[0]
			id := func(p *int64) int64 {
				if p == nil {
					return 0
				}
				return *p
			}
			if e.Kind != kind || id(e.ActorID) != actor.ID || id(e.ThreadID) != threadID || id(e.PostID) != postID ||
				id(e.UserID) != userID || e.Reason != reason || e.FannedOutAt != nil {
				t.Errorf("%s wrote %+v", op, e)
			}
		}
		q := b.question
		opening, err := st.PostsByThread(ctx, q.ID)
		must(err)
		expect("ask", model.NotifyNewQuestion, b.asker, q.ID, opening[0].ID, 0, "")
		p, err := b.svc.Reply(ctx, b.expert, q.ID, forum.ReplyInput{Body: "An answer"})
		must(err)
		expect("an expert's reply to a question", model.NotifyAnswer, b.expert, q.ID, p.ID, 0, "")
		own, err := b.svc.Reply(ctx, b.asker, q.ID, forum.ReplyInput{Body: "Thank you"})
		must(err)
		expect("a member's reply", model.NotifyReply, b.asker, q.ID, own.ID, 0, "")
		anon, err := b.svc.Reply(ctx, b.expert, q.ID, forum.ReplyInput{Body: "As a parent", Anonymous: true})
		must(err)
		expect("an expert's anonymous reply", model.NotifyReply, b.expert, q.ID, anon.ID, 0, "")
		must(b.svc.MarkHelpful(ctx, b.asker, q.ID, p.ID))
		expect("mark helpful", model.NotifyHelpful, b.asker, q.ID, p.ID, b.expert.ID, "")
		_, err = b.svc.ModeratePost(ctx, b.mod, own.ID, forum.ActionHide, " Off topic ")
		must(err)
		expect("hide a post", model.NotifyPostHidden, b.mod, q.ID, own.ID, b.asker.ID, "Off topic")
		_, err = b.svc.ModeratePost(ctx, b.mod, own.ID, forum.ActionRestore, "a moderator's reason")
		must(err)
		expect("restore a post", model.NotifyPostRestored, b.mod, q.ID, own.ID, b.asker.ID, "a moderator's reason")
		_, err = b.svc.ActOnFlags(ctx, b.mod, own.ID, forum.FlagAction{Action: forum.FlagEdit, Reason: " Took out a name ", Body: "Thank you, all"})
		must(err)
		expect("a moderator's edit", model.NotifyPostEdited, b.mod, q.ID, own.ID, b.asker.ID, "Took out a name")
		_, err = b.svc.ActOnFlags(ctx, b.mod, p.ID, forum.FlagAction{Action: forum.FlagEdit, Reason: "Shorter", Body: "An answer."})
		must(err)
		if evs := b.events(); len(evs) != 1 || evs[0].UserID == nil || *evs[0].UserID != b.expert.ID {
			t.Fatalf("a moderator's edit of an expert's post wrote %+v, want one event for its author", evs)
		}
		pending := b.user("newcomer", model.RolePending)
		must(b.svc.DecideMembership(ctx, b.mod, pending.ID, forum.DecisionApprove, ""))
		expect("approve a member", model.NotifyApproved, b.mod, 0, 0, pending.ID, "")
		if b.pokes != 10 {
			t.Errorf("the fan-out was woken %d times for 10 events", b.pokes)
		}
		// A declined applicant is told nothing; a rejected reply writes nothing.
		declined := b.user("declined", model.RolePending)
		must(b.svc.DecideMembership(ctx, b.mod, declined.ID, forum.DecisionDecline, ""))
		if _, err := b.svc.Reply(ctx, b.asker, q.ID, forum.ReplyInput{Body: " "}); err == nil {
			t.Fatal("an empty reply was taken")
		}
		if evs := b.events(); len(evs) != 0 || b.pokes != 10 {
			t.Errorf("a decline and a rejected reply wrote %v and woke the fan-out %d times", evs, b.pokes)
		}
		// The asker follows the question they asked, watching; those who replied, normal.
		for u, want := range map[*model.User]model.Level{b.asker: model.LevelWatching, b.expert: model.LevelNormal} {
			f, err := st.ThreadFollowOf(ctx, u.ID, q.ID)
			must(err)
			if f.Level != want || !f.Auto {
				t.Errorf("%s follows at %s (auto %v), want %s", u.Pseudonym, f.Level, f.Auto, want)
			}
		}
	})
}

// addWatchers makes n members watch the thread.
func (b *eventBoard) addWatchers(th *model.Thread, n int) {
	b.t.Helper()
	now := time.Now().UTC()
	users := make([]*model.User, n)
	for i := range users {
		users[i] = &model.User{Pseudonym: fmt.Sprintf("watcher_%04d", i), Role: model.RoleMember, Status: model.StatusActive,
			CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
	}
	err := b.st.Tx(b.ctx, func(tx *store.Tx) error {
		if err := tx.InsertUsers(b.ctx, users); err != nil {
			return err
		}
		for _, u := range users {
			if err := tx.SetThreadFollow(b.ctx, u.ID, th.ID, model.LevelWatching, now); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.t.Fatal(err)
	}
}

// TestReplyWith1000WatchersWritesOneEvent: a reply in a thread with a thousand watchers
// writes one event and no notification in its transaction, with the queries of a reply
// in a thread nobody watches.
func TestReplyWith1000WatchersWritesOneEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newEventBoard(t, st)
		quiet, err := b.svc.Ask(b.ctx, b.asker, forum.AskInput{Title: "A thread nobody watches", Body: "Body", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		b.addWatchers(b.question, 1000)
		b.events()
		counter := storetest.CountQueries(st)
		reply := func(th *model.Thread) int64 {
			counter.Reset()
			if _, err := b.svc.Reply(b.ctx, b.expert, th.ID, forum.ReplyInput{Body: "We are here for you."}); err != nil {
				t.Fatal(err)
			}
			return counter.Count()
		}
		reply(quiet) // the expert follows it from now on, as they will the other
		reply(b.question)
		alone, watched := reply(quiet), reply(b.question)
		if watched != alone {
			t.Errorf("a reply ran %d queries in a thread nobody watches and %d with 1000 watchers", alone, watched)
		}
		if evs := b.events(); len(evs) != 4 {
			t.Errorf("four replies wrote %d notify events", len(evs))
		}
		if n := b.count("notifications"); n != 0 {
			t.Errorf("replies wrote %d notifications before the fan-out", n)
		}
	})
}

func BenchmarkReply(b *testing.B) { benchmarkReply(b, 0) }

// BenchmarkReplyWith1000Watchers is a reply in a thread a thousand members watch: the
// fan-out writes their notifications after the commit, so it costs what BenchmarkReply does.
func BenchmarkReplyWith1000Watchers(b *testing.B) { benchmarkReply(b, 1000) }

func benchmarkReply(b *testing.B, watchers int) {
	eb := newEventBoard(b, storetest.Open(b, "sqlite"))
	eb.addWatchers(eb.question, watchers)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := eb.svc.Reply(eb.ctx, eb.expert, eb.question.ID, forum.ReplyInput{Body: fmt.Sprintf("Reply %d: we are here for you.", i)}); err != nil {
			b.Fatal(err)
		}
	}
}
