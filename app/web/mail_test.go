package web_test

import (
	"bytes"
	"context"
	"html"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/app/config"
	"forum/app/forum"
	"forum/app/mail"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/app/web"
)

// testSecret is the session secret of newEnvWith's configuration.
var testSecret = []byte("test-secret-test-secret-test-secret!")

func (e *env) delivery(u *model.User, kind model.NotifyKind) model.Delivery {
	e.t.Helper()
	d, err := e.st.MailDelivery(context.Background(), u.ID, kind)
	if err != nil {
		e.t.Fatal(err)
	}
	return d
}

// oneClick posts as a mail client does (RFC 8058): no cookie, no CSRF token, from elsewhere.
func (e *env) oneClick(path string, multipartBody bool) *httptest.ResponseRecorder {
	e.t.Helper()
	body, ctype := strings.NewReader("List-Unsubscribe=One-Click"), "application/x-www-form-urlencoded"
	var req *http.Request
	if multipartBody {
		var b bytes.Buffer
		w := multipart.NewWriter(&b)
		_ = w.WriteField("List-Unsubscribe", "One-Click")
		_ = w.Close()
		req = httptest.NewRequest(http.MethodPost, path, &b)
		ctype = w.FormDataContentType()
	} else {
		req = httptest.NewRequest(http.MethodPost, path, body)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	rec := httptest.NewRecorder()
	e.srv.Handler().ServeHTTP(rec, req)
	return rec
}

// A link in an e-mail stops that kind of e-mail without signing in: the page asks first
// and changes nothing; the one-click POST of a mail client, without session or CSRF
// token, stops it. A forged, damaged or expired link gets a calm page and changes nothing.
func TestOneClickUnsubscribe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		tokens := mail.NewTokens(testSecret, nil)
		token := tokens.Unsubscribe(e.parent.ID, string(model.NotifyAnswer))

		rec := e.get("/unsubscribe/" + token)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET the link = %d", rec.Code)
		}
		mustContain(t, html.UnescapeString(rec.Body.String()), "Stop e-mail when an expert answers your question?", `action="/unsubscribe/`+token+`"`)
		if d := e.delivery(e.parent, model.NotifyAnswer); d != model.DeliveryNow {
			t.Fatalf("opening the link changed the choice to %s", d)
		}

		for i := range 2 { // twice: the second changes nothing more
			rec = e.oneClick("/unsubscribe/"+token, false)
			if rec.Code != http.StatusOK {
				t.Fatalf("one-click POST #%d = %d", i+1, rec.Code)
			}
			mustContain(t, rec.Body.String(), "You will not get e-mail when an expert answers your question any more.")
		}
		if d := e.delivery(e.parent, model.NotifyAnswer); d != model.DeliveryNever {
			t.Fatalf("after unsubscribing, answers are e-mailed %s", d)
		}
		if d := e.delivery(e.parent, model.NotifyApproved); d != model.DeliveryNow {
			t.Fatalf("unsubscribing from answers changed approvals to %s", d)
		}
		// A mail client may send the same as multipart/form-data.
		if rec := e.oneClick("/unsubscribe/"+tokens.Unsubscribe(e.parent.ID, string(model.NotifyApproved)), true); rec.Code != http.StatusOK {
			t.Fatalf("multipart one-click POST = %d", rec.Code)
		}
		if d := e.delivery(e.parent, model.NotifyApproved); d != model.DeliveryNever {
			t.Fatalf("after unsubscribing, approvals are e-mailed %s", d)
		}
		// The confirmation page's own button works too, signed in or not.
		c := e.as(e.spouse)
		storetest.Exec(t, st, "INSERT INTO notification_prefs (user_id, kind, delivery) VALUES (?, ?, ?)", e.spouse.ID, model.NotifyMention, model.DeliveryNow)
		mention := tokens.Unsubscribe(e.spouse.ID, string(model.NotifyMention))
		c.get("/unsubscribe/" + mention)
		if rec := c.do(http.MethodPost, "/unsubscribe/"+mention, strings.NewReader("")); rec.Code != http.StatusOK || e.delivery(e.spouse, model.NotifyMention) != model.DeliveryNever {
			t.Fatalf("the page's button = %d, mentions e-mailed %s", rec.Code, e.delivery(e.spouse, model.NotifyMention))
		}

		// Links that are not the forum's, or no longer valid.
		storetest.Exec(t, st, "INSERT INTO notification_prefs (user_id, kind, delivery) VALUES (?, ?, ?)", e.spouse.ID, model.NotifyReply, model.DeliveryNow)
		good := tokens.Unsubscribe(e.spouse.ID, string(model.NotifyReply))
		parts := strings.Split(good, ".")
		otherMember := strings.Join(append([]string{parts[0], strconv.FormatInt(e.coach.ID, 36)}, parts[2:]...), ".")
		otherKind := strings.Join(append([]string{parts[0], parts[1], "answer"}, parts[3:]...), ".")
		flipped := good[:len(good)-1] + map[bool]string{true: "A", false: "B"}[good[len(good)-1] != 'A']
		forged := map[string]string{
			"another member's":   otherMember,
			"another kind":       otherKind,
			"a flipped letter":   flipped,
			"cut short":          good[:len(good)-5],
			"another secret's":   mail.NewTokens([]byte("another-secret-another-secret-12345"), nil).Unsubscribe(e.spouse.ID, string(model.NotifyReply)),
			"made up":            "1.abc.reply.zzzz.notasignature",
			"of an unknown kind": "garbage",
		}
		for what, tok := range forged {
			for _, rec := range []*httptest.ResponseRecorder{e.get("/unsubscribe/" + url.PathEscape(tok)), e.oneClick("/unsubscribe/"+url.PathEscape(tok), false)} {
				if rec.Code != http.StatusBadRequest {
					t.Errorf("a link %s = %d, want 400", what, rec.Code)
				}
				mustContain(t, rec.Body.String(), "This link does not work", "Nothing was changed.", `href="/account"`)
			}
		}
		expired := mail.NewTokens(testSecret, func() time.Time { return time.Now().Add(-mail.TokenLifetime - time.Hour) }).
			Unsubscribe(e.spouse.ID, string(model.NotifyReply))
		for _, rec := range []*httptest.ResponseRecorder{e.get("/unsubscribe/" + expired), e.oneClick("/unsubscribe/"+expired, false)} {
			if rec.Code != http.StatusBadRequest {
				t.Errorf("an expired link = %d, want 400", rec.Code)
			}
			mustContain(t, rec.Body.String(), "This link is too old", "Nothing was changed.")
		}
		if d := e.delivery(e.spouse, model.NotifyReply); d != model.DeliveryNow {
			t.Fatalf("a bad link changed replies to %s", d)
		}
		if d := e.delivery(e.coach, model.NotifyReply); d != model.DeliveryNever {
			t.Fatalf("the coach's replies: %s", d)
		}
		if strings.Contains(e.logs(), good[len(good)-10:]) || strings.Contains(e.logs(), token[len(token)-10:]) {
			t.Fatal("an unsubscribe token is in the log")
		}

		// A digest's link stops the digest: every kind that was in it.
		storetest.Exec(t, st, "UPDATE notification_prefs SET delivery = ? WHERE user_id = ? AND kind = ?", model.DeliveryDigest, e.spouse.ID, model.NotifyReply)
		storetest.Exec(t, st, "UPDATE notification_prefs SET delivery = ? WHERE user_id = ? AND kind = ?", model.DeliveryDigest, e.spouse.ID, model.NotifyMention)
		if rec := e.oneClick("/unsubscribe/"+tokens.Unsubscribe(e.spouse.ID, "digest"), false); rec.Code != http.StatusOK {
			t.Fatalf("one-click on a digest's link = %d", rec.Code)
		}
		for _, k := range []model.NotifyKind{model.NotifyReply, model.NotifyMention} {
			if d := e.delivery(e.spouse, k); d != model.DeliveryNever {
				t.Errorf("after the digest's link, %s is %s", k, d)
			}
		}
	})
}

