package notify_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/notify"
	"forum/app/policy"
	"forum/app/store"
	"forum/app/store/storetest"
)

// board is a forum under test: people in every state, two topics, and the fan-out.
type board struct {
	t      testing.TB
	ctx    context.Context
	st     *store.Store
	forum  *forum.Service
	notify *notify.Service
	mail   *countingMailer

	parent, spouse, coach, moderator, watcher, quiet *model.User
	pending, suspended, gone                         *model.User
}

// countingMailer records the notifications handed to it to e-mail.
type countingMailer struct {
	mu  sync.Mutex
	ids []int64
}

func (m *countingMailer) Enqueue(_ context.Context, _ *store.Tx, n *model.Notification) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.ids = append(m.ids, n.ID)
	return nil
}

func (m *countingMailer) queued() []int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.ids)
}

func newBoard(t testing.TB, st *store.Store) *board {
	t.Helper()
	b := &board{t: t, ctx: context.Background(), st: st, forum: forum.New(st, markdown.New()), mail: &countingMailer{}}
	b.notify = notify.New(st, notify.Options{Mailer: b.mail})
	b.forum.AfterEvent = b.notify.Poke
	b.parent = b.user("maple_mom", model.RoleMember, model.StatusActive)
	b.spouse = b.user("quiet_harbor", model.RoleMember, model.StatusActive)
	b.coach = b.user("coach_dana", model.RoleExpert, model.StatusActive)
	b.moderator = b.user("river_stone", model.RoleModerator, model.StatusActive)
	b.watcher = b.user("night_owl", model.RoleMember, model.StatusActive)
	b.quiet = b.user("still_water", model.RoleMember, model.StatusActive)
	b.pending = b.user("waiting_one", model.RolePending, model.StatusActive)
	b.suspended = b.user("paused_one", model.RoleMember, model.StatusSuspended)
	b.gone = b.user("gone_one", model.RoleMember, model.StatusDeleted)
	now := time.Now().UTC()
	for _, slug := range []string{"craft", "boundaries"} {
		b.must(st.Tx(b.ctx, func(tx *store.Tx) error {
			return tx.InsertTag(b.ctx, &model.Tag{Name: strings.ToUpper(slug[:1]) + slug[1:], Slug: slug, CreatedAt: now, UpdatedAt: now})
		}))
	}
	return b
}

func (b *board) must(err error) {
	b.t.Helper()
	if err != nil {
		b.t.Fatal(err)
	}
}

func (b *board) user(name string, role model.Role, status model.Status) *model.User {
	b.t.Helper()
	now := time.Now().UTC()
	u := &model.User{Pseudonym: name, Email: name + "@example.invalid", Role: role, Status: status, CreatedAt: now, UpdatedAt: now,
		PseudonymChosenAt: &now}
	if role == model.RoleExpert {
		u.Credential = "CRAFT coach"
	}
	b.must(b.st.Tx(b.ctx, func(tx *store.Tx) error { return tx.InsertUser(b.ctx, u) }))
	return u
}

func (b *board) ask(u *model.User, title string, anonymous bool, tags ...string) *model.Thread {
	b.t.Helper()
	if len(tags) == 0 {
		tags = []string{"craft"}
	}
	th, err := b.forum.Ask(b.ctx, u, forum.AskInput{Title: title, Body: "How do we start?", Tags: tags, Anonymous: anonymous})
	b.must(err)
	return th
}

func (b *board) reply(u *model.User, th *model.Thread, body string, anonymous bool) *model.Post {
	b.t.Helper()
	p, err := b.forum.Reply(b.ctx, u, th.ID, forum.ReplyInput{Body: body, Anonymous: anonymous})
	b.must(err)
	return p
}

// follow writes a follow as a member would choose it, whatever their state (a follow made
// before they were suspended, or deleted).
func (b *board) follow(u *model.User, th *model.Thread, level model.Level) {
	b.t.Helper()
	b.must(b.st.Tx(b.ctx, func(tx *store.Tx) error {
		return tx.SetThreadFollow(b.ctx, u.ID, th.ID, level, time.Now().UTC())
	}))
}

