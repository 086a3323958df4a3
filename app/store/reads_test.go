package store_test

import (
	"context"
	"io/fs"
	"slices"
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

// board is a small forum for the tests of read positions: people, a topic, and the
// operations that write threads and replies.
type board struct {
	t   *testing.T
	st  *store.Store
	svc *forum.Service
	now time.Time
}

func newBoard(t *testing.T, st *store.Store) *board {
	b := &board{t: t, st: st, svc: forum.New(st, markdown.New()), now: time.Now().UTC().Add(-time.Hour).Truncate(time.Second)}
	// Each operation happens a second after the one before, so that lists have an order.
	b.svc.Now = func() time.Time { b.now = b.now.Add(time.Second); return b.now }
	ctx := context.Background()
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: b.now, UpdatedAt: b.now})
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

func (b *board) user(name string, role model.Role) *model.User {
	b.t.Helper()
	ctx := context.Background()
	u := &model.User{Pseudonym: name, PseudonymLower: name, Role: role, Status: model.StatusActive, CreatedAt: b.now, UpdatedAt: b.now, PseudonymChosenAt: &b.now}
	if err := b.st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
		b.t.Fatal(err)
	}
	return u
}

func (b *board) ask(u *model.User, title string) *model.Thread {
	b.t.Helper()
	th, err := b.svc.Ask(context.Background(), u, forum.AskInput{Title: title, Body: "What do we do?", Tags: []string{"craft"}})
	if err != nil {
		b.t.Fatal(err)
	}
	return th
}

func (b *board) reply(u *model.User, th *model.Thread, anonymous bool) *model.Post {
	b.t.Helper()
	p, err := b.svc.Reply(context.Background(), u, th.ID, forum.ReplyInput{Body: "A reply.", Anonymous: anonymous})
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

func (b *board) save(reads ...model.ThreadRead) {
	b.t.Helper()
	ctx := context.Background()
	for i := range reads {
		reads[i].ReadAt = b.now
	}
	if err := b.st.Tx(ctx, func(tx *store.Tx) error { return tx.SaveReadPositions(ctx, reads) }); err != nil {
		b.t.Fatal(err)
	}
}

func (b *board) position(u *model.User, th *model.Thread) int64 {
	b.t.Helper()
	pos, err := b.st.ReadPosition(context.Background(), u.ID, th.ID)
	if err != nil {
		b.t.Fatal(err)
	}
	return pos
}

// TestReadPositionsOnlyMoveForward saves positions out of order, as late batches and
// other nodes write them: the stored position is always the highest saved.
func TestReadPositionsOnlyMoveForward(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		asker, reader := b.user("asker", model.RoleMember), b.user("reader", model.RoleMember)
		th := b.ask(asker, "How do we talk about the relapse?")
		if got := b.position(reader, th); got != 0 {
			t.Fatalf("a thread never opened has position %d, want 0", got)
		}
		b.save(model.ThreadRead{UserID: reader.ID, ThreadID: th.ID, LastReadPostID: 50})
		b.save(model.ThreadRead{UserID: reader.ID, ThreadID: th.ID, LastReadPostID: 30})
		if got := b.position(reader, th); got != 50 {
			t.Fatalf("after 50 then 30: position %d, want 50", got)
		}
		// One batch for two members, one moving forward, one back.
		b.save(model.ThreadRead{UserID: reader.ID, ThreadID: th.ID, LastReadPostID: 70},
			model.ThreadRead{UserID: asker.ID, ThreadID: th.ID, LastReadPostID: 0}, // nothing seen: ignored
		)
		if got := b.position(reader, th); got != 70 {
			t.Fatalf("after 70: position %d, want 70", got)
		}
		opening := b.position(asker, th)
		if opening == 0 {
			t.Fatal("the asker has no read position in their own question")
		}
		b.save(model.ThreadRead{UserID: asker.ID, ThreadID: th.ID, LastReadPostID: opening - 1})
		if got := b.position(asker, th); got != opening {
			t.Fatalf("the asker's position moved back to %d from %d", got, opening)
		}
	})
}

// TestReadPositionsOfDeletedAccounts: a position recorded just before the member deleted
// their account is not written after, and the deletion removes the stored ones.
func TestReadPositionsOfDeletedAccounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		ctx := context.Background()
		asker, leaving := b.user("asker", model.RoleMember), b.user("leaving", model.RoleMember)
		th := b.ask(asker, "How do we talk about the relapse?")
		other := b.ask(leaving, "Is it normal to feel this tired?")
		b.save(model.ThreadRead{UserID: leaving.ID, ThreadID: th.ID, LastReadPostID: 5})
		if err := b.svc.DeleteAccount(ctx, leaving, false); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []*model.Thread{th, other} {
			if got := b.position(leaving, tt); got != 0 {
				t.Fatalf("thread %d: a deleted account keeps position %d", tt.ID, got)
			}
		}
		var participants int
		storetest.Scan(t, st, &participants, "SELECT COUNT(*) FROM thread_participants WHERE user_id = ?", leaving.ID)
		if participants != 0 {
			t.Fatalf("a deleted account keeps %d rows of its threads", participants)
		}
		b.save(model.ThreadRead{UserID: leaving.ID, ThreadID: th.ID, LastReadPostID: 9},
			model.ThreadRead{UserID: asker.ID, ThreadID: other.ID, LastReadPostID: 9})
		if got := b.position(leaving, th); got != 0 {
			t.Fatalf("a position of a deleted account was written: %d", got)
		}
		if got := b.position(asker, other); got != 9 {
			t.Fatalf("the other member's position of the same batch: %d, want 9", got)
		}
	})
}