var unsubscribeLink = regexp.MustCompile(`href="https://forum\.example\.org(/unsubscribe/[^"]+)" class="dev-mail-unsubscribe"`)

// The newcomer's journey in development: the coach answers the parent's question, and the
// development mailbox at /dev/mail holds one message to the parent that tells neither the
// question's title nor anyone's words, whose one-click unsubscribe link works.
func TestDevMailboxAfterAnAnswer(t *testing.T) {
	for _, driver := range storetest.Drivers(t) {
		t.Run(driver, func(t *testing.T) {
			ctx := context.Background()
			e, m := newMailEnv(t, driver, "https://forum.example.org")
			st := e.st
			if rec := e.get("/dev/mail"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "No e-mail yet") {
				t.Fatalf("empty mailbox = %d", rec.Code)
			}

			const title = "Our daughter Marisol skipped her probation meeting"
			const words = "She came home at dawn and the officer called twice."
			q, err := e.forum.Ask(ctx, e.parent, forum.AskInput{Title: title, Body: words, Tags: []string{"craft"}})
			if err != nil {
				t.Fatal(err)
			}
			coach := e.as(e.coach)
			coach.get("/t/" + strconv.FormatInt(q.ID, 10))
			if rec := coach.post("/t/"+strconv.FormatInt(q.ID, 10)+"/reply", url.Values{"body": {"Call the officer back together, calmly, tonight."}}); rec.Code != http.StatusSeeOther {
				t.Fatalf("the coach's answer = %d", rec.Code)
			}
			var answerID int64
			storetest.Scan(t, st, &answerID, "SELECT MAX(id) FROM posts WHERE thread_id = ?", q.ID)

			// The fan-out (app/notify) notifies the asker and queues the e-mail in its transaction.
			n := notifyForTest(t, st, model.NotifyAnswer, e.parent.ID, q.ID, answerID)
			if err := st.Tx(ctx, func(tx *store.Tx) error { return m.Enqueue(ctx, tx, n) }); err != nil {
				t.Fatal(err)
			}
			runMailer(t, m)

			var body string
			deadline := time.Now().Add(30 * time.Second)
			for {
				rec := e.get("/dev/mail")
				body = html.UnescapeString(rec.Body.String())
				if strings.Contains(body, "dev-mail-subject") {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("no message in /dev/mail after 30s")
				}
				time.Sleep(50 * time.Millisecond)
			}
			if got := strings.Count(body, `class="dev-mail"`); got != 1 {
				t.Fatalf("%d messages in the mailbox, want 1", got)
			}
			mustContain(t, body, "Kinship: an expert answered your question", "To "+e.parent.Email,
				"An expert answered your question.", "https://forum.example.org/t/"+strconv.FormatInt(q.ID, 10)+"#post-"+strconv.FormatInt(answerID, 10),
				"List-Unsubscribe-Post: List-Unsubscribe=One-Click")
			// The fixtures' addresses hold pseudonyms: the address is the one place it may be.
			mustNotContain(t, strings.ReplaceAll(body, e.parent.Email, ""), title, "Marisol", "probation", "dawn", "officer", "tonight", e.coach.Pseudonym, e.parent.Pseudonym)

			link := unsubscribeLink.FindStringSubmatch(rec(e, "/dev/mail"))
			if link == nil {
				t.Fatal("no unsubscribe link in the mailbox")
			}
			if rec := e.get(link[1]); rec.Code != http.StatusOK {
				t.Fatalf("GET the message's unsubscribe link = %d", rec.Code)
			}
			if rec := e.oneClick(link[1], false); rec.Code != http.StatusOK {
				t.Fatalf("one-click on the message's unsubscribe link = %d", rec.Code)
			}
			if d := e.delivery(e.parent, model.NotifyAnswer); d != model.DeliveryNever {
				t.Fatalf("after the message's unsubscribe link, answers are e-mailed %s", d)
			}

			// Outside development there is no mailbox.
			prod := newEnvWith(t, st, envOptions{})
			if rec := prod.get("/dev/mail"); rec.Code != http.StatusNotFound {
				t.Fatalf("/dev/mail outside development = %d, want 404", rec.Code)
			}
		})
	}
}