func (b *board) followTopic(u *model.User, slug string, level model.Level) {
	b.t.Helper()
	tag, err := b.st.TagBySlug(b.ctx, slug)
	b.must(err)
	b.must(b.st.Tx(b.ctx, func(tx *store.Tx) error { return tx.SetTagFollow(b.ctx, u.ID, tag.ID, level, time.Now().UTC()) }))
}

func (b *board) fanOut() int {
	b.t.Helper()
	n, err := b.notify.FanOut(b.ctx)
	b.must(err)
	return n
}

// received returns the notifications of u, newest first.
func (b *board) received(u *model.User) []*model.Notification {
	b.t.Helper()
	ns, err := b.st.NotificationsOf(b.ctx, u.ID, 0, 0)
	b.must(err)
	return ns
}

// kindsOf returns, for each person, the kinds of the notifications they hold about post p
// (or, with p nil, of every notification they hold).
func (b *board) kindsOf(p *model.Post, people ...*model.User) map[string][]model.NotifyKind {
	out := map[string][]model.NotifyKind{}
	for _, u := range people {
		for _, n := range b.received(u) {
			if p == nil || (n.PostID != nil && *n.PostID == p.ID) {
				out[u.Pseudonym] = append(out[u.Pseudonym], n.Kind)
			}
		}
	}
	return out
}

func (b *board) everyone() []*model.User {
	return []*model.User{b.parent, b.spouse, b.coach, b.moderator, b.watcher, b.quiet, b.pending, b.suspended, b.gone}
}

func expectKinds(t *testing.T, got map[string][]model.NotifyKind, want map[string][]model.NotifyKind) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("notifications: got %v, want %v", got, want)
	}
}

func TestReplyReachesWatchersAndNobodyElse(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "How do I talk to my son about treatment?", false)
		b.reply(b.spouse, th, "We waited for a calm evening.", false) // spouse follows at normal
		b.follow(b.watcher, th, model.LevelWatching)
		b.follow(b.quiet, th, model.LevelMuted)
		for _, u := range []*model.User{b.pending, b.suspended, b.gone} {
			b.follow(u, th, model.LevelWatching)
		}
		b.fanOut()
		p := b.reply(b.moderator, th, "Thank you all for sharing.", false) // the actor watches nothing
		b.follow(b.moderator, th, model.LevelWatching)
		if n := b.fanOut(); n != 1 {
			t.Fatalf("fanned out %d events, want the reply's one", n)
		}
		expectKinds(t, b.kindsOf(p, b.everyone()...), map[string][]model.NotifyKind{
			"maple_mom": {model.NotifyReply}, // the asker watches their question
			"night_owl": {model.NotifyReply},
		})
		// The asker's own reply tells the asker nothing, and the spouse (normal) neither.
		own := b.reply(b.parent, th, "Thank you.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(own, b.everyone()...), map[string][]model.NotifyKind{
			"night_owl": {model.NotifyReply}, "river_stone": {model.NotifyReply},
		})
	})
}

func TestExpertAnswerReachesTheAsker(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "Is buprenorphine safe long term?", false)
		b.follow(b.watcher, th, model.LevelWatching)
		p := b.reply(b.coach, th, "Yes, for most people it is.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(p, b.everyone()...), map[string][]model.NotifyKind{
			"maple_mom": {model.NotifyAnswer}, "night_owl": {model.NotifyReply},
		})
		if q := b.mail.queued(); len(q) != 1 || q[0] != b.received(b.parent)[0].ID {
			t.Errorf("queued for e-mail %v, want the asker's answer only (the default)", q)
		}

		// An asker who chose normal still hears of answers; one who muted the thread does not.
		b.follow(b.parent, th, model.LevelNormal)
		p2 := b.reply(b.coach, th, "And it can be tapered later.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(p2, b.parent), map[string][]model.NotifyKind{"maple_mom": {model.NotifyAnswer}})
		b.follow(b.parent, th, model.LevelMuted)
		p3 := b.reply(b.coach, th, "One more thing.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(p3, b.parent), map[string][]model.NotifyKind{})

		// Without any follow of their own question, the asker hears of answers (normal).
		b.must(st.Tx(b.ctx, func(tx *store.Tx) error { return tx.DeleteThreadFollow(b.ctx, b.parent.ID, th.ID) }))
		p4 := b.reply(b.coach, th, "Ask your doctor about dosing.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(p4, b.parent), map[string][]model.NotifyKind{"maple_mom": {model.NotifyAnswer}})

		// An expert replying anonymously gives no expert answer: a watcher's reply, not an answer.
		b.follow(b.parent, th, model.LevelNormal)
		p5 := b.reply(b.coach, th, "Speaking as a parent myself.", true)
		b.fanOut()
		expectKinds(t, b.kindsOf(p5, b.parent), map[string][]model.NotifyKind{})
	})
}

func TestMentionsAndQuotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "What helped you set boundaries?", false)
		b.follow(b.quiet, th, model.LevelMuted)
		p := b.reply(b.spouse, th, "@night_owl had a good list, and @Coach_Dana too. "+
			"`@river_stone` is code. @nobody_by_this_name stays text. @still_water muted the thread. @waiting_one and @paused_one and @gone_one.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(p, b.everyone()...), map[string][]model.NotifyKind{
			"coach_dana": {model.NotifyMention}, "maple_mom": {model.NotifyReply}, "night_owl": {model.NotifyMention},
		})
		// A quote the reply form prefilled names its author (not those its words mention);
		// an anonymous one names nobody.
		q := b.reply(b.coach, th, "quiet_harbor wrote:\n> @night_owl had a good list\n\nI agree.", false)
		anon := b.reply(b.watcher, th, "A member of the community wrote:\n> something\n\nYes.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(q, b.spouse, b.watcher), map[string][]model.NotifyKind{"quiet_harbor": {model.NotifyMention}})
		expectKinds(t, b.kindsOf(anon, b.everyone()...), map[string][]model.NotifyKind{"maple_mom": {model.NotifyReply}})
		// The asker mentioned in an expert's answer hears of the answer.
		a := b.reply(b.coach, th, "@maple_mom start small.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(a, b.parent), map[string][]model.NotifyKind{"maple_mom": {model.NotifyAnswer}})
		// The rendered post keeps a name that belongs to nobody as the text it was.
		if !strings.Contains(p.BodyHTML, "@nobody_by_this_name stays text") {
			t.Errorf("the post reads %q", p.BodyHTML)
		}
	})
}

func TestHelpfulApprovalAndModeration(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "How do I stop checking his phone?", false)
		p := b.reply(b.spouse, th, "I asked my counselor the same.", false)
		b.fanOut()
		b.must(b.forum.MarkHelpful(b.ctx, b.parent, th.ID, p.ID))
		b.fanOut()
		// The asker, who marked it, hears only of the reply itself, as a watcher.
		expectKinds(t, b.kindsOf(p, b.parent, b.spouse), map[string][]model.NotifyKind{
			"maple_mom": {model.NotifyReply}, "quiet_harbor": {model.NotifyHelpful},
		})

		newcomer := b.user("new_arrival", model.RolePending, model.StatusActive)
		b.must(b.forum.DecideMembership(b.ctx, b.moderator, newcomer.ID, forum.DecisionApprove, "welcome"))
		declined := b.user("declined_one", model.RolePending, model.StatusActive)
		b.must(b.forum.DecideMembership(b.ctx, b.moderator, declined.ID, forum.DecisionDecline, ""))
		b.fanOut()
		expectKinds(t, b.kindsOf(nil, newcomer, declined, b.moderator), map[string][]model.NotifyKind{"new_arrival": {model.NotifyApproved}})

		_, err := b.forum.ModeratePost(b.ctx, b.moderator, p.ID, forum.ActionHide, "  Please leave out your son's school.  ")
		b.must(err)
		b.fanOut()
		ns := b.received(b.spouse)
		if ns[0].Kind != model.NotifyPostHidden || ns[0].Reason != "Please leave out your son's school." {
			t.Fatalf("the author was told %+v", ns[0])
		}
		_, err = b.forum.ModeratePost(b.ctx, b.moderator, p.ID, forum.ActionRestore, "Thank you for editing.")
		b.must(err)
		b.fanOut()
		if ns := b.received(b.spouse); ns[0].Kind != model.NotifyPostRestored || ns[0].Reason != "Thank you for editing." {
			t.Fatalf("the author was told %+v", ns[0])
		}
		if _, err := b.forum.ModeratePost(b.ctx, b.moderator, p.ID, forum.ActionHide, strings.Repeat("x", forum.MaxModerationNote+1)); err == nil {
			t.Error("a reason longer than the limit was taken")
		}
		// Hiding and restoring the post told nobody else anything.
		expectKinds(t, b.kindsOf(p, b.parent, b.moderator, b.watcher), map[string][]model.NotifyKind{"maple_mom": {model.NotifyReply}})
	})
}

