package web_test

import (
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"forum/app/config"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
)

// TestBrowserDevMailUnsubscribe is the newcomer's look at the forum's e-mail in
// development: the asker's message in /dev/mail, its unsubscribe link, the button, done.
func TestBrowserDevMailUnsubscribe(t *testing.T) {
	ctx := browser(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	e, m := newMailEnv(t, config.DriverSQLite, base)
	ts := httptest.NewUnstartedServer(e.srv.Handler())
	ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	defer ts.Close()
	dir := screenshotDir(t)

	q, err := e.forum.Ask(context.Background(), e.parent, forum.AskInput{Title: "Our son stopped answering his phone", Body: "Three days now.", Tags: []string{"craft"}})
	if err != nil {
		t.Fatal(err)
	}
	answer, err := e.forum.Reply(context.Background(), e.coach, q.ID, forum.ReplyInput{Body: "Send one short, warm message and wait."})
	if err != nil {
		t.Fatal(err)
	}
	n := notifyForTest(t, e.st, model.NotifyAnswer, e.parent.ID, q.ID, answer.ID)
	if err := e.st.Tx(context.Background(), func(tx *store.Tx) error { return m.Enqueue(context.Background(), tx, n) }); err != nil {
		t.Fatal(err)
	}
	runMailer(t, m)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(rec(e, "/dev/mail"), "dev-mail-subject") {
		if time.Now().After(deadline) {
			t.Fatal("no message in the development mailbox")
		}
		time.Sleep(50 * time.Millisecond)
	}

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/dev/mail"),
		chromedp.WaitVisible(chromedp.CSS(".dev-mail-subject")),
	); err != nil {
		t.Fatal(err)
	}
	subject := run(t, ctx, chromedp.Text(chromedp.CSS(".dev-mail-subject")))
	mailbox := run(t, ctx, chromedp.Text(chromedp.CSS(".page-dev-mail")))
	mailShot := run(t, ctx, chromedp.FullScreenshot(100))
	if subject != "Kinship: an expert answered your question" || strings.Contains(mailbox, "stopped answering") || strings.Contains(mailbox, "warm message") {
		t.Fatalf("the mailbox shows %q:\n%s", subject, mailbox)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("a.dev-mail-unsubscribe")),
		chromedp.WaitVisible(chromedp.CSS("#unsubscribe")),
	); err != nil {
		t.Fatal(err)
	}
	askShot := run(t, ctx, chromedp.FullScreenshot(100))
	if got := e.delivery(e.parent, model.NotifyAnswer); got != model.DeliveryNow {
		t.Fatalf("opening the link changed the choice to %s", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#unsubscribe")),
		chromedp.WaitVisible(chromedp.CSS(".page-unsubscribe .notice")),
	); err != nil {
		t.Fatal(err)
	}
	done := run(t, ctx, chromedp.Text(chromedp.CSS(".page-unsubscribe")))
	doneShot := run(t, ctx, chromedp.FullScreenshot(100))
	if !strings.Contains(done, "You will not get e-mail when an expert answers your question any more.") {
		t.Fatalf("after the button: %s", done)
	}
	if got := e.delivery(e.parent, model.NotifyAnswer); got != model.DeliveryNever {
		t.Fatalf("after the button, answers are e-mailed %s", got)
	}
	for name, shot := range map[string][]byte{"dev-mail": mailShot, "unsubscribe-ask": askShot, "unsubscribe-done": doneShot} {
		p := filepath.Join(dir, "mail-"+name+".png")
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}
