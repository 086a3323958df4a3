package forum_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/policy"
	"forum/app/store"
	"forum/app/store/storetest"
)

// established makes u a member approved long enough ago that their reports count towards
// hiding a post.
func (b *eventBoard) established(u *model.User) *model.User {
	b.t.Helper()
	approved := time.Now().UTC().Add(-policy.EstablishedAfter - time.Hour)
	u.ApprovedAt = &approved
	if err := b.st.Tx(b.ctx, func(tx *store.Tx) error { return tx.UpdateUser(b.ctx, u, "approved_at") }); err != nil {
		b.t.Fatal(err)
	}
	return u
}

func (b *eventBoard) flagCount(postID int64) int {
	b.t.Helper()
	var n int
	storetest.Scan(b.t, b.st, &n, "SELECT COUNT(*) FROM flags WHERE post_id = ?", postID)
	return n
}

func TestFlagRules(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newEventBoard(t, st)
		ctx := b.ctx
		member := b.user("night_owl", model.RoleMember)
		reply, err := b.svc.Reply(ctx, b.expert, b.question.ID, forum.ReplyInput{Body: "Start with CRAFT."})
		if err != nil {
			t.Fatal(err)
		}
		invalid := func(err error, field string) {
			t.Helper()
			var inv *model.InvalidError
			if !errors.As(err, &inv) || inv.Fields[field] == "" {
				t.Fatalf("got %v, want a message beside %s", err, field)
			}
		}
		_, err = b.svc.Flag(ctx, member, reply.ID, forum.FlagInput{})
		invalid(err, "reason")
		_, err = b.svc.Flag(ctx, member, reply.ID, forum.FlagInput{Reason: "rude"})
		invalid(err, "reason")
		_, err = b.svc.Flag(ctx, member, reply.ID, forum.FlagInput{Reason: model.FlagOther, Note: "   "})
		invalid(err, "note")
		_, err = b.svc.Flag(ctx, member, reply.ID, forum.FlagInput{Reason: model.FlagSpam, Note: strings.Repeat("x", policy.MaxFlagNote+1)})
		invalid(err, "note")
		if n := b.flagCount(reply.ID); n != 0 {
			t.Fatalf("rejected reports wrote %d flags", n)
		}

		b.events()
		res, err := b.svc.Flag(ctx, member, reply.ID, forum.FlagInput{Reason: model.FlagSpam, Note: "Selling a course"})
		if err != nil || res.Again {
			t.Fatalf("first report: %+v, %v", res, err)
		}
		res, err = b.svc.Flag(ctx, member, reply.ID, forum.FlagInput{Reason: model.FlagDanger})
		if err != nil || !res.Again {
			t.Fatalf("second report of the same post: %+v, %v", res, err)
		}
		var reasons []string
		storetest.Scan(t, st, &reasons, "SELECT reason FROM flags WHERE post_id = ?", reply.ID)
		if len(reasons) != 1 || reasons[0] != string(model.FlagSpam) {
			t.Fatalf("after a second report the flags are %v, want the first one only", reasons)
		}
		if evs := b.events(); len(evs) != 0 {
			// A report of spam tells nobody at once, and a second report (of danger) changes nothing.
			t.Fatalf("events after the reports: %+v", evs)
		}

		// Their own post, and what they may not read.
		own, err := b.svc.Reply(ctx, member, b.question.ID, forum.ReplyInput{Body: "Thank you."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Flag(ctx, member, own.ID, forum.FlagInput{Reason: model.FlagSpam}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("reporting one's own post: %v", err)
		}
		hidden, err := b.svc.Reply(ctx, b.expert, b.question.ID, forum.ReplyInput{Body: "A phone number"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ModeratePost(ctx, b.mod, hidden.ID, forum.ActionHide, "A phone number"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Flag(ctx, member, hidden.ID, forum.FlagInput{Reason: model.FlagSpam}); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("reporting a hidden post: %v, want not found", err)
		}
		if _, err := b.svc.Flag(ctx, member, 999999, forum.FlagInput{Reason: model.FlagSpam}); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("reporting no post: %v, want not found", err)
		}
		if _, err := b.svc.ModerateThread(ctx, b.mod, b.question.ID, forum.ActionHide, "Doxxing"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Flag(ctx, b.asker, reply.ID, forum.FlagInput{Reason: model.FlagSpam}); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("reporting a post of a hidden thread: %v, want not found", err)
		}
		pending := b.user("waiting", model.RolePending)
		if _, err := b.svc.Flag(ctx, pending, reply.ID, forum.FlagInput{Reason: model.FlagSpam}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("a person awaiting approval reports: %v", err)
		}
		if _, err := b.svc.Flag(ctx, nil, reply.ID, forum.FlagInput{Reason: model.FlagSpam}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("a visitor reports: %v", err)
		}
	})
}

// One member reporting everything is stopped at policy.FlagsPerHour reports an hour.
func TestFlagFloodIsLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newEventBoard(t, st)
		flooder := b.user("flooder", model.RoleMember)
		var posts []*model.Post
		for i := 0; i <= policy.FlagsPerHour; i++ {
			p, err := b.svc.Reply(b.ctx, b.asker, b.question.ID, forum.ReplyInput{Body: "Reply " + string(rune('a'+i))})
			if err != nil {
				t.Fatal(err)
			}
			posts = append(posts, p)
		}
		for i, p := range posts[:policy.FlagsPerHour] {
			if _, err := b.svc.Flag(b.ctx, flooder, p.ID, forum.FlagInput{Reason: model.FlagOffTopic}); err != nil {
				t.Fatalf("report %d: %v", i+1, err)
			}
		}
		last := posts[policy.FlagsPerHour]
		if _, err := b.svc.Flag(b.ctx, flooder, last.ID, forum.FlagInput{Reason: model.FlagOffTopic}); !errors.Is(err, forum.ErrFlagLimit) {
			t.Fatalf("report %d in an hour: %v, want the limit", policy.FlagsPerHour+1, err)
		}
		if n := b.flagCount(last.ID); n != 0 {
			t.Fatalf("the refused report wrote %d flags", n)
		}
		// An hour later, they may report again.
		b.svc.Now = func() time.Time { return time.Now().UTC().Add(61 * time.Minute) }
		if _, err := b.svc.Flag(b.ctx, flooder, last.ID, forum.FlagInput{Reason: model.FlagOffTopic}); err != nil {
			t.Fatalf("a report an hour later: %v", err)
		}
		busy, err := st.BusyFlaggers(b.ctx, time.Now().UTC().Add(-24*time.Hour), policy.BusyFlagger, 10)
		if err != nil || len(busy) != 1 || busy[0].UserID != flooder.ID || busy[0].Count != policy.FlagsPerHour+1 {
			t.Fatalf("members reporting a lot: %+v, %v", busy, err)
		}
	})
}