func TestNewQuestionInAWatchedTopic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		b.followTopic(b.coach, "craft", model.LevelWatching)
		b.followTopic(b.watcher, "craft", model.LevelWatching)
		b.followTopic(b.watcher, "boundaries", model.LevelMuted) // muted wins over watched
		b.followTopic(b.quiet, "craft", model.LevelNormal)
		b.followTopic(b.suspended, "craft", model.LevelWatching)
		b.followTopic(b.parent, "craft", model.LevelWatching) // the asker is the actor
		th := b.ask(b.parent, "Where do we begin with CRAFT?", false, "craft", "boundaries")
		b.fanOut()
		got := map[string][]model.NotifyKind{}
		for _, u := range b.everyone() {
			for _, n := range b.received(u) {
				if *n.ThreadID == th.ID {
					got[u.Pseudonym] = append(got[u.Pseudonym], n.Kind)
				}
			}
		}
		expectKinds(t, got, map[string][]model.NotifyKind{"coach_dana": {model.NotifyNewQuestion}})

		// A mention in the opening post reaches its member.
		th2, err := b.forum.Ask(b.ctx, b.spouse, forum.AskInput{Title: "A question for the coach here",
			Body: "@coach_dana and @still_water, what do you think?", Tags: []string{"mat"}})
		if err == nil || th2 != nil {
			t.Fatal("asked with an unknown topic")
		}
		b.ask(b.spouse, "Probation and a missed check-in", false, "boundaries")
		th3, err := b.forum.Ask(b.ctx, b.spouse, forum.AskInput{Title: "A question for the coach here",
			Body: "@coach_dana and @still_water, what do you think?", Tags: []string{"boundaries"}})
		b.must(err)
		b.fanOut()
		for who, want := range map[*model.User]model.NotifyKind{b.coach: model.NotifyMention, b.quiet: model.NotifyMention} {
			if ns := b.received(who); len(ns) == 0 || *ns[0].ThreadID != th3.ID || ns[0].Kind != want {
				t.Errorf("%s: %+v", who.Pseudonym, ns)
			}
		}
	})
}

func TestNobodyIsToldOfWhatTheyMayNotRead(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "A thread a moderator will hide", false)
		b.follow(b.watcher, th, model.LevelWatching)
		b.follow(b.moderator, th, model.LevelWatching)
		b.fanOut()
		// The thread is hidden between the reply and the fan-out: only moderators may read
		// it, and only they are told.
		p := b.reply(b.spouse, th, "Our phone number is in here.", false)
		_, err := b.forum.ModerateThread(b.ctx, b.moderator, th.ID, forum.ActionHide, "a moderator's reason")
		b.must(err)
		b.fanOut()
		expectKinds(t, b.kindsOf(p, b.everyone()...), map[string][]model.NotifyKind{"river_stone": {model.NotifyReply}})
		_, err = b.forum.ModerateThread(b.ctx, b.moderator, th.ID, forum.ActionRestore, "a moderator's reason")
		b.must(err)

		// A post hidden before its fan-out tells nobody of it but its author, of the hiding.
		p2 := b.reply(b.coach, th, "Call me at home.", false)
		b.follow(b.moderator, th, model.LevelWatching)
		_, err = b.forum.ModeratePost(b.ctx, b.moderator, p2.ID, forum.ActionHide, "No phone numbers, please.")
		b.must(err)
		b.fanOut()
		expectKinds(t, b.kindsOf(p2, b.everyone()...), map[string][]model.NotifyKind{"coach_dana": {model.NotifyPostHidden}})

		// A recipient suspended between the event and the fan-out is told nothing.
		b.must(b.forum.Suspend(b.ctx, b.moderator, b.watcher.ID, "a moderator's reason"))
		p3 := b.reply(b.spouse, th, "Another reply.", false)
		b.fanOut()
		expectKinds(t, b.kindsOf(p3, b.watcher), map[string][]model.NotifyKind{})
	})
}

