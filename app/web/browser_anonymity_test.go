package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"forum/app/config"
	"forum/app/store/storetest"
)

// TestBrowserPostingAsAndDraftRestore ticks "post anonymously" on the ask page and reads
// the name beside the button change, lets the draft save, closes the tab, and opens the
// form in a new tab: every choice is back. Without JavaScript the name follows the box too.
func TestBrowserPostingAsAndDraftRestore(t *testing.T) {
	ctx := browser(t)
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: true})
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	do := func(ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	postingAs := func(ctx context.Context) string {
		t.Helper()
		return strings.Join(strings.Fields(run(t, ctx, chromedp.Text(chromedp.CSS(".ask-form .posting-as")))), " ")
	}
	shot := func(ctx context.Context, name string) {
		t.Helper()
		p := filepath.Join(dir, "anonymity-"+name+".png")
		if err := os.WriteFile(p, run(t, ctx, chromedp.FullScreenshot(100)), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	do(ctx, "sign in",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="maple_mom"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
	)

	tab, closeTab := chromedp.NewContext(ctx)
	do(tab, "open the ask page",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/ask"),
		chromedp.WaitVisible(chromedp.CSS("#title")),
	)
	if got := postingAs(tab); got != "Posting as maple_mom" {
		t.Fatalf("before ticking: %q", got)
	}
	do(tab, "write and tick every choice",
		chromedp.SendKeys(chromedp.CSS("#title"), "Our daughter missed a probation check-in"),
		chromedp.SendKeys(chromedp.CSS("#body"), "How do we support her without covering for her?"),
		chromedp.Click(chromedp.CSS(`input[name="tags"][value="boundaries"]`)),
		chromedp.SendKeys(chromedp.CSS("#content_note"), "mentions relapse"),
		chromedp.Click(chromedp.CSS(`input[name="publish_consent"]`)),
		chromedp.Click(chromedp.CSS(`input[name="anonymous"]`)),
	)
	if got := postingAs(tab); got != "Posting as A member of the community" {
		t.Errorf("after ticking: %q", got)
	}
	do(tab, "the draft is saved",
		chromedp.WaitVisible(chromedp.Search(`//span[@id="draft-status"][contains(., "Draft saved")]`)),
	)
	shot(tab, "ask-anonymous")
	closeTab() // the tab is closed

	again, closeAgain := chromedp.NewContext(ctx)
	defer closeAgain()
	do(again, "open the ask page in a new tab",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/ask"),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "We kept what you were writing")]`)),
	)
	anonymous := run(t, again, chromedp.JavascriptAttribute[bool](chromedp.CSS(`input[name="anonymous"]`), "checked"))
	consent := run(t, again, chromedp.JavascriptAttribute[bool](chromedp.CSS(`input[name="publish_consent"]`), "checked"))
	tag := run(t, again, chromedp.JavascriptAttribute[bool](chromedp.CSS(`input[name="tags"][value="boundaries"]`), "checked"))
	note := run(t, again, chromedp.Value(chromedp.CSS("#content_note")))
	if !anonymous || !consent || !tag || note != "mentions relapse" {
		t.Errorf("restored: anonymous %v, consent %v, tag %v, note %q", anonymous, consent, tag, note)
	}
	if got := postingAs(again); got != "Posting as A member of the community" {
		t.Errorf("restored: %q", got)
	}
	shot(again, "ask-restored")
	do(again, "untick", chromedp.Click(chromedp.CSS(`input[name="anonymous"]`)))
	if got := postingAs(again); got != "Posting as maple_mom" {
		t.Errorf("after unticking: %q", got)
	}

	// Without JavaScript, the style sheet shows the name that applies.
	noJS, closeNoJS := chromedp.NewContext(ctx)
	defer closeNoJS()
	do(noJS, "open a tab", chromedp.EmulateViewport(1100, 900, viewportOptions(false)...))
	if _, err := chromedp.Call(noJS, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	do(noJS, "open the ask page without JavaScript",
		chromedp.Navigate(ts.URL+"/ask"),
		chromedp.WaitVisible(chromedp.CSS("#title")),
	)
	before := postingAs(noJS)
	do(noJS, "tick without JavaScript", chromedp.Click(chromedp.CSS(`input[name="anonymous"]`)))
	after := postingAs(noJS)
	if before == after || (after != "Posting as maple_mom" && after != "Posting as A member of the community") {
		t.Errorf("without JavaScript: %q, then %q after ticking", before, after)
	}
}
