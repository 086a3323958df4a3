package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"forum/app/config"
	"forum/app/model"
	"forum/app/store/storetest"
)

// saveShot keeps a screenshot of the page for a person to look at.
func saveShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	b := run(t, ctx, chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(screenshotDir(t), name+".png"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserCrisisBoxWhileAsking types words of immediate danger into the ask form: the
// crisis box appears before anything is posted, and calm words take it away.
func TestBrowserCrisisBoxWhileAsking(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	signInBrowser(t, ctx, e, ts.URL, e.parent)
	threads, _ := e.st.ThreadCount(context.Background())
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(ts.URL+"/ask"),
		chromedp.WaitVisible(chromedp.ID("title")),
		chromedp.SendKeys(chromedp.ID("title"), "Please help us tonight"),
		chromedp.SendKeys(chromedp.ID("body"), "he took too many pills and isn't breathing"),
		chromedp.WaitVisible(chromedp.CSS(`.composer-crisis .crisis-box`)),
	)
	if err != nil {
		t.Fatalf("the crisis box did not appear while typing: %v", err)
	}
	box := run(t, ctx, chromedp.Text(chromedp.CSS(`.composer-crisis .crisis-box`)))
	for _, want := range []string{"911", "988", "More crisis resources", "You can still post"} {
		if !strings.Contains(box, want) {
			t.Errorf("the crisis box lacks %q: %q", want, box)
		}
	}
	if loc := run(t, ctx, chromedp.Location()); !strings.HasSuffix(loc, "/ask") {
		t.Errorf("the page left the form: %s", loc)
	}
	if n, _ := e.st.ThreadCount(context.Background()); n != threads {
		t.Errorf("something was posted while typing: %d threads, was %d", n, threads)
	}
	saveShot(t, ctx, "safety-ask-crisis-box")

	// Calm words again: the box goes.
	err = chromedp.Do(ctx,
		chromedp.Evaluate[chromedp.Void](`document.getElementById("body").value = ""`),
		chromedp.SendKeys(chromedp.ID("body"), "We are going to an overdose prevention training."),
		chromedp.WaitNotPresent(chromedp.CSS(`.composer-crisis .crisis-box`)),
	)
	if err != nil {
		t.Fatalf("the crisis box stayed for calm words: %v", err)
	}
}

// TestBrowserReviewQueue is a new member's first question through the queue: held and
// marked for its author, invisible to another member, published by a moderator.
func TestBrowserReviewQueue(t *testing.T) {
	ctx := browserWithin(t, 90*time.Second)
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	e.forum.ReviewFirstPosts = 2
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	newcomer := e.addUser("new_here", model.RoleMember, model.StatusActive)
	signInBrowser(t, ctx, e, ts.URL, newcomer)
	const title = "Our daughter stopped answering her phone"
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(ts.URL+"/ask"),
		chromedp.WaitVisible(chromedp.ID("title")),
		chromedp.SendKeys(chromedp.ID("title"), title),
		chromedp.SendKeys(chromedp.ID("body"), "She moved out in June and we hear nothing."),
		chromedp.Click(chromedp.CSS(`input[name="tags"][value="craft"]`)),
		chromedp.Click(chromedp.CSS(`.ask-form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.page-held .badge-review`)),
	)
	if err != nil {
		t.Fatalf("asking as a newcomer: %v", err)
	}
	page := run(t, ctx, chromedp.Text(chromedp.CSS(`main`)))
	for _, want := range []string{title, "Waiting for review", "Only you and the moderators can see this"} {
		if !strings.Contains(page, want) {
			t.Errorf("the held page lacks %q", want)
		}
	}
	saveShot(t, ctx, "review-held-for-author")

	// Another member sees nothing of it.
	signInBrowser(t, ctx, e, ts.URL, e.spouse)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`.thread-list`))); err != nil {
		t.Fatal(err)
	}
	if home := run(t, ctx, chromedp.Text(chromedp.CSS(`main`))); strings.Contains(home, title) {
		t.Error("another member's home lists the held question")
	}

	// The moderator's header counts it; the queue publishes it.
	signInBrowser(t, ctx, e, ts.URL, e.moderator)
	err = chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/mod/queue"),
		chromedp.WaitVisible(chromedp.CSS(`.queue-item`)),
	)
	if err != nil {
		t.Fatalf("open the queue: %v", err)
	}
	if badge := run(t, ctx, chromedp.Text(chromedp.CSS(`.site-menu summary .nav-count-queue`))); !strings.HasPrefix(strings.TrimSpace(badge), "1") {
		t.Errorf("the moderator's header count reads %q", badge)
	}
	saveShot(t, ctx, "review-queue")
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS(`.queue-item button.button-small:not(.button-secondary)`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Nothing is waiting for review")]`)),
	)
	if err != nil {
		t.Fatalf("publish from the queue: %v", err)
	}
	saveShot(t, ctx, "review-queue-published")
	signInBrowser(t, ctx, e, ts.URL, e.spouse)
	if err := chromedp.Do(ctx, chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`.thread-list`))); err != nil {
		t.Fatal(err)
	}
	if home := run(t, ctx, chromedp.Text(chromedp.CSS(`main`))); !strings.Contains(home, title) {
		t.Error("the published question is not on another member's home")
	}
}

