package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"forum/app/config"
	"forum/app/demo"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/store/storetest"
)

// axeScript is axe-core, vendored for the tests by `make axe`: testdata/axe/VERSION says
// from where, and the file's sha256, checked here so that the checker itself is the one named.
func axeScript(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatalf("read the vendored axe-core: %v", err)
	}
	version, err := os.ReadFile(filepath.Join("testdata", "axe", "VERSION"))
	if err != nil {
		t.Fatalf("read the vendored axe-core's VERSION: %v", err)
	}
	sum := sha256.Sum256(b)
	if !strings.Contains(string(version), "sha256 "+hex.EncodeToString(sum[:])) {
		t.Fatalf("testdata/axe/axe.min.js is not the file testdata/axe/VERSION names (%s): run make axe", version)
	}
	return string(b)
}

// a11yWorld is a board with every kind of page to look at: every role, a public thread, an
// edited post, an invite, people waiting for approval, more threads than one list page holds.
type a11yWorld struct {
	e                      *env
	url                    string
	admin, pending         *model.User
	invite                 string
	ownReply, editedPost   int64
	publicThread, question *model.Thread
}

func newA11yWorld(t *testing.T) *a11yWorld {
	t.Helper()
	ctx := context.Background()
	e := newEnvWith(t, storetest.Open(t, config.DriverSQLite), envOptions{fixtures: true, dev: true, noRateLimits: true})
	w := &a11yWorld{e: e, publicThread: e.resolved, question: e.question}
	w.admin = e.addUser("site_admin", model.RoleAdmin, model.StatusActive)
	w.pending = e.addUser("new_hope", model.RolePending, model.StatusActive)
	e.addUser("waiting_dad", model.RolePending, model.StatusActive)
	welcomed := e.addUser("welcomed_sister", model.RolePending, model.StatusActive)
	if err := e.forum.DecideMembership(ctx, e.moderator, welcomed.ID, forum.DecisionApprove, "Welcome"); err != nil {
		t.Fatal(err)
	}
	if err := e.forum.SetPublishConsent(ctx, e.parent, e.resolved.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := e.forum.Publish(ctx, e.coach, e.resolved.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.forum.EditPost(ctx, e.coach, e.helpfulPost.ID, forum.EditInput{
		Body: "Pick a calm moment, lead with *love*, and keep it short. Then listen.",
	}); err != nil {
		t.Fatal(err)
	}
	w.editedPost = e.helpfulPost.ID
	own, err := e.forum.Reply(ctx, e.parent, e.answered.ID, forum.ReplyInput{Body: "Thank you, that helps us talk to his doctor."})
	if err != nil {
		t.Fatal(err)
	}
	w.ownReply = own.ID
	// A reply with what can be wider than a phone: a table and a long line of code.
	if _, err := e.forum.Reply(ctx, e.coach, e.answered.ID, forum.ReplyInput{Body: "| Medication | How it helps | How long people take it | What families notice |\n" +
		"|---|---|---|---|\n| Buprenorphine | eases cravings and withdrawal | months to years | steadier days, fewer crises |\n" +
		"| Methadone | daily dose at a clinic | months to years | a routine around the clinic visit |\n\n" +
		"    naloxone: nasal spray 4 mg, one spray in one nostril, call 911, second dose after 2-3 minutes if no response\n"}); err != nil {
		t.Fatal(err)
	}
	// More threads than a list page shows, so that lists have a "Load more" button.
	for i := 1; i <= 25; i++ {
		if _, err := e.forum.Ask(ctx, e.spouse, forum.AskInput{
			Title: fmt.Sprintf("Week %d of recovery: how do we keep talking when he shuts down?", i),
			Body:  "He goes quiet after dinner and I do not know whether to give him space.", Tags: []string{"boundaries"},
		}); err != nil {
			t.Fatal(err)
		}
	}
	if w.invite, _, err = e.forum.CreateInvite(ctx, w.admin, forum.InviteInput{MaxUses: 2, Days: 7, Note: "for the Tuesday group"}); err != nil {
		t.Fatal(err)
	}
	e.sync()
	ts := httptest.NewServer(e.srv.Handler())
	t.Cleanup(ts.Close)
	w.url = ts.URL
	return w
}

// people is who each role is in the world (nil: a visitor).
func (w *a11yWorld) people() map[string]*model.User {
	return map[string]*model.User{
		"visitor": nil, "pending": w.pending, "member": w.e.parent, "expert": w.e.coach,
		"moderator": w.e.moderator, "admin": w.admin,
	}
}

// a11yPage is one kind of page as one role sees it.
type a11yPage struct{ kind, role, path string }

func (w *a11yWorld) pages() []a11yPage {
	id := func(n int64) string { return strconv.FormatInt(n, 10) }
	return []a11yPage{
		{"home", "visitor", "/"},
		{"thread-public", "visitor", threadPath(w.publicThread)},
		{"thread-members-only", "visitor", threadPath(w.question)},
		{"search", "visitor", "/search?q=CRAFT"},
		{"login", "visitor", "/login"},
		{"dev-login", "visitor", "/dev/login"},
		{"join", "visitor", "/join/" + w.invite},
		{"crisis", "visitor", "/crisis"},
		{"not-found", "visitor", "/no-such-page"},

		{"home", "pending", "/"}, // the welcome page
		{"choose-name", "pending", "/welcome/name"},
		{"search", "pending", "/search?q=CRAFT"},

		{"home", "member", "/"},
		{"thread", "member", threadPath(w.e.resolved)},
		{"thread-own-reply", "member", threadPath(w.e.answered)},
		{"ask", "member", "/ask"},
		{"search", "member", "/search?q=CRAFT"},
		{"search-empty", "member", "/search"},
		{"topics", "member", "/tags"},
		{"topic", "member", "/tags/boundaries"},
		{"mine", "member", "/mine"},
		{"profile", "member", "/u/coach_dana"},
		{"account", "member", "/account"},
		{"post-edit", "member", "/p/" + id(w.ownReply) + "/edit"},
		{"post-history", "member", "/p/" + id(w.editedPost) + "/history"},
		{"crisis", "member", "/crisis"},
		{"not-found", "member", "/no-such-page"},

		{"home", "expert", "/"},
		{"thread", "expert", threadPath(w.e.answered)},
		{"unanswered", "expert", "/unanswered"},

		{"home", "moderator", "/"},
		{"thread", "moderator", threadPath(w.e.resolved)},
		{"topic", "moderator", "/tags/craft"},
		{"mod-members", "moderator", "/mod/members"},
		{"mod-audit", "moderator", "/mod/audit"},

		{"home", "admin", "/"},
		{"admin-users", "admin", "/admin/users"},
		{"admin-invites", "admin", "/admin/invites"},
	}
}

// a11yVariant is one way of seeing a page: its size and colour scheme.
type a11yVariant struct {
	size          string
	width, height int64
	mobile        bool
	scheme        string
}

var a11yVariants = []a11yVariant{
	{"phone", 390, 844, true, "light"},
	{"phone", 390, 844, true, "dark"},
	{"desktop", 1280, 800, false, "light"},
	{"desktop", 1280, 800, false, "dark"},
}

// axeFinding is one serious or critical axe violation.
type axeFinding struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// axeRunScript runs axe and keeps serious and critical violations, and the "needs review"
// results of rules whose doubt is not about the page (axe reports an aria-label on a plain
// <span> with text in it as needing review, though ARIA prohibits it there).
const axeRunScript = `axe.run(document, {resultTypes: ["violations", "incomplete"]}).then(function (r) {
  var doubtless = {"aria-prohibited-attr": true};
  return r.violations.concat(r.incomplete.filter(function (v) { return doubtless[v.id]; }))
  .filter(function (v) { return v.impact === "serious" || v.impact === "critical"; }).map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 4).map(function (n) {
      return {target: n.target.join(" "), summary: n.failureSummary};
    })};
  });
})`

// runAxe injects axe-core into the page (through DevTools, which the page's CSP does not
// govern) unless it is there already, and returns its serious and critical violations.
func runAxe(ctx context.Context, source string) ([]axeFinding, error) {
	present, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof axe === "object"`))
	if err != nil {
		return nil, err
	}
	if !present {
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](source)); err != nil {
			return nil, fmt.Errorf("inject axe: %w", err)
		}
	}
	return chromedp.Run(ctx, chromedp.Evaluate[[]axeFinding](axeRunScript, chromedp.EvalAwaitPromise))
}

func (f axeFinding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s", f.ID, f.Impact, f.Help)
	for _, n := range f.Nodes {
		fmt.Fprintf(&b, "\n      at %s: %s", n.Target, strings.ReplaceAll(n.Summary, "\n", " "))
	}
	return b.String()
}

// setScheme emulates the light or dark colour scheme the visitor's system asks for.
func setScheme(ctx context.Context, scheme string) error {
	_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
	return err
}

// headerItem is one visible control of the site header, where it is on the screen.
type headerItem struct {
	Text     string  `json:"text"`
	Href     string  `json:"href"`
	Class    string  `json:"cls"`
	Left     float64 `json:"left"`
	Right    float64 `json:"right"`
	Top      float64 `json:"top"`
	Bottom   float64 `json:"bottom"`
	Distinct bool    `json:"distinct"`
}

// pageLayout is what the layout checks read from a page.
type pageLayout struct {
	Items       []headerItem `json:"items"`
	ScrollWidth float64      `json:"scrollWidth"`
	ClientWidth float64      `json:"clientWidth"`
	Overflowing []string     `json:"overflowing"`
}

const layoutScript = `(function () {
  function visible(el) {
    var r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) { return false; }
    var closed = el.closest("details:not([open])");
    if (closed && !(el.closest("summary") && el.closest("summary").parentElement === closed)) { return false; }
    var s = getComputedStyle(el);
    return s.visibility !== "hidden";
  }
  var header = document.querySelector("body > header");
  var items = header ? Array.prototype.filter.call(header.querySelectorAll('a, button, summary, input:not([type="hidden"]), select'), visible) : [];
  var bg = function (el) { var s = getComputedStyle(el); return s.backgroundColor !== "rgba(0, 0, 0, 0)" && s.backgroundColor !== "transparent" || s.borderTopStyle !== "none" && parseFloat(s.borderTopWidth) > 0; };
  var overflowing = [];
  Array.prototype.forEach.call(document.querySelectorAll("body *"), function (el) {
    if (!visible(el) || el.closest(".visually-hidden, .skip-link")) { return; }
    var r = el.getBoundingClientRect();
    if (r.right > document.documentElement.clientWidth + 1 && !el.closest("pre, table, .post-body table")) {
      overflowing.push(el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "") + ": " + (el.innerText || "").slice(0, 40));
    }
  });
  return {
    items: items.map(function (el) {
      var r = el.getBoundingClientRect();
      return {text: (el.innerText || el.getAttribute("aria-label") || el.value || "").trim().replace(/\s+/g, " "),
        href: el.getAttribute("href") || "", cls: String(el.className || ""), left: r.left, right: r.right, top: r.top, bottom: r.bottom,
        distinct: bg(el)};
    }),
    scrollWidth: document.documentElement.scrollWidth, clientWidth: document.documentElement.clientWidth,
    overflowing: overflowing.slice(0, 5)
  };
})()`

// checkLayout reports what is wrong with the header and the page's width: the header's
// controls on more than one row or over each other, no distinct "Get help now", no
// one-tap "Ask a question" for those who may ask, a page wider than the screen.
func checkLayout(l pageLayout, role string) []string {
	var problems []string
	items := append([]headerItem(nil), l.Items...)
	sort.Slice(items, func(i, j int) bool { return items[i].Top < items[j].Top })
	rows, bottom := 0, -1.0
	for _, it := range items {
		if it.Top >= bottom-2 {
			rows++
			bottom = it.Bottom
		} else if it.Bottom > bottom {
			bottom = it.Bottom
		}
	}
	if rows != 1 {
		var names []string
		for _, it := range items {
			names = append(names, fmt.Sprintf("%q@%.0f", it.Text, it.Top))
		}
		problems = append(problems, fmt.Sprintf("the header's controls are on %d rows: %s", rows, strings.Join(names, ", ")))
	}
	sort.Slice(items, func(i, j int) bool { return items[i].Left < items[j].Left })
	for i := 1; i < len(items); i++ {
		a, b := items[i-1], items[i]
		if a.Right > b.Left+1 && a.Bottom > b.Top+1 && b.Bottom > a.Top+1 {
			problems = append(problems, fmt.Sprintf("header controls %q and %q overlap", a.Text, b.Text))
		}
	}
	var help, ask, signIn bool
	for _, it := range items {
		switch {
		case it.Href == "/crisis" && it.Text == "Get help now":
			help = true
			if !it.Distinct {
				problems = append(problems, `"Get help now" looks like every other link (no background or border)`)
			}
		case it.Href == "/ask":
			ask = true
		case strings.HasPrefix(it.Href, "/login"):
			signIn = true
		}
	}
	if !help {
		problems = append(problems, `no visible "Get help now" in the header`)
	}
	switch role {
	case "member", "expert", "moderator", "admin":
		if !ask {
			problems = append(problems, `no visible "Ask a question" in the header`)
		}
	case "visitor":
		if !signIn {
			problems = append(problems, `no visible "Sign in" in the header`)
		}
	}
	if l.ScrollWidth > l.ClientWidth+1 {
		problems = append(problems, fmt.Sprintf("the page is %.0f px wide on a %.0f px screen: %s", l.ScrollWidth, l.ClientWidth, strings.Join(l.Overflowing, "; ")))
	}
	return problems
}

// TestBrowserAccessibility opens every kind of page as each role that sees it, on a phone
// and on a desktop, in light and dark, and runs axe-core on it: no serious or critical
// violation may remain. It checks the header too (one row, a distinct "Get help now", "Ask
// a question" one tap away) and that no page is wider than the screen, and leaves a
// screenshot of every page at both sizes in testdata/screenshots.
func TestBrowserAccessibility(t *testing.T) {
	root := browserWithin(t, 4*time.Minute)
	w := newA11yWorld(t)
	axe := axeScript(t)
	dir := screenshotDir(t)
	started := time.Now()

	tabs := map[string]context.Context{}
	tab := func(role string) context.Context {
		if ctx, ok := tabs[role]; ok {
			return ctx
		}
		tabs[role] = openTab(t, root, w.e, w.url, w.people()[role])
		return tabs[role]
	}
	shot := func(ctx context.Context, name string, full bool) {
		t.Helper()
		capture := chromedp.CaptureScreenshot()
		if full {
			capture = chromedp.FullScreenshot(100)
		}
		b, err := chromedp.Run(ctx, capture)
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "a11y-"+name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range w.pages() {
		ctx := tab(p.role)
		name := p.kind + "-" + p.role
		openPage(t, ctx, w.url+p.path, p.role, a11yVariants[0])
		for _, v := range a11yVariants {
			checkPage(t, ctx, axe, name, p.role, v)
			if v.scheme == "light" {
				shot(ctx, name+"-"+v.size, true)
			}
		}
		if p.kind == "home" {
			// The menu, open: everything in it must pass too. Visitors have no menu on a
			// desktop, where all it holds is in the header row.
			for _, v := range a11yVariants {
				if v.size == "desktop" && p.role == "visitor" {
					continue
				}
				if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.width, v.height, viewportOptions(v.mobile)...)); err != nil {
					t.Fatal(err)
				}
				if err := setScheme(ctx, v.scheme); err != nil {
					t.Fatal(err)
				}
				menus, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("body > header details.site-menu > summary").length`))
				if err != nil {
					t.Fatal(err)
				}
				if menus != 1 {
					t.Errorf("home as %s: the header has %d menus, want 1", p.role, menus)
					break
				}
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("body > header details.site-menu > summary"))); err != nil {
					t.Fatalf("open the menu as %s: %v", p.role, err)
				}
				found, err := runAxe(ctx, axe)
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range found {
					t.Errorf("menu as %s, %s %s: %s", p.role, v.size, v.scheme, f)
				}
				if v.scheme == "light" {
					shot(ctx, "menu-"+p.role+"-"+v.size, false)
				}
				if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("body > header details.site-menu > summary"))); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := setScheme(ctx, "light"); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d pages, %d variants each, in %s; screenshots in %s", len(w.pages()), len(a11yVariants), time.Since(started).Round(time.Second), dir)
}

