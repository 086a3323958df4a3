package web_test

import (
	"context"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/store"
	"forum/app/store/storetest"
)

var formToken = regexp.MustCompile(`name="_csrf" value="([^"]*)"`)

// checkTokens fails unless every form of a page carries the token of its own meta tag,
// and no placeholder of the thread cache is left in it.
func checkTokens(t *testing.T, who, body string) {
	t.Helper()
	m := csrfMetaOf(body)
	if m == "" {
		t.Fatalf("%s: page without a CSRF token", who)
	}
	forms := formToken.FindAllStringSubmatch(body, -1)
	if len(forms) == 0 {
		t.Fatalf("%s: page without a form", who)
	}
	for _, f := range forms {
		if f[1] != m {
			t.Fatalf("%s: a form carries %q, the page's token is %q", who, f[1], m)
		}
	}
	if strings.Contains(body, "-slot-") {
		t.Fatalf("%s: a placeholder of the thread cache reached the page", who)
	}
}

func csrfMetaOf(body string) string {
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// TestThreadCacheKeepsViewersApart views the same threads, one viewer after another
// within the cache's lifetime: each sees only what is theirs to see, with their own
// CSRF token, whoever filled the cache first.
func TestThreadCacheKeepsViewersApart(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		path := threadPath(e.question) // asked anonymously by the spouse
		posts, err := e.st.PostsByThread(ctx, e.question.ID)
		if err != nil {
			t.Fatal(err)
		}
		edit := "/p/" + strconv.FormatInt(posts[0].ID, 10) + "/edit"

		mod := e.as(e.moderator).get(path).Body.String()
		mustContain(t, mod, "quiet_harbor", "posted anonymously", `action="/t/`+strconv.FormatInt(e.question.ID, 10)+`/moderate"`)
		checkTokens(t, "moderator", mod)

		member := e.as(e.parent)
		body := member.get(path).Body.String()
		mustNotContain(t, body, "quiet_harbor", "posted anonymously", "/moderate", edit)
		mustContain(t, body, "A member of the community", `id="reply-form"`)
		checkTokens(t, "member", body)

		author := e.as(e.spouse).get(path).Body.String()
		mustContain(t, author, edit)
		mustNotContain(t, author, "/moderate")
		checkTokens(t, "author", author)

		// Two members of the same kind share one rendering, each with their own token.
		other := e.as(e.coach).get(path).Body.String()
		checkTokens(t, "expert", other)
		again := e.as(e.parent).get(path).Body.String()
		checkTokens(t, "second member", again)
		if csrfMetaOf(again) == csrfMetaOf(mod) {
			t.Fatal("two browsers got the same CSRF token")
		}

		// A member's draft fills only their own reply form.
		if err := e.forum.SaveDraft(ctx, e.parent, forum.DraftKeyReply(e.question.ID), forum.DraftInput{Body: "Unsent words of maple"}); err != nil {
			t.Fatal(err)
		}
		mustContain(t, e.as(e.parent).get(path).Body.String(), "Unsent words of maple")
		mustNotContain(t, e.as(e.coach).get(path).Body.String(), "Unsent words of maple")

		// A published thread read by a member, then by a visitor: the visitor sees people by
		// role only.
		if err := e.forum.SetPublishConsent(ctx, e.parent, e.resolved.ID, true); err != nil {
			t.Fatal(err)
		}
		if err := e.forum.Publish(ctx, e.coach, e.resolved.ID, true); err != nil {
			t.Fatal(err)
		}
		mustContain(t, e.as(e.spouse).get(threadPath(e.resolved)).Body.String(), "quiet_harbor", "maple_mom")
		visitor := e.get(threadPath(e.resolved)).Body.String()
		mustContain(t, visitor, "An expert")
		mustNotContain(t, visitor, "quiet_harbor", "maple_mom", "coach_dana", `id="reply-form"`, "-slot-")
	})
}

// TestThreadPageShowsWritesAtOnce fills the cache, writes, and views again at once: the
// page shows the write.
func TestThreadPageShowsWritesAtOnce(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		path := threadPath(e.answered)
		c := e.as(e.spouse)
		c.get(path)

		if _, err := e.forum.Reply(ctx, e.parent, e.answered.ID, forum.ReplyInput{Body: "Our pharmacist explained it well."}); err != nil {
			t.Fatal(err)
		}
		mustContain(t, c.get(path).Body.String(), "Our pharmacist explained it well.")

		// A new pseudonym shows on every post at once.
		if err := e.forum.SetPseudonym(ctx, e.parent, "maple_renamed"); err != nil {
			t.Fatal(err)
		}
		body := c.get(path).Body.String()
		mustContain(t, body, "maple_renamed")
		mustNotContain(t, body, "maple_mom")

		// A suspension signs the member out at once, although their session was just checked.
		if err := e.forum.Suspend(ctx, e.moderator, e.spouse.ID, "test"); err != nil {
			t.Fatal(err)
		}
		if body := c.get(path).Body.String(); strings.Contains(body, "Our pharmacist") {
			t.Fatal("a suspended member still reads the thread")
		}
	})
}

// TestThreadPageSeesOtherNodes writes through a second store on the same database, as
// another node would: the server's caches do not see that write themselves, and the
// change-log watcher brings it to the page.
func TestThreadPageSeesOtherNodes(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- e.srv.Serve(ctx, ln) }()
		defer func() { cancel(); <-served }()

		path := threadPath(e.answered)
		c := e.as(e.spouse)
		c.get(path)

		otherNode := forum.New(storetest.OtherNode(e.st), markdown.New())
		author := *e.coach
		if _, err := otherNode.Reply(context.Background(), &author, e.answered.ID, forum.ReplyInput{Body: "Written on another node."}); err != nil {
			t.Fatal(err)
		}
		// The watcher polls every 250 ms and drops what the other node's change-log rows
		// name; the cache's own expiry is 5 s, so a page that shows the reply sooner was
		// dropped by the watcher. A generous deadline keeps the check exact on a busy machine.
		start := time.Now()
		for !strings.Contains(c.get(path).Body.String(), "Written on another node.") {
			if time.Since(start) > 15*time.Second {
				t.Fatal("the change log grew, and the server did not notice within 15 s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
}

// TestSessionCacheDropsRevokedSessions signs out from one browser and from a list of
// sessions: the next request of that session is a visitor's, at once.
func TestSessionCacheDropsRevokedSessions(t *testing.T) {
	each(t, func(t *testing.T, e *env) {
		c := e.as(e.parent)
		if !strings.Contains(c.get("/").Body.String(), "maple_mom") {
			t.Fatal("not signed in")
		}
		sessions, err := e.st.ActiveSessions(context.Background(), e.parent.ID, time.Now().UTC())
		if err != nil || len(sessions) == 0 {
			t.Fatalf("sessions = %d, %v", len(sessions), err)
		}
		for _, s := range sessions {
			if err := e.st.Tx(context.Background(), func(tx *store.Tx) error { return tx.RevokeSession(context.Background(), s.ID, time.Now().UTC()) }); err != nil {
				t.Fatal(err)
			}
		}
		if strings.Contains(c.get("/").Body.String(), "maple_mom") {
			t.Fatal("a revoked session still signs its browser in")
		}
	})
}
