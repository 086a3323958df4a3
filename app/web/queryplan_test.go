package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"forum/app/benchdata"
	"forum/app/config"
	"forum/app/model"
	"forum/app/store"
	"forum/app/store/storetest"
)

// listTables are the tables that grow with the board: no page may read one of them whole.
var listTables = map[string]bool{"threads": true, "posts": true, "thread_tags": true,
	"thread_reads": true, "thread_participants": true, "follows": true}

// tableAlias finds `"threads" AS "thread"` and `thread_tags AS tt` in a query.
var tableAlias = regexp.MustCompile(`"?(threads|posts|thread_tags|thread_reads|thread_participants|follows)"? AS "?(\w+)"?`)

// TestListQueriesUseIndexes visits every page that lists threads (home for a member, an
// expert and a visitor, the unanswered queue, /mine, a topic page for members and
// visitors, the public archive's feed, a profile, a thread) and their next pages, keeps
// every query they run, and asks the database how it would run each: none may read the
// threads, posts, thread_tags, thread_reads, thread_participants or follows table whole,
// and no list of threads may be sorted in a temporary B-tree (SQLite) or a Sort node
// (PostgreSQL) instead of read in index order. The member has read positions in most
// threads, some of them recorded a moment ago and not yet stored, so that every list
// counts what is new to them ("N new", store.UnreadCounts); /mine reads the threads they
// wrote in and follow.
func TestListQueriesUseIndexes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		e := newEnv(t, st)
		ctx := context.Background()
		// Enough rows that the planners choose as they would on a real board.
		if _, err := benchdata.Generate(ctx, st, benchdata.Options{Threads: 3000, Posts: 6000, Seed: 7}, nil); err != nil {
			t.Fatal(err)
		}
		// The member has read most threads up to their opening post, wrote in some and
		// follows others, as an active member of a large board does.
		storetest.Exec(t, st, `INSERT INTO thread_reads (user_id, thread_id, last_read_post_id, read_at)
			SELECT ?, t.id, (SELECT MIN(p.id) FROM posts p WHERE p.thread_id = t.id), t.created_at FROM threads t
			WHERE t.id % 3 <> 0 AND NOT EXISTS (SELECT 1 FROM thread_reads r WHERE r.user_id = ? AND r.thread_id = t.id)`,
			e.parent.ID, e.parent.ID)
		storetest.Exec(t, st, `INSERT INTO thread_participants (user_id, thread_id, last_activity_at, hidden)
			SELECT ?, t.id, t.last_activity_at, t.hidden FROM threads t
			WHERE t.id % 7 = 0 AND NOT EXISTS (SELECT 1 FROM thread_participants tp WHERE tp.user_id = ? AND tp.thread_id = t.id)`,
			e.parent.ID, e.parent.ID)
		// (Threads asked through the forum are followed by their askers already.)
		storetest.Exec(t, st, `INSERT INTO follows (user_id, thread_id, level, auto, created_at, updated_at)
			SELECT ?, t.id, ?, ?, t.created_at, t.created_at FROM threads t WHERE t.id % 11 = 0
			AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.user_id = ? AND f.thread_id = t.id)`,
			e.parent.ID, model.LevelWatching, false, e.parent.ID)
		// Everyone else has read and follows the threads they started.
		storetest.Exec(t, st, `INSERT INTO follows (user_id, thread_id, level, auto, created_at, updated_at)
			SELECT t.author_id, t.id, ?, ?, t.created_at, t.created_at FROM threads t WHERE t.author_id <> ?
			AND NOT EXISTS (SELECT 1 FROM follows f WHERE f.user_id = t.author_id AND f.thread_id = t.id)`,
			model.LevelNormal, true, e.parent.ID)
		storetest.Exec(t, st, `INSERT INTO thread_reads (user_id, thread_id, last_read_post_id, read_at)
			SELECT t.author_id, t.id, (SELECT MAX(p.id) FROM posts p WHERE p.thread_id = t.id), t.created_at FROM threads t
			WHERE NOT EXISTS (SELECT 1 FROM thread_reads r WHERE r.user_id = t.author_id AND r.thread_id = t.id)`)
		e.fanOut() // the member's notifications of the fixtures
		storetest.Exec(t, st, "ANALYZE")
		rec := storetest.RecordQueries(st) // the server reads through the same store

		after := fmt.Sprintf("after=%d-%d", time.Now().UnixNano(), int64(1)<<40)
		member, expert, visitor := e.as(e.parent), e.as(e.coach), e.as(nil)
		pages := []struct {
			who  *client
			name string
			path string
			hx   bool
		}{
			// Read a moment ago: a position recorded, not yet stored, that lists count over
			// the stored one.
			{member, "member", threadPath(e.answered), false},
			{member, "member", "/", false},
			{member, "member", "/?" + after, true},
			{expert, "expert", "/", false},
			{member, "member", "/unanswered", false},
			{member, "member", "/unanswered?" + after, true},
			{expert, "expert", "/unanswered?tag=craft", false},
			{expert, "expert", "/unanswered?tag=craft&" + after, true},
			{member, "member", "/u/coach_dana", false},
			{member, "member", "/mine", false},
			{member, "member", "/mine?" + after, true},
			{member, "member", "/tags/craft", false},
			{member, "member", "/tags/craft?" + after, true},
			{member, "member", "/u/maple_mom", false},
			{member, "member", "/notifications", false},
			{member, "member", "/following", false},
			{member, "member", threadPath(e.resolved), false},
			{visitor, "visitor", "/", false},
			{visitor, "visitor", "/archive.atom", false},
			{visitor, "visitor", "/tags/craft", false},
			{visitor, "visitor", "/tags/craft?" + after, true},
		}
		checked := 0
		// The member's own overlay and list: what is new to them, the threads they wrote
		// in and those they follow.
		overlays := []string{`FROM "thread_reads" AS "thread_read"`, "FROM posts AS p", "FROM thread_participants AS tp", "FROM follows AS f"}
		seen := map[string]bool{}
		for _, p := range pages {
			rec.Take()
			var headers []string
			if p.hx {
				headers = []string{"HX-Request", "true"}
			}
			r := p.who.get(p.path, headers...)
			if r.Code != http.StatusOK {
				t.Fatalf("%s GET %s = %d", p.name, p.path, r.Code)
			}
			for _, q := range rec.Take() {
				if !strings.HasPrefix(q, "SELECT") || !tableAlias.MatchString(q) {
					continue
				}
				checked++
				for _, w := range overlays {
					if strings.Contains(q, w) {
						seen[w] = true
					}
				}
				for _, problem := range planProblems(t, st, q) {
					t.Errorf("%s GET %s: %s\nquery: %s", p.name, p.path, problem, q)
				}
			}
		}
		if checked < len(pages) {
			t.Fatalf("only %d list queries were checked", checked)
		}
		for _, w := range overlays {
			if !seen[w] {
				t.Errorf("no query %s... was checked", w)
			}
		}
		t.Logf("checked the plans of %d queries", checked)
	})
}

