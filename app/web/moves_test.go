package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestModeratorsMoveAndMergeThreads changes a thread's topics and merges a duplicate, with
// the reasons asked for, and follows the old address, the followers, search and the audit log.
func TestModeratorsMoveAndMergeThreads(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		mod, member := e.as(e.moderator), e.as(e.parent)
		sibling := e.addUser("quiet_sibling", model.RoleMember, model.StatusActive)
		dup, err := e.forum.Ask(ctx, sibling, forum.AskInput{Title: "Pangolin question asked twice", Body: "Is CRAFT worth it?", Tags: []string{"mat"}})
		if err != nil {
			t.Fatal(err)
		}
		reply, err := e.forum.Reply(ctx, e.coach, dup.ID, forum.ReplyInput{Body: "Yes, an expert's answer about wombats."})
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(dup.ID, 10)

		// Topics: members may not; a reason is asked for; then the topic page follows.
		if rec := member.post("/t/"+id+"/topics", url.Values{"tags": {"craft"}, "reason": {"x"}}); rec.Code != http.StatusForbidden {
			t.Errorf("a member changed topics: %d", rec.Code)
		}
		rec := mod.post("/t/"+id+"/topics", url.Values{"tags": {"craft", "boundaries"}})
		if rec.Code != http.StatusUnprocessableEntity {
			t.Fatalf("topics without a reason: %d", rec.Code)
		}
		mustContain(t, rec.Body.String(), "Say why, in a few words")
		rec = mod.post("/t/"+id+"/topics", url.Values{"tags": {"craft", "boundaries"}, "reason": {"It is about CRAFT, not MAT"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("topics: %d %s", rec.Code, rec.Body.String())
		}
		mustContain(t, member.get("/tags/boundaries").Body.String(), "Pangolin question")
		mustNotContain(t, member.get("/tags/mat").Body.String(), "Pangolin question")

		// Merge into the fixture question: the reason is asked for, the target checked.
		for _, bad := range []url.Values{{"into": {strconv.FormatInt(e.question.ID, 10)}}, {"into": {id}, "reason": {"same"}},
			{"into": {"999999"}, "reason": {"dup"}}} {
			if rec := mod.post("/t/"+id+"/merge", bad); rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("merge %v: %d; want 422", bad, rec.Code)
			}
		}
		if rec := member.post("/t/"+id+"/merge", url.Values{"into": {strconv.FormatInt(e.question.ID, 10)}, "reason": {"dup"}}); rec.Code != http.StatusForbidden {
			t.Errorf("a member merged threads: %d", rec.Code)
		}
		rec = mod.post("/t/"+id+"/merge", url.Values{"into": {"/t/" + strconv.FormatInt(e.question.ID, 10)}, "reason": {"Asked twice"}})
		if rec.Code != http.StatusSeeOther {
			t.Fatalf("merge: %d %s", rec.Code, rec.Body.String())
		}
		target := threadPath(e.question)
		for _, c := range []*client{member, mod} {
			old := c.get("/t/" + id + "/" + dup.Slug)
			if old.Code != http.StatusMovedPermanently || old.Header().Get("Location") != target {
				t.Errorf("the merged thread's address answered %d %q; want 301 to %s", old.Code, old.Header().Get("Location"), target)
			}
		}
		if old := e.as(nil).get("/t/" + id); old.Code == http.StatusMovedPermanently {
			t.Error("a visitor learned where a members-only thread was merged")
		}
		page := member.get(target).Body.String()
		mustContain(t, page, "Is CRAFT worth it?", "about wombats", "#post-"+strconv.FormatInt(reply.ID, 10))
		if th, _ := st.ThreadByID(ctx, e.question.ID); th.State != model.StateAnswered || th.ReplyCount < 2 {
			t.Errorf("target after the merge: state %s, %d replies; want answered with the moved posts", th.State, th.ReplyCount)
		}
		mustNotContain(t, member.get("/").Body.String(), "Pangolin question")
		// The asker of the duplicate follows the target now.
		if lvl, err := st.ThreadFollowLevel(ctx, sibling.ID, e.question.ID); err != nil || lvl != model.LevelWatching {
			t.Errorf("the duplicate's asker follows the target at %q (%v); want watching", lvl, err)
		}
		e.sync()
		mustNotContain(t, member.get("/search?q=pangolin").Body.String(), "Pangolin question")
		mustContain(t, member.get("/search?q=wombats").Body.String(), e.question.Title)
		audit := mod.get("/mod/audit").Body.String()
		mustContain(t, audit, "merged the duplicate", "Asked twice", "changed the topics of", "It is about CRAFT, not MAT")
		mustContain(t, mod.get("/mod/audit?action=moves").Body.String(), "merged the duplicate", "changed the topics of")
	})
}
