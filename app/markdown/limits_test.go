package markdown_test

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"forum/app/forum"
	"forum/app/markdown"
)

// pathological are texts whose structure made goldmark's work or output grow with the
// square of their length: a head, then a unit repeated up to the size of a post.
var pathological = []struct{ name, head, unit string }{
	{"quote markers", "", ">"},
	{"quote markers and spaces", "", "> "},
	{"indented quote markers", "", " >"},
	{"quote markers on lines", "", strings.Repeat(">", 200) + "\n"},
	{"bullet markers", "", "- "},
	{"ordered markers", "", "1. "},
	{"quotes in lists", "", "> - "},
	{"lists in quotes", "", "- > "},
	{"indented lists", "", "- a\n  "},
	{"underscore a star", "", "_a*"},
	{"star a", "", "*a"},
	{"star underscore", "", "*_"},
	{"tilde a", "", "~a"},
	{"tilde run", "a", "~"},
	{"emphasis in link", "[", "*a_"},
	{"link destinations", "", "[](("},
	{"link destinations with text", "", "[a]("},
	{"pointy destinations", "", "[](<"},
	{"images", "", "![]("},
	{"brackets", "", "["},
	{"closing brackets", strings.Repeat("[", 900), "`a`"},
	{"reference labels", "", "[a]["},
	{"backticks", "", "`"},
	{"backtick runs", "", "``a"},
	{"angle brackets", "", "<"},
	{"open tags", "", "<a "},
	{"comments", "", "<!--"},
	{"processing instructions", "", "<?"},
	{"cdata", "", "<![CDATA["},
	{"declarations", "", "<!A"},
	{"entities", "", "&#"},
	{"wide table, short rows", "|" + strings.Repeat("a|", 1000) + "\n|" + strings.Repeat("-|", 1000) + "\n", "|\n"},
	{"table, short rows", "|a|b|c|d|e|f|g|h|\n|-|-|-|-|-|-|-|-|\n", "a\n"},
	{"table columns", "", "|-"},
	{"reference definitions", "", "[a]: b\n"},
	{"long reference definition", "[a]: ", "x"},
	{"emails", "", "a@b.cc "},
	{"www", "", "www."},
	{"hard breaks", "", "a  \n"},
	{"setext headings", "", "a\n=\n"},
	{"fences", "", "```\n"},
	{"task lists", "", "- [ ] "},
	{"empty links", "", "[]()"},
	{"tilde runs before words", "", "~~~a."},
	{"parentheses", "", "(a"},
	{"urls", "", "http://a"},
	{"aligned table, empty cells", "|" + strings.Repeat("a|", 100) + "\n|" + strings.Repeat(":-|", 100) + "\n", strings.Repeat("|", 101) + "\n"},
	{"html blocks", "", "<div>\n"},
	{"named entities", "", "&amp;"},
	{"long list numbers", "", "123456789. "},
	{"tabs and quotes", "", "\t>"},
}

// fill returns head followed by unit repeated, up to n characters.
func fill(head, unit string, n int) string {
	count := 0
	for i := range head {
		if count == n {
			return head[:i]
		}
		count++
	}
	var b strings.Builder
	b.WriteString(head)
	if u := utf8.RuneCountInString(unit); u > 0 {
		for count+u <= n {
			b.WriteString(unit)
			count += u
		}
	}
	return b.String()
}

var nestingTag = regexp.MustCompile(`<(/?)(blockquote|ul|ol)\b`)

// nesting returns how deep blockquotes and lists are nested in html.
func nesting(html string) int {
	depth, deepest := 0, 0
	for _, m := range nestingTag.FindAllStringSubmatch(html, -1) {
		if m[1] == "" {
			depth++
			deepest = max(deepest, depth)
		} else {
			depth--
		}
	}
	return deepest
}

// TestRenderPathologicalBounded renders each pathological text at the size of a post and
// checks that it is refused as too large (MaxHTML) or makes HTML in proportion: at most
// 12 bytes per character (an ordinary construct makes up to 11: "[]()" is a 43-byte
// empty link), and no blockquotes or lists nested past what anyone writes.
func TestRenderPathologicalBounded(t *testing.T) {
	r := markdown.New()
	for _, p := range pathological {
		t.Run(p.name, func(t *testing.T) {
			in := fill(p.head, p.unit, forum.MaxBody)
			html, err := r.Render(in)
			if errors.Is(err, markdown.ErrTooLarge) {
				return // refused: bounded too
			}
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			if limit := 12*len(in) + 1024; len(html) > limit {
				t.Errorf("%d bytes of text make %d bytes of HTML, over %d", len(in), len(html), limit)
			}
			if d := nesting(html); d > 32 {
				t.Errorf("blockquotes and lists nested %d deep", d)
			}
		})
	}
}

