package notify_test

import (
	"slices"
	"strings"
	"testing"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// notificationsOf returns u's notifications, newest first.
func (b *board) notificationsOf(u *model.User) []*model.Notification {
	b.t.Helper()
	ns, err := b.st.NotificationsOf(b.ctx, u.ID, 0, 100)
	b.must(err)
	return ns
}

func kindsOf(ns []*model.Notification) []model.NotifyKind {
	var out []model.NotifyKind
	for _, n := range ns {
		out = append(out, n.Kind)
	}
	return out
}

// A report that someone may be in danger reaches every moderator and admin at once, in the
// app and by e-mail (at once by default), and nobody else.
func TestDangerReportReachesEveryModeratorAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		admin := b.user("old_oak", model.RoleAdmin, model.StatusActive)
		second := b.user("calm_lake", model.RoleModerator, model.StatusActive)
		th := b.ask(b.parent, "He relapsed after 90 days", false)
		p := b.reply(b.spouse, th, "I have his pills here and I do not want to go on.", false)
		b.fanOut()
		before := len(b.mail.queued())

		res, err := b.forum.Flag(b.ctx, b.watcher, p.ID, forum.FlagInput{Reason: model.FlagDanger})
		b.must(err)
		if res.Again || res.Hidden {
			t.Fatalf("a first report: %+v", res)
		}
		b.fanOut()
		var told []int64
		for _, u := range []*model.User{b.moderator, second, admin} {
			ns := b.notificationsOf(u)
			if len(ns) == 0 || ns[0].Kind != model.NotifyFlagDanger || ns[0].PostID == nil || *ns[0].PostID != p.ID {
				t.Fatalf("%s was told %v, want a report of danger about post %d", u.Pseudonym, kindsOf(ns), p.ID)
			}
			told = append(told, ns[0].ID)
		}
		for _, u := range []*model.User{b.parent, b.spouse, b.watcher, b.coach, b.quiet} {
			if slices.Contains(kindsOf(b.notificationsOf(u)), model.NotifyFlagDanger) {
				t.Errorf("%s, no moderator, was told of the report of danger", u.Pseudonym)
			}
		}
		queued := b.mail.queued()[before:]
		for _, id := range told {
			if !slices.Contains(queued, id) {
				t.Errorf("notification %d of danger was not queued to be e-mailed at once (queued %v)", id, queued)
			}
		}
		n, err := b.notify.Notices(b.ctx, second, 0)
		b.must(err)
		if n.Notices[0].Text != "A member reported that someone may be in danger" || n.Notices[0].Gone {
			t.Errorf("the moderator reads %+v", n.Notices[0])
		}
	})
}

// Once a moderator acts on a report, whoever reported the post hears that it was handled;
// its author hears why it was hidden, and nothing they are told names who reported it.
func TestFlaggerIsToldAndTheAuthorNeverLearnsWho(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		th := b.ask(b.parent, "He relapsed after 90 days", false)
		p := b.reply(b.spouse, th, "Only a fool would stay with him.", false)
		_, err := b.forum.Flag(b.ctx, b.watcher, p.ID, forum.FlagInput{Reason: model.FlagUnkind, Note: "night_owl thinks this is cruel"})
		b.must(err)
		_, err = b.forum.Flag(b.ctx, b.quiet, p.ID, forum.FlagInput{Reason: model.FlagOther, Note: "Reported by still_water"})
		b.must(err)
		b.fanOut()
		if _, err := b.forum.ActOnFlags(b.ctx, b.moderator, p.ID, forum.FlagAction{Action: forum.FlagHide, Reason: "Please keep it kind."}); err != nil {
			t.Fatal(err)
		}
		b.fanOut()
		for _, u := range []*model.User{b.watcher, b.quiet} {
			ns := b.notificationsOf(u)
			if len(ns) == 0 || ns[0].Kind != model.NotifyFlagHandled {
				t.Fatalf("%s, who reported the post, was told %v", u.Pseudonym, kindsOf(ns))
			}
			page, err := b.notify.Notices(b.ctx, u, 0)
			b.must(err)
			if got := page.Notices[0].Text; !strings.Contains(got, "hid it") || strings.Contains(got, "Please keep it kind") {
				t.Errorf("%s reads %q: want that it was hidden, without the moderator's words", u.Pseudonym, got)
			}
		}
		ns := b.notificationsOf(b.spouse)
		if len(ns) != 1 || ns[0].Kind != model.NotifyPostHidden || ns[0].Reason != "Please keep it kind." {
			t.Fatalf("the author was told %+v", ns)
		}
		if ns[0].ActorID == nil || *ns[0].ActorID != b.moderator.ID {
			t.Errorf("the author's notice names actor %v, want the moderator", ns[0].ActorID)
		}
		page, err := b.notify.Notices(b.ctx, b.spouse, 0)
		b.must(err)
		for _, n := range page.Notices {
			for _, said := range []string{n.Text, n.Reason} {
				for _, name := range []string{"night_owl", "still_water", "cruel"} {
					if strings.Contains(said, name) {
						t.Errorf("the author reads %q, which names who reported them (%s)", said, name)
					}
				}
			}
		}
		// Every event about the post: none has a reporter as its actor, and no notification
		// of the author came from one.
		var events []model.NotifyEvent
		storetest.Scan(t, st, &events, "SELECT * FROM notify_events WHERE post_id = ? AND user_id = ?", p.ID, b.spouse.ID)
		for _, e := range events {
			if e.ActorID != nil && (*e.ActorID == b.watcher.ID || *e.ActorID == b.quiet.ID) {
				t.Errorf("an event for the author has a reporter as its actor: %+v", e)
			}
		}
	})
}