// openTab opens a tab with its own cookies, signed in as u (nil: a visitor).
func openTab(t *testing.T, root context.Context, e *env, baseURL string, u *model.User) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run opens the tab, and must not carry a step's timeout (it would close it).
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	if u != nil {
		signInBrowser(t, ctx, e, baseURL, u)
	}
	return ctx
}

// openPage opens url in the tab at the size of v; a page without its heading fails within
// seconds, not when the whole test times out.
func openPage(t *testing.T, ctx context.Context, url, role string, v a11yVariant) {
	t.Helper()
	step, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(step,
		chromedp.EmulateViewport(v.width, v.height, viewportOptions(v.mobile)...),
		chromedp.Navigate(url),
		chromedp.WaitReady(chromedp.CSS("main h1")),
	); err != nil {
		t.Fatalf("open %s as %s: %v", url, role, err)
	}
}

// checkPage runs axe and the layout checks on the page open in ctx, seen as v.
func checkPage(t *testing.T, ctx context.Context, axe, name, role string, v a11yVariant) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(v.width, v.height, viewportOptions(v.mobile)...)); err != nil {
		t.Fatal(err)
	}
	if err := setScheme(ctx, v.scheme); err != nil {
		t.Fatal(err)
	}
	found, err := runAxe(ctx, axe)
	if err != nil {
		t.Fatalf("%s, %s %s: axe: %v", name, v.size, v.scheme, err)
	}
	for _, f := range found {
		t.Errorf("%s as %s, %s %s: %s", name, role, v.size, v.scheme, f)
	}
	l, err := chromedp.Run(ctx, chromedp.Evaluate[pageLayout](layoutScript))
	if err != nil {
		t.Fatalf("%s: layout: %v", name, err)
	}
	for _, p := range checkLayout(l, role) {
		t.Errorf("%s as %s, %s %s: %s", name, role, v.size, v.scheme, p)
	}
}

