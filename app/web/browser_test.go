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

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/model"
	"forum/app/store/storetest"
)

// browser starts headless Chromium (Debian's chromium) or skips the test when there is none.
func browser(t *testing.T) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
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
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
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
		for name, shot := range map[string][]byte{"home": homeShot, "thread": threadShot} {
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