func rec(e *env, path string) string { return e.get(path).Body.String() }

// newMailEnv is a forum in development mode on driver, with the e-mail queue's tables and
// a Mailer that keeps messages in the development mailbox (not running yet: runMailer).
func newMailEnv(t *testing.T, driver, baseURL string) (*env, *mail.Mailer) {
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
	if _, err := mail.Migrate(ctx, st, driver, dsn); err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, st, envOptions{fixtures: true, dev: true, baseURL: baseURL})
	cfg := &config.Config{Driver: driver, DatabaseDSN: dsn, BaseURL: mustURL(t, baseURL), SessionSecret: testSecret}
	m, err := mail.New(mail.Options{Store: st, Config: cfg, SiteName: web.SiteName,
		Sender: mail.NewDevMailbox(st, &netmail.Address{Address: "forum@localhost"}),
		Tuning: mail.Tuning{PollInterval: 50 * time.Millisecond, TestOnly: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return e, m
}

// runMailer works m's queue until the test ends.
func runMailer(t *testing.T, m *mail.Mailer) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { m.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// notifyForTest writes a notification as the fan-out (app/notify) does.
func notifyForTest(t *testing.T, st *store.Store, kind model.NotifyKind, userID, threadID, postID int64) *model.Notification {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	var eventID, id int64
	storetest.Scan(t, st, &eventID, `INSERT INTO notify_events (kind, thread_id, post_id, user_id, reason, created_at, fanned_out_at)
		VALUES (?, ?, ?, ?, '', ?, ?) RETURNING id`, kind, threadID, postID, userID, now, now)
	storetest.Scan(t, st, &id, `INSERT INTO notifications (user_id, event_id, kind, thread_id, post_id, reason, created_at)
		VALUES (?, ?, ?, ?, ?, '', ?) RETURNING id`, userID, eventID, kind, threadID, postID, now)
	return &model.Notification{ID: id, UserID: userID, EventID: eventID, Kind: kind, ThreadID: &threadID, PostID: &postID, CreatedAt: now}
}
