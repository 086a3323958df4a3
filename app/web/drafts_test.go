package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"forum/app/forum"
	"forum/app/store"
	"forum/app/store/storetest"
)

func TestReplyDraftForAThreadOneMayNotReplyToIsNotFound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		c.get(threadPath(e.question))
		if rec := c.post("/t/"+itoa(e.question.ID+1000)+"/reply/draft", url.Values{"body": {"Words"}}, "HX-Request", "true"); rec.Code != http.StatusNotFound {
			t.Errorf("draft for a thread that does not exist = %d, want 404", rec.Code)
		}
		if rec := c.post("/t/"+itoa(e.question.ID)+"/moderate", url.Values{"action": {"lock"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("a member locked a thread: %d", rec.Code)
		}
		mod := e.as(e.moderator)
		mod.get(threadPath(e.question))
		if rec := mod.post("/t/"+itoa(e.question.ID)+"/moderate", url.Values{"action": {"lock"}, "note": {"Cooling off"}}); rec.Code >= 400 {
			t.Fatalf("lock = %d", rec.Code)
		}
		if rec := c.post("/t/"+itoa(e.question.ID)+"/reply/draft", url.Values{"body": {"Words"}}, "HX-Request", "true"); rec.Code != http.StatusNotFound {
			t.Errorf("draft for a locked thread = %d, want 404", rec.Code)
		}
		rec := c.post("/t/"+itoa(e.answered.ID)+"/reply/draft", url.Values{"body": {"Words"}}, "HX-Request", "true")
		if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "Draft saved") {
			t.Errorf("draft for an open thread = %d %q", rec.Code, rec.Body.String())
		}
	})
}

func TestTooLongDraftAndPreviewSayWhy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		c.get("/ask")
		long := strings.Repeat("a", forum.MaxBody+1)
		rec := c.post("/ask/draft", url.Values{"title": {"A title"}, "body": {long}}, "HX-Request", "true")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `<span class="draft-status">Not saved as a draft: this is 50001 characters`) {
			t.Errorf("draft too long = %d %q", rec.Code, rec.Body.String())
		}
		rec = c.post("/preview", url.Values{"body": {long}}, "HX-Request", "true")
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `<p class="field-error">This is 50001 characters; the limit is 50000.`) {
			t.Errorf("preview too long = %d %q", rec.Code, rec.Body.String())
		}
		rec = c.post("/preview", url.Values{"body": {strings.Repeat("é", forum.MaxBody-2) + "**"}}, "HX-Request", "true")
		if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Body.String(), "<p>éé") {
			t.Errorf("preview at the limit = %d %.40q", rec.Code, rec.Body.String())
		}
	})
}

// TestPreviewAndDraftsAreRateLimited sends previews and drafts faster than anyone types.
func TestPreviewAndDraftsAreRateLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		c := e.as(e.parent)
		c.get("/ask")
		limited := func(path string, form url.Values) bool {
			for range 40 {
				if c.post(path, form, "HX-Request", "true").Code == http.StatusTooManyRequests {
					return true
				}
			}
			return false
		}
		if !limited("/preview", url.Values{"body": {"Some *text*"}}) {
			t.Error("40 quick previews were never limited")
		}
		if !limited("/ask/draft", url.Values{"title": {"A title"}, "body": {"Some text"}}) {
			t.Error("40 quick drafts were never limited")
		}
		// Reply drafts share the limit of drafts.
		if rec := c.post("/t/"+itoa(e.answered.ID)+"/reply/draft", url.Values{"body": {"Words"}}, "HX-Request", "true"); rec.Code != http.StatusTooManyRequests {
			t.Errorf("reply draft after many drafts = %d, want 429", rec.Code)
		}
	})
}