// TestBrowserQuickExit leaves a thread by pressing Escape twice, and by the button: the
// neutral site takes the page's place in the history, so Back does not return to it.
func TestBrowserQuickExit(t *testing.T) {
	ctx := browser(t)
	neutral := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!doctype html><title>Weather</title><p>Sunny</p>"))
	}))
	defer neutral.Close()
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true,
		configure: func(c *config.Config) { c.QuickExitURL = neutral.URL + "/search?q=weather" }})
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	signInBrowser(t, ctx, e, ts.URL, e.parent)
	thread := ts.URL + threadPath(e.resolved)

	leaveBy := func(how string, act chromedp.Action[chromedp.Void]) {
		t.Helper()
		err := chromedp.Do(ctx,
			chromedp.Navigate(ts.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(`.thread-list`)),
			chromedp.Navigate(thread),
			chromedp.WaitVisible(chromedp.CSS(`.page-thread h1`)),
		)
		if err != nil {
			t.Fatal(err)
		}
		before := run(t, ctx, chromedp.Evaluate[int](`history.length`))
		if err := chromedp.Do(ctx, act, chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Sunny")]`))); err != nil {
			t.Fatalf("%s: did not leave for the neutral site: %v", how, err)
		}
		after := run(t, ctx, chromedp.Evaluate[int](`history.length`))
		if after != before {
			t.Errorf("%s: history grew from %d to %d entries; the thread's entry should be replaced", how, before, after)
		}
		if err := chromedp.Do(ctx, chromedp.NavigateBack(), chromedp.WaitVisible(chromedp.CSS(`.thread-list`))); err != nil {
			t.Fatalf("%s: back: %v", how, err)
		}
		if loc := run(t, ctx, chromedp.Location()); loc != ts.URL+"/" {
			t.Errorf("%s: Back went to %s; want the page before the thread (%s/)", how, loc, ts.URL)
		}
	}
	leaveBy("Escape twice", chromedp.KeyEvent(kb.Escape+kb.Escape))
	leaveBy("the button", chromedp.Click(chromedp.ID("quick-exit")))
	if err := chromedp.Do(ctx, chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.ID("quick-exit"))); err != nil {
		t.Fatal(err)
	}
	saveShot(t, ctx, "safety-quick-exit")
	hint := `getComputedStyle(document.querySelector(".quick-exit-hint")).display`
	height := `document.getElementById("quick-exit").getBoundingClientRect().height`
	if d := run(t, ctx, chromedp.Evaluate[string](hint)); d == "none" {
		t.Error("with a keyboard, the hint to press Escape twice is hidden")
	}
	// On a phone there is no Escape key to press, and the button takes a thumb.
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(1), chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(thread), chromedp.WaitVisible(chromedp.ID("quick-exit"))); err != nil {
		t.Fatal(err)
	}
	if d := run(t, ctx, chromedp.Evaluate[string](hint)); d != "none" {
		t.Errorf("on a phone the hint to press Escape twice shows (display %q)", d)
	}
	if h := run(t, ctx, chromedp.Evaluate[float64](height)); h < 32 {
		t.Errorf("on a phone the quick exit button is %.0f px high; want at least 32 for a thumb", h)
	}
	saveShot(t, ctx, "safety-quick-exit-phone")
}
