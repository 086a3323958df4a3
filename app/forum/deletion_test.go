package forum_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"forum/app/auth"
	"forum/app/config"
	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/search"
)

// departure is a board on which a family member and an admin leave. Every word either
// of them wrote, and every trace of them, is a made-up word found nowhere else, so that
// a search of every row and every file can tell whether deletion left one behind.
type departure struct {
	st  *store.Store
	svc *forum.Service
	ix  *search.Index

	member, admin, other *model.User
	// memberThread has a reply by other; soloThread has none; otherThread is other's
	// question, where the member's reply was marked helpful.
	memberThread, soloThread, otherThread *model.Thread

	// words maps each class of trace to the words that only the leaving people wrote there.
	words map[string][]string
	// kept is written by other, who stays.
	kept []string
}

const (
	memberAgent = "Mozilla/5.0 (X11; Linux x86_64) Quuxbrowser/93.1"
	memberIP    = "203.0.113.77"
	adminAgent  = "Zephyrcrawl/2.0 (Macintosh)"
	adminIP     = "198.51.100.41"
)

func newDeparture(t *testing.T, st *store.Store) *departure {
	t.Helper()
	ctx := context.Background()
	svc := forum.New(st, markdown.New())
	now := time.Now().UTC()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mk := func(name string, role model.Role) *model.User {
		u := &model.User{Pseudonym: name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
		must(st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }))
		return u
	}
	d := &departure{st: st, svc: svc, words: map[string][]string{}}
	d.admin, d.other = mk("Fernwright", model.RoleAdmin), mk("copper_kettle", model.RoleMember)
	must(st.Tx(ctx, func(tx *store.Tx) error {
		return tx.InsertTag(ctx, &model.Tag{Name: "CRAFT", Slug: "craft", CreatedAt: now, UpdatedAt: now})
	}))
	d.admin.Bio = "Admin bio Hollowmere"
	must(svc.UpdateBio(ctx, d.admin, d.admin.Bio))

	// The member signs in through a provider, is approved with a note, picks a name.
	m, err := svc.SignIn(ctx, forum.ExternalAccount{Provider: "oidc", Issuer: "https://id.example.org", Subject: "subject-Vantablack",
		Email: "orrin.vantablack@example.invalid", Name: "Orrin Vantablack"}, "")
	must(err)
	must(svc.SetJoinReason(ctx, m, "My nephew in Thistlebrook is using"))
	must(svc.DecideMembership(ctx, d.admin, m.ID, forum.DecisionApprove, "Knows the Ashgrovefield group"))
	if d.member, err = st.UserByID(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	must(svc.SetPseudonym(ctx, d.member, "lanternmoth"))
	must(svc.UpdateBio(ctx, d.member, "Mother of two, Pebbleshank county"))
	sessions := auth.NewSessions(st)
	for _, s := range []struct {
		u      *model.User
		ua, ip string
	}{{d.member, memberAgent, memberIP}, {d.admin, adminAgent, adminIP}} {
		if _, _, err := sessions.Create(ctx, s.u.ID, s.ua, s.ip); err != nil {
			t.Fatal(err)
		}
	}

	ask := func(u *model.User, title, body, note string) *model.Thread {
		th, err := svc.Ask(ctx, u, forum.AskInput{Title: title, Body: body, ContentNote: note, Tags: []string{"craft"}})
		must(err)
		return th
	}
	reply := func(u *model.User, th *model.Thread, body string) *model.Post {
		p, err := svc.Reply(ctx, u, th.ID, forum.ReplyInput{Body: body})
		must(err)
		return p
	}
	opening := func(th *model.Thread) *model.Post {
		posts, err := st.PostsByThread(ctx, th.ID)
		must(err)
		return posts[0]
	}

	// Other people's words, which stay.
	d.otherThread = ask(d.other, "How do we handle the first week home?", "Copperleafing helped us before.", "")
	linked := ask(d.other, "Talking with a probation officer", "Our son meets Tinsmithy next week.", "")
	d.kept = []string{"Copperleafing", "Tinsmithy", "Saltmeadow"}

	// The member's question, edited once (the earlier title and body become a revision),
	// answered by other; a second question nobody answered.
	d.memberThread = ask(d.member, "Quibblethorn: our son came home", "He said Marrowglint again.", "mentions Duskwhistle")
	_, _, err = svc.EditPost(ctx, d.member, opening(d.memberThread).ID, forum.EditInput{
		Title: "Brackenmoor: our son came home", Body: "He said Fennelwick again.", ContentNote: "mentions Duskwhistle"})
	must(err)
	reply(d.other, d.memberThread, "Saltmeadow is what we did.")
	d.soloThread = ask(d.member, "Sorrelgate and the night shift", "Wintergrist is all I can say.", "")
	// The member's reply in other's question, edited, then marked helpful.
	mine := reply(d.member, d.otherThread, "We tried Sallowvent.")
	_, _, err = svc.EditPost(ctx, d.member, mine.ID, forum.EditInput{Body: "We tried Tamberlune."})
	must(err)
	must(svc.MarkHelpful(ctx, d.other, d.otherThread.ID, mine.ID))
	// Drafts the member never posted.
	must(svc.SaveDraft(ctx, d.member, forum.DraftKeyAsk(), forum.DraftInput{Title: "Glimmerfen title", Body: "Glimmerfen body",
		ContentNote: "Glimmerfen note", Tags: []string{"craft"}, Anonymous: true}))
	must(svc.SaveDraft(ctx, d.member, forum.DraftKeyReply(linked.ID), forum.DraftInput{Body: "Harrowdune reply"}))

	// The admin's traces: a related-link note, an invite note, a reason for hiding a post,
	// a reply.
	must(svc.LinkThreads(ctx, d.admin, d.otherThread.ID, linked.ID, "See Oakenfirth here"))
	_, _, err = svc.CreateInvite(ctx, d.admin, forum.InviteInput{MaxUses: 1, Days: 7, Note: "for the Cindermallow family"})
	must(err)
	p := opening(linked)
	_, err = svc.ModeratePost(ctx, d.admin, p.ID, forum.ActionHide, "Gravelspire mention")
	must(err)
	_, err = svc.ModeratePost(ctx, d.admin, p.ID, forum.ActionRestore, "a moderator's reason")
	must(err)
	reply(d.admin, linked, "Ironquill is a good start.")

	// E-mail sent to the member: its record (with what the SMTP server said) and, in
	// development, the message itself.
	storetest.Exec(t, st, "INSERT INTO mail_sent (mail_key, user_id, message_id, answer, sent_at) VALUES (?, ?, ?, ?, ?)",
		"n:1", d.member.ID, "<n1.1@forum.example.org>", "250 2.0.0 queued as Mailsnipe", now)
	storetest.Exec(t, st, `INSERT INTO dev_mail (user_id, message_id, to_addr, subject, text_body, html_body, list_unsubscribe, raw, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.member.ID, "<n1.1@forum.example.org>", d.member.Email,
		"Kinship: an expert answered your question: Devlantern", "Devlantern", "<p>Devlantern</p>", "https://x/unsubscribe/t", "Devlantern", now)

	d.words = map[string][]string{
		"mail":       {"Mailsnipe", "Devlantern"},
		"posts":      {"Marrowglint", "Fennelwick", "Duskwhistle", "Wintergrist", "Sallowvent", "Tamberlune", "Ironquill"},
		"titles":     {"Quibblethorn", "Brackenmoor", "Sorrelgate"},
		"drafts":     {"Glimmerfen", "Harrowdune"},
		"sessions":   {memberAgent, memberIP, adminAgent, adminIP},
		"account":    {"lanternmoth", "Vantablack", "Pebbleshank", "Fernwright", "Hollowmere", "Thistlebrook"},
		"audit":      {"Ashgrovefield", "Gravelspire", "Oakenfirth"},
		"links":      {"Oakenfirth"},
		"invites":    {"Cindermallow"},
		"identities": {"subject-Vantablack", "orrin.vantablack"},
	}

	ix, err := search.Open(t.TempDir())
	must(err)
	t.Cleanup(func() { ix.Close() })
	d.ix = ix
	d.sync(t)
	return d
}

func (d *departure) allWords() []string {
	var out []string
	for _, ws := range d.words {
		for _, w := range ws {
			if !contains(out, w) {
				out = append(out, w)
			}
		}
	}
	sort.Strings(out)
	return out
}

// sync brings the search index up to date with the change log.
func (d *departure) sync(t *testing.T) {
	t.Helper()
	syncer := search.NewSyncer(d.st, d.ix, nil)
	for {
		n, err := syncer.SyncOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// leave deletes both accounts.
func (d *departure) leave(t *testing.T, removePosts bool) {
	t.Helper()
	ctx := context.Background()
	for _, u := range []*model.User{d.member, d.admin} {
		if err := d.svc.DeleteAccount(ctx, u, removePosts); err != nil {
			t.Fatalf("delete account %d: %v", u.ID, err)
		}
	}
}

// holders returns "table.column" for every column of tables (all tables when none are
// named) where some row holds word, compared without case.
func holders(t *testing.T, st *store.Store, word string, tables ...string) []string {
	t.Helper()
	cols := storetest.Columns(t, st)
	if len(cols) < 50 {
		t.Fatalf("the schema has only %d columns", len(cols))
	}
	var out []string
	for _, c := range cols {
		if len(tables) > 0 && !contains(tables, c.Table) {
			continue
		}
		q := fmt.Sprintf(`SELECT COUNT(*) FROM %q WHERE LOWER(CAST(%q AS TEXT)) LIKE ?`, c.Table, c.Name)
		var n int
		storetest.Scan(t, st, &n, q, "%"+strings.ToLower(word)+"%")
		if n > 0 {
			out = append(out, c.Table+"."+c.Name)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// traceClasses are the kinds of trace a person leaves, and the tables that hold them.
var traceClasses = []struct {
	class  string
	tables []string
}{
	{"posts", []string{"posts", "post_revisions"}},
	{"titles", []string{"threads", "post_revisions"}},
	{"drafts", []string{"drafts"}},
	{"sessions", []string{"sessions"}},
	{"account", []string{"users"}},
	{"identities", []string{"identities", "users"}},
	{"audit", []string{"audit_log"}},
	{"links", []string{"related_links"}},
	{"invites", []string{"invites"}},
	{"mail", []string{"mail_sent", "dev_mail"}},
}

// hits counts the threads a search for word finds.
func (d *departure) hits(t *testing.T, word string) uint64 {
	t.Helper()
	res, err := d.ix.Search(context.Background(), search.Request{Query: search.ParseQuery(word)})
	if err != nil {
		t.Fatal(err)
	}
	return res.Total
}

// TestDeleteAccountRemovesEveryWord deletes two accounts with their posts, and then looks
// for each word they wrote, class by class, in every row of every table.
func TestDeleteAccountRemovesEveryWord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		d := newDeparture(t, st)
		for _, w := range append(d.allWords(), d.kept...) {
			if len(holders(t, st, w)) == 0 {
				t.Fatalf("before deletion no row holds %q: the search cannot fail", w)
			}
		}
		for _, w := range []string{"Fennelwick", "Tamberlune", "Brackenmoor", "Wintergrist"} {
			if d.hits(t, w) == 0 {
				t.Fatalf("before deletion a search for %q finds nothing: the search cannot fail", w)
			}
		}
		d.leave(t, true)

		for _, c := range traceClasses {
			t.Run(c.class, func(t *testing.T) {
				for _, w := range d.words[c.class] {
					if h := holders(t, st, w, c.tables...); len(h) > 0 {
						t.Errorf("%q is still in %v", w, h)
					}
				}
			})
		}
		t.Run("every table", func(t *testing.T) {
			for _, w := range d.allWords() {
				if h := holders(t, st, w); len(h) > 0 {
					t.Errorf("%q is still in %v", w, h)
				}
			}
		})

		t.Run("other people's words stay", func(t *testing.T) {
			for _, w := range d.kept {
				if len(holders(t, st, w, "posts")) == 0 {
					t.Errorf("%q, written by someone who stays, is gone", w)
				}
			}
			th, err := st.ThreadByID(ctx, d.memberThread.ID)
			if err != nil {
				t.Fatal(err)
			}
			if th.Hidden || th.ReplyCount != 1 || !strings.Contains(th.Title, "removed by its author") {
				t.Errorf("the member's question with another's reply: hidden %v, %d replies, title %q", th.Hidden, th.ReplyCount, th.Title)
			}
		})
		t.Run("threads recounted", func(t *testing.T) {
			solo, err := st.ThreadByID(ctx, d.soloThread.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !solo.Hidden {
				t.Error("a question nobody answered still shows after its author removed it")
			}
			th, err := st.ThreadByID(ctx, d.otherThread.ID)
			if err != nil {
				t.Fatal(err)
			}
			if th.ReplyCount != 0 || th.HelpfulPostID != nil || th.State != model.StateOpen {
				t.Errorf("other's question after the helpful reply was removed: %d replies, helpful %v, state %s",
					th.ReplyCount, th.HelpfulPostID, th.State)
			}
		})
		t.Run("search index", func(t *testing.T) {
			d.sync(t)
			for _, w := range append(d.words["posts"], d.words["titles"]...) {
				if n := d.hits(t, w); n != 0 {
					t.Errorf("searching %q still finds %d threads", w, n)
				}
			}
			if n := d.hits(t, "Saltmeadow"); n != 1 {
				t.Errorf("other's reply in the member's question is found in %d threads, want 1", n)
			}
		})
	})
}

// TestDeletedAccountLeavesNoWordInTheFiles reads every file of the SQLite database (main
// file, write-ahead log, shared memory) after the deletion: none may hold a word the
// leaving people wrote, nor their browser or address.
func TestDeletedAccountLeavesNoWordInTheFiles(t *testing.T) {
	st := storetest.Open(t, config.DriverSQLite)
	ctx := context.Background()
	dir := filepath.Dir(storetest.DatabaseFile(t, st))
	d := newDeparture(t, st)

	found := func(words []string) map[string][]string {
		t.Helper()
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string][]string{}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			b, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			low := bytes.ToLower(b)
			for _, w := range words {
				if bytes.Contains(low, []byte(strings.ToLower(w))) {
					out[w] = append(out[w], e.Name())
				}
			}
		}
		return out
	}
	// The search can fail: before deletion every word is in the files.
	if err := st.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if got := found(d.allWords()); len(got) != len(d.allWords()) {
		t.Fatalf("before deletion only %d of %d words are in the files", len(got), len(d.allWords()))
	}

	d.leave(t, true)
	if got := found(d.allWords()); len(got) > 0 {
		t.Errorf("after deletion the database files still hold: %v", got)
	}
	if got := found(d.kept); len(got) != len(d.kept) {
		t.Errorf("words of someone who stays are missing from the files: found %v of %v", got, d.kept)
	}
}

// TestDeleteAccountKeepingPosts keeps the posts, shown as a former member's; everything
// else about the person goes.
func TestDeleteAccountKeepingPosts(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		d := newDeparture(t, st)
		d.leave(t, false)

		for _, w := range []string{"Fennelwick", "Tamberlune", "Brackenmoor", "Ironquill"} {
			if len(holders(t, st, w, "posts", "threads")) == 0 {
				t.Errorf("kept post text %q is gone", w)
			}
		}
		for _, c := range traceClasses {
			if c.class == "posts" || c.class == "titles" || c.class == "links" {
				continue // kept with the posts
			}
			t.Run(c.class, func(t *testing.T) {
				for _, w := range d.words[c.class] {
					if h := holders(t, st, w, c.tables...); len(h) > 0 {
						t.Errorf("%q is still in %v", w, h)
					}
				}
			})
		}
		t.Run("revisions", func(t *testing.T) {
			// Earlier versions of kept posts stay with the posts; who wrote them is gone.
			var editors []int64
			storetest.Scan(t, st, &editors, "SELECT DISTINCT editor_id FROM post_revisions")
			for _, id := range editors {
				u, err := st.UserByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if u.Status != model.StatusDeleted || u.Pseudonym == "lanternmoth" || u.Email != "" || u.RealName != "" {
					t.Errorf("a revision names its editor: %+v", u)
				}
			}
		})
		for _, u := range []*model.User{d.member, d.admin} {
			got, err := st.UserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != model.StatusDeleted || got.Email != "" || got.RealName != "" || got.Bio != "" ||
				got.Credential != "" || !strings.HasPrefix(got.Pseudonym, "former member #") {
				t.Errorf("deleted account keeps %+v", got)
			}
		}
		th, err := st.ThreadByID(ctx, d.soloThread.ID)
		if err != nil {
			t.Fatal(err)
		}
		if th.Hidden {
			t.Error("keeping posts hid a thread")
		}
	})
}

// TestDeletedAccountCannotBeRevived: a moderator may neither unsuspend a deleted account
// back to life nor suspend it (which unsuspending would then undo).
func TestDeletedAccountCannotBeRevived(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		d := newDeparture(t, st)
		if err := d.svc.DeleteAccount(ctx, d.member, false); err != nil {
			t.Fatal(err)
		}
		if err := d.svc.Unsuspend(ctx, d.admin, d.member.ID, "welcome back"); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("unsuspending a deleted account = %v, want forbidden", err)
		}
		if err := d.svc.Suspend(ctx, d.admin, d.member.ID, "a moderator's reason"); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("suspending a deleted account = %v, want forbidden", err)
		}
		if err := d.svc.Unsuspend(ctx, forum.CommandLine, d.member.ID, "a moderator's reason"); !errors.Is(err, model.ErrForbidden) {
			t.Errorf("unsuspending a deleted account from the command line = %v, want forbidden", err)
		}
		u, err := st.UserByID(ctx, d.member.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.Status != model.StatusDeleted || u.DeletedAt == nil {
			t.Errorf("deleted account is now %s", u.Status)
		}
		// A suspended member still comes back.
		if err := d.svc.Suspend(ctx, d.admin, d.other.ID, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		if err := d.svc.Unsuspend(ctx, d.admin, d.other.ID, "a moderator's reason"); err != nil {
			t.Fatal(err)
		}
		if u, _ := st.UserByID(ctx, d.other.ID); u.Status != model.StatusActive {
			t.Errorf("unsuspended member is %s", u.Status)
		}
	})
}

// TestDeletionCannotBeBlockedByAName: nobody can take the name a deleted account gets
// beforehand, and so make the deletion fail.
func TestDeletionCannotBeBlockedByAName(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		d := newDeparture(t, st)
		for _, name := range []string{fmt.Sprintf("former-member-%d", d.member.ID), fmt.Sprintf("former member #%d", d.member.ID)} {
			var inv *model.InvalidError
			if err := d.svc.SetPseudonym(ctx, d.other, name); err != nil && !errors.As(err, &inv) {
				t.Fatal(err)
			}
		}
		if err := d.svc.DeleteAccount(ctx, d.member, true); err != nil {
			t.Fatalf("delete account after another member took a name: %v", err)
		}
		if u, _ := st.UserByID(ctx, d.member.ID); u.Status != model.StatusDeleted {
			t.Fatalf("account is %s", u.Status)
		}
	})
}
