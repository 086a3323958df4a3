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
	"forum/app/model"
	"forum/app/store/storetest"
)

// TestBrowserReportDanger: a member reports a reply as "someone may be in danger", in place;
// the moderator's header counts it, the reports show it in its thread, and hiding it (a
// reason, then the dialog) tells its author; the audit log reads it as a sentence.
func TestBrowserReportDanger(t *testing.T) {
	ctx := browserWithin(t, 90*time.Second)
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	shot := func(ctx context.Context, name string) {
		t.Helper()
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(dir, "flags-"+name+".png")
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
	posts, err := e.st.PostsByThread(context.Background(), e.answered.ID)
	if err != nil {
		t.Fatal(err)
	}
	answer := posts[1]
	post := "#post-" + itoa(answer.ID)

	signInBrowser(t, ctx, e, ts.URL, e.spouse)
	do(ctx, "the member opens the report form in place",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+threadPath(e.answered)),
		chromedp.WaitVisible(chromedp.CSS(post)),
		chromedp.Click(chromedp.Search(`//article[@id="post-`+itoa(answer.ID)+`"]//a[.="Report"]`)),
		chromedp.WaitVisible(chromedp.CSS("#flag-form-"+itoa(answer.ID))),
	)
	if got := run(t, ctx, chromedp.Location()); !strings.HasSuffix(got, threadPath(e.answered)) {
		t.Fatalf("the report form left the thread for %s", got)
	}
	do(ctx, "the member reports danger",
		chromedp.Click(chromedp.CSS(`#flag-form-`+itoa(answer.ID)+` input[value="danger"]`)),
		chromedp.SendKeys(chromedp.CSS("#flag-note-"+itoa(answer.ID)), "She wrote that she cannot go on."),
		chromedp.Click(chromedp.Search(`//form[@id="flag-form-`+itoa(answer.ID)+`"]//button[contains(., "Send the report")]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[@id="flag-form-`+itoa(answer.ID)+`"][contains(., "Thank you")]`)),
	)
	shot(ctx, "reported")

	mod, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	signInBrowser(t, mod, e, ts.URL, e.moderator)
	do(mod, "the moderator's header counts the report",
		chromedp.EmulateViewport(1100, 1000, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(".site-menu summary .nav-count-flags")),
	)
	if n := run(t, mod, chromedp.Text(chromedp.CSS(".site-menu summary .nav-count-flags"))); !strings.HasPrefix(n, "1") {
		t.Errorf("the header counts %q reported posts", n)
	}
	do(mod, "the moderator opens the reports",
		chromedp.Navigate(ts.URL+"/mod/flags"),
		chromedp.WaitVisible(chromedp.CSS("#flagged-"+itoa(answer.ID))),
	)
	queue := run(t, mod, chromedp.Text(chromedp.CSS("#flagged-"+itoa(answer.ID))))
	for _, want := range []string{"Someone may be in danger", e.answered.Title, "No. Medication for opioid use disorder",
		"Our son's doctor suggested buprenorphine.", "quiet_harbor", "She wrote that she cannot go on."} {
		if !strings.Contains(queue, want) {
			t.Errorf("the reported post in the queue lacks %q", want)
		}
	}
	shot(mod, "queue")
	do(mod, "the moderator hides it with a reason, and confirms",
		chromedp.SendKeys(chromedp.CSS("#hide-reason-"+itoa(answer.ID)), "Moved to a private conversation with her"),
		chromedp.Click(chromedp.Search(`//form[.//input[@id="hide-reason-`+itoa(answer.ID)+`"]]//button[.="Hide"]`)),
		chromedp.WaitVisible(chromedp.CSS("dialog.confirm-dialog[open]")),
	)
	shot(mod, "confirm")
	do(mod, "yes",
		chromedp.Click(chromedp.Search(`//dialog[@open]//button[.="Hide"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "The post is hidden")]`)),
	)
	if p, _ := e.st.PostByID(context.Background(), answer.ID); p.HiddenAt == nil {
		t.Fatal("the confirmed hide left the post shown")
	}
	e.fanOut()
	ns, err := e.st.NotificationsOf(context.Background(), e.coach.ID, 0, 5)
	if err != nil || len(ns) == 0 || ns[0].Kind != model.NotifyPostHidden || ns[0].Reason != "Moved to a private conversation with her" {
		t.Fatalf("the author was told %+v, %v", ns, err)
	}
	do(mod, "the audit log",
		chromedp.Navigate(ts.URL+"/mod/audit"),
		chromedp.WaitVisible(chromedp.CSS(".audit-rows")),
	)
	row := run(t, mod, chromedp.Text(chromedp.CSS(".audit-row")))
	if !strings.Contains(row, "river_stone hid a reply by coach_dana in "+e.answered.Title+": Moved to a private conversation with her") {
		t.Errorf("the audit log's latest row reads %q", row)
	}
	shot(mod, "audit")
}