// Reports of enough established members hide a post until a moderator decides; reports of
// new members do not. Dismissing the reports brings the post back.
func TestEstablishedMembersReportsHideAPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newEventBoard(t, st)
		p, err := b.svc.Reply(b.ctx, b.expert, b.question.ID, forum.ReplyInput{Body: "Buy my course at example.com"})
		if err != nil {
			t.Fatal(err)
		}
		var newcomers, oldies []*model.User
		for _, name := range []string{"new_a", "new_b", "new_c"} {
			u := b.user(name, model.RoleMember)
			now := time.Now().UTC()
			u.ApprovedAt = &now
			newcomers = append(newcomers, u)
		}
		for _, name := range []string{"old_a", "old_b", "old_c"} {
			oldies = append(oldies, b.established(b.user(name, model.RoleMember)))
		}
		for _, u := range append(newcomers, oldies[:policy.FlagsToHide-1]...) {
			res, err := b.svc.Flag(b.ctx, u, p.ID, forum.FlagInput{Reason: model.FlagSpam})
			if err != nil || res.Hidden {
				t.Fatalf("report by %s: %+v, %v", u.Pseudonym, res, err)
			}
		}
		if got, _ := st.PostByID(b.ctx, p.ID); got.HiddenAt != nil {
			t.Fatal("the post was hidden by the reports of new members")
		}
		b.events()
		res, err := b.svc.Flag(b.ctx, oldies[policy.FlagsToHide-1], p.ID, forum.FlagInput{Reason: model.FlagSpam})
		if err != nil || !res.Hidden {
			t.Fatalf("the %dth established report: %+v, %v", policy.FlagsToHide, res, err)
		}
		got, _ := st.PostByID(b.ctx, p.ID)
		if got.HiddenAt == nil || !got.FlagHidden {
			t.Fatalf("after %d established reports the post is %+v", policy.FlagsToHide, got)
		}
		evs := b.events()
		if len(evs) != 1 || evs[0].Kind != model.NotifyPostHidden || evs[0].UserID == nil || *evs[0].UserID != b.expert.ID || evs[0].ActorID != nil {
			t.Fatalf("the author's notice of a post hidden by reports: %+v", evs)
		}
		if _, err := b.svc.ActOnFlags(b.ctx, b.mod, p.ID, forum.FlagAction{Action: forum.FlagDismiss}); err == nil {
			t.Fatal("a decision without a reason was taken")
		}
		if _, err := b.svc.ActOnFlags(b.ctx, b.mod, p.ID, forum.FlagAction{Action: forum.FlagDismiss, Reason: "A fair link"}); err != nil {
			t.Fatal(err)
		}
		got, _ = st.PostByID(b.ctx, p.ID)
		if got.HiddenAt != nil || got.FlagHidden {
			t.Fatalf("after the reports were dismissed the post is %+v", got)
		}
		if n, err := st.OpenFlaggedPostCount(b.ctx); err != nil || n != 0 {
			t.Fatalf("open reports after the decision: %d, %v", n, err)
		}
		if _, err := b.svc.ActOnFlags(b.ctx, b.asker, p.ID, forum.FlagAction{Action: forum.FlagDismiss, Reason: "mine"}); !errors.Is(err, model.ErrForbidden) {
			t.Fatalf("a member decides on reports: %v", err)
		}
	})
}

