package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"forum/app/store"
	"forum/app/store/storetest"
)

// TestMembersOnlyWordNeverReachesVisitors writes a members-only thread with a unique word
// and checks no visitor response carries it or its title, until the thread is published.
func TestMembersOnlyWordNeverReachesVisitors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		asker := e.as(e.parent)
		asker.get("/ask")
		rec := asker.post("/ask", url.Values{"title": {"Our private zebraquartz question"}, "body": {"Only members may read about zebraquartz."}, "tags": {"craft"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("ask = %d", rec.Code)
		}
		loc := rec.Header().Get("Location")
		id := threadLocation.FindStringSubmatch(loc)[1]
		coach := e.as(e.coach)
		coach.get(loc)
		coach.post("/t/"+id+"/reply", url.Values{"body": {"An expert answer about zebraquartz."}})
		e.sync()

		visitorPaths := []string{"/", loc, "/t/" + id, "/search?q=zebraquartz", "/search?q=%22private+zebraquartz%22",
			"/search?q=tag:craft", "/tags/craft", "/archive.atom", "/ask/similar?title=zebraquartz"}
		check := func(when string, mustHide bool) {
			t.Helper()
			for _, p := range visitorPaths {
				for _, h := range [][]string{nil, {"HX-Request", "true"}} {
					body := e.as(nil).get(p, h...).Body.String()
					leaked := strings.Contains(body, "zebraquartz") && !strings.Contains(p, "zebraquartz") ||
						strings.Contains(body, "Our private") || strings.Contains(body, "Only members may read")
					if mustHide && leaked {
						t.Errorf("%s: visitor GET %s %v shows the members-only thread", when, p, h)
					}
				}
			}
		}
		check("before publishing", true)
		// One thread's words tell a visitor nothing: the search reads as for a word nobody wrote.
		sameForVisitors(t, e, "zebraquartz", "qwxzynothing")

		// Publishing needs the asker's consent first.
		if rec := coach.post("/t/"+id+"/publish", nil); rec.Code != http.StatusForbidden {
			t.Fatalf("publish without consent = %d, want 403", rec.Code)
		}
		member := e.as(e.spouse)
		member.get(loc)
		if rec := member.post("/t/"+id+"/consent", url.Values{"consent": {"on"}}); rec.Code != http.StatusForbidden {
			t.Fatalf("someone else consents = %d, want 403", rec.Code)
		}
		asker.get(loc)
		if rec := asker.post("/t/"+id+"/consent", url.Values{"consent": {"on"}}); rec.Code != http.StatusSeeOther {
			t.Fatalf("consent = %d", rec.Code)
		}
		if rec := asker.post("/t/"+id+"/publish", nil); rec.Code != http.StatusForbidden {
			t.Fatalf("a member publishes = %d, want 403", rec.Code)
		}
		if rec := coach.post("/t/"+id+"/publish", nil); rec.Code != http.StatusSeeOther {
			t.Fatalf("publish = %d", rec.Code)
		}
		e.sync()

		page := e.as(nil).get(loc)
		if page.Code != http.StatusOK {
			t.Fatalf("visitor reads the published thread: %d", page.Code)
		}
		body := page.Body.String()
		mustContain(t, body, "Our private zebraquartz question", "An expert answer about zebraquartz", "An expert",
			"CRAFT-certified family recovery coach", "A family member")
		mustNotContain(t, body, "maple_mom", "coach_dana", "Your reply", "/p/")
		mustContain(t, e.as(nil).get("/search?q=zebraquartz").Body.String(), "<mark>zebraquartz</mark>")
		mustContain(t, e.as(nil).get("/archive.atom").Body.String(), "<title>Our private zebraquartz question</title>")
		mustContain(t, e.as(nil).get("/tags/craft").Body.String(), "Our private zebraquartz question")
		mustNotContain(t, e.as(nil).get("/tags/craft").Body.String(), e.resolved.Title)

		// Withdrawing consent takes it back to members only.
		asker.get(loc)
		asker.post("/t/"+id+"/consent", nil)
		e.sync()
		check("after withdrawing consent", true)
	})
}

func TestSimilarQuestionsWhileTyping(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	e.sync()
	c := e.as(e.parent)
	body := c.get("/ask/similar?title=conversation+about+CRAFT", "HX-Request", "true").Body.String()
	mustContain(t, body, e.resolved.Title)
	mustNotContain(t, body, "<html")
	if n := strings.Count(c.get("/ask/similar?title=the", "HX-Request", "true").Body.String(), "<li>"); n > 5 {
		t.Fatalf("%d similar threads, want at most 5", n)
	}
	mustContain(t, c.get("/ask").Body.String(), `hx-get="/ask/similar"`)
}
