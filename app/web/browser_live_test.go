package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"forum/app/config"
	"forum/app/store/storetest"
)

// TestBrowserLiveReply is two browsers on one question: the asker's and the expert's. The
// expert answers in place; without a reload the answer appears on the asker's page within
// 2 seconds, its state badge, count and heading change, and so does the asker's header
// count of notifications, once the fan-out has written the asker's. The expert's own page shows the answer once, with its heading and state updated
// in the same answer.
func TestBrowserLiveReply(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	base, _ := e.served(t)
	dir := screenshotDir(t)
	shot := func(ctx context.Context, name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(dir, "live-"+name+".png")
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
	// connected waits until the page's stream of live updates is open.
	connected := func(ctx context.Context, who string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			open := run(t, ctx, chromedp.Evaluate[bool](`(function () {
				var live = document.getElementById("live");
				var data = live && live["htmx-internal-data"];
				return !!(data && data.sseEventSource && data.sseEventSource.readyState === 1);
			})()`))
			if open {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s's page did not open its live updates within 10 s", who)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitText := func(ctx context.Context, who, sel, want string) {
		t.Helper()
		deadline := time.Now().Add(3 * time.Second)
		for {
			got := run(t, ctx, chromedp.Evaluate[string](`(function () {
				var el = document.querySelector(`+"`"+sel+"`"+`);
				return el ? el.textContent.trim() : "(missing)";
			})()`))
			if got == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s's page: %s says %q, want %q", who, sel, got, want)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	path := base + threadPath(e.question)

	signInBrowser(t, ctx, e, base, e.spouse)
	do(ctx, "the asker opens their question",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(path),
		chromedp.WaitVisible(chromedp.CSS("#replies-h")),
	)
	waitText(ctx, "the asker", "#replies-h", "No replies yet")
	waitText(ctx, "the asker", "#thread-state", "Awaiting an answer")
	if note := run(t, ctx, chromedp.Evaluate[string](`document.getElementById("asker-note").textContent`)); !strings.Contains(note, "What happens next") {
		t.Fatalf("the asker is not told what happens next: %q", note)
	}
	// The header's count of unread notifications, before the answer.
	unread := func(ctx context.Context) int {
		return run(t, ctx, chromedp.Evaluate[int](`(function () {
			var badge = document.getElementById("notices-count");
			return badge && !badge.hidden ? parseInt(badge.textContent, 10) : 0;
		})()`))
	}
	before := unread(ctx)
	connected(ctx, "the asker")

	coach, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	signInBrowser(t, coach, e, base, e.coach)
	do(coach, "the expert opens the question",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(path),
		chromedp.WaitVisible(chromedp.CSS("#reply-body")),
	)
	connected(coach, "the expert")

	const answer = "Pick one calm evening a week to talk, and keep the rest of the week ordinary."
	do(coach, "the expert writes the answer",
		chromedp.SendKeys(chromedp.CSS("#reply-body"), answer),
	)
	start := time.Now()
	do(coach, "the expert posts it",
		chromedp.Click(chromedp.Search(`//button[contains(., "Post reply")]`)),
	)

	// On the asker's page, without a reload.
	deadline := start.Add(2 * time.Second)
	for {
		text := run(t, ctx, chromedp.Evaluate[string](`(document.getElementById("replies-list") || {}).innerText || ""`))
		if strings.Contains(text, answer) {
			break
		}
		if time.Now().After(deadline) {
			shot(ctx, "asker-timeout")
			shot(coach, "expert-timeout")
			t.Fatalf("the answer did not appear on the asker's page within 2 s (the list: %q)", text)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the answer appeared on the asker's page %v after the expert clicked", time.Since(start).Round(time.Millisecond))

	for _, p := range []struct {
		ctx context.Context
		who string
	}{{ctx, "the asker"}, {coach, "the expert"}} {
		waitText(p.ctx, p.who, "#thread-state", "Expert answered")
		waitText(p.ctx, p.who, "#reply-count", "1 reply")
		waitText(p.ctx, p.who, "#replies-h", "Replies")
		// Sent in place and live, the answer is on each page once.
		n := run(t, p.ctx, chromedp.Evaluate[int](`document.querySelectorAll("#replies-list article.post").length`))
		if n != 1 {
			t.Errorf("%s's page shows %d replies, want the answer once", p.who, n)
		}
	}
	// The notifications' fan-out wrote the asker's notification of the answer: their
	// header count says so, without a reload.
	want := itoa(int64(before + 1))
	waitText(ctx, "the asker", "#notices-count", want+", "+want+" unread")
	// Answered: the note about the experts' queue is gone.
	waitText(ctx, "the asker", "#asker-note", "")
	// The asker's answer shows the expert's name and credential, and the reply form is ready.
	page := run(t, ctx, chromedp.Text(chromedp.CSS(".page-thread")))
	for _, want := range []string{"coach_dana", "CRAFT-certified family recovery coach", answer} {
		if !strings.Contains(page, want) {
			t.Errorf("the asker's page lacks %q", want)
		}
	}
	shot(ctx, "asker")
	shot(coach, "expert")
}