func TestAnonymousAuthorsAreNeverNamed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		b.followTopic(b.coach, "craft", model.LevelWatching)
		b.followTopic(b.moderator, "craft", model.LevelWatching)
		th := b.ask(b.spouse, "My wife relapsed after 90 days", true)
		b.follow(b.watcher, th, model.LevelWatching)
		b.follow(b.moderator, th, model.LevelWatching)
		b.reply(b.parent, th, "@night_owl you went through this too.", true)
		b.fanOut()
		texts := func(u *model.User) string {
			page, err := b.notify.Notices(b.ctx, u, 0)
			b.must(err)
			var out []string
			for _, n := range page.Notices {
				out = append(out, n.Text)
			}
			return strings.Join(out, "\n")
		}
		for _, u := range []*model.User{b.coach, b.watcher} {
			got := texts(u)
			if strings.Contains(got, "quiet_harbor") || strings.Contains(got, "maple_mom") {
				t.Errorf("%s is told %q", u.Pseudonym, got)
			}
			if !strings.Contains(got, policy.AnonymousName) {
				t.Errorf("%s is told %q, without %q", u.Pseudonym, got, policy.AnonymousName)
			}
		}
		if got := texts(b.watcher); !strings.Contains(got, policy.AnonymousName+" mentioned you") {
			t.Errorf("the mentioned member is told %q", got)
		}
		if got := texts(b.coach); !strings.Contains(got, policy.AnonymousName+" asked a new question in a topic you watch") {
			t.Errorf("the expert is told %q", got)
		}
		// A moderator sees who wrote it, as on the page.
		if got := texts(b.moderator); !strings.Contains(got, "quiet_harbor (anonymously) asked") || !strings.Contains(got, "maple_mom (anonymously) replied") {
			t.Errorf("the moderator is told %q", got)
		}
	})
}

func TestNoticesOfWhatWasHiddenSinceShowNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "A title that must not show once hidden", false)
		p := b.reply(b.spouse, th, "words", false)
		b.fanOut()
		page, err := b.notify.Notices(b.ctx, b.parent, 0)
		b.must(err)
		if n := page.Notices[0]; n.Gone || n.Thread == nil || n.Text != "quiet_harbor replied" || n.PostID != p.ID || n.Read {
			t.Fatalf("before: %+v", n)
		}
		_, err = b.forum.ModeratePost(b.ctx, b.moderator, p.ID, forum.ActionHide, "a moderator's reason")
		b.must(err)
		page, err = b.notify.Notices(b.ctx, b.parent, 0)
		b.must(err)
		if n := page.Notices[0]; !n.Gone || n.Thread != nil || strings.Contains(n.Text, "quiet_harbor") {
			t.Fatalf("after the post was hidden: %+v", n)
		}
	})
}

func TestFanOutIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "Does anyone else feel so tired?", false)
		b.follow(b.watcher, th, model.LevelWatching)
		b.reply(b.coach, th, "Yes. Rest is part of this.", false)
		first := b.fanOut()
		if again := b.fanOut(); first == 0 || again != 0 {
			t.Fatalf("fanned out %d, then %d", first, again)
		}
		count := func() int {
			var n int
			storetest.Scan(t, st, &n, "SELECT COUNT(*) FROM notifications")
			return n
		}
		before, mailed := count(), len(b.mail.queued())
		// As if a fan-out had written the notifications and died before marking the event.
		storetest.Exec(t, st, "UPDATE notify_events SET fanned_out_at = NULL")
		if n := b.fanOut(); n == 0 {
			t.Fatal("the events left pending were not fanned out again")
		}
		if after := count(); after != before {
			t.Fatalf("%d notifications, then %d after fanning out the same events again", before, after)
		}
		if got := len(b.mail.queued()); got != mailed {
			t.Fatalf("%d e-mails queued, then %d", mailed, got)
		}
	})
}

