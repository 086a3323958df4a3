package markdown_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"forum/app/markdown"
)

func TestReferencesOf(t *testing.T) {
	cases := []struct {
		name     string
		source   string
		mentions []string
		quoted   []string
	}{
		{"a mention", "Thank you @maple_mom, that helps.", []string{"maple_mom"}, nil},
		{"start of the text", "@coach_dana what do you think?", []string{"coach_dana"}, nil},
		{"each once, case aside", "@Maple_Mom and @maple_mom and @coach_dana", []string{"Maple_Mom", "coach_dana"}, nil},
		{"trailing full stop", "Ask @coach.dana.", []string{"coach.dana.", "coach.dana"}, nil},
		{"an e-mail address is no mention", "write to bob@example.org or visit example.org/@bob", nil, nil},
		{"too short", "@ab is not a name", nil, nil},
		{"inline code", "Type `@maple_mom` to mention someone.", nil, nil},
		{"fenced code", "```\n@maple_mom\n```\n\nbut @coach_dana here", []string{"coach_dana"}, nil},
		{"indented code", "Text.\n\n    @maple_mom in code\n", nil, nil},
		{"emphasis around the name", "hello **@river_stone**", []string{"river_stone"}, nil},
		{"in a list, not in a quote", "- @quiet_harbor\n\n> @coach_dana said so", []string{"quiet_harbor"}, nil},
		{"a prefilled quote", "maple_mom wrote:\n> He gets defensive.\n\nSame here.", nil, []string{"maple_mom"}},
		{"an anonymous quote names nobody", "A member of the community wrote:\n> We tried.\n\nMe too.", nil, nil},
		{"wrote: without a quote", "maple_mom wrote:\n\nnothing quoted", nil, nil},
		{"words between inline tags", "<span>@maple_mom</span>", []string{"maple_mom"}, nil},
		{"across a line break", "thanks\n@maple_mom", []string{"maple_mom"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := markdown.ReferencesOf(tc.source)
			if !reflect.DeepEqual(got.Mentions, tc.mentions) || !reflect.DeepEqual(got.Quoted, tc.quoted) {
				t.Errorf("ReferencesOf(%q) = %+v, want mentions %v quoted %v", tc.source, got, tc.mentions, tc.quoted)
			}
		})
	}
}

func TestReferencesAreBounded(t *testing.T) {
	var b strings.Builder
	for i := range 50 {
		fmt.Fprintf(&b, "@member_%02d ", i)
	}
	if got := markdown.ReferencesOf(b.String()).Mentions; len(got) != markdown.MaxMentions {
		t.Fatalf("%d mentions looked up, want %d", len(got), markdown.MaxMentions)
	}
}