// planProblems explains q on st's database and describes every full read of a growing
// table, and every sort of a list of threads.
func planProblems(t *testing.T, st *store.Store, q string) []string {
	t.Helper()
	ctx := context.Background()
	aliases := map[string]string{}
	for _, m := range tableAlias.FindAllStringSubmatch(q, -1) {
		aliases[m[2]] = m[1]
		aliases[m[1]] = m[1]
	}
	// The sort rule applies to the lists themselves, not to the topics of a page's
	// threads (a few per thread, by name). The threads a member chose to follow are the
	// one list put in order after it is read: their activity has no copy per follower,
	// which every reply would have to write (store.MemberThreads).
	listsThreads := strings.Contains(q, `FROM "threads" AS "thread"`) || strings.Contains(q, "FROM thread_participants AS tp")
	var problems []string
	if st.Driver() == config.DriverSQLite {
		rows, err := storetest.SQL(st).QueryContext(ctx, "EXPLAIN QUERY PLAN "+q)
		if err != nil {
			t.Fatalf("explain: %v\n%s", err, q)
		}
		defer rows.Close()
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			if f := strings.Fields(detail); len(f) >= 2 && f[0] == "SCAN" && listTables[aliases[f[1]]] {
				problems = append(problems, "reads "+aliases[f[1]]+" whole: "+detail)
			}
			if listsThreads && strings.Contains(detail, "TEMP B-TREE FOR ORDER BY") {
				problems = append(problems, "sorts the list: "+detail)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return problems
	}
	// PostgreSQL: sequential scans and sorts are priced out, so a plan that still reads a
	// table whole or sorts has no index to do otherwise. (On a small result, a sort is
	// cheaper and PostgreSQL would choose it; the question here is whether the index exists.)
	tx, err := storetest.SQL(st).BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback() //nolint:errcheck
	for _, set := range []string{"SET LOCAL enable_seqscan = off", "SET LOCAL enable_sort = off"} {
		if _, err := tx.ExecContext(ctx, set); err != nil {
			t.Fatal(err)
		}
	}
	var out string
	if err := tx.QueryRowContext(ctx, "EXPLAIN (FORMAT JSON) "+q).Scan(&out); err != nil {
		t.Fatalf("explain: %v\n%s", err, q)
	}
	var plans []struct {
		Plan pgPlan `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(out), &plans); err != nil {
		t.Fatal(err)
	}
	var walk func(n pgPlan)
	walk = func(n pgPlan) {
		switch {
		case n.NodeType == "Seq Scan" && listTables[n.Relation]:
			problems = append(problems, "reads "+n.Relation+" whole (Seq Scan)")
		case (n.NodeType == "Index Scan" || n.NodeType == "Index Only Scan") && listTables[n.Relation] && n.IndexCond == "":
			problems = append(problems, "reads "+n.Relation+" whole through index "+n.Index)
		case listsThreads && (n.NodeType == "Sort" || n.NodeType == "Incremental Sort"):
			problems = append(problems, fmt.Sprintf("sorts the list (%s by %v)", n.NodeType, n.SortKey))
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, p := range plans {
		walk(p.Plan)
	}
	if len(problems) > 0 {
		// The plan as text, to read beside the problems.
		rows, err := tx.QueryContext(ctx, "EXPLAIN "+q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var plan []string
		for rows.Next() {
			var line string
			if err := rows.Scan(&line); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, line)
		}
		problems = append(problems, "plan:\n"+strings.Join(plan, "\n"))
	}
	return problems
}

// pgPlan is a node of PostgreSQL's EXPLAIN (FORMAT JSON).
type pgPlan struct {
	NodeType  string   `json:"Node Type"`
	Relation  string   `json:"Relation Name"`
	Index     string   `json:"Index Name"`
	IndexCond string   `json:"Index Cond"`
	SortKey   []string `json:"Sort Key"`
	Plans     []pgPlan `json:"Plans"`
}
