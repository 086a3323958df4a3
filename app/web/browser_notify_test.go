package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"forum/app/config"
	"forum/app/store/storetest"
)

// unreadShown is the unread count the header shows ("" for none).
const unreadShown = `(document.querySelector('#notices-count:not([hidden]) span[aria-hidden="true"]') || {textContent: ""}).textContent`

// TestBrowserExpertAnswerNotifies is the promise of the forum: the parent asks, the coach
// answers (mentioning the parent through the name completion), and the parent's header
// shows one unread notification, which says that an expert answered.
func TestBrowserExpertAnswerNotifies(t *testing.T) {
	ctx := browser(t)
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: true})
	// What the fixtures told the parent is read already.
	e.fanOut()
	if err := e.notify.MarkAllRead(context.Background(), e.parent); err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.notify.Run(runCtx); close(done) }()
	defer func() { stop(); <-done }()
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	shot := func(ctx context.Context, name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(dir, "notifications-"+name+".png")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	do := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	const title = "He came home drunk after 60 days sober"

	do(ctx, "parent asks",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="maple_mom"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Navigate(ts.URL+"/ask"),
		chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.SendKeys(chromedp.CSS("#body"), "We do not know whether to say something tonight or wait until morning."),
		chromedp.Click(chromedp.CSS(`input[name="tags"][value="craft"]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "Post")]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
	)
	if got := run(t, ctx, chromedp.Evaluate[string](unreadShown)); got != "" {
		t.Fatalf("before any answer the header says %q", got)
	}
	threadURL := run(t, ctx, chromedp.Location())

	expert, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	do(expert, "the coach answers, naming the parent through the completion",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="coach_dana"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Navigate(threadURL),
		chromedp.WaitVisible(chromedp.CSS("#reply-body")),
		chromedp.SendKeys(chromedp.CSS("#reply-body"), "@map"),
		chromedp.WaitVisible(chromedp.Search(`//ul[@role="listbox"]/li[.="@maple_mom"]`)),
	)
	shot(expert, "mention-completion")
	do(expert, "take the name and post",
		chromedp.Click(chromedp.Search(`//ul[@role="listbox"]/li[.="@maple_mom"]`)),
		chromedp.WaitNotPresent(chromedp.CSS(".mention-list")),
		chromedp.SendKeys(chromedp.CSS("#reply-body"), "wait until morning, when he is sober. Say what you saw, calmly."),
		chromedp.Click(chromedp.Search(`//button[contains(., "Post reply")]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="replies-list"]//article[contains(., "when he is sober")]`)),
	)
	body := run(t, expert, chromedp.Text(chromedp.Search(`//div[@id="replies-list"]//article[contains(., "when he is sober")]`)))
	if !strings.Contains(body, "@maple_mom wait until morning") {
		t.Errorf("the reply reads %q", body)
	}

	// The fan-out runs right after the answer's commit; the parent opens a page.
	var badge string
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		do(ctx, "parent opens the home page", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".page-home")))
		if badge = run(t, ctx, chromedp.Evaluate[string](unreadShown)); badge != "" {
			break
		}
	}
	if badge != "1" {
		t.Fatalf("the parent's header says %q, want 1", badge)
	}
	shot(ctx, "header")
	do(ctx, "the same header on a phone",
		chromedp.EmulateViewport(390, 844, viewportOptions(true)...),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
	)
	if got := run(t, ctx, chromedp.Evaluate[string](unreadShown)); got != "1" {
		t.Errorf("on a phone the header says %q", got)
	}
	shot(ctx, "header-phone")
	do(ctx, "back to a wide screen",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
	)
	do(ctx, "parent opens the notifications",
		chromedp.Click(chromedp.CSS("a.notices-link")),
		chromedp.WaitVisible(chromedp.CSS(".page-notifications")),
	)
	page := run(t, ctx, chromedp.Text(chromedp.CSS(".page-notifications")))
	for _, want := range []string{"An expert answered your question", title} {
		if !strings.Contains(page, want) {
			t.Errorf("the notifications page lacks %q:\n%s", want, page)
		}
	}
	shot(ctx, "page")
	// The button says "Sending…" while the request is under way: what shows that it is
	// done is the notice, swapped for one that is read.
	do(ctx, "parent marks it read, in place",
		chromedp.Click(chromedp.Search(`//button[contains(., "Mark read")]`)),
		chromedp.WaitNotPresent(chromedp.CSS(".notice-unread")),
	)
	if got := run(t, ctx, chromedp.Evaluate[string](unreadShown)); got != "" {
		t.Errorf("after marking it read the header says %q", got)
	}
	do(ctx, "the answer is one click away",
		chromedp.Click(chromedp.Search(`//a[contains(., "An expert answered your question")]`)),
		chromedp.WaitVisible(chromedp.Search(`//article[contains(@class,"post-expert")][contains(., "when he is sober")]`)),
	)
	do(ctx, "what the parent follows",
		chromedp.Navigate(ts.URL+"/following"),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"following-item")][contains(., "60 days sober")]`)),
	)
	shot(ctx, "following")
	do(ctx, "the parent's e-mail choices", chromedp.Navigate(ts.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#email-h")))
	shot(ctx, "account")
}