// TestRenderLimitsKeepText checks that markers past a bound stay in the post as the text
// they were typed as.
func TestRenderLimitsKeepText(t *testing.T) {
	r := markdown.New()
	cases := []struct {
		name, in string
		want     []string
		not      []string
	}{
		{
			name: "quote markers past the nesting bound are text",
			in:   strings.Repeat(">", 40) + " deep",
			want: []string{strings.Repeat("<blockquote>\n", 32) + "<p>" + strings.Repeat("&gt;", 8) + " deep</p>"},
		},
		{
			name: "list markers past the nesting bound are text",
			in:   strings.Repeat("- ", 40) + "deep",
			want: []string{"<li>" + strings.Repeat("- ", 8) + "deep</li>"},
		},
		{
			name: "ordinary nesting is kept",
			in:   "> a\n> > b\n> > - c\n> >   - d",
			want: []string{"<blockquote>\n<p>a</p>\n<blockquote>\n<p>b</p>\n<ul>\n<li>c\n<ul>\n<li>d</li>"},
		},
		{
			name: "emphasis past the delimiter bound is text",
			in:   strings.Repeat("*a* ", 100) + "*b* _c_",
			want: []string{strings.Repeat("<em>a</em> ", 100) + "*b* _c_"},
		},
		{
			name: "the delimiter bound is per paragraph",
			in:   strings.Repeat("*a* ", 100) + "\n\n*b* _c_ ~~d~~",
			want: []string{"<p><em>b</em> <em>c</em> <del>d</del></p>"},
		},
		{
			name: "snake_case does not use up the delimiter bound",
			in:   strings.Repeat("snake_case_name ", 300) + "*b*",
			want: []string{"<em>b</em>"},
		},
		{
			name: "tilde runs stay text before an autolink",
			in:   "see ~~~www.example.org",
			want: []string{`see ~~~<a href="http://www.example.org"`},
		},
		{
			name: "a destination nesting parentheses too deep is no link",
			in:   "[a](" + strings.Repeat("(", 33) + strings.Repeat(")", 33) + ")",
			want: []string{"[a](((("},
			not:  []string{"<a "},
		},
		{
			name: "parentheses nested less deep make a link",
			in:   "[a](x" + strings.Repeat("(", 32) + strings.Repeat(")", 32) + ")",
			want: []string{`<a href="x` + strings.Repeat("(", 32)},
		},
		{
			name: "a label after an unlinkable destination may be a reference",
			in:   "[a](" + strings.Repeat("(", 33) + "\n\n[a]: https://example.org",
			want: []string{`<a href="https://example.org" ` + rel + `>a</a>(((`},
		},
		{
			name: "a pointy destination holding < is no link",
			in:   "[a](<b < c>)",
			want: []string{"[a](&lt;b &lt; c&gt;)"},
			not:  []string{"<a "},
		},
		{
			name: "pointy destinations still link",
			in:   "[a](<https://example.org/a b>)",
			want: []string{`<a href="https://example.org/a%20b" ` + rel + `>a</a>`},
		},
		{
			name: "a destination on the next line still links",
			in:   "[a](\nhttps://example.org)",
			want: []string{`<a href="https://example.org" ` + rel + `>a</a>`},
		},
		{
			name: "a table past the cell bound stays text",
			in:   "|" + strings.Repeat("a|", 1000) + "\n|" + strings.Repeat("-|", 1000) + "\n" + strings.Repeat("|\n", 100),
			want: []string{"<p>|a|a|a|"},
			not:  []string{"<table>"},
		},
		{
			name: "ordinary tables are kept",
			in:   "| a | b |\n|---|---|\n| 1 |\n| 2 | 3 |",
			want: []string{"<tr>\n<td>1</td>\n<td></td>\n</tr>"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			html, err := r.Render(tc.in)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(html, w) {
					t.Errorf("%q renders as %q, lacking %q", tc.in, html, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(html, n) {
					t.Errorf("%q renders as %q, containing %q", tc.in, html, n)
				}
			}
		})
	}
}

func TestRenderRefusesHugeHTML(t *testing.T) {
	// Longer than a post may be: 50,000 empty links make 2 MB of HTML.
	_, err := markdown.New().Render(strings.Repeat("[]()", 50_000))
	if !errors.Is(err, markdown.ErrTooLarge) {
		t.Fatalf("Render = %v, want ErrTooLarge", err)
	}
}

// FuzzRenderTime renders a fuzzed head followed by a fuzzed unit repeated up to the
// longest post (forum.MaxBody characters), and fails when that takes a second of
// processor time or more: structures whose cost grows with the square of their count
// show only at that size.
func FuzzRenderTime(f *testing.F) {
	for _, p := range pathological {
		f.Add(p.head, p.unit)
	}
	f.Add("# Title\n\nSome **bold** and a [link](https://example.org).\n\n", "- item with *em*\n")
	r := markdown.New()
	f.Fuzz(func(t *testing.T, head, unit string) {
		in := fill(head, unit, forum.MaxBody)
		// A second attempt as slow as the first fails, not a pause of the machine.
		var spent time.Duration
		for range 2 {
			var html string
			var err error
			spent = cpuTime(func() { html, err = r.Render(in) })
			if err != nil && !errors.Is(err, markdown.ErrTooLarge) {
				t.Fatalf("Render: %v", err)
			}
			if len(html) > markdown.MaxHTML {
				t.Fatalf("%d bytes of HTML", len(html))
			}
			if spent < renderTimeLimit {
				return
			}
		}
		t.Errorf("rendering %d bytes (head %.200q, unit %.200q) took %v", len(in), head, unit, spent)
	})
}
