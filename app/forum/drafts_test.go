package forum_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// draftBoard is a forum with a member, a moderator, a tag and a clock that moves on a
// second at every reading, so that drafts saved one after another are ordered.
type draftBoard struct {
	st          *store.Store
	svc         *forum.Service
	member, mod *model.User
}

func newDraftBoard(t *testing.T, st *store.Store) *draftBoard {
	t.Helper()
	ctx := context.Background()
	svc := forum.New(st, markdown.New())
	clock := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	svc.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	mk := func(name string, role model.Role) *model.User {
		now := time.Now().UTC()
		u := &model.User{Pseudonym: name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		return u
	}
	now := time.Now().UTC()
	if err := st.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	return &draftBoard{st: st, svc: svc, member: mk("writer", model.RoleMember), mod: mk("mod", model.RoleModerator)}
}

func (b *draftBoard) ask(t *testing.T, title string) *model.Thread {
	t.Helper()
	th, err := b.svc.Ask(context.Background(), b.mod, forum.AskInput{Title: title, Body: "Body", Tags: []string{"craft"}})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// draftKeys returns the keys of u's drafts.
func (b *draftBoard) draftKeys(t *testing.T, u *model.User) map[string]bool {
	t.Helper()
	var keys []string
	storetest.Scan(t, b.st, &keys, "SELECT draft_key FROM drafts WHERE user_id = ?", u.ID)
	out := map[string]bool{}
	for _, k := range keys {
		out[k] = true
	}
	return out
}

func TestReplyDraftNeedsAThreadTheMemberMayReplyTo(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newDraftBoard(t, st)
		open, locked, hidden := b.ask(t, "An open question here"), b.ask(t, "A locked question here"), b.ask(t, "A hidden question here")
		if _, err := b.svc.ModerateThread(ctx, b.mod, locked.ID, forum.ActionLock, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.ModerateThread(ctx, b.mod, hidden.ID, forum.ActionHide, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		if err := b.svc.SaveDraft(ctx, b.member, forum.DraftKeyReply(open.ID), forum.DraftInput{Body: "A reply being written"}); err != nil {
			t.Fatalf("draft for an open thread: %v", err)
		}
		for name, key := range map[string]string{
			"a thread that does not exist": forum.DraftKeyReply(hidden.ID + 1000),
			"a locked thread":              forum.DraftKeyReply(locked.ID),
			"a hidden thread":              forum.DraftKeyReply(hidden.ID),
			"a key that names no thread":   "reply:first",
			"a key of no kind":             "note:1",
		} {
			if err := b.svc.SaveDraft(ctx, b.member, key, forum.DraftInput{Body: "Words"}); !errors.Is(err, model.ErrNotFound) {
				t.Errorf("draft for %s (%q) = %v, want ErrNotFound", name, key, err)
			}
		}
		// A moderator may still reply to a locked thread, so may keep a draft there.
		if err := b.svc.SaveDraft(ctx, b.mod, forum.DraftKeyReply(locked.ID), forum.DraftInput{Body: "Words"}); err != nil {
			t.Errorf("moderator's draft for a locked thread: %v", err)
		}
		if keys := b.draftKeys(t, b.member); len(keys) != 1 || !keys[forum.DraftKeyReply(open.ID)] {
			t.Errorf("member's drafts = %v, want only the open thread's", keys)
		}
	})
}

func TestDraftIsNoLongerThanAPost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newDraftBoard(t, st)
		// The limit counts characters, not bytes: 50,000 two-byte characters are kept.
		if err := b.svc.SaveDraft(ctx, b.member, forum.DraftKeyAsk(), forum.DraftInput{Title: "Title", Body: strings.Repeat("é", forum.MaxBody)}); err != nil {
			t.Fatalf("draft at the limit: %v", err)
		}
		var inv *model.InvalidError
		err := b.svc.SaveDraft(ctx, b.member, forum.DraftKeyAsk(), forum.DraftInput{Title: "Title", Body: strings.Repeat("a", forum.MaxBody+1)})
		if !errors.As(err, &inv) || !strings.Contains(inv.Fields["body"], "50000") {
			t.Fatalf("draft over the limit = %v, want a message on the body", err)
		}
		if d, _ := b.svc.Draft(ctx, b.member, forum.DraftKeyAsk()); d == nil || !strings.HasPrefix(d.Body, "é") {
			t.Fatal("a refused draft replaced the one kept before")
		}
		if err := b.svc.SaveDraft(ctx, b.member, forum.DraftKeyAsk(), forum.DraftInput{Title: strings.Repeat("t", 4*forum.MaxTitle+1), Body: "Body"}); !errors.As(err, &inv) || inv.Fields["title"] == "" {
			t.Fatalf("draft with a title of %d characters = %v, want a message on the title", 4*forum.MaxTitle+1, err)
		}
		// A title a little too long to post is kept, to be shortened later.
		if err := b.svc.SaveDraft(ctx, b.member, forum.DraftKeyAsk(), forum.DraftInput{Title: strings.Repeat("t", forum.MaxTitle+10), Body: "Body"}); err != nil {
			t.Fatalf("draft with a title slightly too long: %v", err)
		}
		// Tags are kept as checked, but not without bound.
		var tags []string
		for i := range 80 {
			tags = append(tags, "tag-"+strconv.Itoa(i))
		}
		tags = append([]string{strings.Repeat("x", 61)}, tags...)
		if err := b.svc.SaveDraft(ctx, b.member, forum.DraftKeyAsk(), forum.DraftInput{Title: "Title", Body: "Body", Tags: tags}); err != nil {
			t.Fatal(err)
		}
		d, err := b.svc.Draft(ctx, b.member, forum.DraftKeyAsk())
		if err != nil || d == nil {
			t.Fatalf("draft = %v, %v", d, err)
		}
		if kept := strings.Split(d.Tags, ","); len(kept) != 50 || kept[0] != "tag-0" {
			t.Errorf("kept %d tags starting %q, want 50 starting tag-0", len(kept), kept[0])
		}
	})
}

