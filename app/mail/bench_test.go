package mail

import (
	"testing"
	"time"

	"forum/app/model"
	"forum/app/store/storetest"
)

// BenchmarkSendToLocalSMTP measures messages per second from the queue to an SMTP server
// on this machine, with the production settings (8 messages at once per node, a new
// connection for each): queued in one transaction, composed, checked, sent, recorded.
//
//	go test ./app/mail -run '^$' -bench SendToLocalSMTP -benchtime 500x
func BenchmarkSendToLocalSMTP(b *testing.B) {
	for _, driver := range storetest.Drivers(b) {
		b.Run(driver, func(b *testing.B) {
			bd := newBoard(b, driver)
			srv := startSMTP(b, "127.0.0.1:0", nil)
			m := bd.newMailer(b, smtpSender(b, bd.cfg, srv), Tuning{TestOnly: true})
			ns := make([]*model.Notification, b.N)
			for i := range ns {
				ns[i] = bd.notify(b, model.NotifyAnswer, bd.parent, bd.question, bd.answer)
			}
			bd.enqueue(b, m, ns...)
			b.ResetTimer()
			start := time.Now()
			run(b, m)
			srv.Wait("every message", 10*time.Minute, func(s *smtpServer) bool { return len(s.accepted) == b.N })
			waitFor(b, "every message recorded", time.Minute, func() bool { return sentCount(b, bd.st) == b.N })
			elapsed := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
		})
	}
}
