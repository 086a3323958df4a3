package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// testLogger logs to the test's output.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t: t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

type testWriter struct{ t testing.TB }

var logMu sync.Mutex

// Write logs p, and fails the test on a busy database: the queue on SQLite must wait
// for the forum's writers, and they for it, never fail with "database is locked".
func (w testWriter) Write(p []byte) (int, error) {
	logMu.Lock()
	defer logMu.Unlock()
	line := strings.TrimSpace(string(p))
	w.t.Log(line)
	if strings.Contains(line, "database is locked") || strings.Contains(line, "SQLITE_BUSY") {
		w.t.Errorf("the database was busy: %s", line)
	}
	return len(p), nil
}

// A coach's answer reaches the parent once, through a real SMTP server, in a message
// that says what happened and where, and nothing of the story: no title, no words, no
// names, the anonymous author's least of all.
func TestAnswerIsMailedOnceAndDiscreetly(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			b := newBoard(t, driver)
			anonymous, err := b.svc.Reply(ctx, b.coach, b.question.ID, forum.ReplyInput{Body: "Another thought on the marigold plan.", Anonymous: true})
			if err != nil {
				t.Fatal(err)
			}
			srv := startSMTP(t, "127.0.0.1:0", nil)
			m := b.newMailer(t, smtpSender(t, b.cfg, srv), fastTuning())

			// A fan-out that fails after queueing queues nothing.
			rolledBack := b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer)
			errFanOut := errors.New("the fan-out failed")
			if err := b.st.Tx(ctx, func(tx *store.Tx) error {
				if err := m.Enqueue(ctx, tx, rolledBack); err != nil {
					return err
				}
				return errFanOut
			}); !errors.Is(err, errFanOut) {
				t.Fatal(err)
			}
			if n := jobs(t, b.st, "available"); n != 0 {
				t.Fatalf("a rolled-back transaction left %d jobs", n)
			}

			named := b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer)
			anon := b.notify(t, model.NotifyAnswer, b.parent, b.question, anonymous)
			b.enqueue(t, m, named, anon)
			// Queued again (a fan-out run twice): still one job, one message.
			b.enqueue(t, m, named)
			run(t, m)
			srv.Wait("two messages", 30*time.Second, func(s *smtpServer) bool { return len(s.accepted) == 2 })
			waitFor(t, "both jobs completed", 30*time.Second, func() bool { return jobs(t, b.st, "completed") == 2 })
			time.Sleep(300 * time.Millisecond) // room for a wrong second message to arrive
			if n := srv.Count(); n != 2 {
				t.Fatalf("the server accepted %d messages, want 2", n)
			}
			if d := srv.Duplicates(); len(d) > 0 {
				t.Fatalf("messages sent twice: %v", d)
			}
			if n := sentCount(t, b.st); n != 2 {
				t.Fatalf("%d messages recorded as sent, want 2", n)
			}

			msgs, _ := srv.Messages()
			ids := map[string]bool{}
			for _, msg := range msgs {
				text := readable(t, msg)
				for _, secret := range []string{"Wrenna", "Probation", "quarryside", "pills", "CRAFT", "marigold",
					b.coach.Pseudonym, b.parent.Pseudonym, "Halloway", "Juniper", "Real ", "A member of the community"} {
					if strings.Contains(text, secret) {
						t.Errorf("the message tells %q:\n%s", secret, text)
					}
				}
				for _, want := range []string{
					"Subject: Kinship: an expert answered your question\n",
					"An expert answered your question.",
					fmt.Sprintf("https://forum.example.org/t/%d#post-", b.question.ID),
					"List-Unsubscribe: <https://forum.example.org/unsubscribe/",
					"List-Unsubscribe-Post: List-Unsubscribe=One-Click",
					"Auto-Submitted: auto-generated",
					"text/plain", "text/html",
				} {
					if !strings.Contains(text, want) {
						t.Errorf("the message lacks %q:\n%s", want, text)
					}
				}
				if to := msg.Header.Get("To"); to != "<"+b.parent.Email+">" {
					t.Errorf("To: %q, want the parent's address alone", to)
				}
				if from := msg.Header.Get("From"); from != `"Kinship" <forum@example.org>` {
					t.Errorf("From: %q", from)
				}
				id := msg.Header.Get("Message-ID")
				if !regexp.MustCompile(`^<n\d+\.\d+@forum\.example\.org>$`).MatchString(id) {
					t.Errorf("Message-ID %q", id)
				}
				ids[id] = true
			}
			if len(ids) != 2 {
				t.Fatalf("Message-IDs %v, want two different ones", ids)
			}
		})
	}
}

