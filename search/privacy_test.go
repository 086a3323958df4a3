package search_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/model"
	"forum/app/store/storetest"
	"forum/search"
)

// TestMembersOnlyMatchIsNoOracle checks what a visitor's search may learn of members-only
// threads: only whether many of them share the searched words in their titles or topics,
// never anything one thread's words decide, nor anything of the text of posts or phrases.
func TestMembersOnlyMatchIsNoOracle(t *testing.T) {
	b := newBoard(t, storetest.Open(t, "sqlite"))
	ix := openIndex(t)
	syncer := search.NewSyncer(b.st, ix, nil)
	ctx := context.Background()
	match := func(q string) bool {
		t.Helper()
		ok, err := ix.MembersOnlyMatch(ctx, search.ParseQuery(q))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	// One thread holds private words in its title and its body.
	b.ask(t, "Okonkwo bakery shift and our son", "He works at the okonkwo pharmacy on Fridays.", "craft")
	for i := 0; i < search.MembersOnlyThreshold-1; i++ {
		b.ask(t, fmt.Sprintf("Naloxone at home, question %d", i), "Where do families keep it? quokkabody", "probation")
	}
	sync(t, syncer)
	for _, q := range []string{"okonkwo", "okonkwo bakery", "pharmacy", "okonkwo pharmacy", "naloxone", "probation", "quokkabody"} {
		if match(q) {
			t.Errorf("%q: told of members-only threads that fewer than %d share", q, search.MembersOnlyThreshold)
		}
	}
	// One more makes the title word, and the topic, common enough to say so.
	b.ask(t, "Naloxone in the car too?", "Should we keep it in the car? quokkabody", "probation")
	sync(t, syncer)
	for _, q := range []string{"naloxone", "NALOXONE", "probation", "tag:probation", "naloxone tag:probation", "naloxone is:unanswered"} {
		if !match(q) {
			t.Errorf("%q: %d members-only threads share it in titles or topics, but no invitation", q, search.MembersOnlyThreshold)
		}
	}
	// Words of the posts, phrases, and a common word joined with a private one never count.
	for _, q := range []string{"quokkabody", `"naloxone at home"`, "naloxone okonkwo", "naloxone pharmacy", "naloxone tag:craft", "naloxone by:expert"} {
		if match(q) {
			t.Errorf("%q: counted", q)
		}
	}
}

// TestAnonymousExpertIsNotAnExpertAnswer checks that an expert's anonymous reply is one
// reply among others in the index: no by:expert match, not shown first in snippets.
func TestAnonymousExpertIsNotAnExpertAnswer(t *testing.T) {
	b := newBoard(t, storetest.Open(t, "sqlite"))
	ix := openIndex(t)
	ctx := context.Background()
	th := b.ask(t, "Probation officer keeps calling", "What do we tell the officer?", "probation")
	if _, err := b.svc.Reply(ctx, b.expert, th.ID, forum.ReplyInput{Body: "From my own family: zorbleword helped us.", Anonymous: true}); err != nil {
		t.Fatal(err)
	}
	named := b.ask(t, "Probation and curfews at home", "How strict should we be?", "probation")
	if _, err := b.svc.Reply(ctx, b.expert, named.ID, forum.ReplyInput{Body: "As a coach: set one clear rule."}); err != nil {
		t.Fatal(err)
	}
	sync(t, search.NewSyncer(b.st, ix, nil))
	r, err := ix.Search(ctx, search.Request{Query: search.ParseQuery("probation by:expert")})
	if err != nil {
		t.Fatal(err)
	}
	if r.Total != 1 || r.Hits[0].ThreadID != named.ID {
		t.Fatalf("by:expert = %+v, want only the thread with a named expert answer", r.Hits)
	}
	r, err = ix.Search(ctx, search.Request{Query: search.ParseQuery("is:answered")})
	if err != nil || r.Total != 1 {
		t.Fatalf("is:answered = %+v, %v: an anonymous expert's reply answered a question", r, err)
	}

	// Rows written before anonymous replies stopped counting as expert answers are read
	// the same way.
	now := time.Now()
	doc := search.NewDocument(&model.Thread{ID: 1, Title: "t", CreatedAt: now, LastActivityAt: now}, []*model.Post{
		{ID: 1, Opening: true, BodyHTML: "<p>question</p>"},
		{ID: 2, Expert: true, Anonymous: true, BodyHTML: "<p>anonymous words</p>"},
	})
	if doc.ExpertAnswered || doc.Answers != "" {
		t.Fatalf("document of an anonymous expert reply: expert answered %v, answers %q", doc.ExpertAnswered, doc.Answers)
	}
}