// TestEventsThatNotifyNobodyAreRemoved: an event that tells nobody anything is removed as
// it is fanned out, and the pruning removes the fanned-out events no notification refers
// to any more; an event still pending, or one whose notifications remain, stays, and so do
// those notifications.
func TestEventsThatNotifyNobodyAreRemoved(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		events := func(where string) int {
			var n int
			storetest.Scan(t, st, &n, "SELECT COUNT(*) FROM notify_events WHERE "+where)
			return n
		}
		th := b.ask(b.parent, "How do we talk about the weekend?", false) // nobody watches the topic
		b.follow(b.watcher, th, model.LevelWatching)
		answer := b.reply(b.coach, th, "Plan it together, a day ahead.", false)
		if n := b.fanOut(); n != 2 {
			t.Fatalf("fanned out %d events, want the question's and the answer's", n)
		}
		if got := events("true"); got != 1 {
			t.Fatalf("%d events after the fan-out, want the answer's alone (the question told nobody)", got)
		}
		if got := events(fmt.Sprintf("post_id = %d AND fanned_out_at IS NOT NULL", answer.ID)); got != 1 {
			t.Fatal("the answer's event, which notified the asker and the watcher, is gone")
		}

		// A reply not fanned out yet, and the answer's notifications gone with their readers'
		// accounts except the asker's.
		b.forum.AfterEvent = nil
		b.reply(b.spouse, th, "We write it down first.", false)
		storetest.Exec(t, st, "DELETE FROM notifications WHERE user_id <> ?", b.parent.ID)
		n, err := st.PruneNotifyEvents(b.ctx)
		b.must(err)
		if n != 0 || events("true") != 2 {
			t.Fatalf("pruned %d events, %d left; want none pruned (one pending, one the asker's notification refers to)", n, events("true"))
		}
		if got := b.received(b.parent); len(got) != 1 {
			t.Fatalf("the asker has %d notifications after the pruning, want 1", len(got))
		}
		storetest.Exec(t, st, "DELETE FROM notifications")
		if n, err = st.PruneNotifyEvents(b.ctx); err != nil || n != 1 {
			t.Fatalf("pruned %d events (%v), want the answer's, which no notification refers to any more", n, err)
		}
		if events("fanned_out_at IS NULL") != 1 || events("true") != 1 {
			t.Fatal("the pending reply's event was pruned")
		}
		if n := b.fanOut(); n != 1 {
			t.Fatalf("fanned out %d events after the pruning, want the pending reply's", n)
		}
	})
}

// TestTwoFanOutsAtOnce runs two fan-outs (as on two nodes) over the same events at once:
// every notification is written once and handed to the mailer once.
func TestTwoFanOutsAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		b.forum.AfterEvent = nil
		var threads []*model.Thread
		for i := range 6 {
			th := b.ask(b.parent, fmt.Sprintf("Question number %d about CRAFT", i), false)
			b.follow(b.watcher, th, model.LevelWatching)
			b.follow(b.spouse, th, model.LevelWatching)
			threads = append(threads, th)
		}
		for i := range 30 {
			b.reply(b.coach, threads[i%len(threads)], fmt.Sprintf("Answer %d", i), false)
		}
		other := &countingMailer{}
		second := notify.New(storetest.OtherNode(st), notify.Options{Mailer: other})
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, svc := range []*notify.Service{b.notify, second} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = svc.FanOut(b.ctx)
			}()
		}
		wg.Wait()
		b.must(errs[0])
		b.must(errs[1])
		var notifications, events int
		storetest.Scan(t, st, &notifications, "SELECT COUNT(*) FROM notifications")
		storetest.Scan(t, st, &events, "SELECT COUNT(*) FROM notify_events WHERE fanned_out_at IS NULL")
		// Each answer tells the asker (answer), the watcher and the spouse (reply); the six
		// questions told nobody (nobody watches the topic).
		if notifications != 90 || events != 0 {
			t.Fatalf("%d notifications, %d events pending; want 90 and 0", notifications, events)
		}
		mailed := append(b.mail.queued(), other.queued()...)
		slices.Sort(mailed)
		if len(mailed) != 30 || len(slices.Compact(mailed)) != 30 {
			t.Fatalf("%d e-mails queued (%d distinct), want the 30 answers once each", len(mailed), len(slices.Compact(mailed)))
		}
		t.Logf("first fan-out queued %d, second %d", len(b.mail.queued()), len(other.queued()))
	})
}

