package web_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// focused is what the browser says about the element that has the keyboard focus.
type focused struct {
	Tag     string `json:"tag"`
	ID      string `json:"id"`
	Class   string `json:"cls"`
	Text    string `json:"text"`
	Href    string `json:"href"`
	Where   string `json:"where"`
	Key     string `json:"key"`
	Outline bool   `json:"outline"`
	Style   string `json:"style"`
}

func (f focused) String() string {
	return fmt.Sprintf("<%s id=%q class=%q href=%q> %q in %s", f.Tag, f.ID, f.Class, f.Href, f.Text, f.Where)
}

// focusScript describes document.activeElement, and whether its focus can be seen: an
// outline of 2 px or more in a colour that is not transparent.
const focusScript = `(function () {
  var el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) { return {tag: "body"}; }
  var s = getComputedStyle(el);
  var outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2 && s.outlineColor !== "rgba(0, 0, 0, 0)" && s.outlineColor !== "transparent";
  return {tag: el.tagName.toLowerCase(), id: el.id, cls: String(el.className || ""), href: el.getAttribute("href") || "",
    text: (el.innerText || el.value || el.getAttribute("aria-label") || (el.labels && el.labels[0] ? el.labels[0].textContent : "")).trim().replace(/\s+/g, " ").slice(0, 300),
    where: el.closest("body > header") ? "header" : el.closest("main") ? "main" : el.closest("footer") ? "footer" : "page",
    key: el.getAttribute("data-kb") || "", outline: outline,
    style: s.outlineStyle + " " + s.outlineWidth + " " + s.outlineColor};
})()`

// markActions numbers every control a person can see in main (links, buttons, fields,
// disclosure summaries) and returns them: the keyboard must reach each one.
const markActions = `(function () {
  var n = 0, out = [];
  document.querySelectorAll('main a[href], main button, main input:not([type="hidden"]), main textarea, main select, main summary').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || el.disabled) { return; }
    var closed = el.closest("details:not([open])");
    if (closed && !(el.tagName === "SUMMARY" && el.parentElement === closed)) { return; }
    el.setAttribute("data-kb", String(++n));
    out.push(String(n) + " " + el.tagName.toLowerCase() + " " + (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "").trim().slice(0, 40));
  });
  return out;
})()`

