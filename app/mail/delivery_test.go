package mail

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store/storetest"
)

// An SMTP server that is down, and then refuses, loses no message: the job is retried
// with backoff until the server takes it, once.
func TestSMTPDownOrRefusingLosesNothing(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			b := newBoard(t, driver)
			// An address where nothing listens yet.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close()
			sender, err := NewSMTP(config.Mail{SMTP: addr, SMTPLabel: "smtp://" + addr, From: b.cfg.Mail.From})
			if err != nil {
				t.Fatal(err)
			}
			m := b.newMailer(t, sender, fastTuning())
			b.enqueue(t, m, b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer))
			run(t, m)
			attempts := func() int {
				var n int
				storetest.Scan(t, b.st, &n, "SELECT COALESCE(MAX(attempt), 0) FROM river_job WHERE kind = 'mail_notification'")
				return n
			}
			waitFor(t, "two attempts while the server is down", 30*time.Second, func() bool { return attempts() >= 2 })

			srv := startSMTP(t, addr, nil)
			srv.Refuse(2)
			srv.Wait("the message", 30*time.Second, func(s *smtpServer) bool { return len(s.accepted) == 1 })
			waitFor(t, "the job completed", 30*time.Second, func() bool { return jobs(t, b.st, "completed") == 1 })
			// The first attempt failed while the server was down (the second had begun), the
			// server then refused twice and took the third it answered: at least four. The
			// second may have reached the server once it was up, so no more is certain.
			if n := attempts(); n < 4 {
				t.Errorf("the message went in %d attempts; one down, two refused and one taken make at least four", n)
			}
			time.Sleep(300 * time.Millisecond)
			if n := srv.Count(); n != 1 || sentCount(t, b.st) != 1 {
				t.Fatalf("accepted %d, recorded %d: want one of each", n, sentCount(t, b.st))
			}
			// The failures were recorded without the member's address.
			var leaks int
			storetest.Scan(t, b.st, &leaks, "SELECT COUNT(*) FROM river_job WHERE CAST(errors AS TEXT) LIKE ?", "%"+b.parent.Email+"%")
			var failures int
			storetest.Scan(t, b.st, &failures, "SELECT COUNT(*) FROM river_job WHERE CAST(errors AS TEXT) LIKE ?", "%try again later%")
			if leaks != 0 || failures != 1 {
				t.Fatalf("errors recorded: %d with the address, %d with the refusal", leaks, failures)
			}
		})
	}
}

// selfSigned returns a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "smtp.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// smtp:// with a user and password: STARTTLS because the server offers it, then the
// password, over the encrypted connection only.
func TestSTARTTLSAndPassword(t *testing.T) {
	cert, roots := selfSigned(t)
	b := newBoard(t, "sqlite")
	srv := startSMTP(t, "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	srv.RequireAuth("forum", "s3cret")
	sender, err := newSMTP(config.Mail{SMTP: srv.addr, Username: "forum", Password: "s3cret", From: b.cfg.Mail.From}, roots)
	if err != nil {
		t.Fatal(err)
	}
	m := b.newMailer(t, sender, fastTuning())
	b.enqueue(t, m, b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer))
	run(t, m)
	srv.Wait("the message", 30*time.Second, func(s *smtpServer) bool { return len(s.accepted) == 1 })
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.overTLS != 1 || srv.authTries != 1 {
		t.Fatalf("%d messages over TLS, %d passwords received; want 1 and 1", srv.overTLS, srv.authTries)
	}
}

// A server that offers no encryption never receives the password: nothing is sent.
func TestNoPasswordInTheClear(t *testing.T) {
	b := newBoard(t, "sqlite")
	srv := startSMTPWith(t, "127.0.0.1:0", nil, func(s *smtp.Server) { s.AllowInsecureAuth = true })
	srv.RequireAuth("forum", "s3cret")
	sender, err := newSMTP(config.Mail{SMTP: srv.addr, Username: "forum", Password: "s3cret", From: b.cfg.Mail.From}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := b.newMailer(t, sender, fastTuning())
	b.enqueue(t, m, b.notify(t, model.NotifyAnswer, b.parent, b.question, b.answer))
	run(t, m)
	waitFor(t, "a failed attempt", 30*time.Second, func() bool {
		return jobs(t, b.st, "available")+jobs(t, b.st, "retryable") == 1 && attemptsOf(t, b) >= 1
	})
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if srv.authTries != 0 || len(srv.accepted) != 0 {
		t.Fatalf("%d passwords received in the clear, %d messages", srv.authTries, len(srv.accepted))
	}
	var errs string
	storetest.Scan(t, b.st, &errs, "SELECT CAST(errors AS TEXT) FROM river_job WHERE kind = 'mail_notification'")
	if strings.Contains(errs, "s3cret") {
		t.Fatalf("the password is in the job's errors: %s", errs)
	}
}

func attemptsOf(t *testing.T, b *board) int {
	var n int
	storetest.Scan(t, b.st, &n, "SELECT COALESCE(MAX(attempt), 0) FROM river_job WHERE kind = 'mail_notification' AND errors IS NOT NULL")
	return n
}
