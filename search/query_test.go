package search_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"forum/app/model"
	"forum/search"
)

func TestParseQuery(t *testing.T) {
	cases := []struct {
		in   string
		want search.Query
	}{
		{"relapse help", search.Query{Words: []string{"relapse", "help"}}},
		{`"harm reduction" naloxone`, search.Query{Phrases: []string{"harm reduction"}, Words: []string{"naloxone"}}},
		{`"unbalanced quote`, search.Query{Phrases: []string{"unbalanced quote"}}},
		{"tag:CRAFT", search.Query{Tags: []string{"craft"}}},
		{"is:answered is:unanswered is:resolved", search.Query{States: []model.State{"answered", "open", "resolved"}}},
		{"by:expert", search.Query{ByExpert: true}},
		{"after:2026-01-02 before:2026-03-04", search.Query{After: time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC), Before: time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC)}},
		{"tag:", search.Query{Notes: []string{"tag: needs a topic, as in tag:craft."}}},
		{"is:maybe", search.Query{Notes: []string{"is: takes answered, unanswered or resolved."}}},
		{"before:yesterday", search.Query{Notes: []string{"before: takes a date like 2026-05-31."}}},
		{"10:30 meeting", search.Query{Words: []string{"10:30", "meeting"}}},
		{"!!! ???", search.Query{}},
	}
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			if got := search.ParseQuery(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseQuery(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
	long := search.ParseQuery(strings.Repeat("word ", 2000))
	if len(long.Notes) != 1 || len(long.Words) > 100 {
		t.Errorf("a 10,000-character query: %d words, notes %v", len(long.Words), long.Notes)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`"a b" tag:x is:answered by:expert before:2026-01-01`, `"`, `tag:`, "\xff\xfe", "é\u200b\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := search.ParseQuery(s)
		for _, w := range append(q.Words, q.Phrases...) {
			if w == "" || strings.ContainsAny(w, "\"") {
				t.Fatalf("ParseQuery(%q) gave a bad term %q", s, w)
			}
		}
	})
}
