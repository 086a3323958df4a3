package mail

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	netmail "net/mail"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// smtpServer is a real SMTP server (go-smtp) on a loopback port, inside the test. It
// counts the messages it accepted by Message-ID, and can refuse, or hold, what it is sent.
type smtpServer struct {
	t    testing.TB
	srv  *smtp.Server
	addr string

	mu       sync.Mutex
	accepted []*netmail.Message
	raw      [][]byte
	byID     map[string]int
	refuse   int           // refuse this many more messages with 451
	holdFrom int           // from this many accepted messages on, hold DATA (0: never)
	held     int           // sessions holding a message now
	release  chan struct{} // closed to let held messages go (refused)
	changed  chan struct{} // closed and replaced at every change
	auth     *[2]string    // user and password required, when set
	// authTries counts the passwords received; overTLS the messages accepted over TLS.
	authTries, overTLS int
	// delay is how long the server takes to accept a message.
	delay time.Duration
}

type smtpSession struct {
	s    *smtpServer
	conn *smtp.Conn
	auth bool
}

// startSMTP starts a server on addr ("127.0.0.1:0" for any port).
func startSMTP(t testing.TB, addr string, tlsConfig *tls.Config) *smtpServer {
	t.Helper()
	return startSMTPWith(t, addr, tlsConfig, nil)
}

// startSMTPWith starts a server on addr, with configure's changes to go-smtp's settings.
func startSMTPWith(t testing.TB, addr string, tlsConfig *tls.Config, configure func(*smtp.Server)) *smtpServer {
	t.Helper()
	s := &smtpServer{t: t, byID: map[string]int{}, release: make(chan struct{}), changed: make(chan struct{})}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	}))
	s.srv.Domain = "smtp.test"
	s.srv.TLSConfig = tlsConfig
	s.srv.ReadTimeout, s.srv.WriteTimeout = 30*time.Second, 30*time.Second
	s.srv.ErrorLog = discardLog{}
	if configure != nil {
		configure(s.srv)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go s.srv.Serve(ln) //nolint:errcheck
	t.Cleanup(func() { s.Close() })
	return s
}

// Close stops the server; held messages are refused.
func (s *smtpServer) Close() {
	s.Release()
	s.srv.Close()
}

type discardLog struct{}

func (discardLog) Printf(string, ...any) {}
func (discardLog) Println(...any)        {}

// notify wakes whoever waits for a change. Called with s.mu held.
func (s *smtpServer) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Refuse makes the server answer the next n messages with 451 (try again later).
func (s *smtpServer) Refuse(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = n
}

// HoldAfter makes the server hold every message after the first n accepted: it reads it
// and does not answer until Release, which refuses it.
func (s *smtpServer) HoldAfter(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdFrom = n
}

// Release answers the held messages with a refusal and holds no more.
func (s *smtpServer) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.holdFrom = 0
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

// RequireAuth makes the server require AUTH PLAIN with user and password before MAIL.
func (s *smtpServer) RequireAuth(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.auth = &[2]string{user, password}
}

// Wait waits until cond (called with the lock held) is true, or fails the test.
func (s *smtpServer) Wait(what string, timeout time.Duration, cond func(s *smtpServer) bool) {
	s.t.Helper()
	deadline := time.After(timeout)
	for {
		s.mu.Lock()
		ok, ch := cond(s), s.changed
		s.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			s.t.Fatalf("the SMTP server waited %s for %s; it accepted %d messages", timeout, what, s.Count())
		}
	}
}

// Count returns how many messages the server accepted.
func (s *smtpServer) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.accepted)
}

// Held returns how many messages the server holds now.
func (s *smtpServer) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.held
}

// Messages returns the accepted messages, parsed, and their raw bytes.
func (s *smtpServer) Messages() ([]*netmail.Message, [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*netmail.Message(nil), s.accepted...), append([][]byte(nil), s.raw...)
}

// Duplicates returns the Message-IDs accepted more than once.
func (s *smtpServer) Duplicates() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for id, n := range s.byID {
		if n > 1 {
			out[id] = n
		}
	}
	return out
}

func (c *smtpSession) AuthMechanisms() []string {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.s.auth == nil {
		return nil
	}
	return []string{sasl.Plain}
}

func (c *smtpSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		c.s.mu.Lock()
		defer c.s.mu.Unlock()
		c.s.authTries++
		if c.s.auth == nil || username != c.s.auth[0] || password != c.s.auth[1] {
			return errors.New("invalid credentials")
		}
		c.auth = true
		return nil
	}), nil
}

func (c *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	c.s.mu.Lock()
	defer c.s.mu.Unlock()
	if c.s.auth != nil && !c.auth {
		return &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "authentication required"}
	}
	return nil
}

func (c *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }

func (c *smtpSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := c.s
	s.mu.Lock()
	delay := s.delay
	s.mu.Unlock()
	time.Sleep(delay)
	s.mu.Lock()
	if s.refuse > 0 {
		s.refuse--
		s.notify()
		s.mu.Unlock()
		return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	if s.holdFrom > 0 && len(s.accepted) >= s.holdFrom {
		s.held++
		s.notify()
		release := s.release
		s.mu.Unlock()
		<-release
		s.mu.Lock()
		s.held--
		s.notify()
		s.mu.Unlock()
		return &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "closing"}
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		s.mu.Unlock()
		return &smtp.SMTPError{Code: 554, Message: "unreadable message"}
	}
	if _, ok := c.conn.TLSConnectionState(); ok {
		s.overTLS++
	}
	s.accepted = append(s.accepted, msg)
	s.raw = append(s.raw, raw)
	s.byID[msg.Header.Get("Message-ID")]++
	s.notify()
	s.mu.Unlock()
	return nil
}

func (c *smtpSession) Reset()        {}
func (c *smtpSession) Logout() error { return nil }
