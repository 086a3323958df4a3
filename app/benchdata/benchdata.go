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

var titleStarts = []string{"How do I", "Should we", "What helps when", "Is it normal that", "Advice on", "Our", "My", "When"}

// maxThreadPosts is the longest thread's number of posts.
const maxThreadPosts = 200

// Generate writes the board. It needs the demo topics (it seeds them when missing).
func Generate(ctx context.Context, st *store.Store, o Options, progress io.Writer) (Summary, error) {
	start := time.Now()
	if o.Threads <= 0 || o.Posts < o.Threads || o.Posts > o.Threads*maxThreadPosts {
		return Summary{}, fmt.Errorf("need at least one thread, and from 1 to %d posts per thread", maxThreadPosts)
	}
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	words := newText()
	lengths := threadLengths(r, o.Threads, o.Posts, maxThreadPosts)
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

	// Topics are not equally popular: relapse and boundaries come up far more than BALM.
	tagWeight := make([]float64, len(tagIDs))
	var tagSum float64
	for i := range tagWeight {
		tagSum += 1 / float64(i+1)
		tagWeight[i] = tagSum
	}
	pickTag := func() int {
		u := r.Float64() * tagSum
		for i, w := range tagWeight {
			if u <= w {
				return i
			}
		}
		return len(tagWeight) - 1
	}
	const chunk = 500
	for done := 0; done < o.Threads; done += chunk {
		n := min(chunk, o.Threads-done)
		threads := make([]*model.Thread, n)
		opening := make([][]string, n)
		for i := range threads {
			author := users[r.IntN(nUsers)]
			at := base.Add(time.Duration(done+i) * time.Minute)
			w := strings.TrimSuffix(words.sentence(r, 4+r.IntN(6)), ".")
			kind := model.KindQuestion
			title := titleStarts[r.IntN(len(titleStarts))] + " " + strings.ToLower(w[:1]) + w[1:] + "?"
			switch x := r.IntN(20); {
			case x == 0:
				kind, title = model.KindArticle, w
			case x <= 3:
				kind, title = model.KindDiscussion, w
			}
			threads[i] = &model.Thread{Kind: kind, Title: title, Slug: forum.Slugify(title), AuthorID: author.ID, Anonymous: r.IntN(10) == 0,
				Visibility: model.VisibilityMembers, State: model.StateOpen, CreatedAt: at, UpdatedAt: at, LastActivityAt: at}
			if r.IntN(4) == 0 {
				threads[i].Visibility, threads[i].PublishConsent = model.VisibilityPublic, true
			}
			if done+i < 3 {
				threads[i].Pinned = true
			}
			opening[i] = []string{words.paragraph(r), words.paragraph(r)}
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
				picked := map[int]bool{}
				for k := 1 + r.IntN(3); len(picked) < k; {
					picked[pickTag()] = true
				}
				for j := range tagIDs {
					if picked[j] {
						links = append(links, model.ThreadTag{ThreadID: t.ID, TagID: tagIDs[j]})
					}
				}
				posts = append(posts, post(t.ID, t.AuthorID, true, false, t.Anonymous, opening[i], t.CreatedAt))
				per := lengths[done+i] - 1
				expert := false
				for j := 0; j < per; j++ {
					u := users[r.IntN(nUsers)]
					anonymous := r.IntN(10) == 0
					isExpert := u.Role == model.RoleExpert && !anonymous
					expert = expert || isExpert
					last := t.CreatedAt.Add(time.Duration(j+1) * time.Hour)
					posts = append(posts, post(t.ID, u.ID, false, isExpert, anonymous, []string{words.paragraph(r)}, last))
					t.LastActivityAt = last
				}
				t.ReplyCount = per
				if expert && t.Kind == model.KindQuestion {
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
			// One answered question in four is resolved: the asker marked the first expert
			// answer helpful.
			helpful := map[int64]int64{}
			for _, p := range posts {
				if p.Expert && helpful[p.ThreadID] == 0 {
					helpful[p.ThreadID] = p.ID
				}
			}
			for _, t := range threads {
				if id := helpful[t.ID]; id != 0 && t.State == model.StateAnswered && t.ID%4 == 0 {
					t.State, t.HelpfulPostID = model.StateResolved, &id
				}
				if err := tx.UpdateThread(ctx, t, "reply_count", "state", "last_activity_at", "helpful_post_id"); err != nil {
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

func post(threadID, authorID int64, opening, expert, anonymous bool, paras []string, at time.Time) *model.Post {
	var src, out strings.Builder
	for i, p := range paras {
		if i > 0 {
			src.WriteString("\n\n")
		}
		src.WriteString(p)
		out.WriteString("<p>" + html.EscapeString(p) + "</p>\n")
	}
	return &model.Post{ThreadID: threadID, AuthorID: authorID, Opening: opening, Expert: expert && !anonymous, Anonymous: anonymous,
		BodySource: src.String(), BodyHTML: out.String(), CreatedAt: at, UpdatedAt: at}
}
