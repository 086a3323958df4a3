package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"forum/app/store"
	"forum/app/store/storetest"
)

func TestSearchForMembersAndVisitors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		e.sync()
		member := e.as(e.parent)
		page := member.get("/search?q=defensive").Body.String()
		mustContain(t, page, e.resolved.Title, "<mark>defensive</mark>", "1 thread")
		// htmx: the results block only.
		frag := member.get("/search?q=defensive", "HX-Request", "true").Body.String()
		mustContain(t, frag, `id="results"`, e.resolved.Title)
		mustNotContain(t, frag, "<html")
		// Facets filter when clicked.
		page = member.get("/search?q=tag:craft").Body.String()
		mustContain(t, page, e.resolved.Title, e.answered.Title, "/search?q=tag%3Acraft&amp;tag=mat")
		page = member.get("/search?q=tag:craft&tag=mat").Body.String()
		mustContain(t, page, e.answered.Title)
		mustNotContain(t, page, e.resolved.Title)
		// New content is found once the syncer ran.
		member.post("/t/"+itoa(e.question.ID)+"/reply", url.Values{"body": {"We tried the quokkaword approach."}})
		e.sync()
		mustContain(t, member.get("/search?q=quokkaword").Body.String(), e.question.Title)

		// Visitors: nothing of members-only threads; an invitation to join.
		for _, p := range []string{"/search?q=defensive", "/search?q=defensive&sort=newest", "/search?q=tag:craft"} {
			for _, h := range [][]string{nil, {"HX-Request", "true"}} {
				rec := e.as(nil).get(p, h...)
				body := rec.Body.String()
				if rec.Code != http.StatusOK {
					t.Fatalf("visitor %s = %d", p, rec.Code)
				}
				mustNotContain(t, body, e.resolved.Title, e.answered.Title, "He gets defensive", "<mark>")
			}
		}
		mustContain(t, e.as(nil).get("/search?q=defensive").Body.String(), "Members also talk about", "0 threads in the public archive")
	})
}

func TestSearchBadInputNeverFails(t *testing.T) {
	e := newEnv(t, storetest.Open(t, "sqlite"))
	e.sync()
	c := e.as(e.parent)
	for _, q := range []string{`"unbalanced`, "tag:", "is:", "by:", "before:", "AND OR NOT", strings.Repeat("x", 10_000),
		"é\u202e\u200b𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "\x00\xff", "*?~^", `"" "" ""`, "page"} {
		rec := c.get("/search?q=" + url.QueryEscape(q))
		if rec.Code != http.StatusOK {
			t.Errorf("q=%.40q = %d", q, rec.Code)
		}
	}
	mustContain(t, c.get("/search?q="+url.QueryEscape(strings.Repeat("x ", 5000))).Body.String(), "first 500 characters")
	mustContain(t, c.get("/search?q=tag:").Body.String(), "tag: needs a topic")
	if rec := c.get("/search?page=-5&q=x"); rec.Code != http.StatusOK {
		t.Errorf("negative page = %d", rec.Code)
	}
}
