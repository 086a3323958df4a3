package mail

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	netmail "net/mail"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// The child process of TestKillMidBatch reads what to do from these variables.
const (
	childEnv       = "FORUM_MAIL_TEST_CHILD"
	childDriverEnv = "FORUM_MAIL_TEST_DRIVER"
	childDSNEnv    = "FORUM_MAIL_TEST_DSN"
	childSMTPEnv   = "FORUM_MAIL_TEST_SMTP"
	childRescueEnv = "FORUM_MAIL_TEST_RESCUE"
)

// TestSenderChild is the sending node of TestKillMidBatch, run in a process of its own so
// that it can be killed with SIGKILL: it works the queue until it is killed or told to stop.
func TestSenderChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("the child process of TestKillMidBatch; runs only there")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	driver, dsn := os.Getenv(childDriverEnv), os.Getenv(childDSNEnv)
	st, err := store.Open(ctx, driver, dsn, "child")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	base, _ := url.Parse("https://forum.example.org")
	cfg := &config.Config{Driver: driver, DatabaseDSN: dsn, BaseURL: base, SessionSecret: []byte("0123456789abcdef0123456789abcdef")}
	sender, err := NewSMTP(config.Mail{SMTP: os.Getenv(childSMTPEnv), SMTPLabel: "test", From: &netmail.Address{Address: "forum@example.org"}})
	if err != nil {
		t.Fatal(err)
	}
	tuning := fastTuning()
	if d, _ := time.ParseDuration(os.Getenv(childRescueEnv)); d > 0 {
		tuning.JobTimeout, tuning.RescueAfter = d/2, d
	}
	m, err := New(Options{Store: st, Config: cfg, Sender: sender, SiteName: "Kinship", Tuning: tuning,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	m.Run(ctx)
}

// child is a running TestSenderChild.
type child struct {
	cmd *exec.Cmd
	out *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startChild starts a sending node on b's database, sending to srv. rescue, when set,
// is how long a job may stay running before this node runs it again.
func startChild(t *testing.T, b *board, srv *smtpServer, rescue time.Duration) *child {
	t.Helper()
	c := &child{out: &lockedBuffer{}}
	c.cmd = exec.Command(os.Args[0], "-test.run=^TestSenderChild$", "-test.count=1", "-test.v")
	c.cmd.Env = append(os.Environ(), childEnv+"=1", childDriverEnv+"="+b.cfg.Driver, childDSNEnv+"="+b.cfg.DatabaseDSN,
		childSMTPEnv+"="+srv.addr, childRescueEnv+"="+rescue.String())
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			_ = c.cmd.Process.Kill()
			_ = c.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("child %d said:\n%s", c.cmd.Process.Pid, c.out.String())
		}
	})
	return c
}

// A batch of messages goes out through a sending node that is killed with SIGKILL in the
// middle of it, and then through a new one: the SMTP server receives every message
// exactly once. The kill is deterministic: the server accepts k messages, then holds the
// next ones unanswered; once the k are recorded as sent, the node is killed with the held
// ones in flight. They were never accepted, so they must come again, and the k must not.
func TestKillMidBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts a sending process; about 20 seconds")
	}
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			const batch, k = 30, 10
			b := newBoard(t, driver)
			srv := startSMTP(t, "127.0.0.1:0", nil)
			srv.HoldAfter(k)
			// This node only queues: the fan-out's transaction, on another node.
			queuer := b.newMailer(t, nil, fastTuning())
			var ns []*model.Notification
			want := map[int64]bool{}
			for range batch {
				n := b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer)
				ns = append(ns, n)
				want[n.ID] = true
			}
			b.enqueue(t, queuer, ns...)

			first := startChild(t, b, srv, 0)
			srv.Wait(fmt.Sprintf("%d messages accepted and one held", k), 60*time.Second,
				func(s *smtpServer) bool { return len(s.accepted) == k && s.held > 0 })
			waitFor(t, "the accepted messages recorded as sent", 30*time.Second, func() bool { return sentCount(t, b.st) == k })
			if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			_ = first.cmd.Wait()
			if n := jobs(t, b.st, "running"); n == 0 {
				t.Fatalf("no job was in flight when the node was killed")
			}
			srv.Release()
			if n, sent := srv.Count(), sentCount(t, b.st); n != k || sent != k {
				t.Fatalf("after the kill: %d accepted, %d recorded; want %d", n, sent, k)
			}
			t.Logf("killed with %d messages accepted and %d jobs in flight", k, jobs(t, b.st, "running"))

			second := startChild(t, b, srv, 2*time.Second)
			srv.Wait("every message", 120*time.Second, func(s *smtpServer) bool { return len(s.accepted) >= batch })
			waitFor(t, "every job completed", 60*time.Second, func() bool { return jobs(t, b.st, "completed") == batch })
			time.Sleep(500 * time.Millisecond) // room for a wrong extra message to arrive
			_ = second.cmd.Process.Signal(syscall.SIGTERM)
			_ = second.cmd.Wait()

			for _, c := range []*child{first, second} {
				if out := c.out.String(); strings.Contains(out, "database is locked") || strings.Contains(out, "SQLITE_BUSY") {
					t.Errorf("a sending node met a busy database:\n%s", out)
				}
			}
			if d := srv.Duplicates(); len(d) > 0 {
				t.Fatalf("messages received more than once: %v", d)
			}
			msgs, _ := srv.Messages()
			if len(msgs) != batch || sentCount(t, b.st) != batch {
				t.Fatalf("%d messages received, %d recorded; want %d", len(msgs), sentCount(t, b.st), batch)
			}
			for _, msg := range msgs {
				var id, ms int64
				if _, err := fmt.Sscanf(msg.Header.Get("Message-ID"), "<n%d.%d@forum.example.org>", &id, &ms); err != nil || !want[id] {
					t.Fatalf("unexpected Message-ID %q", msg.Header.Get("Message-ID"))
				}
				delete(want, id)
			}
			if len(want) != 0 {
				t.Fatalf("never received: notifications %v", want)
			}
		})
	}
}
