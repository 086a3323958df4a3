package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"forum/app/config"
	"forum/app/forum"
	"forum/app/store/storetest"
)

// replyTrouble stands between the browser and the forum and makes posting a reply go
// wrong on demand: slow (held until released), refused with 429 as a rate limit does, or
// dropped as a lost connection is. Every other request goes straight through.
type replyTrouble struct {
	next    http.Handler
	mu      sync.Mutex
	mode    string        // "", "slow", "429", "drop"
	release chan struct{} // closes to let a slow reply through
}

// set changes what happens to the next replies, and lets through any reply held.
func (rt *replyTrouble) set(mode string) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.release != nil {
		close(rt.release)
	}
	rt.mode, rt.release = mode, make(chan struct{})
}

func (rt *replyTrouble) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rt.mu.Lock()
	mode, release := rt.mode, rt.release
	rt.mu.Unlock()
	if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/reply") {
		switch mode {
		case "slow":
			select {
			case <-release:
			case <-time.After(20 * time.Second):
			}
		case "429":
			http.Error(w, "Please slow down", http.StatusTooManyRequests)
			return
		case "drop":
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
		}
	}
	rt.next.ServeHTTP(w, r)
}

// TestBrowserReplyFeedback posts replies the way a member on a poor connection meets
// them: a slow reply shows that it is sending (the button disabled, "Sending…"); a reply
// refused by a rate limit, one lost on the way, and one the server refuses because the
// thread was locked meanwhile each say why, and the text stays in the box.
func TestBrowserReplyFeedback(t *testing.T) {
	ctx := browser(t)
	e := newEnv(t, storetest.Open(t, config.DriverSQLite))
	trouble := &replyTrouble{next: e.srv.Handler()}
	trouble.set("")
	ts := httptest.NewServer(trouble)
	defer ts.Close()
	dir := screenshotDir(t)
	shot := func(name string) {
		t.Helper()
		b := run(t, ctx, chromedp.FullScreenshot(100))
		p := filepath.Join(dir, "feedback-"+name+".png")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	button := `#reply-form button[type="submit"]`
	// replyBox is the reply box and its button as the member sees them.
	type replyBox struct {
		Text     string `json:"text"`
		Label    string `json:"label"`
		Disabled bool   `json:"disabled"`
		Status   string `json:"status"`
		Alert    string `json:"alert"`
	}
	box := func() replyBox {
		t.Helper()
		return run(t, ctx, chromedp.Evaluate[replyBox](`(() => {
			const f = document.querySelector("#reply-form"), b = f.querySelector('button[type="submit"]');
			const s = f.querySelector("[data-request-status]"), a = f.querySelector(".field-error");
			return {text: f.querySelector("textarea").value, label: b.textContent.trim(), disabled: b.disabled,
				status: s ? s.textContent : "", alert: a ? a.textContent : ""};
		})()`))
	}
	write := func(text string) {
		t.Helper()
		run(t, ctx, chromedp.Evaluate[bool](`(document.querySelector("#reply-body").value = "") === ""`))
		do("write a reply", chromedp.SendKeys(chromedp.CSS("#reply-body"), text))
	}

	signInBrowser(t, ctx, e, ts.URL, e.parent)
	do("open the thread",
		chromedp.EmulateViewport(390, 844, viewportOptions(true)...),
		chromedp.Navigate(ts.URL+threadPath(e.question)),
		chromedp.WaitVisible(chromedp.CSS("#reply-body")),
	)

	// A slow reply: the button says it is sending and cannot be pressed twice.
	trouble.set("slow")
	const first = "We kept a calm voice and it helped a little."
	write(first)
	do("send it", chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.Search(`//form[@id="reply-form"]//button[@disabled][contains(., "Sending…")]`)))
	if b := box(); !b.Disabled || b.Label != "Sending…" || b.Text != first {
		t.Errorf("while sending: %+v", b)
	}
	if busy := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#reply-form").getAttribute("aria-busy") || ""`)); busy != "true" {
		t.Errorf("the form is not marked busy: %q", busy)
	}
	shot("sending")
	trouble.set("") // lets the held reply through
	do("the reply arrives",
		chromedp.WaitVisible(chromedp.Search(`//div[@id="replies-list"]//article[contains(., "calm voice")]`)),
		chromedp.WaitVisible(chromedp.Search(`//form[@id="reply-form"]//button[not(@disabled)][contains(., "Post reply")]`)),
	)
	if b := box(); b.Text != "" || b.Status != "" {
		t.Errorf("after the reply: %+v", b)
	}
	// The thread's count and heading follow the reply added in place.
	if got := run(t, ctx, chromedp.Text(chromedp.CSS("#reply-count"))); got != "1 reply" {
		t.Errorf("reply count %q", got)
	}
	if got := run(t, ctx, chromedp.TextContent(chromedp.CSS("#replies-h"))); got != "Replies" {
		t.Errorf("replies heading %q", got)
	}

	// Refused by a rate limit: the reason, and the text kept.
	trouble.set("429")
	const second = "Our son said yes to a first appointment."
	write(second)
	do("send it", chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.Search(`//form[@id="reply-form"]//p[@data-request-status][contains(., "Wait a minute")]`)))
	b := box()
	if b.Text != second || b.Disabled || b.Label != "Post reply" || !strings.Contains(b.Status, "Not sent.") || !strings.Contains(b.Status, "Your text is still here.") {
		t.Errorf("after a 429: %+v", b)
	}
	shot("rate-limited")

	// Lost on the way: the same, and sending again works.
	trouble.set("drop")
	do("send it again", chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.Search(`//form[@id="reply-form"]//p[@data-request-status][contains(., "could not be reached")]`)))
	if b := box(); b.Text != second || b.Disabled {
		t.Errorf("after a lost connection: %+v", b)
	}
	shot("offline")
	trouble.set("")
	do("send once more",
		chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.Search(`//div[@id="replies-list"]//article[contains(., "first appointment")]`)),
	)

	// Deleting a reply asks first, in a dialog; saying no keeps it, saying yes deletes it.
	deleteButton := chromedp.Search(`//article[contains(., "first appointment")]//button[contains(., "Delete")]`)
	do("press Delete, then say no", chromedp.Click(deleteButton),
		chromedp.WaitVisible(chromedp.CSS("dialog.confirm-dialog[open]")))
	if asked := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("dialog.confirm-dialog").textContent`)); !strings.Contains(asked, "Delete this post?") {
		t.Errorf("before deleting, the member is asked %q", asked)
	}
	do("say no", chromedp.Click(chromedp.Search(`//dialog[@open]//button[.="Cancel"]`)), chromedp.WaitNotPresent(chromedp.CSS("dialog.confirm-dialog[open]")),
		chromedp.Sleep(300*time.Millisecond))
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".removed").length`)); n != 0 {
		t.Fatal("a post was deleted though the member said no")
	}
	do("press Delete, then say yes", chromedp.Click(deleteButton),
		chromedp.WaitVisible(chromedp.CSS("dialog.confirm-dialog[open]")),
		chromedp.Click(chromedp.Search(`//dialog[@open]//button[.="Delete"]`)),
		chromedp.WaitVisible(chromedp.Search(`//p[contains(@class,"removed")][contains(., "deleted by its author")]`)))

	// Refused by the server: a moderator locked the thread while the member wrote.
	const third = "Thank you all, truly."
	write(third)
	if _, err := e.forum.ModerateThread(context.Background(), e.moderator, e.question.ID, forum.ActionLock, "a moderator's reason"); err != nil {
		t.Fatal(err)
	}
	do("send to a locked thread", chromedp.Click(chromedp.CSS(button)),
		chromedp.WaitVisible(chromedp.Search(`//form[@id="reply-form"]//p[contains(@class,"field-error")][contains(., "locked")]`)))
	if b := box(); b.Text != third || !strings.Contains(b.Alert, "This thread was locked") || b.Disabled {
		t.Errorf("after the server refused it: %+v", b)
	}
	shot("refused")
}
