package search_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/blevesearch/bleve/v2"

	"forum/app/benchdata"
	"forum/app/forum"
	"forum/app/markdown"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
	"forum/search"
)

type board struct {
	st     *store.Store
	svc    *forum.Service
	member *model.User
	expert *model.User
}

func newBoard(t *testing.T, st *store.Store) *board {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	b := &board{st: st, svc: forum.New(st, markdown.New())}
	mk := func(name string, role model.Role) *model.User {
		u := &model.User{Pseudonym: name, Role: role, Status: model.StatusActive, CreatedAt: now, UpdatedAt: now, PseudonymChosenAt: &now}
		if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUser(ctx, u) }); err != nil {
			t.Fatal(err)
		}
		return u
	}
	b.member, b.expert = mk("asker", model.RoleMember), mk("coach", model.RoleExpert)
	for _, slug := range []string{"craft", "mat", "probation", "dbt"} {
		if err := st.Tx(ctx, func(tx *store.Tx) error {
			return tx.InsertTag(ctx, &model.Tag{Name: slug, Slug: slug, CreatedAt: now, UpdatedAt: now})
		}); err != nil {
			t.Fatal(err)
		}
	}
	return b
}

func (b *board) ask(t *testing.T, title, body string, tags ...string) *model.Thread {
	t.Helper()
	th, err := b.svc.Ask(context.Background(), b.member, forum.AskInput{Title: title, Body: body, Tags: tags})
	if err != nil {
		t.Fatal(err)
	}
	return th
}

// openIndex opens a new index in a temporary folder, closed when the test ends.
func openIndex(t *testing.T) *search.Index {
	t.Helper()
	ix, err := search.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ix.Close() })
	return ix
}

