package mail

import (
	"context"
	"os"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// Two nodes on one PostgreSQL database work one queue: each message leaves once.
func TestTwoNodesSendEachMessageOnce(t *testing.T) {
	if os.Getenv(storetest.PostgresEnv) == "" {
		t.Skipf("%s is unset: several nodes share PostgreSQL only", storetest.PostgresEnv)
	}
	const batch = 40
	b := newBoard(t, config.DriverPostgres)
	srv := startSMTP(t, "127.0.0.1:0", nil)
	// Each node has work in flight when the other looks for more.
	srv.mu.Lock()
	srv.delay = 20 * time.Millisecond
	srv.mu.Unlock()
	other, err := store.Open(context.Background(), b.cfg.Driver, b.cfg.DatabaseDSN, "other node")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })

	nodeA := fastTuning()
	nodeA.ID = "node-a"
	nodeB := fastTuning()
	nodeB.ID = "node-b"
	a := b.newMailer(t, smtpSender(t, b.cfg, srv), nodeA)
	onB := &board{st: other, cfg: b.cfg}
	bm := onB.newMailer(t, smtpSender(t, b.cfg, srv), nodeB)
	var ns []*model.Notification
	for range batch {
		ns = append(ns, b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer))
	}
	// Half queued on each node.
	b.enqueue(t, a, ns[:batch/2]...)
	onB.enqueue(t, bm, ns[batch/2:]...)
	run(t, a)
	run(t, bm)

	srv.Wait("every message", 60*time.Second, func(s *smtpServer) bool { return len(s.accepted) >= batch })
	waitFor(t, "every job completed", 30*time.Second, func() bool { return jobs(t, b.st, "completed") == batch })
	time.Sleep(500 * time.Millisecond)
	if d := srv.Duplicates(); len(d) > 0 {
		t.Fatalf("messages sent twice: %v", d)
	}
	if n := srv.Count(); n != batch || sentCount(t, b.st) != batch {
		t.Fatalf("%d accepted, %d recorded; want %d", n, sentCount(t, b.st), batch)
	}
	var byNode []struct {
		Node string `bun:"node"`
		N    int    `bun:"n"`
	}
	storetest.Scan(t, b.st, &byNode, `SELECT attempted_by[array_length(attempted_by, 1)] AS node, COUNT(*) AS n
		FROM river_job WHERE kind = 'mail_notification' GROUP BY 1 ORDER BY 1`)
	t.Logf("messages sent by node: %+v", byNode)
	if len(byNode) != 2 {
		t.Fatalf("the messages were sent by %+v; want both nodes to take part", byNode)
	}
}
