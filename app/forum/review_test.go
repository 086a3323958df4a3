package forum_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/notify"
	"forum/app/store"
	"forum/app/store/storetest"
)

// reviewBoard is a forum with first-post review on (two posts) and its people.
type reviewBoard struct {
	st                                   *store.Store
	svc                                  *forum.Service
	notify                               *notify.Service
	newcomer, member, expert, mod, admin *model.User
	clock                                time.Time
}

func newReviewBoard(t *testing.T, st *store.Store) *reviewBoard {
	t.Helper()
	ctx := context.Background()
	b := &reviewBoard{st: st, svc: forum.New(st, markdown.New()), clock: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
	b.svc.ReviewFirstPosts = 2
	b.svc.Now = func() time.Time { return b.clock }
	b.notify = notify.New(st, notify.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	mk := func(name string, role model.Role) *model.User {
		now := b.clock
		u := &model.User{Pseudonym: name, PseudonymLower: name, Email: name + "@example.invalid", Role: role,
			Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now, ApprovedAt: &now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		return u
	}
	b.newcomer, b.member, b.expert = mk("newcomer", model.RoleMember), mk("maple_mom", model.RoleMember), mk("coach", model.RoleExpert)
	b.mod, b.admin = mk("river_stone", model.RoleModerator), mk("admin", model.RoleAdmin)
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: b.clock, UpdatedAt: b.clock})
	}); err != nil {
		t.Fatal(err)
	}
	// maple_mom has posted twice before: she is past review.
	b.svc.ReviewFirstPosts = 0
	for range 2 {
		if _, err := b.svc.Ask(ctx, b.member, forum.AskInput{Title: "An earlier question of mine", Body: "Words", Tags: []string{"craft"}}); err != nil {
			t.Fatal(err)
		}
	}
	b.svc.ReviewFirstPosts = 2
	b.fanOut(t)
	return b
}

func (b *reviewBoard) tick() { b.clock = b.clock.Add(time.Minute) }