// TestBrowserKeyboard walks the forum with the keyboard only: the header in order, the menu
// opened and closed, every action of a thread page reached by Tab with its focus visible,
// quote, reply and edit activated with Enter, and after every htmx swap (a boosted link,
// a quote, a posted reply, an edit form, a saved edit, "Load more", search as you type)
// the focus is where the reader's attention goes, and can be seen; swaps that typing or
// ticking starts (a draft saving, similar questions) leave the focus where it was.
func TestBrowserKeyboard(t *testing.T) {
	root := browserWithin(t, 3*time.Minute)
	w := newA11yWorld(t)
	ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
	defer cancel()
	signInBrowser(t, ctx, w.e, w.url, w.e.parent)

	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		// A step that waits for something missing fails soon, not when the test times out.
		step, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(step, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	focus := func() focused {
		t.Helper()
		return run(t, ctx, chromedp.Evaluate[focused](focusScript))
	}
	tab := func() focused {
		t.Helper()
		do("press Tab", chromedp.KeyEvent(kb.Tab))
		return focus()
	}
	enter := func(what string) {
		t.Helper()
		do(what, chromedp.KeyEvent(kb.Enter))
	}
	// focusOn puts the keyboard focus on the element sel, as Tab would, without counting tabs.
	focusOn := func(sel string) {
		t.Helper()
		do("focus "+sel, chromedp.Focus(chromedp.Search(sel)))
	}
	axe := axeScript(t)
	// axeAfterSwap checks the page as a swap left it: swapped-in forms and lists too must pass.
	axeAfterSwap := func(what string) {
		t.Helper()
		found, err := runAxe(ctx, axe)
		if err != nil {
			t.Fatalf("%s: axe: %v", what, err)
		}
		for _, f := range found {
			t.Errorf("%s: %s", what, f)
		}
	}
	mustSee := func(f focused, what string) {
		t.Helper()
		if !f.Outline {
			t.Errorf("%s: the focus on %s cannot be seen (outline %s)", what, f, f.Style)
		}
	}
	// waitFocus waits until the focused element matches want, as focus moves after a swap.
	waitFocus := func(what string, want func(focused) bool) focused {
		t.Helper()
		var f focused
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if f = focus(); want(f) {
				mustSee(f, what)
				return f
			}
		}
		t.Fatalf("%s: the focus is on %s", what, f)
		return f
	}

	for _, size := range []struct {
		name          string
		width, height int64
		mobile        bool
		header        []string
	}{
		{"phone", 390, 844, true, []string{"Kinship", "Search", "Ask", "Get help now", "Notifications", "menu"}},
		{"desktop", 1280, 800, false, []string{"Kinship", "Home", "Topics", "My threads", "Search the forum", "Search", "Ask a question", "Get help now", "Notifications", "maple_mom menu"}},
	} {
		do(size.name+": open a thread",
			chromedp.EmulateViewport(size.width, size.height, viewportOptions(size.mobile)...),
			chromedp.Navigate(w.url+threadPath(w.e.resolved)),
			chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
		)
		// The header, in order, after the skip link.
		if f := tab(); f.Text != "Skip to content" {
			t.Errorf("%s: the first Tab reaches %s, want the skip link", size.name, f)
		} else {
			mustSee(f, size.name+": skip link")
		}
		// Then the quick exit, before everything else on every page.
		if f := tab(); f.Text != "Quick exit" {
			t.Errorf("%s: the second Tab reaches %s, want the quick exit", size.name, f)
		}
		var got []string
		for i := 0; i < 20; i++ {
			f := tab()
			if f.Where != "header" {
				break
			}
			mustSee(f, size.name+": header")
			got = append(got, f.Text)
		}
		if strings.Join(got, " | ") != strings.Join(size.header, " | ") {
			t.Errorf("%s: Tab goes through the header as\n  %q\nwant\n  %q", size.name, got, size.header)
		}

		// The menu opens with Enter, its links come next, Escape closes it and focus returns.
		focusOn(`//body/header//details[contains(@class,"site-menu")]/summary`)
		enter(size.name + ": open the menu")
		if open := run(t, ctx, chromedp.Evaluate[bool](`document.querySelector("details.site-menu").open`)); !open {
			t.Fatalf("%s: Enter does not open the menu", size.name)
		}
		var menu []string
		for i := 0; i < 12; i++ {
			f := tab()
			if f.Where != "header" {
				break
			}
			mustSee(f, size.name+": menu")
			menu = append(menu, f.Text)
		}
		wantMenu := "What you follow | Your account | Sign out"
		if size.mobile {
			wantMenu = "Home | Topics | My threads | " + wantMenu
		}
		if strings.Join(menu, " | ") != wantMenu {
			t.Errorf("%s: the menu's links by Tab are %q, want %q", size.name, menu, wantMenu)
		}
		if open := run(t, ctx, chromedp.Evaluate[bool](`document.querySelector("details.site-menu").open`)); open {
			t.Errorf("%s: the menu stays open when the focus leaves it", size.name)
		}
		focusOn(`//body/header//details[contains(@class,"site-menu")]/summary`)
		enter(size.name + ": open the menu again")
		tab()
		do(size.name+": Escape", chromedp.KeyEvent(kb.Escape))
		if open := run(t, ctx, chromedp.Evaluate[bool](`document.querySelector("details.site-menu").open`)); open {
			t.Errorf("%s: Escape leaves the menu open", size.name)
		}
		if f := focus(); f.Tag != "summary" {
			t.Errorf("%s: after Escape the focus is on %s, want the menu button", size.name, f)
		}

		// Every action on the thread page is reached by Tab, and shows where the focus is.
		actions := run(t, ctx, chromedp.Evaluate[[]string](markActions))
		if len(actions) < 8 {
			t.Fatalf("%s: only %d actions found on the thread page: %q", size.name, len(actions), actions)
		}
		focusOn(`//a[contains(@class,"skip-link")]`)
		reached := map[string]bool{}
		for i := 0; i < len(actions)+40; i++ {
			f := tab()
			if f.Where == "footer" {
				break
			}
			if f.Key != "" {
				reached[f.Key] = true
				mustSee(f, size.name+": thread page")
			}
		}
		for _, a := range actions {
			if key, _, _ := strings.Cut(a, " "); !reached[key] {
				t.Errorf("%s: Tab never reaches %q on the thread page", size.name, a)
			}
		}
	}

	// Activating with the keyboard; the rest runs on a desktop.
	do("a thread, on a desktop",
		chromedp.EmulateViewport(1280, 800, viewportOptions(false)...),
		chromedp.Navigate(w.url+threadPath(w.e.resolved)),
		chromedp.WaitVisible(chromedp.CSS(".page-thread h1")),
	)
	helpful := strconv.FormatInt(w.e.helpfulPost.ID, 10)
	focusOn(`//article[@id="post-` + helpful + `"]//a[contains(., "Quote")]`)
	enter("quote the helpful answer")
	waitFocus("after Quote", func(f focused) bool { return f.ID == "reply-body" })
	if body := run(t, ctx, chromedp.Value(chromedp.CSS("#reply-body"))); !strings.Contains(body, "> Pick a calm moment") {
		t.Errorf("the quoted reply holds %q", body)
	}
	axeAfterSwap("after Quote")

	// Write, then Tab to "Post reply" and press Enter.
	do("write a reply", chromedp.KeyEvent("It worked on Sunday, thank you."))
	for i := 0; i < 6; i++ {
		if f := tab(); f.Text == "Post reply" {
			break
		}
	}
	if f := focus(); f.Text != "Post reply" {
		t.Fatalf("Tab from the reply text does not reach Post reply: %s", f)
	}
	enter("post the reply")
	posted := waitFocus("after posting a reply", func(f focused) bool {
		return f.Tag == "article" && strings.Contains(f.Text, "It worked on Sunday")
	})

	// Edit the new reply with the keyboard: the form's text field takes the focus, and the
	// saved post takes it back.
	focusOn(`//article[@id="` + posted.ID + `"]//a[contains(., "Edit")]`)
	enter("edit the reply")
	waitFocus("after Edit", func(f focused) bool { return f.Tag == "textarea" && strings.HasPrefix(f.ID, "edit-body-") })
	axeAfterSwap("the edit form in place")
	do("change the text", chromedp.KeyEvent(" We keep going."))
	for i := 0; i < 8; i++ {
		if f := tab(); f.Text == "Save changes" {
			break
		}
	}
	if f := focus(); f.Text != "Save changes" {
		t.Fatalf("Tab from the edited text does not reach Save changes: %s", f)
	}
	enter("save the edit")
	waitFocus("after saving the edit", func(f focused) bool {
		return f.Tag == "article" && f.ID == posted.ID && strings.Contains(f.Text, "We keep going.")
	})
	axeAfterSwap("after saving the edit")

	// A boosted link: the new page's heading takes the focus.
	focusOn(`//nav[contains(@class,"crumbs")]/a[contains(., "All discussions")]`)
	enter("follow the breadcrumb")
	waitFocus("after a boosted link", func(f focused) bool { return f.Tag == "h1" && f.Text == "Latest discussions" })
	if loc := run(t, ctx, chromedp.Location()); loc != w.url+"/" {
		t.Errorf("after the boosted link the address is %s", loc)
	}

	// "Load more": the first of the new threads takes the focus.
	focusOn(`//ul[@id="thread-list"]//a[contains(., "Load more")]`)
	enter("load more threads")
	more := waitFocus("after Load more", func(f focused) bool { return strings.Contains(f.Class, "thread-link") })
	if n := run(t, ctx, chromedp.Evaluate[int](`Array.prototype.indexOf.call(document.querySelectorAll("#thread-list .thread-link"), document.activeElement)`)); n != 25 {
		t.Errorf("after Load more the focus is on thread %d of the list (%s), want the first new one, 25", n, more)
	}
	axeAfterSwap("after Load more")

	// Search as you type: the caret stays in the field, a small status says how many.
	do("open search",
		chromedp.Navigate(w.url+"/search"),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	focusOn(`//input[@id="q"]`)
	do("type a search", chromedp.KeyEvent("CRAFT"),
		chromedp.WaitVisible(chromedp.Search(`//ol[contains(@class,"search-results")]//a[contains(., "start a CRAFT conversation")]`)))
	if f := focus(); f.ID != "q" {
		t.Errorf("while typing a search the focus moved to %s", f)
	}
	status := run(t, ctx, chromedp.Evaluate[string](`(function () { var s = document.querySelector('[role="status"]#search-status'); return s ? s.textContent.trim() : "none"; })()`))
	if status != "2 threads found." {
		t.Errorf("the search status says %q, want %q", status, "2 threads found.")
	}
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll('#results[aria-live], #results [aria-live], #results[role="status"]').length`)); n != 0 {
		t.Errorf("the results list is announced as a live region (%d)", n)
	}
	axeAfterSwap("search results as you type")
	do("type more", chromedp.KeyEvent(" probation"))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if status = run(t, ctx, chromedp.Evaluate[string](`document.getElementById("search-status").textContent.trim()`)); status != "2 threads found." {
			break
		}
	}
	if status != "No threads found." {
		t.Errorf("after more words the search status says %q", status)
	}
	if f := focus(); f.ID != "q" {
		t.Errorf("while typing a search the focus moved to %s", f)
	}

	// Swaps that typing or ticking starts (similar questions, the draft saving) leave the
	// focus where the member is.
	do("open the ask page",
		chromedp.Navigate(w.url+"/ask"),
		chromedp.WaitVisible(chromedp.CSS("#title")),
	)
	focusOn(`//input[@id="title"]`)
	do("type a title", chromedp.KeyEvent("Quiet evenings at home"))
	focusOn(`//textarea[@id="body"]`)
	do("type the question", chromedp.KeyEvent("He comes home late and we do not talk."))
	focusOn(`//input[@name="tags"][@value="boundaries"]`)
	do("tick a topic with the space bar", chromedp.KeyEvent(" "),
		chromedp.WaitVisible(chromedp.Search(`//span[@id="draft-status"][contains(., "Draft saved")]`)))
	if f, value := focus(), run(t, ctx, chromedp.Evaluate[string](`document.activeElement.value || ""`)); f.Tag != "input" || value != "boundaries" {
		t.Errorf("after the draft saved, the focus moved from the topic box to %s", f)
	}
}