func sync(t *testing.T, s *search.Syncer) {
	t.Helper()
	for {
		n, err := s.SyncOnce(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func ids(r *search.Result) []int64 {
	var out []int64
	for _, h := range r.Hits {
		out = append(out, h.ThreadID)
	}
	return out
}

func find(t *testing.T, ix *search.Index, q string) []int64 {
	t.Helper()
	r, err := ix.Search(context.Background(), search.Request{Query: search.ParseQuery(q)})
	if err != nil {
		t.Fatal(err)
	}
	return ids(r)
}

func contains(xs []int64, x int64) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestAcronymsFuzzyPhrasesAndOperators(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		ix := openIndex(t)
		mat := b.ask(t, "Is MAT right for my son?", "His doctor mentioned buprenorphine.", "mat")
		dbt := b.ask(t, "DBT skills for parents", "Which DBT skills help at home?", "dbt")
		iop := b.ask(t, "IOP three evenings a week", "Will IOP be enough for SUD?", "craft")
		po := b.ask(t, "Missed a check-in with his PO", "The probation officer called us.", "probation")
		boundaries := b.ask(t, "Setting boundaries about money", "We keep giving him rent money.", "craft")
		if _, err := b.svc.Reply(context.Background(), b.expert, mat.ID, forum.ReplyInput{Body: "Medication for opioid use disorder saves lives."}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Reply(context.Background(), b.member, dbt.ID, forum.ReplyInput{Body: "We practised the skills at dinner."}); err != nil {
			t.Fatal(err)
		}
		sync(t, search.NewSyncer(st, ix, nil))

		cases := []struct {
			q    string
			want []int64
			not  []int64
		}{
			{"MAT", []int64{mat.ID}, []int64{dbt.ID}},
			{"dbt", []int64{dbt.ID}, []int64{mat.ID}},
			{"IOP", []int64{iop.ID}, nil},
			{"SUD", []int64{iop.ID}, nil},
			{"PO", []int64{po.ID}, nil},
			{"boundries", []int64{boundaries.ID}, nil}, // a typo
			{`"rent money"`, []int64{boundaries.ID}, nil},
			{`"money rent"`, nil, []int64{boundaries.ID}},
			{`"keep giving him rent money"`, []int64{boundaries.ID}, nil},     // stop words inside
			{`"giving money"`, nil, []int64{boundaries.ID}},                   // both words, not side by side
			{`"practised the skills"`, []int64{dbt.ID}, []int64{mat.ID}},      // in a plain reply
			{`"IOP"`, []int64{iop.ID}, []int64{dbt.ID}},                       // one word
			{`"opioid use disorder" saves`, []int64{mat.ID}, []int64{iop.ID}}, // three words and a word
			{"tag:craft", []int64{iop.ID, boundaries.ID}, []int64{mat.ID}},
			{"tag:craft money", []int64{boundaries.ID}, []int64{iop.ID}},
			{"is:answered", []int64{mat.ID}, []int64{dbt.ID}},
			{"is:unanswered skills", []int64{dbt.ID}, []int64{mat.ID}},
			{"by:expert", []int64{mat.ID}, []int64{po.ID}},
			{"opioid", []int64{mat.ID}, nil}, // found in the expert's answer
			{"after:2000-01-01 probation", []int64{po.ID}, nil},
			{"before:2000-01-01 probation", nil, []int64{po.ID}},
		}
		for _, tc := range cases {
			got := find(t, ix, tc.q)
			for _, w := range tc.want {
				if !contains(got, w) {
					t.Errorf("%q found %v, lacking thread %d", tc.q, got, w)
				}
			}
			for _, n := range tc.not {
				if contains(got, n) {
					t.Errorf("%q found %v, including thread %d", tc.q, got, n)
				}
			}
		}
		// Highlighting marks the words and escapes the rest.
		r, _ := ix.Search(context.Background(), search.Request{Query: search.ParseQuery("buprenorphine")})
		if len(r.Hits) != 1 || !strings.Contains(string(r.Hits[0].Snippet), "<mark>buprenorphine</mark>") {
			t.Fatalf("snippet = %+v", r.Hits)
		}
	})
}

func TestSnippetsNeverBreakTheHTML(t *testing.T) {
	b := newBoard(t, storetest.Open(t, "sqlite"))
	ix := openIndex(t)
	b.ask(t, `<b>Bold</b> title about "quotes" & ampersands`, "Text with `<script>alert(1)</script>` and <i>tags</i> about ampersands", "craft")
	sync(t, search.NewSyncer(b.st, ix, nil))
	r, err := ix.Search(context.Background(), search.Request{Query: search.ParseQuery("ampersands")})
	if err != nil || len(r.Hits) != 1 {
		t.Fatalf("%v %v", r, err)
	}
	for _, s := range []string{string(r.Hits[0].Title), string(r.Hits[0].Snippet)} {
		if strings.Contains(s, "<script") || strings.Contains(s, "<b>") || strings.Contains(s, "<i>") {
			t.Errorf("snippet carries markup: %s", s)
		}
	}
}

func TestKillAndRestartCatchesUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		dir := t.TempDir()
		ix, err := search.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		first := b.ask(t, "Before the crash", "naloxone at home", "craft")
		sync(t, search.NewSyncer(st, ix, nil))
		ix.Close() // the process stops

		// Written while no syncer runs.
		second := b.ask(t, "While the index was down", "naloxone in the car", "craft")
		if _, err := b.svc.ModerateThread(context.Background(), &model.User{ID: b.member.ID, Role: model.RoleModerator, Status: model.StatusActive}, first.ID, forum.ActionHide, "Off topic for this board"); err != nil {
			t.Fatal(err)
		}

		ix, err = search.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		s := search.NewSyncer(st, ix, nil)
		sync(t, s)
		got := find(t, ix, "naloxone")
		if !contains(got, second.ID) || contains(got, first.ID) {
			t.Fatalf("after restart: %v, want %d and not the hidden %d", got, second.ID, first.ID)
		}
		if s.Lag() != 0 {
			t.Fatalf("lag = %d", s.Lag())
		}
	})
}