func (b *reviewBoard) fanOut(t *testing.T) {
	t.Helper()
	if _, err := b.notify.FanOut(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// kinds returns the kinds of u's notifications, newest first.
func (b *reviewBoard) notices(t *testing.T, u *model.User) []*model.Notification {
	t.Helper()
	ns, err := b.st.NotificationsOf(context.Background(), u.ID, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return ns
}

func hasKind(ns []*model.Notification, k model.NotifyKind) *model.Notification {
	for _, n := range ns {
		if n.Kind == k {
			return n
		}
	}
	return nil
}

func TestNewMembersFirstQuestionWaitsUnseenUntilApproved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newReviewBoard(t, st)
		// The newcomer watches nothing, but the expert watches CRAFT: a published question
		// there would tell them.
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			tags, err := tx.TagsBySlugs(ctx, []string{"craft"})
			if err != nil {
				return err
			}
			return tx.SetTagFollow(ctx, b.expert.ID, tags[0].ID, model.LevelWatching, b.clock)
		}); err != nil {
			t.Fatal(err)
		}
		threadsBefore, _ := st.ThreadCount(ctx)
		lastChange, _ := st.LatestChangeID(ctx)
		asked := b.clock
		posted, err := b.svc.AskPost(ctx, b.newcomer, forum.AskInput{Title: "My son came home high again", Body: "What do we do?",
			Tags: []string{"craft"}, Anonymous: true})
		if err != nil {
			t.Fatal(err)
		}
		if posted.Held == nil || posted.Thread != nil {
			t.Fatalf("a newcomer's first question was published: %+v", posted)
		}
		if n, _ := st.ThreadCount(ctx); n != threadsBefore {
			t.Fatalf("threads = %d after a held question; want %d: nothing of it may be in threads", n, threadsBefore)
		}
		// Its only rows in the change log name a held post, which the search index and the
		// live updates skip (other nodes drop its author's pages).
		rows, err := st.ChangesAfter(ctx, lastChange, 100)
		if err != nil || len(rows) == 0 {
			t.Fatalf("a held question wrote no change-log row for the other nodes: %v", err)
		}
		for _, r := range rows {
			if r.Entity != model.ChangeHeldPost {
				t.Fatalf("a held question wrote the change-log row %+v: the search index would find it", r)
			}
		}
		b.fanOut(t)
		if ns := b.notices(t, b.expert); hasKind(ns, model.NotifyNewQuestion) != nil {
			t.Fatal("a watcher of the topic was told of a held question")
		}
		if n, _ := st.WaitingHeldCount(ctx); n != 1 {
			t.Fatalf("queue count = %d, want 1", n)
		}
		// Only its author and the moderators may read it.
		for _, who := range []*model.User{b.member, b.expert, nil} {
			if _, err := b.svc.HeldPost(ctx, who, posted.Held.ID); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("%v read a held post: %v", who, err)
			}
		}
		for _, who := range []*model.User{b.newcomer, b.mod, b.admin} {
			if _, err := b.svc.HeldPost(ctx, who, posted.Held.ID); err != nil {
				t.Errorf("%s cannot read the held post: %v", who.Pseudonym, err)
			}
		}
		if _, err := b.svc.ReviewQueue(ctx, b.member, nil, 10); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("a member read the review queue: %v", err)
		}
		if _, err := b.svc.ApproveHeldPost(ctx, b.expert, posted.Held.ID); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("an expert approved a held post: %v", err)
		}

		b.tick()
		out, err := b.svc.ApproveHeldPost(ctx, b.mod, posted.Held.ID)
		if err != nil {
			t.Fatal(err)
		}
		th, err := st.ThreadByID(ctx, out.Thread.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !th.CreatedAt.Equal(asked) || !out.Post.CreatedAt.Equal(asked) || !th.Anonymous || len(th.Tags) != 1 {
			t.Errorf("published thread %+v (post at %v); want it as written at %v, anonymous, with its topic", th, out.Post.CreatedAt, asked)
		}
		if id, _ := st.LatestChangeID(ctx); id == lastChange {
			t.Error("publishing wrote no change-log row: search would never find it")
		}
		b.fanOut(t)
		if hasKind(b.notices(t, b.expert), model.NotifyNewQuestion) == nil {
			t.Error("the topic's watcher was not told of the published question")
		}
		if hasKind(b.notices(t, b.newcomer), model.NotifyPostApproved) == nil {
			t.Error("the author was not told their question is published")
		}
		if n, _ := st.WaitingHeldCount(ctx); n != 0 {
			t.Errorf("queue count = %d after approval", n)
		}
		if _, err := b.svc.ApproveHeldPost(ctx, b.admin, posted.Held.ID); !isInvalid(err) {
			t.Errorf("a second decision on the same post: %v; want it refused with a message", err)
		}
	})
}

func isInvalid(err error) bool {
	var inv *model.InvalidError
	return errors.As(err, &inv)
}

func TestDeclinedReplyTellsTheAuthorWhyAndKeepsTheirWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newReviewBoard(t, st)
		th, err := b.svc.Ask(ctx, b.member, forum.AskInput{Title: "Boundaries with an adult son", Body: "How?", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		b.fanOut(t)
		posted, err := b.svc.ReplyPost(ctx, b.newcomer, th.ID, forum.ReplyInput{Body: "Buy my course at example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if posted.Held == nil || posted.Post != nil {
			t.Fatalf("a newcomer's first reply was published: %+v", posted)
		}
		if got, _ := st.ThreadByID(ctx, th.ID); got.ReplyCount != 0 {
			t.Errorf("reply count = %d with only a held reply", got.ReplyCount)
		}
		b.fanOut(t)
		if hasKind(b.notices(t, b.member), model.NotifyReply) != nil {
			t.Error("the asker was told of a held reply")
		}
		if _, err := b.svc.DeclineHeldPost(ctx, b.mod, posted.Held.ID, "  "); !isInvalid(err) {
			t.Errorf("declined without a reason: %v", err)
		}
		long := make([]rune, forum.MaxDeclineReason+1)
		for i := range long {
			long[i] = 'x'
		}
		if _, err := b.svc.DeclineHeldPost(ctx, b.mod, posted.Held.ID, string(long)); !isInvalid(err) {
			t.Errorf("declined with a reason over the limit: %v", err)
		}
		if _, err := b.svc.DeclineHeldPost(ctx, b.mod, posted.Held.ID, "Selling is not allowed here."); err != nil {
			t.Fatal(err)
		}
		b.fanOut(t)
		n := hasKind(b.notices(t, b.newcomer), model.NotifyPostDeclined)
		if n == nil || n.Reason != "Selling is not allowed here." {
			t.Fatalf("the author's notice of the decline: %+v", n)
		}
		mine, err := b.svc.MyHeldPosts(ctx, b.newcomer, 10)
		if err != nil || len(mine) != 1 || !mine[0].Declined || mine[0].BodySource != "Buy my course at example.com" {
			t.Fatalf("the author's held posts after a decline: %+v, %v", mine, err)
		}
		if posts, _ := st.PostsByThread(ctx, th.ID); len(posts) != 1 {
			t.Errorf("the thread has %d posts after a declined reply; want the question alone", len(posts))
		}
		if _, err := b.svc.ApproveHeldPost(ctx, b.mod, posted.Held.ID); !isInvalid(err) {
			t.Errorf("a declined post was published: %v", err)
		}
	})
}