func TestFollowingAndPreferences(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "A thread to follow and unfollow", false)
		b.reply(b.spouse, th, "First reply.", false)
		level := func(u *model.User) model.Level {
			l, err := b.notify.ThreadLevel(b.ctx, u, th)
			b.must(err)
			return l
		}
		if level(b.parent) != model.LevelWatching || level(b.spouse) != model.LevelNormal || level(b.watcher) != "" {
			t.Fatalf("levels after asking and replying: %s %s %q", level(b.parent), level(b.spouse), level(b.watcher))
		}
		// A reply does not lower a level chosen before.
		_, _, err := b.notify.FollowThread(b.ctx, b.watcher, th.ID, model.LevelMuted)
		b.must(err)
		b.reply(b.watcher, th, "Muted, and replying anyway.", false)
		if level(b.watcher) != model.LevelMuted {
			t.Fatalf("a reply changed a muted thread to %s", level(b.watcher))
		}
		_, now, err := b.notify.FollowThread(b.ctx, b.watcher, th.ID, "")
		b.must(err)
		if now != "" || level(b.watcher) != "" {
			t.Fatalf("after stopping, %q", level(b.watcher))
		}
		// The asker who stops following still hears of answers (normal).
		if _, now, _ := b.notify.FollowThread(b.ctx, b.parent, th.ID, ""); now != model.LevelNormal {
			t.Fatalf("the asker follows at %q after stopping", now)
		}
		// Nobody follows what they may not read.
		if _, _, err := b.notify.FollowThread(b.ctx, b.pending, th.ID, model.LevelWatching); err == nil {
			t.Error("a person awaiting approval follows a members thread")
		}
		_, err = b.forum.ModerateThread(b.ctx, b.moderator, th.ID, forum.ActionHide, "a moderator's reason")
		b.must(err)
		if _, _, err := b.notify.FollowThread(b.ctx, b.spouse, th.ID, model.LevelWatching); err == nil {
			t.Error("a member follows a hidden thread")
		}
		f, err := b.notify.Following(b.ctx, b.spouse, 0)
		b.must(err)
		if len(f.Threads) != 0 {
			t.Errorf("the following page lists a hidden thread: %+v", f.Threads)
		}

		p, err := b.notify.Preferences(b.ctx, b.spouse)
		b.must(err)
		if p.Email[model.NotifyAnswer] != model.DeliveryNow || p.Email[model.NotifyReply] != model.DeliveryNever || p.EmailTitles {
			t.Fatalf("defaults: %+v", p)
		}
		p.Email[model.NotifyReply], p.Email[model.NotifyAnswer], p.EmailTitles = model.DeliveryDigest, model.DeliveryNever, true
		b.must(b.notify.SetPreferences(b.ctx, b.spouse, p))
		fresh, err := st.UserByID(b.ctx, b.spouse.ID)
		b.must(err)
		again, err := b.notify.Preferences(b.ctx, fresh)
		b.must(err)
		if again.Email[model.NotifyReply] != model.DeliveryDigest || again.Email[model.NotifyAnswer] != model.DeliveryNever || !again.EmailTitles {
			t.Fatalf("saved: %+v", again)
		}
		p.Email[model.NotifyReply] = "hourly"
		if err := b.notify.SetPreferences(b.ctx, fresh, p); err == nil {
			t.Error("an unknown delivery was taken")
		}
	})
}

