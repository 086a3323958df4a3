package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"forum/app/config"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/store/storetest"
)

// TestBrowserJoinWithInvite is the invited newcomer's journey: a visitor opens the link and
// sees what it offers; a signed-in newcomer accepts it with one button and reads the board.
func TestBrowserJoinWithInvite(t *testing.T) {
	ctx := browser(t)
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true})
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	admin := e.addUser("site_admin", model.RoleAdmin, model.StatusActive)
	code, _, err := e.forum.CreateInvite(context.Background(), admin, forum.InviteInput{MaxUses: 2, Days: 7})
	if err != nil {
		t.Fatal(err)
	}
	dir := screenshotDir(t)
	shot := func(ctx context.Context, name string) {
		b := run(t, ctx, chromedp.FullScreenshot(100))
		p := filepath.Join(dir, "join-"+name+".png")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}

	visitor, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	if err := chromedp.Do(visitor,
		chromedp.EmulateViewport(390, 844, viewportOptions(true)...),
		chromedp.Navigate(ts.URL+"/join/"+code),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Accept the invite and sign in")]`)),
	); err != nil {
		t.Fatalf("visitor opens the invite: %v", err)
	}
	shot(visitor, "visitor")

	newcomer := e.addUser("hopeful_dad", model.RolePending, model.StatusActive)
	signInBrowser(t, ctx, e, ts.URL, newcomer)
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1100, 800, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/join/"+code),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "Accept the invite and join")]`)),
	); err != nil {
		t.Fatalf("newcomer opens the invite: %v", err)
	}
	shot(ctx, "newcomer")
	if u, _ := e.st.UserByID(context.Background(), newcomer.ID); u.Role != model.RolePending {
		t.Fatalf("opening the link made the newcomer %s", u.Role)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//button[contains(., "Accept the invite and join")]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
	); err != nil {
		t.Fatalf("newcomer accepts: %v", err)
	}
	if u, _ := e.st.UserByID(context.Background(), newcomer.ID); u.Role != model.RoleMember {
		t.Fatalf("after accepting: %s", u.Role)
	}
	// Opening the link again, now a member: a calm page and no form.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ts.URL+"/join/"+code),
		chromedp.WaitVisible(chromedp.CSS(".page-message h1")),
	); err != nil {
		t.Fatalf("member reopens the invite: %v", err)
	}
	if h := run(t, ctx, chromedp.Text(chromedp.CSS(".page-message h1"))); !strings.Contains(h, "already a member") {
		t.Errorf("member reopening the invite sees %q", h)
	}
	shot(ctx, "member-again")
}