func TestReviewHoldsOnlyNewMembersFirstPosts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newReviewBoard(t, st)
		th, err := b.svc.Ask(ctx, b.member, forum.AskInput{Title: "A question past review", Body: "Hello", Tags: []string{"craft"}})
		if err != nil || th == nil {
			t.Fatalf("a member past the count was held: %v, %v", th, err)
		}
		for _, u := range []*model.User{b.expert, b.mod, b.admin} {
			p, err := b.svc.ReplyPost(ctx, u, th.ID, forum.ReplyInput{Body: "Staff reply"})
			if err != nil || p.Held != nil || p.Post == nil {
				t.Errorf("%s's first reply was held: %+v, %v", u.Pseudonym, p, err)
			}
		}
		// The newcomer's first two are held, whatever else waits; once two are
		// published, the next goes out at once.
		var held []int64
		for range 2 {
			b.tick()
			p, err := b.svc.ReplyPost(ctx, b.newcomer, th.ID, forum.ReplyInput{Body: "Thank you all"})
			if err != nil || p.Held == nil {
				t.Fatalf("a newcomer's early reply was not held: %+v, %v", p, err)
			}
			held = append(held, p.Held.ID)
		}
		b.tick()
		for _, id := range held {
			if _, err := b.svc.ApproveHeldPost(ctx, b.mod, id); err != nil {
				t.Fatal(err)
			}
		}
		p, err := b.svc.ReplyPost(ctx, b.newcomer, th.ID, forum.ReplyInput{Body: "A third reply"})
		if err != nil || p.Held != nil || p.Post == nil {
			t.Fatalf("a member with two published posts was held: %+v, %v", p, err)
		}
		posts, _ := st.PostsByThread(ctx, th.ID)
		// The approved replies keep their original times, before the third.
		var order []string
		for _, x := range posts {
			order = append(order, x.BodySource)
		}
		if got := order[len(order)-1]; got != "A third reply" {
			t.Errorf("posts in order %q; the approved replies should keep their earlier times", order)
		}
		// Review off: nobody is held.
		b.svc.ReviewFirstPosts = 0
		fresh := &model.User{Pseudonym: "brand_new", PseudonymLower: "brand_new", Role: model.RoleMember, Status: model.StatusActive,
			CreatedAt: b.clock, UpdatedAt: b.clock}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, fresh) }); err != nil {
			t.Fatal(err)
		}
		if p, err := b.svc.ReplyPost(ctx, fresh, th.ID, forum.ReplyInput{Body: "Hi"}); err != nil || p.Held != nil {
			t.Errorf("review off, a new member was held: %+v, %v", p, err)
		}
	})
}

func TestApprovalRefusedForASuspendedAuthor(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newReviewBoard(t, st)
		p, err := b.svc.AskPost(ctx, b.newcomer, forum.AskInput{Title: "A question to be held", Body: "Words", Tags: []string{"craft"}})
		if err != nil || p.Held == nil {
			t.Fatalf("not held: %+v, %v", p, err)
		}
		if err := b.svc.Suspend(ctx, b.mod, b.newcomer.ID, "spam"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ApproveHeldPost(ctx, b.mod, p.Held.ID); !isInvalid(err) {
			t.Fatalf("a suspended member's post was published: %v", err)
		}
		if _, err := b.svc.DeclineHeldPost(ctx, b.mod, p.Held.ID, "Suspended for spam."); err != nil {
			t.Fatal(err)
		}
	})
}