// TestUnreadCounts counts what is new to a member: posts after their position, neither
// hidden nor deleted nor their own, in threads they opened; positions not yet stored
// count over the stored ones.
func TestUnreadCounts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		ctx := context.Background()
		parent, coach, spouse, stranger := b.user("parent", model.RoleMember), b.user("coach", model.RoleExpert),
			b.user("spouse", model.RoleMember), b.user("stranger", model.RoleMember)
		mod := b.user("mod", model.RoleModerator)
		asked := b.ask(parent, "How do I start a CRAFT conversation?")
		first := b.reply(coach, asked, false)
		own := b.reply(parent, asked, false) // the parent's own
		hidden := b.reply(spouse, asked, false)
		deleted := b.reply(spouse, asked, false)
		last := b.reply(spouse, asked, true) // anonymous: new all the same
		if _, err := b.svc.ModeratePost(ctx, mod, hidden.ID, "hide", "off topic"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.DeletePost(ctx, spouse, deleted.ID); err != nil {
			t.Fatal(err)
		}
		neverOpened := b.ask(spouse, "Is it normal to feel this tired?")
		b.reply(coach, neverOpened, false)

		ids := []int64{asked.ID, neverOpened.ID}
		got, err := st.UnreadCounts(ctx, parent.ID, ids, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]store.Unread{asked.ID: {ThreadID: asked.ID, Count: 2, First: first.ID}}
		if !equalUnread(got, want) {
			t.Fatalf("parent: %+v, want %+v", got, want)
		}
		// Read up to the coach's reply a moment ago, not yet stored.
		got, err = st.UnreadCounts(ctx, parent.ID, ids, map[int64]int64{asked.ID: first.ID})
		if err != nil {
			t.Fatal(err)
		}
		want = map[int64]store.Unread{asked.ID: {ThreadID: asked.ID, Count: 1, First: last.ID}}
		if !equalUnread(got, want) {
			t.Fatalf("parent with a newer position: %+v, want %+v", got, want)
		}
		// A newer position below the stored one changes nothing.
		b.save(model.ThreadRead{UserID: parent.ID, ThreadID: asked.ID, LastReadPostID: first.ID})
		got, err = st.UnreadCounts(ctx, parent.ID, ids, map[int64]int64{asked.ID: first.ID - 1})
		if err != nil {
			t.Fatal(err)
		}
		if !equalUnread(got, want) {
			t.Fatalf("parent with an older position: %+v, want %+v", got, want)
		}
		// Read to the end and stored: nothing new, whatever older position is newer here.
		b.save(model.ThreadRead{UserID: parent.ID, ThreadID: asked.ID, LastReadPostID: last.ID})
		if got, err := st.UnreadCounts(ctx, parent.ID, ids, map[int64]int64{asked.ID: first.ID}); err != nil || len(got) != 0 {
			t.Fatalf("parent having read everything: %+v, %v; want nothing", got, err)
		}
		// Nothing for a member without positions, nor for the other thread's asker in
		// a thread they did not open.
		if got, err := st.UnreadCounts(ctx, stranger.ID, ids, nil); err != nil || len(got) != 0 {
			t.Fatalf("stranger: %+v, %v; want nothing", got, err)
		}
		// Opened a moment ago for the first time, nothing stored yet: what came after (the
		// parent's reply and the last); an unlisted thread is left out.
		got, err = st.UnreadCounts(ctx, stranger.ID, ids, map[int64]int64{asked.ID: first.ID, 1 << 40: 1})
		if err != nil {
			t.Fatal(err)
		}
		want = map[int64]store.Unread{asked.ID: {ThreadID: asked.ID, Count: 2, First: own.ID}}
		if !equalUnread(got, want) {
			t.Fatalf("stranger with a position not yet stored: %+v, want %+v", got, want)
		}
		got, err = st.UnreadCounts(ctx, spouse.ID, ids, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[neverOpened.ID].Count != 1 {
			t.Fatalf("spouse: %+v, want one new reply in their own question", got)
		}
	})
}

