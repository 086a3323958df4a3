package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/model"
	"forum/app/store/storetest"
)

// browser starts headless Chromium (Debian's chromium) or skips the test when there is none.
// The bound stops a journey that hangs; it is not a measure of speed: a journey that takes
// 9 s alone took more than 60 s beside the rest of the suite under -race on two cores
// (TestBrowserAskAnswerHelpful, 2026-12-03).
func browser(t *testing.T) context.Context {
	t.Helper()
	return browserWithin(t, 3*time.Minute)
}

// browserWithin is browser with a bound of its own, for a journey longer than most.
func browserWithin(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("FORUM_REQUIRE_BROWSER") != "" {
			// CI sets it: there the accessibility and journey checks must run, not pass by skipping.
			t.Fatal("no Chromium installed, and FORUM_REQUIRE_BROWSER is set")
		}
		t.Skip("no Chromium installed (apt-get install -y chromium): skipping the browser test")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The first run starts the browser and must not carry a timeout (it would stop the browser).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(cancelTimeout)
	return ctx
}

// screenshotDir is where browser tests leave their screenshots to be looked at.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("FORUM_SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestBrowserHomeToThread(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	signInBrowser(t, ctx, e, ts.URL, e.parent)

	sizes := []struct {
		name          string
		width, height int64
		mobile        bool
	}{
		{"desktop", 1280, 900, false},
		{"phone", 390, 844, true},
	}
	for _, size := range sizes {
		err := chromedp.Do(ctx,
			chromedp.EmulateViewport(size.width, size.height, viewportOptions(size.mobile)...),
			chromedp.Navigate(ts.URL+"/"),
			chromedp.WaitVisible(chromedp.CSS(".thread-list")),
		)
		if err != nil {
			t.Fatalf("%s: open home: %v", size.name, err)
		}
		title := run(t, ctx, chromedp.Title())
		homeShot := run(t, ctx, chromedp.FullScreenshot(100))
		err = chromedp.Do(ctx,
			chromedp.Click(chromedp.Search(`//a[contains(@class,"thread-link")][contains(., "start a CRAFT conversation")]`)),
			chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
		)
		if err != nil {
			t.Fatalf("%s: follow the thread link: %v", size.name, err)
		}
		heading := run(t, ctx, chromedp.Text(chromedp.CSS(".page-thread h1")))
		opening := run(t, ctx, chromedp.Text(chromedp.CSS(".page-thread")))
		threadShot := run(t, ctx, chromedp.FullScreenshot(100))
		if !strings.Contains(title, "Latest discussions") {
			t.Errorf("%s: home title %q", size.name, title)
		}
		if heading != e.resolved.Title {
			t.Errorf("%s: thread heading %q, want %q", size.name, heading, e.resolved.Title)
		}
		for _, want := range []string{"He gets defensive", "The answer that helped", "CRAFT-certified family recovery coach"} {
			if !strings.Contains(strings.ToLower(opening), strings.ToLower(want)) { // innerText applies text-transform
				t.Errorf("%s: thread page lacks %q", size.name, want)
			}
		}
		shots := map[string][]byte{"home": homeShot, "thread": threadShot}
		if !size.mobile {
			// The same thread in dark mode.
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}},
			}); err != nil {
				t.Fatalf("dark mode: %v", err)
			}
			shots["thread-dark"] = run(t, ctx, chromedp.FullScreenshot(100))
			if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{}); err != nil {
				t.Fatal(err)
			}
		}
		for name, shot := range shots {
			p := filepath.Join(dir, "foundation-"+name+"-"+size.name+".png")
			if err := os.WriteFile(p, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", p)
		}
	}
}

func viewportOptions(mobile bool) []chromedp.EmulateViewportOption {
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	return opts
}

// run runs one browser action that returns a value, failing the test on error.
func run[T any](t *testing.T, ctx context.Context, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	return v
}

// signInBrowser gives the browser a real session of u, as the sign-in callback would.
func signInBrowser(t *testing.T, ctx context.Context, e *env, baseURL string, u *model.User) {
	t.Helper()
	token, _, err := auth.NewSessions(e.st).Create(context.Background(), u.ID, "chromium", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{
		Name: auth.CookieName, Value: token, URL: baseURL, HTTPOnly: &httpOnly,
	}); err != nil {
		t.Fatalf("set session cookie: %v", err)
	}
}

