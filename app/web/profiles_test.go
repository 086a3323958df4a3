package web_test

import (
	"context"
	"strings"
	"testing"

	"forum/app/forum"
	"forum/app/store"
	"forum/app/store/storetest"
)

// TestProfilesShowWhatPeopleGave reads a member's and an expert's profiles as members,
// moderators, the person themselves and visitors: named threads and replies to members,
// answers with their helpful marks and topics for experts, and never an anonymous post.
func TestProfilesShowWhatPeopleGave(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		e := newEnv(t, st)
		// quiet_harbor asked e.question anonymously and replied by name in e.resolved; one
		// more thread and reply of theirs, anonymous, must stay off the profile.
		anon, err := e.forum.Ask(ctx, e.spouse, forum.AskInput{Title: "Okapi secret my family keeps", Body: "Words", Tags: []string{"craft"}, Anonymous: true})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.forum.Reply(ctx, e.spouse, e.answered.ID, forum.ReplyInput{Body: "An anonymous aside", Anonymous: true}); err != nil {
			t.Fatal(err)
		}
		named, err := e.forum.Ask(ctx, e.spouse, forum.AskInput{Title: "Named question about sleep and DBT", Body: "Words", Tags: []string{"craft"}})
		if err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]*client{"member": e.as(e.parent), "moderator": e.as(e.moderator), "themselves": e.as(e.spouse)} {
			page := c.get("/u/quiet_harbor").Body.String()
			mustContain(t, page, "Threads started", named.Title, "Replies", e.resolved.Title, "never listed here")
			for _, secret := range []string{anon.Title, e.question.Title, e.answered.Title} {
				if strings.Contains(page, secret) {
					t.Errorf("%s sees the anonymous %q on quiet_harbor's profile", name, secret)
				}
			}
		}
		visitor := e.as(nil).get("/u/quiet_harbor").Body.String()
		mustNotContain(t, visitor, named.Title, e.resolved.Title, "Threads started")

		coach := e.as(e.parent).get("/u/coach_dana").Body.String()
		mustContain(t, coach, "2 answers; 1 marked helpful", "Helped the asker", "Topics answered most",
			`href="/tags/craft">CRAFT <span class="count">2</span>`, `href="/tags/mat">MAT <span class="count">1</span>`,
			e.answered.Title, e.resolved.Title)
	})
}