func equalUnread(a, b map[int64]store.Unread) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestMemberThreads lists the threads a member started, replied to (anonymously too) and
// follows, newest activity first, page by page; muted follows, hidden threads and others'
// threads are left out, and a reply moves a thread to the top.
func TestMemberThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		ctx := context.Background()
		me, other, mod := b.user("me", model.RoleMember), b.user("other", model.RoleMember), b.user("mod", model.RoleModerator)
		started := b.ask(me, "A question I started myself")
		repliedAnon := b.ask(other, "A question I answered anonymously")
		b.reply(me, repliedAnon, true)
		followed := b.ask(other, "A question I follow from afar")
		muted := b.ask(other, "A question I muted after following")
		b.ask(other, "A question I never touched at all")
		hiddenMine := b.ask(me, "A question of mine a moderator hid")
		replied := b.ask(other, "A question I replied to by name")
		b.reply(me, replied, false)
		follow := func(th *model.Thread, level model.Level) {
			// Asking and replying followed some already: the level chosen replaces theirs.
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.SetThreadFollow(ctx, me.ID, th.ID, level, b.now) }); err != nil {
				t.Fatal(err)
			}
		}
		follow(followed, model.LevelWatching)
		follow(muted, model.LevelMuted)
		// Followed and written in: listed once.
		follow(started, model.LevelNormal)
		if _, err := b.svc.ModerateThread(ctx, mod, hiddenMine.ID, "hide", "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		// The oldest thread comes back to the top with a reply.
		b.reply(other, started, false)

		ids := func(ts []*model.Thread) []int64 {
			var out []int64
			for _, th := range ts {
				out = append(out, th.ID)
			}
			return out
		}
		all, err := st.MemberThreads(ctx, me.ID, nil, 10)
		if err != nil {
			t.Fatal(err)
		}
		want := []int64{started.ID, replied.ID, followed.ID, repliedAnon.ID}
		if got := ids(all); !slices.Equal(got, want) {
			t.Fatalf("my threads %v, want %v (started, replied, followed, replied anonymously)", got, want)
		}
		for _, th := range all {
			if th.Author == nil || len(th.Tags) == 0 {
				t.Fatalf("thread %d comes without its author or tags", th.ID)
			}
		}
		// Page by page, two at a time, from each page's last thread.
		var paged []int64
		var after *store.Cursor
		for range 4 {
			page, err := st.MemberThreads(ctx, me.ID, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			paged = append(paged, ids(page)...)
			last := page[len(page)-1]
			after = &store.Cursor{LastActivity: last.LastActivityAt, ID: last.ID}
		}
		if !slices.Equal(paged, want) {
			t.Fatalf("page by page %v, want %v", paged, want)
		}
		if others, err := st.MemberThreads(ctx, other.ID, nil, 10); err != nil || len(others) != 6 {
			t.Fatalf("the other member's threads: %d, %v; want the 5 they started and mine they replied to", len(others), err)
		}
	})
}

// TestUnreadMigrationBackfills runs the data statements of the migration on a board
// written before it: members start with the threads they wrote in, read to their end.
func TestUnreadMigrationBackfills(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		ctx := context.Background()
		asker, coach, reader := b.user("asker", model.RoleMember), b.user("coach", model.RoleExpert), b.user("reader", model.RoleMember)
		th := b.ask(asker, "How do we talk about the relapse?")
		b.reply(coach, th, false)
		last := b.reply(coach, th, true)
		// As before the migration: no read positions, no list of threads.
		storetest.Exec(t, st, "DELETE FROM thread_reads")
		storetest.Exec(t, st, "DELETE FROM thread_participants")

		sql, err := fs.ReadFile(migrations.FS, st.Driver()+"/20261202092000_unread.tx.up.sql")
		if err != nil {
			t.Fatal(err)
		}
		ran := 0
		for _, stmt := range strings.Split(string(sql), "--bun:split") {
			var code []string
			for _, line := range strings.Split(stmt, "\n") {
				if !strings.HasPrefix(strings.TrimSpace(line), "--") {
					code = append(code, line)
				}
			}
			if s := strings.TrimSpace(strings.Join(code, "\n")); strings.HasPrefix(s, "INSERT") {
				if _, err := store.DBOf(st).ExecContext(ctx, s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
				ran++
			}
		}
		if ran != 2 {
			t.Fatalf("ran %d data statements, want 2", ran)
		}
		for _, u := range []*model.User{asker, coach} {
			if got := b.position(u, th); got != last.ID {
				t.Fatalf("%s starts at post %d, want the thread's last %d", u.Pseudonym, got, last.ID)
			}
			mine, err := st.MemberThreads(ctx, u.ID, nil, 10)
			if err != nil || len(mine) != 1 || mine[0].ID != th.ID {
				t.Fatalf("%s's threads after the migration: %v, %v", u.Pseudonym, mine, err)
			}
		}
		if got := b.position(reader, th); got != 0 {
			t.Fatalf("a member who never wrote in the thread starts at %d", got)
		}
	})
}