func TestDangerWordsTellEveryModerator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newReviewBoard(t, st)
		th, err := b.svc.Ask(ctx, b.member, forum.AskInput{Title: "He took too many pills", Body: "and he isn't breathing", Tags: []string{"craft"}})
		if err != nil || th == nil {
			t.Fatal(err)
		}
		calm, err := b.svc.Ask(ctx, b.member, forum.AskInput{Title: "Overdose prevention training", Body: "Is the class at the library any good?", Tags: []string{"craft"}})
		if err != nil || calm == nil {
			t.Fatal(err)
		}
		b.fanOut(t)
		for _, u := range []*model.User{b.mod, b.admin} {
			var found []int64
			for _, n := range b.notices(t, u) {
				if n.Kind == model.NotifyDanger {
					found = append(found, *n.ThreadID)
				}
			}
			if len(found) != 1 || found[0] != th.ID {
				t.Errorf("%s was told of danger in threads %v; want only %d", u.Pseudonym, found, th.ID)
			}
		}
		for _, u := range []*model.User{b.expert, b.newcomer} {
			if hasKind(b.notices(t, u), model.NotifyDanger) != nil {
				t.Errorf("%s, no moderator, was told of danger", u.Pseudonym)
			}
		}
		// A held post in danger reaches the moderators too, pointing at the queue.
		p, err := b.svc.AskPost(ctx, b.newcomer, forum.AskInput{Title: "Please help right now", Body: "she won't wake up", Tags: []string{"craft"}})
		if err != nil || p.Held == nil {
			t.Fatal(err)
		}
		b.fanOut(t)
		n := 0
		for _, x := range b.notices(t, b.mod) {
			if x.Kind == model.NotifyDanger && x.ThreadID == nil {
				n++
			}
		}
		if n != 1 {
			t.Errorf("moderator told %d times of danger in a held post; want once", n)
		}
	})
}

func TestDeletedAccountLeavesNoHeldWords(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newReviewBoard(t, st)
		p, err := b.svc.AskPost(ctx, b.newcomer, forum.AskInput{Title: "Secret words of a family", Body: "okonkwo bakery", Tags: []string{"craft"}})
		if err != nil || p.Held == nil {
			t.Fatal(err)
		}
		if err := b.svc.DeleteAccount(ctx, b.newcomer, false); err != nil && !errors.Is(err, forum.ErrNotYetErased) {
			t.Fatal(err)
		}
		if _, err := st.HeldPostByID(ctx, p.Held.ID); !errors.Is(err, model.ErrNotFound) {
			t.Errorf("a deleted account's held post is still there: %v", err)
		}
	})
}

// TestHeldReplyIntoALockedThreadIsNotPublished: a reply that waited for review while its
// thread was locked is not published into it; once the thread is unlocked, it is.
func TestHeldReplyIntoALockedThreadIsNotPublished(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newReviewBoard(t, st)
		th, err := b.svc.Ask(ctx, b.member, forum.AskInput{Title: "Visiting days at the clinic", Body: "How often?", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		posted, err := b.svc.ReplyPost(ctx, b.newcomer, th.ID, forum.ReplyInput{Body: "We went every Sunday."})
		if err != nil || posted.Held == nil {
			t.Fatalf("a newcomer's first reply: %+v, %v; want it held", posted, err)
		}
		if _, err := b.svc.ModerateThread(ctx, b.mod, th.ID, forum.ActionLock, "Cooling down."); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ApproveHeldPost(ctx, b.mod, posted.Held.ID); !isInvalid(err) {
			t.Fatalf("approving a reply into a locked thread: %v; want it refused", err)
		}
		if posts, _ := st.PostsByThread(ctx, th.ID); len(posts) != 1 {
			t.Fatalf("the locked thread has %d posts; want the question alone", len(posts))
		}
		if _, err := b.svc.ModerateThread(ctx, b.mod, th.ID, forum.ActionUnlock, "Open again."); err != nil {
			t.Fatal(err)
		}
		if out, err := b.svc.ApproveHeldPost(ctx, b.mod, posted.Held.ID); err != nil || out.Post == nil {
			t.Fatalf("approving it after the unlock: %+v, %v", out, err)
		}
	})
}
