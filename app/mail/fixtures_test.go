package mail

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	netmail "net/mail"
	"net/url"
	"strings"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// The words of the family's story: no message may carry them (titles only when opted in).
const (
	questionTitle = "Probation officer called about Wrenna again"
	questionBody  = "Wrenna relapsed after the quarryside party and I found pills."
	answerBody    = "Try the CRAFT listening step before the marigold conversation."
)

// openDB returns a fresh migrated database, the forum's tables and the queue's, with the
// configuration a Mailer reads.
func openDB(t testing.TB, driver string) (*store.Store, *config.Config) {
	t.Helper()
	ctx := context.Background()
	_, dsn, label := storetest.DSN(t, driver)
	st, err := store.Open(ctx, driver, dsn, label)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := Migrate(ctx, st, driver, dsn); err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://forum.example.org")
	cfg := &config.Config{Driver: driver, DatabaseDSN: dsn, DatabaseLabel: label, BaseURL: base,
		SessionSecret: []byte("0123456789abcdef0123456789abcdef"),
		Mail:          config.Mail{From: &netmail.Address{Name: "Kinship", Address: "forum@example.org"}}}
	return st, cfg
}

// board is a small forum: a parent asked a question, a coach answered it.
type board struct {
	st       *store.Store
	cfg      *config.Config
	svc      *forum.Service
	parent   *model.User
	coach    *model.User
	mod      *model.User
	question *model.Thread
	answer   *model.Post
}

func newBoard(t testing.TB, driver string) *board {
	t.Helper()
	st, cfg := openDB(t, driver)
	b := &board{st: st, cfg: cfg, svc: forum.New(st, markdown.New())}
	ctx := context.Background()
	b.parent = b.user(t, "Juniper Parent", model.RoleMember)
	b.coach = b.user(t, "Coach Halloway", model.RoleExpert)
	b.mod = b.user(t, "Moderator Quince", model.RoleModerator)
	now := time.Now().UTC()
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertTag(ctx, &model.Tag{Name: "Probation", Slug: "probation", CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	var err error
	if b.question, err = b.svc.Ask(ctx, b.parent, forum.AskInput{Title: questionTitle, Body: questionBody, Tags: []string{"probation"}}); err != nil {
		t.Fatal(err)
	}
	if b.answer, err = b.svc.Reply(ctx, b.coach, b.question.ID, forum.ReplyInput{Body: answerBody}); err != nil {
		t.Fatal(err)
	}
	return b
}

var userSeq int

// user adds an active account with an e-mail address.
func (b *board) user(t testing.TB, name string, role model.Role) *model.User {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	userSeq++
	u := &model.User{Pseudonym: name, Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@family.example",
		RealName: "Real " + name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
	if err := b.st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	return u
}

// notify writes an event and its notification for u, as the fan-out does.
func (b *board) notify(t testing.TB, kind model.NotifyKind, u *model.User, thread *model.Thread, post *model.Post) *model.Notification {
	t.Helper()
	var threadID, postID *int64
	if thread != nil {
		threadID = &thread.ID
	}
	if post != nil {
		postID = &post.ID
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var eventID, id int64
	storetest.Scan(t, b.st, &eventID, `INSERT INTO notify_events (kind, thread_id, post_id, user_id, reason, created_at, fanned_out_at)
		VALUES (?, ?, ?, ?, '', ?, ?) RETURNING id`, kind, threadID, postID, u.ID, now, now)
	storetest.Scan(t, b.st, &id, `INSERT INTO notifications (user_id, event_id, kind, thread_id, post_id, reason, created_at)
		VALUES (?, ?, ?, ?, ?, '', ?) RETURNING id`, u.ID, eventID, kind, threadID, postID, now)
	return &model.Notification{ID: id, UserID: u.ID, EventID: eventID, Kind: kind, ThreadID: threadID, PostID: postID, CreatedAt: now}
}

// enqueue queues the e-mail of ns in one transaction, as the fan-out does.
func (b *board) enqueue(t testing.TB, m *Mailer, ns ...*model.Notification) {
	t.Helper()
	ctx := context.Background()
	if err := b.st.Tx(ctx, func(tx *store.Tx) error {
		for _, n := range ns {
			if err := m.Enqueue(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// fastTuning makes the queue look for work often and retry soon.
func fastTuning() Tuning {
	return Tuning{PollInterval: 50 * time.Millisecond, RetryDelay: 200 * time.Millisecond, TestOnly: true}
}

// newMailer returns a Mailer of b sending through sender; run starts it, until the test ends.
func (b *board) newMailer(t testing.TB, sender Sender, tuning Tuning) *Mailer {
	t.Helper()
	m, err := New(Options{Store: b.st, Config: b.cfg, Sender: sender, SiteName: "Kinship", Tuning: tuning,
		Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// run works m's queue until the test ends.
func run(t testing.TB, m *Mailer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// smtpSender returns a sender to srv.
func smtpSender(t testing.TB, cfg *config.Config, srv *smtpServer) Sender {
	t.Helper()
	s, err := NewSMTP(config.Mail{SMTP: srv.addr, SMTPLabel: "smtp://" + srv.addr, From: cfg.Mail.From})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// jobs counts the queue's jobs of notifications and digests in state.
func jobs(t testing.TB, st *store.Store, state string) int {
	t.Helper()
	var n int
	storetest.Scan(t, st, &n, "SELECT COUNT(*) FROM river_job WHERE state = ? AND kind IN ('mail_notification', 'mail_digest')", state)
	return n
}

// sentCount counts the records of sent messages.
func sentCount(t testing.TB, st *store.Store) int {
	t.Helper()
	var n int
	storetest.Scan(t, st, &n, "SELECT COUNT(*) FROM mail_sent")
	return n
}

// waitFor polls cond until it holds, or fails the test after timeout.
func waitFor(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// readable is what a person reads of a message: the decoded subject, the headers, and
// every text part decoded.
func readable(t testing.TB, msg *netmail.Message) string {
	t.Helper()
	var b strings.Builder
	dec := new(mime.WordDecoder)
	subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatal(err)
	}
	b.WriteString("Subject: " + subject + "\n")
	for k, vs := range msg.Header {
		for _, v := range vs {
			b.WriteString(k + ": " + v + "\n")
		}
	}
	body, err := io.ReadAll(msg.Body)
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	parts := 0
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var content io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			content = quotedprintable.NewReader(p)
		}
		text, err := io.ReadAll(content)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(p.Header.Get("Content-Type") + "\n" + string(text) + "\n")
		parts++
	}
	if parts != 2 {
		t.Fatalf("the message has %d parts, want a text and an HTML part", parts)
	}
	return b.String()
}