// A member who opted in to titles reads the thread's title, and still no one's words.
func TestTitlesForMembersWhoOptIn(t *testing.T) {
	ctx := context.Background()
	b := newBoard(t, "sqlite")
	b.parent.EmailTitles = true
	if err := b.st.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, b.parent, "email_titles") }); err != nil {
		t.Fatal(err)
	}
	srv := startSMTP(t, "127.0.0.1:0", nil)
	m := b.newMailer(t, smtpSender(t, b.cfg, srv), fastTuning())
	b.enqueue(t, m, b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer))
	run(t, m)
	srv.Wait("the message", 30*time.Second, func(s *smtpServer) bool { return len(s.accepted) == 1 })
	msgs, _ := srv.Messages()
	text := readable(t, msgs[0])
	if !strings.Contains(text, "Subject: Kinship: an expert answered your question: "+questionTitle+"\n") ||
		!strings.Contains(text, `In the conversation: "`+questionTitle+`"`) {
		t.Errorf("the message lacks the title the member asked for:\n%s", text)
	}
	for _, secret := range []string{"quarryside", "pills", "CRAFT", "marigold", b.coach.Pseudonym, "names no one"} {
		if strings.Contains(text, secret) {
			t.Errorf("the message tells %q:\n%s", secret, text)
		}
	}
}

// What changed between the notification and the sending is checked again: nobody is
// e-mailed what they may no longer read, or no longer want.
func TestCheckedAgainWhenSent(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			b := newBoard(t, driver)
			srv := startSMTP(t, "127.0.0.1:0", nil)
			m := b.newMailer(t, smtpSender(t, b.cfg, srv), fastTuning())
			now := time.Now().UTC()
			set := func(u *model.User, cols ...string) {
				if err := b.st.Tx(ctx, func(tx *store.Tx) error { return tx.UpdateUser(ctx, u, cols...) }); err != nil {
					t.Fatal(err)
				}
			}
			// Each of these members is notified of the answer, and then something changes.
			hiddenPostTo := b.user(t, "Reader One", model.RoleMember)
			suspended := b.user(t, "Reader Two", model.RoleMember)
			noAddress := b.user(t, "Reader Three", model.RoleMember)
			never := b.user(t, "Reader Four", model.RoleMember)
			read := b.user(t, "Reader Five", model.RoleMember)
			deleted := b.user(t, "Reader Six", model.RoleMember)
			control := b.user(t, "Reader Seven", model.RoleMember)

			second, err := b.svc.Reply(ctx, b.coach, b.question.ID, forum.ReplyInput{Body: "A second answer, hidden later."})
			if err != nil {
				t.Fatal(err)
			}
			ns := []*model.Notification{
				b.notify(t, model.NotifyReply, hiddenPostTo, b.question, second),
				b.notify(t, model.NotifyAnswer, suspended, b.question, b.answer),
				b.notify(t, model.NotifyAnswer, noAddress, b.question, b.answer),
				b.notify(t, model.NotifyAnswer, never, b.question, b.answer),
				b.notify(t, model.NotifyAnswer, read, b.question, b.answer),
				b.notify(t, model.NotifyAnswer, deleted, b.question, b.answer),
			}
			// Replies are not mailed by default: this member asked for them.
			storetest.Exec(t, b.st, "INSERT INTO notification_prefs (user_id, kind, delivery) VALUES (?, ?, ?)", hiddenPostTo.ID, model.NotifyReply, model.DeliveryNow)
			b.enqueue(t, m, ns...)

			if _, err := b.svc.ModeratePost(ctx, b.mod, second.ID, forum.ActionHide, "unkind"); err != nil {
				t.Fatal(err)
			}
			suspended.Status, suspended.SuspendedAt = model.StatusSuspended, &now
			set(suspended, "status", "suspended_at")
			noAddress.Email = ""
			set(noAddress, "email")
			storetest.Exec(t, b.st, "INSERT INTO notification_prefs (user_id, kind, delivery) VALUES (?, ?, ?)", never.ID, model.NotifyAnswer, model.DeliveryNever)
			storetest.Exec(t, b.st, "UPDATE notifications SET read_at = ? WHERE id = ?", now, ns[4].ID)
			if err := b.svc.DeleteAccount(ctx, deleted, false); err != nil {
				t.Fatal(err)
			}

			// The one that may go goes last: once it has arrived, the others had their turn.
			b.enqueue(t, m, b.notify(t, model.NotifyAnswer, control, b.question, b.answer))
			run(t, m)
			waitFor(t, "every job completed", 30*time.Second, func() bool { return jobs(t, b.st, "completed") == len(ns)+1 })
			msgs, _ := srv.Messages()
			if len(msgs) != 1 || msgs[0].Header.Get("To") != "<"+control.Email+">" {
				var to []string
				for _, msg := range msgs {
					to = append(to, msg.Header.Get("To"))
				}
				t.Fatalf("messages went to %v, want only %s", to, control.Email)
			}
		})
	}
}