// Hiding the helpful answer and restoring it leaves the question Resolved with the same
// mark; while it is hidden, moderators still see the question resolved, and a published
// thread is out of the public archive.
func TestHideThenRestoreKeepsTheHelpfulMark(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newEventBoard(t, st)
		ctx := b.ctx
		answer, err := b.svc.Reply(ctx, b.expert, b.question.ID, forum.ReplyInput{Body: "Start with CRAFT."})
		if err != nil {
			t.Fatal(err)
		}
		if err := b.svc.SetPublishConsent(ctx, b.asker, b.question.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.MarkHelpful(ctx, b.asker, b.question.ID, answer.ID); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.Publish(ctx, b.mod, b.question.ID, true); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ModeratePost(ctx, b.mod, answer.ID, forum.ActionHide, ""); err == nil {
			t.Fatal("a hide without a reason was taken")
		}
		if _, err := b.svc.ModeratePost(ctx, b.mod, answer.ID, forum.ActionHide, "Names a clinic"); err != nil {
			t.Fatal(err)
		}
		th, _ := st.ThreadByID(ctx, b.question.ID)
		if th.HelpfulPostID != nil || th.HeldHelpfulPostID == nil || *th.HeldHelpfulPostID != answer.ID {
			t.Fatalf("while hidden: helpful %v, kept %v", th.HelpfulPostID, th.HeldHelpfulPostID)
		}
		if th.Visibility != model.VisibilityMembers || !th.ArchiveWithheld {
			t.Fatalf("while its answer is hidden the thread is %s (withheld %v)", th.Visibility, th.ArchiveWithheld)
		}
		if policy.ShownState(b.mod, th) != model.StateResolved || policy.ShownState(b.asker, th) == model.StateResolved {
			t.Fatalf("while hidden the moderator sees %s and the asker %s", policy.ShownState(b.mod, th), policy.ShownState(b.asker, th))
		}
		if _, err := b.svc.ModeratePost(ctx, b.mod, answer.ID, forum.ActionRestore, "Edited out"); err != nil {
			t.Fatal(err)
		}
		th, _ = st.ThreadByID(ctx, b.question.ID)
		if th.State != model.StateResolved || th.HelpfulPostID == nil || *th.HelpfulPostID != answer.ID || th.HeldHelpfulPostID != nil {
			t.Fatalf("after the restore: state %s, helpful %v, kept %v", th.State, th.HelpfulPostID, th.HeldHelpfulPostID)
		}
		if th.Visibility != model.VisibilityPublic || th.ArchiveWithheld {
			t.Fatalf("after the restore the thread is %s (withheld %v), want back in the archive", th.Visibility, th.ArchiveWithheld)
		}
		var actions []string
		storetest.Scan(t, st, &actions, "SELECT action FROM audit_log WHERE target_type = 'post' AND target_id = ? ORDER BY id", answer.ID)
		if strings.Join(actions, ",") != "hide_post,restore_post" {
			t.Fatalf("audit actions %v", actions)
		}
		var subject, thread int64
		storetest.Scan(t, st, &subject, "SELECT subject_id FROM audit_log WHERE action = 'hide_post'")
		storetest.Scan(t, st, &thread, "SELECT thread_id FROM audit_log WHERE action = 'hide_post'")
		if subject != b.expert.ID || thread != b.question.ID {
			t.Fatalf("the audit row names member %d in thread %d", subject, thread)
		}

		// The author deletes a hidden post: moderators still read it and its history.
		if _, err := b.svc.ModeratePost(ctx, b.mod, answer.ID, forum.ActionHide, "Names a clinic"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.DeletePost(ctx, b.expert, answer.ID); err != nil {
			t.Fatal(err)
		}
		gone, _ := st.PostByID(ctx, answer.ID)
		if gone.BodySource != "Start with CRAFT." || !policy.CanReadDeletedPost(b.mod, gone) || policy.CanReadDeletedPost(b.asker, gone) {
			t.Fatalf("a hidden post its author deleted: %+v", gone)
		}
		th, _ = st.ThreadByID(ctx, b.question.ID)
		if th.HeldHelpfulPostID != nil || th.HelpfulPostID != nil {
			t.Fatalf("the deleted reply's mark is still kept: %v %v", th.HeldHelpfulPostID, th.HelpfulPostID)
		}
	})
}

