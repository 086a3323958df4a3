package mail

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
)

// Sender hands a message to whatever delivers it, and returns what it answered on
// accepting it (the SMTP server's reply).
type Sender interface {
	Send(ctx context.Context, m *Message) (answer string, err error)
}

// build writes m as a MIME message from from: a plain text part and an HTML alternative,
// a stable Message-ID, and the one-click unsubscribe headers of RFC 8058.
func build(from *netmail.Address, m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	if err := msg.To(m.To); err != nil {
		return nil, errors.New("the member's address cannot be written in a message")
	}
	msg.Subject(m.Subject)
	msg.SetDateWithValue(m.Date)
	msg.SetMessageIDWithValue(strings.TrimSuffix(strings.TrimPrefix(m.MessageID, "<"), ">"))
	msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribe, "<"+m.Unsubscribe+">")
	msg.SetGenHeaderPreformatted(gomail.HeaderListUnsubscribePost, "List-Unsubscribe=One-Click")
	// Sent by a machine: out-of-office replies and other auto-answers stay quiet (RFC 3834).
	msg.SetGenHeaderPreformatted("Auto-Submitted", "auto-generated")
	msg.SetGenHeaderPreformatted(gomail.HeaderXAutoResponseSuppress, "All")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

// SMTP sends messages through an SMTP server, one connection per message: STARTTLS when
// the server offers it (smtp://), TLS from the first byte with smtps://, and the password
// only over an encrypted connection (or by a challenge-response mechanism).
type SMTP struct {
	from   *netmail.Address
	client *gomail.Client
}

// NewSMTP returns a sender through the server of cfg.
func NewSMTP(cfg config.Mail) (*SMTP, error) {
	return newSMTP(cfg, nil)
}

// newSMTP is NewSMTP trusting roots for the server's certificate (tests); nil: the system's.
func newSMTP(cfg config.Mail, roots *x509.CertPool) (*SMTP, error) {
	host, portText, err := net.SplitHostPort(cfg.SMTP)
	if err != nil {
		return nil, fmt.Errorf("FORUM_SMTP_URL: %w", err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("FORUM_SMTP_URL: port %q", portText)
	}
	opts := []gomail.Option{
		gomail.WithPort(port),
		gomail.WithTimeout(30 * time.Second),
		gomail.WithTLSConfig(&tls.Config{ServerName: host, RootCAs: roots, MinVersion: tls.VersionTLS12}),
	}
	if cfg.ImplicitTLS {
		opts = append(opts, gomail.WithSSL())
	} else {
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	client, err := gomail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client for %s: %w", cfg.SMTPLabel, err)
	}
	return &SMTP{from: cfg.From, client: client}, nil
}

// Send delivers m to the SMTP server. A message the server accepted is reported sent even
// when closing the connection failed afterwards: sending it again would duplicate it.
func (s *SMTP) Send(ctx context.Context, m *Message) (string, error) {
	msg, err := build(s.from, m)
	if err != nil {
		return "", err
	}
	err = s.client.DialAndSendWithContext(ctx, msg)
	if msg.IsDelivered() {
		return msg.ServerResponse(), nil
	}
	if err == nil {
		return "", errors.New("the SMTP server did not confirm the message")
	}
	return "", redact(err, m.To)
}

// redact takes the recipient's address out of an error: SMTP servers often repeat it in
// their answers, and errors end up in logs and in the job queue's records.
func redact(err error, address string) error {
	msg := err.Error()
	if address != "" {
		msg = strings.ReplaceAll(msg, address, "<recipient>")
	}
	var se *gomail.SendError
	if errors.As(err, &se) && se.IsTemp() {
		msg = "temporary: " + msg
	}
	return errors.New(msg)
}

// DevMailbox keeps messages in the database instead of sending them, for /dev/mail in
// development: a newcomer sees the forum's e-mail after make run, without a mail server.
type DevMailbox struct {
	store *store.Store
	from  *netmail.Address
	now   func() time.Time
}

// NewDevMailbox returns the development mailbox, writing messages as if from from.
func NewDevMailbox(st *store.Store, from *netmail.Address) *DevMailbox {
	return &DevMailbox{store: st, from: from, now: time.Now}
}

// Send keeps m. Kept twice (a job run again), it is kept once: the Message-ID is unique.
func (d *DevMailbox) Send(ctx context.Context, m *Message) (string, error) {
	msg, err := build(d.from, m)
	if err != nil {
		return "", err
	}
	var raw bytes.Buffer
	if _, err := msg.WriteTo(&raw); err != nil {
		return "", fmt.Errorf("write a development message: %w", err)
	}
	userID := m.UserID
	dm := &model.DevMail{UserID: &userID, MessageID: m.MessageID, To: m.To, Subject: m.Subject,
		TextBody: m.Text, HTMLBody: m.HTML, ListUnsubscribe: m.Unsubscribe, Raw: raw.String(), CreatedAt: d.now().UTC()}
	err = d.store.Tx(ctx, func(tx *store.Tx) error {
		_, err := tx.InsertDevMail(ctx, dm)
		return err
	})
	if err != nil {
		return "", err
	}
	return "kept in the development mailbox", nil
}