func TestSecondOpenDoesNotHang(t *testing.T) {
	dir := t.TempDir()
	ix, err := search.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	start := time.Now()
	_, err = search.Open(dir)
	if !errors.Is(err, search.ErrInUse) {
		t.Fatalf("second open: %v, want ErrInUse", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatal("second open hung")
	}
}

func TestSimilarCacheServesWithinItsTTL(t *testing.T) {
	b := newBoard(t, storetest.Open(t, "sqlite"))
	ix, err := search.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	one := b.ask(t, "Naloxone at home for our son", "Where do we keep naloxone?", "craft")
	two := b.ask(t, "Naloxone in the car too?", "Should we keep naloxone in the car?", "craft")
	sync(t, search.NewSyncer(b.st, ix, nil))
	c := search.NewSimilarCache(ix, time.Minute, 10)
	got, err := c.Similar(context.Background(), one.ID, one.Title, false, 5)
	if err != nil || !contains(got, two.ID) || contains(got, one.ID) {
		t.Fatalf("similar = %v, %v", got, err)
	}
	ix.Close() // a cached answer needs no index
	again, err := c.Similar(context.Background(), one.ID, one.Title, false, 5)
	if err != nil || len(again) != len(got) {
		t.Fatalf("cached similar = %v, %v", again, err)
	}
	if _, err := c.Similar(context.Background(), two.ID, two.Title, false, 5); err == nil {
		t.Fatal("an uncached thread was answered from a closed index")
	}
}

func TestRankingTitleThenExpertAnswerThenReply(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		ix := openIndex(t)
		reply := b.ask(t, "Questions after the first clinic visit", "We met the team today and felt lost.", "craft")
		answer := b.ask(t, "Questions after the second clinic visit", "We met the nurse today and felt lost.", "craft")
		title := b.ask(t, "Methadone questions after the clinic visit", "We met the doctor today and felt lost.", "craft")
		if _, err := b.svc.Reply(context.Background(), b.member, reply.ID, forum.ReplyInput{Body: "They offered methadone, we think."}); err != nil {
			t.Fatal(err)
		}
		if _, err := b.svc.Reply(context.Background(), b.expert, answer.ID, forum.ReplyInput{Body: "Methadone is a proven treatment."}); err != nil {
			t.Fatal(err)
		}
		sync(t, search.NewSyncer(st, ix, nil))
		got := find(t, ix, "methadone")
		want := []int64{title.ID, answer.ID, reply.ID}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("order = %v, want title %d, expert answer %d, reply %d", got, title.ID, answer.ID, reply.ID)
		}
		// A word only a plain reply holds still finds the thread, with its title shown.
		r, err := ix.Search(context.Background(), search.Request{Query: search.ParseQuery("think")})
		if err != nil || len(r.Hits) != 1 || r.Hits[0].ThreadID != reply.ID || !strings.Contains(string(r.Hits[0].Title), "first clinic visit") {
			t.Fatalf("reply-only word: %+v %v", r, err)
		}
	})
}

func TestTopicCountsCoverEveryMatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		ix := openIndex(t)
		for i := 0; i < 3; i++ {
			b.ask(t, fmt.Sprintf("Naltrexone question %d", i), "Does naltrexone help with cravings?", "craft")
		}
		b.ask(t, "Naltrexone and MAT", "Is naltrexone counted as MAT?", "mat", "craft")
		b.ask(t, "Something else entirely", "Nothing to see.", "dbt")
		sync(t, search.NewSyncer(st, ix, nil))
		r, err := ix.Search(context.Background(), search.Request{Query: search.ParseQuery("naltrexone"), Size: 1})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[string]int{}
		for _, tc := range r.Tags {
			counts[tc.Slug] = tc.Count
		}
		if r.Total != 4 || len(r.Hits) != 1 || counts["craft"] != 4 || counts["mat"] != 1 || counts["dbt"] != 0 {
			t.Fatalf("total %d, %d hits, topics %v; want 4, 1, craft 4 and mat 1", r.Total, len(r.Hits), counts)
		}
	})
}