// The daily digest counts what happened, kind by kind, once a day, and tells no story.
func TestDigest(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			b := newBoard(t, driver)
			srv := startSMTP(t, "127.0.0.1:0", nil)
			morning := time.Date(2026, 12, 3, 8, 30, 0, 0, time.UTC)
			clock := morning
			var clockMu sync.Mutex
			tuning := fastTuning()
			tuning.Now = func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
			m := b.newMailer(t, smtpSender(t, b.cfg, srv), tuning)

			watcher := b.user(t, "Watcher Bramble", model.RoleMember)
			for _, k := range []model.NotifyKind{model.NotifyReply, model.NotifyMention} {
				storetest.Exec(t, b.st, "INSERT INTO notification_prefs (user_id, kind, delivery) VALUES (?, ?, ?)", watcher.ID, k, model.DeliveryDigest)
			}
			r1, _ := b.svc.Reply(ctx, b.parent, b.question.ID, forum.ReplyInput{Body: "Thank you, we will try."})
			r2, _ := b.svc.Reply(ctx, b.mod, b.question.ID, forum.ReplyInput{Body: "Welcome to the forum."})
			b.notify(t, model.NotifyReply, watcher, b.question, r1)
			b.notify(t, model.NotifyReply, watcher, b.question, r2)
			b.notify(t, model.NotifyReply, watcher, b.question, b.answer)
			b.notify(t, model.NotifyMention, watcher, b.question, r2)
			read := b.notify(t, model.NotifyReply, watcher, b.question, r1)
			storetest.Exec(t, b.st, "UPDATE notifications SET read_at = ? WHERE id = ?", time.Now().UTC(), read.ID)
			// The answer notification of the parent is "at once", not in a digest.
			b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer)
			// The digest kinds' notifications are in the past of the fake clock's week.
			storetest.Exec(t, b.st, "UPDATE notifications SET created_at = ?", morning.Add(-2*time.Hour))

			run(t, m)
			srv.Wait("the digest", 30*time.Second, func(s *smtpServer) bool { return len(s.accepted) == 1 })
			msgs, _ := srv.Messages()
			text := readable(t, msgs[0])
			for _, want := range []string{"Subject: Kinship: your daily summary\n", "3 new replies in conversations you follow",
				"1 mention of you", "https://forum.example.org/notifications", "List-Unsubscribe: <https://forum.example.org/unsubscribe/"} {
				if !strings.Contains(text, want) {
					t.Errorf("the digest lacks %q:\n%s", want, text)
				}
			}
			for _, secret := range []string{"Wrenna", "Probation", "Thank you", "Welcome to", b.parent.Pseudonym, b.mod.Pseudonym} {
				if strings.Contains(text, secret) {
					t.Errorf("the digest tells %q:\n%s", secret, text)
				}
			}
			if to := msgs[0].Header.Get("To"); to != "<"+watcher.Email+">" {
				t.Fatalf("the digest went to %s", to)
			}

			// Later the same day, with news: the sweep runs again and sends nothing more.
			later := b.notify(t, model.NotifyReply, watcher, b.question, r2)
			storetest.Exec(t, b.st, "UPDATE notifications SET created_at = ? WHERE id = ?", morning.Add(4*time.Hour), later.ID)
			if err := m.sweep(ctx); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the queue to settle", 10*time.Second, func() bool { return jobs(t, b.st, "available")+jobs(t, b.st, "running") == 0 })
			time.Sleep(300 * time.Millisecond)
			if n := srv.Count(); n != 1 {
				t.Fatalf("%d messages on the digest's day, want 1", n)
			}
			// The next morning, the news of yesterday afternoon, and only it.
			clockMu.Lock()
			clock = morning.Add(24 * time.Hour)
			clockMu.Unlock()
			if err := m.sweep(ctx); err != nil {
				t.Fatal(err)
			}
			srv.Wait("the second digest", 30*time.Second, func(s *smtpServer) bool { return len(s.accepted) == 2 })
			msgs, _ = srv.Messages()
			if text := readable(t, msgs[1]); !strings.Contains(text, "1 new reply in conversations you follow") || strings.Contains(text, "mention") {
				t.Errorf("the second digest:\n%s", text)
			}
		})
	}
}

// A job run again after its message was recorded as sent (a node rescued it while the
// first run was still finishing) finds the record and sends nothing.
func TestRecordedMessageIsNotSentAgain(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			b := newBoard(t, driver)
			srv := startSMTP(t, "127.0.0.1:0", nil)
			m := b.newMailer(t, smtpSender(t, b.cfg, srv), fastTuning())
			sent := b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer)
			storetest.Exec(t, b.st, "INSERT INTO mail_sent (mail_key, user_id, message_id, answer, sent_at) VALUES (?, ?, ?, ?, ?)",
				notificationKey(sent.ID), b.parent.ID, "<earlier@forum.example.org>", "250 OK", time.Now().UTC())
			control := b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer)
			b.enqueue(t, m, sent, control)
			run(t, m)
			waitFor(t, "both jobs completed", 30*time.Second, func() bool { return jobs(t, b.st, "completed") == 2 })
			msgs, _ := srv.Messages()
			if len(msgs) != 1 || !strings.HasPrefix(msgs[0].Header.Get("Message-ID"), fmt.Sprintf("<n%d.", control.ID)) {
				t.Fatalf("%d messages sent, want only the one not sent before", len(msgs))
			}
		})
	}
}
