package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"forum/app/store"
	"forum/app/store/storetest"
)

// TestReplyInPlaceUpdatesThePage posts an expert's first answer with htmx: besides the new
// post, the same answer swaps the heading, the count of replies and the state badge, which
// said "No replies yet", "0 replies" and "Awaiting an answer" until a reload.
func TestReplyInPlaceUpdatesThePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.coach)
		page := c.get(threadPath(e.question)).Body.String()
		mustContain(t, page, `<span id="thread-state" class="thread-state"><span class="state state-open">Awaiting an answer</span></span>`,
			`<span id="reply-count">0 replies</span>`, `No replies yet</h2>`)

		rec := c.post("/t/"+itoa(e.question.ID)+"/reply", url.Values{"body": {"Start with one calm evening a week."}}, "HX-Request", "true")
		if rec.Code != http.StatusOK {
			t.Fatalf("htmx reply = %d", rec.Code)
		}
		body := rec.Body.String()
		mustContain(t, body, "Start with one calm evening a week.",
			`<span id="thread-state" class="thread-state" hx-swap-oob="true"><span class="state state-answered">Expert answered</span></span>`,
			`<span id="reply-count" hx-swap-oob="true">1 reply</span>`)
		if !regexp.MustCompile(`<h2 id="replies-h" class="section-title" hx-swap-oob="true">Replies</h2>`).MatchString(body) {
			t.Errorf("the heading over the replies is not swapped to %q:\n%s", "Replies", body)
		}
		mustNotContain(t, body, "No replies yet", "Awaiting an answer", "<html")

		// The page, reloaded, says the same.
		page = c.get(threadPath(e.question)).Body.String()
		mustContain(t, page, "Expert answered", `<span id="reply-count">1 reply</span>`, `<h2 id="replies-h" class="section-title">Replies</h2>`)
	})
}