// TestBrowserDevSignInApproval is the newcomer's journey in development mode: sign in as a
// new person, choose a name, wait on the welcome page; a moderator approves; the newcomer
// then reads the board.
func TestBrowserDevSignInApproval(t *testing.T) {
	ctx := browser(t)
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: true})
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	shot := func(name string) {
		b := run(t, ctx, chromedp.FullScreenshot(100))
		p := filepath.Join(dir, "accounts-"+name+".png")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}

	step("open the development sign-in",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/login"),
		chromedp.Click(chromedp.Search(`//a[contains(., "sign in as a demo persona")]`)),
		chromedp.WaitVisible(chromedp.CSS("#dev-new-person")),
	)
	shot("dev-login")
	step("sign in as a new person",
		chromedp.Click(chromedp.CSS("#dev-new-person")),
		chromedp.WaitVisible(chromedp.CSS("#pseudonym")),
		chromedp.SendKeys(chromedp.CSS("#pseudonym"), "x"),
		chromedp.Submit(chromedp.CSS("#pseudonym")),
		chromedp.WaitVisible(chromedp.CSS(".field-error")),
	)
	if msg := run(t, ctx, chromedp.Text(chromedp.CSS(".field-error"))); !strings.Contains(msg, "3 to 30") {
		t.Errorf("short pseudonym message %q", msg)
	}
	shot("choose-name-error")
	step("choose a pseudonym",
		chromedp.SetValue(chromedp.CSS("#pseudonym"), "new_hope"),
		chromedp.Submit(chromedp.CSS("#pseudonym")),
		chromedp.WaitVisible(chromedp.CSS(".page-welcome")),
	)
	if h := run(t, ctx, chromedp.Text(chromedp.CSS("h1"))); h != "Welcome, new_hope" {
		t.Errorf("welcome heading %q", h)
	}
	shot("pending-welcome")

	// The moderator approves from a browser of their own (a separate cookie jar).
	modCtx, cancelMod := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancelMod()
	if err := chromedp.Do(modCtx,
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="river_stone"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Navigate(ts.URL+"/mod/members"),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"member-row")][contains(., "new_hope")]`)),
	); err != nil {
		t.Fatalf("moderator opens the members page: %v", err)
	}
	if b, err := chromedp.Run(modCtx, chromedp.FullScreenshot(100)); err == nil {
		_ = os.WriteFile(filepath.Join(dir, "accounts-mod-members.png"), b, 0o644)
	}
	if err := chromedp.Do(modCtx,
		chromedp.SendKeys(chromedp.Search(`//li[contains(., "new_hope")]//input[@name="note"]`), "Welcome to Kinship"),
		chromedp.Click(chromedp.Search(`//li[contains(., "new_hope")]//button[@value="approve"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(., "Nobody is waiting")]`)),
	); err != nil {
		t.Fatalf("moderator approves: %v", err)
	}
	u, err := e.st.UserByPseudonym(context.Background(), "new_hope")
	if err != nil || u.Role != model.RoleMember {
		t.Fatalf("after approval: %+v %v", u, err)
	}

	// The newcomer reloads and is a member: the board opens.
	step("member view",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Click(chromedp.Search(`//a[contains(@class,"thread-link")][contains(., "start a CRAFT conversation")]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
	)
	if body := run(t, ctx, chromedp.Text(chromedp.CSS(".page-thread"))); !strings.Contains(body, "He gets defensive") {
		t.Errorf("member view lacks the thread text")
	}
	shot("member-thread")
}

// TestBrowserAskAnswerHelpful is the core journey: a member asks with tags, the expert
// answers from the unanswered queue, the asker marks the answer helpful; the home and tag
// pages then show the question resolved.
func TestBrowserAskAnswerHelpful(t *testing.T) {
	ctx := browser(t)
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: true})
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	shot := func(ctx context.Context, name string) {
		b, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		p := filepath.Join(dir, "discussions-"+name+".png")
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
	const title = "Our daughter is on probation and missed a check-in"

	// The parent asks, with two topics chosen through the type-ahead filter.
	do(ctx, "parent signs in and opens the ask page",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="maple_mom"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Click(chromedp.Search(`//a[contains(., "Ask a question")]`)),
		chromedp.WaitVisible(chromedp.CSS("#title")),
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.SendKeys(chromedp.CSS("#body"), "She missed her PO check-in on **Tuesday**. How do we support her without covering for her?"),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="preview"]/p/strong[contains(., "Tuesday")]`)),
		chromedp.SendKeys(chromedp.CSS("#tag-filter"), "bound"),
		chromedp.Click(chromedp.CSS(`input[name="tags"][value="boundaries"]`)),
		chromedp.SendKeys(chromedp.CSS("#tag-filter"), strings.Repeat(kb.Backspace, 5)),
		chromedp.Click(chromedp.CSS(`input[name="tags"][value="craft"]`)),
	)
	shot(ctx, "ask")
	do(ctx, "post the question",
		chromedp.Click(chromedp.Search(`//button[contains(., "Post")]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
	)
	if h := run(t, ctx, chromedp.Text(chromedp.CSS(".page-thread h1"))); h != title {
		t.Fatalf("thread heading %q", h)
	}

	// The expert answers from the unanswered queue, in their own browser.
	expert, cancel := chromedp.NewContext(ctx, chromedp.WithNewBrowserContext())
	defer cancel()
	do(expert, "expert opens the unanswered queue",
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="coach_dana"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Navigate(ts.URL+"/unanswered"),
		chromedp.Click(chromedp.Search(`//a[contains(@class,"thread-link")][contains(., "missed a check-in")]`)),
		chromedp.WaitVisible(chromedp.CSS("#reply-body")),
		chromedp.SendKeys(chromedp.CSS("#reply-body"), "Let her make the call to her PO herself; offer a ride, not an excuse. That is CRAFT in practice."),
		chromedp.Click(chromedp.Search(`//button[contains(., "Post reply")]`)),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="replies-list"]//article[contains(., "offer a ride, not an excuse")]`)),
	)
	shot(expert, "expert-answered")

	// The parent marks the answer helpful.
	do(ctx, "parent marks the answer helpful",
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.Search(`//button[contains(., "This helped me")]`)),
		chromedp.Click(chromedp.Search(`//button[contains(., "This helped me")]`)),
		chromedp.WaitVisible(chromedp.CSS(".helpful-answer")),
	)
	shot(ctx, "resolved-thread")
	do(ctx, "home shows it resolved",
		chromedp.Navigate(ts.URL+"/"),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"thread-item")][contains(., "missed a check-in")]//span[contains(@class,"state-resolved")]`)),
		chromedp.Navigate(ts.URL+"/tags/boundaries"),
		chromedp.WaitVisible(chromedp.Search(`//li[contains(@class,"thread-item")][contains(., "missed a check-in")]//span[contains(@class,"state-resolved")]`)),
	)
	shot(ctx, "tag-page")
}