func TestMemberKeepsAtMostMaxDrafts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newDraftBoard(t, st)
		var threads []*model.Thread
		for i := range forum.MaxDrafts + 1 {
			threads = append(threads, b.ask(t, "Question number "+strconv.Itoa(i)))
		}
		save := func(u *model.User, th *model.Thread) {
			t.Helper()
			if err := b.svc.SaveDraft(ctx, u, forum.DraftKeyReply(th.ID), forum.DraftInput{Body: "Words for " + th.Title}); err != nil {
				t.Fatal(err)
			}
		}
		save(b.mod, threads[0]) // someone else's draft is not the member's to lose
		for _, th := range threads[:forum.MaxDrafts] {
			save(b.member, th)
		}
		if n := len(b.draftKeys(t, b.member)); n != forum.MaxDrafts {
			t.Fatalf("%d drafts kept, want %d", n, forum.MaxDrafts)
		}
		// Writing on in the first draft makes it the newest; one more draft drops the
		// least recently saved, the second.
		save(b.member, threads[0])
		save(b.member, threads[forum.MaxDrafts])
		keys := b.draftKeys(t, b.member)
		if len(keys) != forum.MaxDrafts {
			t.Fatalf("%d drafts kept, want %d", len(keys), forum.MaxDrafts)
		}
		if keys[forum.DraftKeyReply(threads[1].ID)] {
			t.Error("the least recently saved draft was kept")
		}
		for _, i := range []int{0, 2, forum.MaxDrafts} {
			if !keys[forum.DraftKeyReply(threads[i].ID)] {
				t.Errorf("draft %d was dropped", i)
			}
		}
		if keys := b.draftKeys(t, b.mod); len(keys) != 1 {
			t.Errorf("another member's drafts = %v", keys)
		}
	})
}

// TestTooLargeHTMLIsAMessage checks that a post whose HTML would be too large is refused
// with a message beside the text, in the preview as on posting.
func TestTooLargeHTMLIsAMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newDraftBoard(t, st)
		th := b.ask(t, "A question to reply to")
		// An aligned table of empty cells: under 50,000 characters, over 1 MiB of HTML.
		body := "|" + strings.Repeat("a|", 100) + "\n|" + strings.Repeat(":-|", 100) + "\n" + strings.Repeat(strings.Repeat("|", 101)+"\n", 480)
		if n := len(body); n > forum.MaxBody {
			t.Fatalf("the table has %d characters", n)
		}
		var inv *model.InvalidError
		if _, err := b.svc.Reply(ctx, b.member, th.ID, forum.ReplyInput{Body: body}); !errors.As(err, &inv) || !strings.Contains(inv.Fields["body"], "too large") {
			t.Errorf("reply = %v, want a message on the body", err)
		}
		if _, err := b.svc.RenderMarkdown(body); !errors.As(err, &inv) || !strings.Contains(inv.Fields["body"], "too large") {
			t.Errorf("preview = %v, want a message on the body", err)
		}
		// The preview takes what a post may be, no more.
		if _, err := b.svc.RenderMarkdown(strings.Repeat("é", forum.MaxBody)); err != nil {
			t.Errorf("preview at the limit: %v", err)
		}
		if _, err := b.svc.RenderMarkdown(strings.Repeat("a", forum.MaxBody+1)); !errors.As(err, &inv) || !strings.Contains(inv.Fields["body"], "the limit is 50000") {
			t.Errorf("preview over the limit = %v, want a message on the body", err)
		}
	})
}
