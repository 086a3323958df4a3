package search

import (
	gohtml "html"
	"regexp"
	"strings"
	"time"

	"github.com/microcosm-cc/bluemonday"

	"forum/app/model"
	"forum/app/policy"
)

// Document is what the index keeps of a thread.
type Document struct {
	ID int64 `json:"-"`
	// Text is every word of the thread, weighted: expert answers twice, the rest (title,
	// topic names, opening post, replies) once. Its term frequencies so weight where a word
	// is found, as BM25F does with fields, at the cost of one field to search. (A word in
	// the title is ranked by a clause of its own: see build.)
	Text string `json:"text"`
	// All is every word of the thread once, in order: its pairs of words find phrases.
	// It is not indexed itself: Pairs are.
	All string `json:"-"`
	// Pairs are the pairs of words of All, in their buckets (see pairBuckets), filled as
	// the document is indexed.
	Pairs          map[string]string `json:"pairs"`
	Title          string            `json:"title"`
	Body           string            `json:"body"`
	Answers        string            `json:"answers"` // replies by experts, shown first in snippets
	Tags           []string          `json:"tags"`
	Kind           string            `json:"kind"`
	State          string            `json:"state"`
	Visibility     string            `json:"visibility"`
	ExpertAnswered bool              `json:"expert_answered"`
	Created        time.Time         `json:"created"`
	LastActivity   time.Time         `json:"last_activity"`
	// Topics are the names of the thread's tags: with Title, the only words a visitor's
	// search may count members-only threads on (see MembersOnlyMatch).
	Topics string `json:"topics"`
}

var (
	plain = bluemonday.StrictPolicy()
	// blockEnd finds where a block of text ends, so that its last word and the next block's
	// first word do not run together once the markup is gone.
	blockEnd = regexp.MustCompile(`(?i)</(p|li|td|th|h[1-6]|blockquote|pre)>|<br\s*/?>`)
)

// text returns the words of a post's sanitized HTML, without markup.
func text(html string) string {
	return strings.Join(strings.Fields(gohtml.UnescapeString(plain.Sanitize(blockEnd.ReplaceAllString(html, " $0")))), " ")
}

// NewDocument builds the document of a thread from its posts. Deleted and hidden posts
// are left out; so is the author of anything, so that no name reaches the index. An
// anonymous post is one reply among others whoever wrote it: an expert's is not an expert
// answer here either (no boost, no snippet first, no by:expert), which would tell its role.
func NewDocument(t *model.Thread, posts []*model.Post) Document {
	d := Document{ID: t.ID, Title: t.Title, Kind: string(t.Kind), State: string(t.State), Visibility: string(t.Visibility),
		Created: t.CreatedAt, LastActivity: t.LastActivityAt}
	all := []string{t.Title}
	weighted := []string{t.Title}
	var topics []string
	for _, tag := range t.Tags {
		d.Tags = append(d.Tags, tag.Slug)
		all = append(all, tag.Name)
		weighted = append(weighted, tag.Name)
		topics = append(topics, tag.Name)
	}
	d.Topics = strings.Join(topics, "\n\n")
	var answers []string
	for _, p := range posts {
		if p.DeletedAt != nil || p.HiddenAt != nil {
			continue
		}
		words := text(p.BodyHTML)
		all = append(all, words)
		weighted = append(weighted, words)
		switch {
		case p.Opening:
			d.Body = words
		case policy.ShowsAsExpertAnswer(p):
			answers = append(answers, words)
			weighted = append(weighted, words)
			d.ExpertAnswered = true
		}
	}
	d.Answers = strings.Join(answers, "\n\n")
	d.All = strings.Join(all, "\n\n")
	d.Text = strings.Join(weighted, "\n\n")
	return d
}