func TestIndexOfAnEarlierVersionIsRebuilt(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		b := newBoard(t, st)
		dir := t.TempDir()
		th := b.ask(t, "Written before the upgrade", "acamprosate and sleep", "craft")
		// An index as an earlier version left it: another mapping, no schema version.
		old, err := bleve.New(filepath.Join(dir, "search.bleve"), bleve.NewIndexMapping())
		if err != nil {
			t.Fatal(err)
		}
		if err := old.Index("999", map[string]string{"body": "stale"}); err != nil {
			t.Fatal(err)
		}
		if err := old.SetInternal([]byte("last_change"), []byte("1000000")); err != nil {
			t.Fatal(err)
		}
		old.Close()

		ix, err := search.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer ix.Close()
		if n, _ := ix.Count(); !ix.Replaced() || n != 0 {
			t.Fatalf("replaced = %v with %d documents, want an empty new index", ix.Replaced(), n)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		// Wait for the rebuild to finish, not only for the thread to be found: a syncer
		// stopped in the middle of its rebuild rightly leaves the index to be rebuilt again.
		logs := &lockedBuffer{}
		syncer := search.NewSyncer(st, ix, slog.New(slog.NewTextHandler(logs, nil)))
		go func() { syncer.Run(ctx); close(done) }()
		for i := 0; i < 600 && !strings.Contains(logs.String(), "search index rebuilt"); i++ {
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		<-done
		if got := find(t, ix, "acamprosate"); !contains(got, th.ID) {
			t.Fatalf("after the rebuild: %v, want %d", got, th.ID)
		}
		ix.Close()
		again, err := search.Open(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer again.Close()
		if again.Replaced() {
			t.Fatal("an index of this version was replaced")
		}
	})
}

func TestInterruptedRebuildIsRedone(t *testing.T) {
	b := newBoard(t, storetest.Open(t, "sqlite"))
	dir := t.TempDir()
	th := b.ask(t, "Written before the rebuild", "disulfiram questions", "craft")
	ix, err := search.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the process is stopped as the rebuild begins
	if _, err := search.Rebuild(ctx, b.st, ix, nil); err == nil {
		t.Fatal("a cancelled rebuild reported success")
	}
	ix.Close()

	ix, err = search.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ix.Close()
	if !ix.Replaced() {
		t.Fatal("an index whose rebuild did not finish was kept")
	}
	if _, err := search.Rebuild(context.Background(), b.st, ix, nil); err != nil {
		t.Fatal(err)
	}
	if got := find(t, ix, "disulfiram"); !contains(got, th.ID) {
		t.Fatalf("after the rebuild: %v, want %d", got, th.ID)
	}
}

func TestNewestOrderFollowsLastActivity(t *testing.T) {
	b := newBoard(t, storetest.Open(t, "sqlite"))
	ix := openIndex(t)
	old := b.ask(t, "Guanfacine questions in the title", "Guanfacine and guanfacine again.", "craft")
	recent := b.ask(t, "Sleep after detox", "The doctor mentioned guanfacine.", "craft")
	if _, err := b.svc.Reply(context.Background(), b.member, recent.ID, forum.ReplyInput{Body: "An update from tonight."}); err != nil {
		t.Fatal(err)
	}
	sync(t, search.NewSyncer(b.st, ix, nil))
	q := search.ParseQuery("guanfacine")
	if got := find(t, ix, "guanfacine"); len(got) != 2 || got[0] != old.ID {
		t.Fatalf("by relevance: %v, want %d first (the word in its title)", got, old.ID)
	}
	r, err := ix.Search(context.Background(), search.Request{Query: q, Newest: true})
	if err != nil || len(r.Hits) != 2 || r.Hits[0].ThreadID != recent.ID {
		t.Fatalf("newest first: %+v %v, want %d first", r, err, recent.ID)
	}
}

// lockedBuffer collects a syncer's log lines while the test reads them.
type lockedBuffer struct {
	mu  gosync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestOutranksTellsWhetherAChangeReachesThePage: after each change, Outranks says whether
// the first page of a search (relevance order) would change, and the page searched again
// agrees: a thread the query does not match, or one that matches below the page, leaves
// it; a thread that now ranks on the page, or a change to the page's last hit, does not.
func TestOutranksTellsWhetherAChangeReachesThePage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		b := newBoard(t, st)
		ix := openIndex(t)
		syncer := search.NewSyncer(st, ix, nil)
		top := b.ask(t, "Garden work on weekends", "The garden keeps us busy and calm.", "craft")
		second := b.ask(t, "Weekends with a teenager", "We spend some time in the garden, among other things we try as a family.", "craft")
		below := b.ask(t, "Long evenings", "Long evenings, long talks and long walks and, once, a garden centre visit; mostly we sit at home and talk about the week, what went well and what did not, and what we hope for.", "craft")
		other := b.ask(t, "Probation meetings", "How do we prepare?", "probation")
		sync(t, syncer)
		req := search.Request{Query: search.ParseQuery("garden"), Size: 2}
		page := func() []int64 {
			t.Helper()
			r, err := ix.Search(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			return ids(r)
		}
		before := page()
		if fmt.Sprint(before) != fmt.Sprint([]int64{top.ID, second.ID}) {
			t.Fatalf("first page %v, want %v", before, []int64{top.ID, second.ID})
		}
		step := func(what string, changed []int64, want bool) {
			t.Helper()
			sync(t, syncer)
			got, err := ix.Outranks(ctx, req, changed, second.ID)
			if err != nil {
				t.Fatal(err)
			}
			after := page()
			if moved := fmt.Sprint(after) != fmt.Sprint(before); moved != want || got != want {
				t.Fatalf("%s: Outranks %v, the page went from %v to %v; want a change %v", what, got, before, after, want)
			}
		}
		reply := func(th *model.Thread, body string) {
			t.Helper()
			if _, err := b.svc.Reply(ctx, b.member, th.ID, forum.ReplyInput{Body: body}); err != nil {
				t.Fatal(err)
			}
		}
		reply(other, "We wrote our questions down.")
		step("a reply to a thread the query does not match", []int64{other.ID}, false)
		reply(below, "Thank you all for the ideas.")
		step("a reply to a thread that matches below the page", []int64{below.ID, other.ID}, false)
		posts, err := st.PostsByThread(ctx, below.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.svc.EditPost(ctx, b.member, posts[0].ID, forum.EditInput{Title: "Garden centre visits, garden days", Body: posts[0].BodySource}); err != nil {
			t.Fatal(err)
		}
		step("a thread that now ranks on the page", []int64{below.ID}, true)
		if got, err := ix.Outranks(ctx, req, []int64{other.ID, second.ID}, second.ID); err != nil || !got {
			t.Fatalf("a change to the page's last hit: Outranks %v, %v; want true", got, err)
		}
	})
}

// A rebuild leaves each shard in one segment: a bulk build left many, of every size, which
// bleve's merger then rewrote while people wrote (tens of megabytes more memory while it
// did, twice in the first minutes of a 20,000-thread board) and every search read.
func TestRebuildLeavesOneSegmentPerShard(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t, "sqlite")
	if _, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: 2000, Posts: 4000, Seed: 5}, nil); err != nil {
		t.Fatal(err)
	}
	ix := openIndex(t)
	sum, err := search.Rebuild(ctx, st, ix, nil)
	if err != nil || sum.Threads != 2000 {
		t.Fatalf("rebuild = %+v, %v", sum, err)
	}
	for shard, n := range search.Segments(ix) {
		if n != 1 {
			t.Errorf("shard %d holds %d segments after a rebuild, want 1", shard, n)
		}
	}
	if n, err := ix.Count(); err != nil || n != 2000 {
		t.Errorf("the index holds %d threads (%v), want 2000", n, err)
	}
}