// TestBrowserSearch types into the search box (results arrive as you type), clicks a topic
// facet, and opens a result.
func TestBrowserSearch(t *testing.T) {
	ctx := browser(t)
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: true})
	e.sync()
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	dir := screenshotDir(t)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+"/dev/login"),
		chromedp.Click(chromedp.CSS(`button[data-persona="maple_mom"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-home")),
		chromedp.Navigate(ts.URL+"/search"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
		chromedp.SendKeys(chromedp.CSS("#q"), "CRAFT"),
		// No submit: htmx fetches the results as the words are typed.
		chromedp.WaitVisible(chromedp.Search(`//ol[contains(@class,"search-results")]//a[contains(., "start a CRAFT conversation")]`)),
	)
	if err != nil {
		t.Fatalf("search as you type: %v", err)
	}
	if u := run(t, ctx, chromedp.Location()); !strings.Contains(u, "q=CRAFT") {
		t.Errorf("the address does not follow the search: %s", u)
	}
	b := run(t, ctx, chromedp.FullScreenshot(100))
	_ = os.WriteFile(filepath.Join(dir, "search-results.png"), b, 0o644)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//ul[contains(@class,"facets")]//a[contains(., "MAT")]`)),
		chromedp.WaitVisible(chromedp.CSS(".tag-active")),
	)
	if err != nil {
		t.Fatalf("click a facet: %v", err)
	}
	if text := run(t, ctx, chromedp.Text(chromedp.CSS(".search-results"))); !strings.Contains(text, "swapping one drug") || strings.Contains(text, "start a CRAFT conversation") {
		t.Errorf("after the MAT facet: %q", text)
	}
	b = run(t, ctx, chromedp.FullScreenshot(100))
	_ = os.WriteFile(filepath.Join(dir, "search-facet.png"), b, 0o644)
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.Search(`//ol[contains(@class,"search-results")]//a[contains(., "swapping one drug")]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
	)
	if err != nil {
		t.Fatalf("open a result: %v", err)
	}
	if h := run(t, ctx, chromedp.Text(chromedp.CSS(".page-thread h1"))); h != e.answered.Title {
		t.Errorf("opened %q", h)
	}
}

// TestBrowserSignInReturnsToThread: a visitor follows a link to a members-only thread,
// signs in from the page that asks them to, and lands on that thread.
func TestBrowserSignInReturnsToThread(t *testing.T) {
	ctx := browser(t)
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: true})
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1100, 900, viewportOptions(false)...),
		chromedp.Navigate(ts.URL+threadPath(e.resolved)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "This page is for members")]`)),
		chromedp.Click(chromedp.Search(`//main//a[contains(., "Sign in or ask to join")]`)),
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Sign in")]`)),
		chromedp.Click(chromedp.Search(`//a[contains(., "sign in as a demo persona")]`)),
		chromedp.WaitVisible(chromedp.CSS(`button[data-persona="maple_mom"]`)),
		chromedp.Click(chromedp.CSS(`button[data-persona="maple_mom"]`)),
		chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
	); err != nil {
		t.Fatalf("sign in from a members-only thread: %v", err)
	}
	if loc := run(t, ctx, chromedp.Location()); loc != ts.URL+threadPath(e.resolved) {
		t.Fatalf("after signing in the browser is at %q, want the thread", loc)
	}
	b := run(t, ctx, chromedp.FullScreenshot(100))
	p := filepath.Join(screenshotDir(t), "accounts-signin-return.png")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", p)
}
