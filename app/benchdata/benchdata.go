// Package benchdata writes a deterministic synthetic board of any size, for benchmarks:
// the same seed always gives the same threads, posts and words. It writes with bulk
// inserts, bypassing the per-post rules of app/forum, and records one change-log row per
// thread so that the search index can follow.
package benchdata

import (
	"context"
	"fmt"
	"html"
	"io"
	"math/rand/v2"
	"strings"
	"time"

	"forum/app/demo"
	"forum/app/forum"
	"forum/app/model"
	"forum/app/store"
)

// Options size the board.
type Options struct {
	Threads int
	Posts   int // all posts, opening posts included
	Seed    uint64
}

// Summary counts what was written.
type Summary struct {
	Users, Threads, Posts int
	Duration              time.Duration
}

var vocabulary = strings.Fields(`family son daughter husband wife brother sister parent worried relapse recovery treatment
detox rehab counselor therapist doctor medication buprenorphine methadone naltrexone naloxone overdose boundaries money
rent court probation officer judge drug test meeting group support sober sobriety drinking alcohol opioids fentanyl pills
cannabis vaping school college job shift sleep anxiety depression trust lies anger hope love patience conversation listen
calm safety plan weekend holiday dinner phone call text night morning week month year craving trigger stress coping skills
validation motivation change ready program insurance waitlist intake assessment outpatient residential coach sponsor
CRAFT DBT MAT IOP SUD PO BALM harm reduction twelve step Al-Anon Nar-Anon SMART`)

var titleStarts = []string{"How do I", "Should we", "What helps when", "Is it normal that", "Advice on", "Our", "My", "When"}

func sentence(r *rand.Rand, n int) string {
	w := make([]string, n)
	for i := range w {
		w[i] = vocabulary[r.IntN(len(vocabulary))]
	}
	s := strings.Join(w, " ")
	return strings.ToUpper(s[:1]) + s[1:] + "."
}

func paragraph(r *rand.Rand) string {
	var b strings.Builder
	for i, n := 0, 2+r.IntN(4); i < n; i++ {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(sentence(r, 6+r.IntN(12)))
	}
	return b.String()
}