// TestBrowserAccessibilityDemoBoard runs the same checks over the board `make run` seeds,
// whose invented conversations are longer and more varied than the fixtures: every demo
// thread as a member sees it (on a phone in light and on a desktop in dark, in turn), and
// the pages a visitor and a moderator start from.
func TestBrowserAccessibilityDemoBoard(t *testing.T) {
	root := browserWithin(t, 3*time.Minute)
	st := storetest.Open(t, config.DriverSQLite)
	e := newEnvWith(t, st, envOptions{dev: true, noRateLimits: true})
	ctx := context.Background()
	if _, err := demo.Seed(ctx, st, e.forum, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.sync()
	ts := httptest.NewServer(e.srv.Handler())
	defer ts.Close()
	axe := axeScript(t)
	persona := func(key string) *model.User {
		u, err := st.UserByDemoKey(ctx, key)
		if err != nil {
			t.Fatalf("demo persona %s: %v", key, err)
		}
		return u
	}
	type visit struct{ name, role, path string }
	visits := []visit{
		{"demo-home", "visitor", "/"}, {"demo-search", "visitor", "/search?q=relapse"},
		{"demo-home", "member", "/"}, {"demo-topics", "member", "/tags"}, {"demo-search", "member", "/search?q=relapse"},
		{"demo-home", "moderator", "/"}, {"demo-mod-members", "moderator", "/mod/members"}, {"demo-unanswered", "expert", "/unanswered"},
	}
	for _, th := range demo.Threads {
		thread, err := st.ThreadByDemoKey(ctx, th.Key)
		if err != nil {
			t.Fatalf("demo thread %s: %v", th.Key, err)
		}
		visits = append(visits, visit{"demo-thread " + th.Key, "member", threadPath(thread)})
	}
	tabs := map[string]context.Context{}
	users := map[string]*model.User{"visitor": nil, "member": persona("parent"), "moderator": persona("moderator"), "expert": persona("coach")}
	for i, v := range visits {
		tab, ok := tabs[v.role]
		if !ok {
			tab = openTab(t, root, e, ts.URL, users[v.role])
			tabs[v.role] = tab
		}
		variant := a11yVariants[0] // phone, light
		if i%2 == 1 {
			variant = a11yVariants[3] // desktop, dark
		}
		openPage(t, tab, ts.URL+v.path, v.role, variant)
		checkPage(t, tab, axe, v.name, v.role, variant)
	}
}
