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
	"forum/app/demo"
	"forum/app/store/storetest"
)

// TestBrowserDemoBoard walks the board `make run` seeds, on a phone: a visitor searches
// the public archive for "relapse", reads a public thread to its invitation to join, and
// searches for something only members talk about; a newcomer says what brings them; the
// moderator sees the count and the reason, approves and is told so; the newcomer's next
// page welcomes them; an expert narrows the queue to a topic and opens a profile.
func TestBrowserDemoBoard(t *testing.T) {
	ctx := browser(t)
	st := storetest.Open(t, config.DriverSQLite)
	e := newEnvWith(t, st, envOptions{dev: true})
	if _, err := demo.Seed(context.Background(), st, e.forum, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.sync()
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	shot := func(ctx context.Context, name string) {
		t.Helper()
		b := run(t, ctx, chromedp.CaptureScreenshot()) // what the window shows: the top of a long page
		p := filepath.Join(dir, "demo-"+name+".png")
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
	text := func(ctx context.Context, sel string) string {
		t.Helper()
		return run(t, ctx, chromedp.Text(chromedp.CSS(sel)))
	}

	// The visitor.
	visitor, cancelVisitor := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelVisitor()
	do(visitor, "a visitor searches the archive",
		chromedp.EmulateViewport(390, 844, viewportOptions(true)...),
		chromedp.Navigate(ts.URL+"/search"),
		chromedp.SendKeys(chromedp.CSS("#q"), "relapse"),
		chromedp.WaitVisible(chromedp.Search(`//ol[contains(@class,"search-results")]//a[contains(., "after 90 days")]`)),
	)
	shot(visitor, "visitor-search")
	do(visitor, "opens a public thread",
		chromedp.Click(chromedp.Search(`//ol[contains(@class,"search-results")]//a[contains(., "after 90 days")]`)),
		chromedp.WaitVisible(chromedp.CSS(".join-invite")),
	)
	if got := text(visitor, ".join-invite"); !strings.Contains(got, "Have a question of your own?") {
		t.Errorf("the public thread ends with %q", got)
	}
	shot(visitor, "visitor-thread")
	do(visitor, "searches what only members talk about",
		chromedp.Navigate(ts.URL+"/search?q=college"),
		chromedp.WaitVisible(chromedp.CSS(".no-public-match")),
	)
	if got := text(visitor, "#results"); strings.Contains(got, "Try fewer words") || !strings.Contains(got, "Join to read") {
		t.Errorf("a visitor's search with no public match says %q", got)
	}
	shot(visitor, "visitor-no-match")

	// A newcomer signs in and says what brings them.
	newcomer, cancelNewcomer := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelNewcomer()
	do(newcomer, "a newcomer signs in and chooses a name",
		chromedp.EmulateViewport(390, 844, viewportOptions(true)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS("#dev-new-person")),
		chromedp.WaitVisible(chromedp.CSS("#pseudonym")),
		chromedp.SendKeys(chromedp.CSS("#pseudonym"), "hopeful_gran"),
		chromedp.Submit(chromedp.CSS("#pseudonym")),
		chromedp.WaitVisible(chromedp.CSS("#join_reason")),
		chromedp.SendKeys(chromedp.CSS("#join_reason"), "My grandson is using and I am raising his little sister."),
		chromedp.Click(chromedp.Search(`//button[contains(., "Send to the moderators")]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice-done")),
	)
	shot(newcomer, "pending-said-why")

	// The moderator.
	mod, cancelMod := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelMod()
	do(mod, "the moderator signs in",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="moderator"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
	)
	if got := run(t, mod, chromedp.TextContent(chromedp.CSS(".nav-count"))); got != "2 awaiting approval" {
		t.Errorf("the moderator's count reads %q", got)
	}
	do(mod, "opens the members",
		chromedp.Click(chromedp.CSS("body > header details.site-menu > summary")), // the header menu
		chromedp.Click(chromedp.Search(`//nav//a[contains(., "Moderation")]`)),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(., "hopeful_gran")]//div[contains(@class,"join-reason")]`)),
	)
	shot(mod, "mod-members")
	do(mod, "approves",
		chromedp.Click(chromedp.Search(`//li[contains(., "hopeful_gran")]//button[@value="approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(".notice-done")),
	)
	if got := text(mod, ".notice-done"); !strings.Contains(got, "hopeful_gran is now a member") {
		t.Errorf("after approving the moderator reads %q", got)
	}
	if got := run(t, mod, chromedp.TextContent(chromedp.CSS(".nav-count"))); got != "1 awaiting approval" {
		t.Errorf("after approving the count reads %q", got)
	}
	shot(mod, "mod-approved")

	// The newcomer reloads and is welcomed, once.
	do(newcomer, "the newcomer reloads",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(".notice-welcome")),
	)
	shot(newcomer, "member-welcomed")
	do(newcomer, "and moves on", chromedp.Navigate(ts.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".page-home")))
	if n := run(t, newcomer, chromedp.Evaluate[int](`document.querySelectorAll(".notice-welcome").length`)); n != 0 {
		t.Error("the welcome shows twice")
	}

	// A parent opens the question she asked, which waits for an expert, then saves her bio.
	parent, cancelParent := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelParent()
	do(parent, "the parent opens her waiting question",
		chromedp.EmulateViewport(390, 844, viewportOptions(true)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="parent"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Navigate(ts.URL+threadPath(demoThread(t, st, "twelve-step-for-him"))),
		chromedp.WaitVisible(chromedp.CSS(".asker-note")),
		chromedp.ScrollIntoView(chromedp.CSS(".asker-note")),
	)
	shot(parent, "asker-note")
	do(parent, "saves her bio",
		chromedp.Navigate(ts.URL+"/account"),
		chromedp.SendKeys(chromedp.CSS("#bio"), " Learning CRAFT."),
		chromedp.Click(chromedp.Search(`//form[@action="/account/bio"]//button`)),
		chromedp.WaitVisible(chromedp.CSS(".notice-done")),
	)
	if got := text(parent, ".notice-done"); got != "Your profile text is saved." {
		t.Errorf("after saving the bio: %q", got)
	}
	shot(parent, "bio-saved")

	// An expert narrows the queue to one topic and opens a profile.
	expert, cancelExpert := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelExpert()
	do(expert, "the expert opens the queue by topic",
		chromedp.EmulateViewport(390, 844, viewportOptions(true)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="coach"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Navigate(ts.URL+"/unanswered"),
		chromedp.SetValue(chromedp.CSS("#filter-tag"), "probation"),
		chromedp.Click(chromedp.Search(`//form[contains(@class,"filter-form")]//button`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "on Probation")]`)),
	)
	if got := text(expert, ".thread-list"); !strings.Contains(got, "tested positive at probation") || strings.Contains(got, "college") {
		t.Errorf("the queue on probation lists %q", got)
	}
	shot(expert, "queue-by-topic")
	do(expert, "opens a profile",
		chromedp.Navigate(ts.URL+"/u/dr_okafor"),
		chromedp.WaitVisible(chromedp.CSS(".answer-list")),
	)
	shot(expert, "profile")
}