// A moderator edits a reported post: the earlier version is kept for moderators only.
// Warnings wait for the member; suspensions until a day end at the member's next sign-in.
func TestModeratorEditWarnAndSuspendUntil(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newEventBoard(t, st)
		ctx := b.ctx
		writer := b.user("loud_one", model.RoleMember)
		p, err := b.svc.Reply(ctx, writer, b.question.ID, forum.ReplyInput{Body: "He works at Acme Corp on 5th street."})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Flag(ctx, b.asker, p.ID, forum.FlagInput{Reason: model.FlagIdentity}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ActOnFlags(ctx, b.mod, p.ID, forum.FlagAction{Action: forum.FlagEdit, Reason: "Names an employer", Body: "He works at [removed]."}); err != nil {
			t.Fatal(err)
		}
		revs, err := st.Revisions(ctx, p.ID)
		if err != nil || len(revs) != 1 || !revs[0].ModeratorOnly || revs[0].BodySource != "He works at Acme Corp on 5th street." {
			t.Fatalf("revisions after a moderator's edit: %+v, %v", revs, err)
		}
		if policy.CanReadRevision(b.asker, revs[0]) || !policy.CanReadRevision(b.mod, revs[0]) {
			t.Fatal("the replaced version is not for moderators only")
		}
		if _, err := b.svc.ActOnFlags(ctx, b.mod, p.ID, forum.FlagAction{Action: forum.FlagWarn, Reason: "Names an employer"}); err == nil {
			t.Fatal("an empty warning was given")
		}
		if _, err := b.svc.ActOnFlags(ctx, b.mod, p.ID, forum.FlagAction{Action: forum.FlagWarn, Reason: "Names an employer",
			Message: "Please leave out where people work."}); err != nil {
			t.Fatal(err)
		}
		w, err := st.OpenWarning(ctx, writer.ID)
		if err != nil || w == nil || w.Message != "Please leave out where people work." {
			t.Fatalf("the member's warning: %+v, %v", w, err)
		}
		if err := b.svc.AcknowledgeWarning(ctx, b.asker, w.ID); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("someone else acknowledges the warning: %v", err)
		}
		if err := b.svc.AcknowledgeWarning(ctx, writer, w.ID); err != nil {
			t.Fatal(err)
		}
		if w, _ := st.OpenWarning(ctx, writer.ID); w != nil {
			t.Fatalf("an acknowledged warning is still open: %+v", w)
		}
		if _, err := b.svc.ActOnFlags(ctx, b.mod, p.ID, forum.FlagAction{Action: forum.FlagSuspend, Reason: "Again",
			Until: time.Now().UTC().Add(-time.Hour)}); err == nil {
			t.Fatal("a suspension ending in the past was taken")
		}
		if _, err := b.svc.ActOnFlags(ctx, b.mod, p.ID, forum.FlagAction{Action: forum.FlagSuspend, Reason: "Again",
			Until: time.Now().UTC().Add(48 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		u, _ := st.UserByID(ctx, writer.ID)
		if u.Status != model.StatusSuspended || u.SuspendedUntil == nil {
			t.Fatalf("after the suspension: %+v", u)
		}
		ext := forum.ExternalAccount{Provider: "dev", Issuer: "dev", Subject: "loud"}
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertIdentity(ctx, &model.Identity{UserID: writer.ID, Provider: "dev", Issuer: "dev", Subject: "loud",
				CreatedAt: time.Now().UTC(), LastUsedAt: time.Now().UTC()})
		}); err != nil {
			t.Fatal(err)
		}
		if u, err := b.svc.SignIn(ctx, ext, ""); err != nil || u.Status != model.StatusSuspended {
			t.Fatalf("signing in during the suspension: %+v, %v", u, err)
		}
		b.svc.Now = func() time.Time { return time.Now().UTC().Add(49 * time.Hour) }
		if u, err := b.svc.SignIn(ctx, ext, ""); err != nil || u.Status != model.StatusActive || u.SuspendedUntil != nil {
			t.Fatalf("signing in after the suspension: %+v, %v", u, err)
		}
	})
}
