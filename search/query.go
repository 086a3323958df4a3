package search

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"forum/app/model"
)

// maxQuery bounds what the parser reads of a query; the rest is ignored.
const maxQuery = 500

// Query is a parsed search: words, "quoted phrases" and operators.
type Query struct {
	Words    []string
	Phrases  []string
	Tags     []string      // tag:craft
	States   []model.State // is:answered, is:unanswered (open), is:resolved
	ByExpert bool          // by:expert
	Before   time.Time
	After    time.Time
	Notes    []string // what the parser could not use, to tell the person
}

// Empty reports whether the query asks for nothing at all.
func (q Query) Empty() bool {
	return len(q.Words) == 0 && len(q.Phrases) == 0 && len(q.Tags) == 0 && len(q.States) == 0 &&
		!q.ByExpert && q.Before.IsZero() && q.After.IsZero()
}

// ParseQuery reads a search box. It never fails: what it cannot use is left out and
// explained in Notes.
func ParseQuery(s string) Query {
	var q Query
	s = strings.ToValidUTF8(s, " ")
	if utf8.RuneCountInString(s) > maxQuery {
		s = string([]rune(s)[:maxQuery])
		q.Notes = append(q.Notes, "Only the first 500 characters of the search were used.")
	}
	for len(s) > 0 {
		s = strings.TrimLeftFunc(s, unicode.IsSpace)
		if s == "" {
			break
		}
		if s[0] == '"' {
			end := strings.IndexByte(s[1:], '"')
			var phrase string
			if end < 0 {
				phrase, s = s[1:], ""
			} else {
				phrase, s = s[1:end+1], s[end+2:]
			}
			if words := strings.Fields(phrase); len(words) == 1 {
				q.Words = append(q.Words, words[0])
			} else if len(words) > 1 {
				q.Phrases = append(q.Phrases, strings.Join(words, " "))
			}
			continue
		}
		end := strings.IndexFunc(s, unicode.IsSpace)
		if end < 0 {
			end = len(s)
		}
		token := s[:end]
		s = s[end:]
		q.add(token)
	}
	return q
}

func (q *Query) add(token string) {
	op, val, ok := strings.Cut(token, ":")
	if !ok || op == "" {
		q.addWord(token)
		return
	}
	val = strings.Trim(val, `"`)
	switch strings.ToLower(op) {
	case "tag":
		if val == "" {
			q.Notes = append(q.Notes, "tag: needs a topic, as in tag:craft.")
			return
		}
		q.Tags = append(q.Tags, strings.ToLower(val))
	case "is":
		switch strings.ToLower(val) {
		case "answered":
			q.States = append(q.States, model.StateAnswered)
		case "unanswered", "open":
			q.States = append(q.States, model.StateOpen)
		case "resolved":
			q.States = append(q.States, model.StateResolved)
		default:
			q.Notes = append(q.Notes, "is: takes answered, unanswered or resolved.")
		}
	case "by":
		if strings.EqualFold(val, "expert") {
			q.ByExpert = true
		} else {
			q.Notes = append(q.Notes, "by: takes expert.")
		}
	case "before", "after":
		t, err := time.Parse("2006-01-02", val)
		if err != nil {
			q.Notes = append(q.Notes, op+": takes a date like 2026-05-31.")
			return
		}
		if strings.EqualFold(op, "before") {
			q.Before = t
		} else {
			q.After = t
		}
	default:
		q.addWord(token) // "re:", "10:30" and the like are words
	}
}

func (q *Query) addWord(w string) {
	w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	if w != "" {
		q.Words = append(q.Words, w)
	}
}
