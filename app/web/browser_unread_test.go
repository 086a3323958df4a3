package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"forum/app/config"
	"forum/app/store/storetest"
)

// TestBrowserNewReplies is the parent's journey once the coach has answered: the home list
// shows the question with "1 new"; that link opens the thread at the new reply, under
// "New since your last visit"; back on the home list, nothing is new any more.
func TestBrowserNewReplies(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	signInBrowser(t, ctx, e, ts.URL, e.parent)
	posts, err := e.st.PostsByThread(context.Background(), e.answered.ID)
	if err != nil {
		t.Fatal(err)
	}
	answer := posts[1]
	shot := func(name string) {
		p := filepath.Join(dir, "unread-"+name+".png")
		if err := os.WriteFile(p, run(t, ctx, chromedp.FullScreenshot(100)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}

	badge := `//a[contains(@class,"badge-new")][contains(@href,"` + threadPath(e.answered) + `")]`
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, viewportOptions(true)...),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.Search(badge)),
	); err != nil {
		t.Fatalf("home shows no \"new\" on the answered question: %v", err)
	}
	if text := run(t, ctx, chromedp.Text(chromedp.Search(badge))); strings.TrimSpace(text) != "1 new" {
		t.Fatalf("the badge says %q, want \"1 new\"", text)
	}
	shot("home-phone")

	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(badge)),
		chromedp.WaitVisible(chromedp.CSS(".unread-divider")),
	); err != nil {
		t.Fatalf("open the thread from the badge: %v", err)
	}
	location := run(t, ctx, chromedp.Location())
	if !strings.HasSuffix(location, "#post-"+strconv.FormatInt(answer.ID, 10)) {
		t.Fatalf("the badge led to %s, want the answer #post-%d", location, answer.ID)
	}
	if text := run(t, ctx, chromedp.Text(chromedp.CSS(".unread-jump a"))); !strings.Contains(text, "1 new reply") {
		t.Fatalf("the link at the top says %q", text)
	}
	// The divider stands right before the answer.
	next := run(t, ctx, chromedp.Evaluate[string](`document.querySelector(".unread-divider").nextElementSibling.id`))
	if next != "post-"+strconv.FormatInt(answer.ID, 10) {
		t.Fatalf("the divider stands before %q, want the answer", next)
	}
	shot("thread-phone")

	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+threadPath(e.answered)),
		chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
	); err != nil {
		t.Fatal(err)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".unread-divider").length`)); n != 0 {
		t.Fatalf("a second visit still shows %d dividers", n)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".thread-list"))); err != nil {
		t.Fatal(err)
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".badge-new").length`)); n != 1 {
		// The resolved question's two replies are still unread; the answered one is read.
		t.Fatalf("home shows %d \"new\" badges after reading, want 1 (the other question)", n)
	}
	shot("home-after-desktop")
}