// Generate writes the board. It needs the demo topics (it seeds them when missing).
func Generate(ctx context.Context, st *store.Store, o Options, progress io.Writer) (Summary, error) {
	start := time.Now()
	if o.Threads <= 0 || o.Posts < o.Threads {
		return Summary{}, fmt.Errorf("need at least one thread and at least as many posts as threads")
	}
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var sum Summary

	// People: one member in ten posts, one expert in fifty.
	nUsers := max(20, o.Threads/10)
	users := make([]*model.User, nUsers)
	for i := range users {
		role := model.RoleMember
		credential := ""
		if i%50 == 0 {
			role, credential = model.RoleExpert, "Synthetic family recovery coach"
		}
		name := fmt.Sprintf("bench_%d_%d", o.Seed, i)
		users[i] = &model.User{Pseudonym: name, Email: name + "@bench.invalid", Role: role,
			Status: model.StatusActive, Credential: credential, CreatedAt: base, UpdatedAt: base, ApprovedAt: &base, PseudonymChosenAt: &base}
	}
	if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertUsers(ctx, users) }); err != nil {
		return sum, fmt.Errorf("write users: %w", err)
	}
	sum.Users = nUsers

	var tagIDs []int64
	for _, t := range demo.Tags {
		tag, err := st.TagBySlug(ctx, t.Slug)
		if err != nil {
			tag = &model.Tag{Name: t.Name, Slug: t.Slug, Description: t.Description, CreatedAt: base, UpdatedAt: base}
			if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.InsertTag(ctx, tag) }); err != nil {
				return sum, err
			}
		}
		tagIDs = append(tagIDs, tag.ID)
	}

	replies := o.Posts - o.Threads
	const chunk = 500
	for done := 0; done < o.Threads; done += chunk {
		n := min(chunk, o.Threads-done)
		threads := make([]*model.Thread, n)
		opening := make([][]string, n)
		for i := range threads {
			author := users[r.IntN(nUsers)]
			at := base.Add(time.Duration(done+i) * time.Minute)
			words := strings.TrimSuffix(sentence(r, 5+r.IntN(6)), ".")
			title := titleStarts[r.IntN(len(titleStarts))] + " " + strings.ToLower(words[:1]) + words[1:] + "?"
			threads[i] = &model.Thread{Kind: model.KindQuestion, Title: title, Slug: forum.Slugify(title), AuthorID: author.ID,
				Visibility: model.VisibilityMembers, State: model.StateOpen, CreatedAt: at, UpdatedAt: at, LastActivityAt: at}
			if r.IntN(4) == 0 {
				threads[i].Visibility, threads[i].PublishConsent = model.VisibilityPublic, true
			}
			opening[i] = []string{paragraph(r), paragraph(r)}
		}
		written := 0
		err := st.Tx(ctx, func(tx *store.Tx) error {
			if err := tx.InsertThreads(ctx, threads); err != nil {
				return err
			}
			var posts []*model.Post
			var links []model.ThreadTag
			var changes []model.Change
			for i, t := range threads {
				k := 1 + r.IntN(3)
				for _, j := range r.Perm(len(tagIDs))[:k] {
					links = append(links, model.ThreadTag{ThreadID: t.ID, TagID: tagIDs[j]})
				}
				posts = append(posts, post(t.ID, t.AuthorID, true, false, opening[i], t.CreatedAt))
				// Spread the replies evenly: the first replies%Threads threads get one more.
				per := replies / o.Threads
				if done+i < replies%o.Threads {
					per++
				}
				expert := false
				for j := 0; j < per; j++ {
					u := users[r.IntN(nUsers)]
					isExpert := u.Role == model.RoleExpert
					expert = expert || isExpert
					posts = append(posts, post(t.ID, u.ID, false, isExpert, []string{paragraph(r)}, t.CreatedAt.Add(time.Duration(j+1)*time.Hour)))
				}
				t.ReplyCount = per
				if expert {
					t.State = model.StateAnswered
				}
				changes = append(changes, model.Change{Entity: "thread", EntityID: t.ID, ThreadID: t.ID, Op: "create", CreatedAt: t.CreatedAt})
			}
			if err := tx.InsertPosts(ctx, posts); err != nil {
				return err
			}
			if err := tx.InsertThreadTags(ctx, links); err != nil {
				return err
			}
			for _, t := range threads {
				if err := tx.UpdateThread(ctx, t, "reply_count", "state"); err != nil {
					return err
				}
			}
			written = len(posts)
			return tx.AddChanges(ctx, changes)
		})
		if err != nil {
			return sum, fmt.Errorf("write threads: %w", err)
		}
		sum.Threads += n
		sum.Posts += written
		if progress != nil {
			fmt.Fprintf(progress, "\r%d/%d threads, %d posts", sum.Threads, o.Threads, sum.Posts)
		}
	}
	if err := st.Tx(ctx, func(tx *store.Tx) error { return tx.RecountTags(ctx) }); err != nil {
		return sum, err
	}
	if progress != nil {
		fmt.Fprintln(progress)
	}
	sum.Duration = time.Since(start)
	return sum, nil
}

func post(threadID, authorID int64, opening, expert bool, paras []string, at time.Time) *model.Post {
	var src, out strings.Builder
	for i, p := range paras {
		if i > 0 {
			src.WriteString("\n\n")
		}
		src.WriteString(p)
		out.WriteString("<p>" + html.EscapeString(p) + "</p>\n")
	}
	return &model.Post{ThreadID: threadID, AuthorID: authorID, Opening: opening, Expert: expert,
		BodySource: src.String(), BodyHTML: out.String(), CreatedAt: at, UpdatedAt: at}
}