func TestCompleteNames(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		b.user("mary_anne", model.RoleMember, model.StatusActive)
		b.user("ma_tricky", model.RoleMember, model.StatusActive)
		names, err := b.notify.CompleteNames(b.ctx, b.spouse, "@MA")
		b.must(err)
		if fmt.Sprint(names) != "[ma_tricky maple_mom mary_anne]" {
			t.Errorf("completions of ma: %v", names)
		}
		// "_" is a letter of names, not a pattern.
		names, err = b.notify.CompleteNames(b.ctx, b.spouse, "ma_")
		b.must(err)
		if fmt.Sprint(names) != "[ma_tricky]" {
			t.Errorf("completions of ma_: %v", names)
		}
		// Nobody awaiting approval, suspended or deleted; not the one typing.
		for _, prefix := range []string{"wait", "paus", "gone", "quiet"} {
			if names, _ := b.notify.CompleteNames(b.ctx, b.spouse, prefix); len(names) != 0 {
				t.Errorf("completions of %s: %v", prefix, names)
			}
		}
		if _, err := b.notify.CompleteNames(b.ctx, b.pending, "ma"); err == nil {
			t.Error("a person awaiting approval looked up names")
		}
	})
}

// TestRunWakesOnCommit: the background fan-out writes a reply's notifications right after
// its commit (the operation pokes it), long before its poll would, and tells OnNotified
// subscribers who received one.
func TestRunWakesOnCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		b.notify = notify.New(st, notify.Options{PollInterval: time.Hour})
		b.forum.AfterEvent = b.notify.Poke
		told := make(chan []int64, 10)
		b.notify.OnNotified(func(users []int64) { told <- users })
		ctx, cancel := context.WithCancel(b.ctx)
		done := make(chan struct{})
		go func() { b.notify.Run(ctx); close(done) }()
		defer func() { cancel(); <-done }()

		th := b.ask(b.parent, "Will anyone see this soon?", false)
		b.follow(b.watcher, th, model.LevelWatching)
		b.reply(b.coach, th, "Yes, right away.", false)
		deadline := time.After(10 * time.Second)
		var got []int64
		for len(got) < 2 {
			select {
			case users := <-told:
				got = append(got, users...)
			case <-deadline:
				t.Fatalf("after 10s the fan-out told only %v", got)
			}
		}
		slices.Sort(got)
		if want := []int64{b.parent.ID, b.watcher.ID}; !slices.Equal(got, want) {
			t.Errorf("subscribers were told of %v, want %v", got, want)
		}
		if len(b.received(b.parent)) != 1 || len(b.received(b.watcher)) != 1 {
			t.Errorf("notifications: %d and %d", len(b.received(b.parent)), len(b.received(b.watcher)))
		}
	})
}

// BenchmarkFanOut1000Watchers is the work after the commit of a reply in a thread a
// thousand members watch: their notifications, written in one transaction.
func BenchmarkFanOut1000Watchers(b *testing.B) {
	bd := newBoard(b, storetest.Open(b, "sqlite"))
	th := bd.ask(bd.parent, "A thread a thousand members watch", false)
	now := time.Now().UTC()
	users := make([]*model.User, 1000)
	for i := range users {
		users[i] = &model.User{Pseudonym: fmt.Sprintf("watcher_%04d", i), Role: model.RoleMember, Status: model.StatusActive,
			CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
	}
	bd.must(bd.st.Tx(bd.ctx, func(tx *store.Tx) error {
		if err := tx.InsertUsers(bd.ctx, users); err != nil {
			return err
		}
		for _, u := range users {
			if err := tx.SetThreadFollow(bd.ctx, u.ID, th.ID, model.LevelWatching, now); err != nil {
				return err
			}
		}
		return nil
	}))
	bd.fanOut()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		bd.reply(bd.coach, th, fmt.Sprintf("Reply %d", i), false)
		b.StartTimer()
		if n := bd.fanOut(); n != 1 {
			b.Fatalf("fanned out %d events", n)
		}
	}
}
