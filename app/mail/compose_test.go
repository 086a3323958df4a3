package mail

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"forum/app/model"
	"forum/app/store"
	"forum/views"
)

func testComposer(t *testing.T, now func() time.Time) *composer {
	t.Helper()
	base, _ := url.Parse("https://forum.example.org/community")
	c, err := newComposer("Kinship", base, NewTokens([]byte("0123456789abcdef0123456789abcdef"), now), views.MailFS(), now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Every kind of notification has its words, its link and its unsubscribe link, and a
// message composed again (a job run twice, on another day) has the same Message-ID.
func TestComposeEveryKind(t *testing.T) {
	clock := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	c := testComposer(t, func() time.Time { return clock })
	thread := &model.Thread{ID: 41, Title: "Secret title"}
	post := &model.Post{ID: 97, ThreadID: 41}
	u := &model.User{ID: 7, Email: "family@example.org", CreatedAt: clock.Add(-time.Hour)}
	created := clock.Add(-time.Minute)
	for kind := range kindWords {
		n := &model.Notification{ID: 12, UserID: 7, Kind: kind, ThreadID: &thread.ID, PostID: &post.ID, CreatedAt: created}
		if kind == model.NotifyApproved {
			n.ThreadID, n.PostID = nil, nil
		}
		it := &store.MailItem{Notification: n, Recipient: u, Thread: thread, Post: post}
		msg, err := c.Notification(it)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if !strings.HasPrefix(msg.Subject, "Kinship: ") || strings.Contains(msg.Subject+msg.Text+msg.HTML, "Secret title") {
			t.Errorf("%s: subject %q", kind, msg.Subject)
		}
		wantLink := "https://forum.example.org/community/t/41#post-97"
		switch kind {
		case model.NotifyApproved:
			wantLink = "https://forum.example.org/community/"
		case model.NotifyFlagDanger:
			wantLink = "https://forum.example.org/community/mod/flags"
		}
		if !strings.Contains(msg.Text, wantLink) || !strings.Contains(msg.HTML, wantLink) {
			t.Errorf("%s: no link to %s:\n%s", kind, wantLink, msg.Text)
		}
		if !strings.HasPrefix(msg.Unsubscribe, "https://forum.example.org/community/unsubscribe/") || !strings.Contains(msg.Text, msg.Unsubscribe) {
			t.Errorf("%s: unsubscribe link %q", kind, msg.Unsubscribe)
		}
		token := strings.TrimPrefix(msg.Unsubscribe, "https://forum.example.org/community/unsubscribe/")
		if sub, err := c.tokens.Check(token); err != nil || sub.UserID != 7 || sub.Kind != string(kind) {
			t.Errorf("%s: the unsubscribe token stops %+v, %v", kind, sub, err)
		}
		if Describe(string(kind)) == "these e-mails" {
			t.Errorf("%s: no words for its unsubscribe page", kind)
		}

		clock = clock.Add(36 * time.Hour)
		again, err := c.Notification(it)
		if err != nil {
			t.Fatal(err)
		}
		if again.MessageID != msg.MessageID || msg.MessageID != "<n12."+strconv.FormatInt(created.UnixMilli(), 10)+"@forum.example.org>" {
			t.Errorf("%s: Message-IDs %q and %q", kind, msg.MessageID, again.MessageID)
		}
	}
}

// A token works for a year, then says it expired; changed in any way, it is refused.
func TestTokens(t *testing.T) {
	now := time.Now()
	tokens := NewTokens([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now })
	tok := tokens.Unsubscribe(42, "digest")
	if sub, err := tokens.Check(tok); err != nil || sub != (Unsubscription{UserID: 42, Kind: "digest"}) {
		t.Fatalf("Check = %+v, %v", sub, err)
	}
	later := NewTokens([]byte("0123456789abcdef0123456789abcdef"), func() time.Time { return now.Add(TokenLifetime + time.Minute) })
	if _, err := later.Check(tok); err != ErrExpiredToken {
		t.Fatalf("a year and a minute later: %v", err)
	}
	for _, bad := range []string{"", tok + "x", strings.Replace(tok, "digest", "reply", 1), "2" + tok[1:], tok[:len(tok)-2]} {
		if _, err := tokens.Check(bad); err != ErrBadToken {
			t.Errorf("Check(%q) = %v, want ErrBadToken", bad, err)
		}
	}
}
