package markdown_test

import (
	gohtml "html"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"forum/app/markdown"
)

func TestRenderFeatures(t *testing.T) {
	r := markdown.New()
	cases := []struct {
		name, in string
		want     []string
		not      []string
	}{
		{"emphasis", "**bold** and *em* and ~~gone~~", []string{"<strong>bold</strong>", "<em>em</em>", "<del>gone</del>"}, nil},
		{"table", "|a|b|\n|-|-|\n|1|2|", []string{"<table>", "<td>1</td>"}, nil},
		{"task list", "- [x] done\n- [ ] todo", []string{`<input checked="" disabled="" type="checkbox">`, `<input disabled="" type="checkbox">`}, nil},
		{"autolink", "see https://example.org now", []string{`<a href="https://example.org" rel="nofollow ugc noopener">https://example.org</a>`}, nil},
		{"link", "[help](https://findtreatment.gov)", []string{`<a href="https://findtreatment.gov" rel="nofollow ugc noopener">help</a>`}, nil},
		{"mail autolink", "<help@example.org>", []string{`href="mailto:help@example.org"`}, nil},
		{"headings demoted", "# Title\n\n###### Small", []string{"<h3>Title</h3>", "<h6>Small</h6>"}, []string{"<h1", "<h2"}},
		{"remote image becomes a link", "![pixel](https://tracker.example/p.gif)", []string{`class="image-link"`, "[pixel]", `href="https://tracker.example/p.gif"`}, []string{"<img"}},
		{"code stays escaped", "```\n<script>x</script>\n```", []string{"<pre><code>&lt;script&gt;x&lt;/script&gt;"}, []string{"<script>"}},
		{"hard line breaks", "line one\nline two", []string{"line one<br>"}, nil},
		{"raw html is dropped", "<b>bold</b> <u>u</u>", []string{"bold"}, []string{"<b>", "<u>"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			html, err := r.Render(tc.in)
			if err != nil {
				t.Fatal(err)
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

// xssPayloads are known ways to smuggle script into user content.
var xssPayloads = []string{
	`<script>alert(1)</script>`,
	`<img src=x onerror=alert(1)>`,
	`<svg onload=alert(1)>`,
	`<iframe src="https://evil.example"></iframe>`,
	`<object data="x.swf"></object><embed src="x.swf">`,
	`<math><mi xlink:href="javascript:alert(1)">x</mi></math>`,
	`<style>body{background:url(javascript:alert(1))}</style>`,
	`<form action="https://evil.example"><input name=x></form>`,
	`<div style="background:url(javascript:alert(1))">x</div>`,
	`<a href="javascript:alert(1)">x</a>`,
	`[x](javascript:alert(1))`,
	`[x](JaVaScRiPt:alert(1))`,
	`[x](&#106;avascript:alert(1))`,
	`[x](java&#x09;script:alert(1))`,
	`[x]( javascript:alert(1) )`,
	`[x](<javascript:alert(1)>)`,
	`<javascript:alert(1)>`,
	`[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`[x](vbscript:msgbox(1))`,
	`[x]: javascript:alert(1)` + "\n\n[x]",
	`[x](https://ok.example "title\" onmouseover=\"alert(1))`,
	`![x](javascript:alert(1))`,
	`![x" onerror="alert(1)](https://img.example/x.png)`,
	`[<img src=x onerror=alert(1)>](https://ok.example)`,
	"<scr<script>ipt>alert(1)</script>",
	"``<script>``",
	`<a href="https://ok.example" onclick="alert(1)">x</a>`,
	`<details open ontoggle=alert(1)>`,
	`<base href="https://evil.example/">`,
	`<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`,
	`<link rel=stylesheet href="https://evil.example/x.css">`,
}

var (
	eventAttr = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	styleAttr = regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)
	urlAttr   = regexp.MustCompile(`(?i)\s(href|src|action|formaction|xlink:href)\s*=\s*"([^"]*)"`)
)

// unsafeReason returns why html is unsafe to show, or "" when it is safe.
func unsafeReason(html string) string {
	low := strings.ToLower(html)
	for _, tag := range []string{"<script", "<iframe", "<object", "<embed", "<style", "<svg", "<math", "<form", "<img", "<base", "<meta", "<link"} {
		if strings.Contains(low, tag) {
			return "contains " + tag
		}
	}
	if eventAttr.MatchString(html) {
		return "has an event-handler attribute"
	}
	if styleAttr.MatchString(html) {
		return "has a style attribute"
	}
	for _, m := range urlAttr.FindAllStringSubmatch(html, -1) {
		v := gohtml.UnescapeString(m[2])
		u, err := url.Parse(v)
		if err != nil {
			return "has an unparseable " + m[1] + " URL " + v
		}
		switch strings.ToLower(u.Scheme) {
		case "", "http", "https", "mailto":
		default:
			return "has a " + m[1] + " URL with scheme " + u.Scheme
		}
	}
	return ""
}

func TestUnsafeReasonCatchesAttacks(t *testing.T) {
	for _, bad := range []string{
		`<script>alert(1)</script>`, `<a href="javascript:alert(1)">x</a>`, `<a href="data:text/html,x">x</a>`,
		`<p onclick="x">y</p>`, `<iframe src=x>`, `<p style="color:red">x</p>`,
	} {
		if unsafeReason(bad) == "" {
			t.Errorf("unsafeReason(%q) found nothing", bad)
		}
	}
	if r := unsafeReason(`<p>javascript: is a word; data: too</p><a href="https://x.org" rel="nofollow ugc noopener">x</a>`); r != "" {
		t.Errorf("safe HTML flagged: %s", r)
	}
}

func TestKnownXSSPayloads(t *testing.T) {
	r := markdown.New()
	for _, p := range xssPayloads {
		t.Run(p, func(t *testing.T) {
			html, err := r.Render(p)
			if err != nil {
				t.Fatal(err)
			}
			if reason := unsafeReason(html); reason != "" {
				t.Errorf("%q renders as %q: %s", p, html, reason)
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	for _, p := range xssPayloads {
		f.Add(p)
	}
	f.Add("# Title\n\nSome **bold** text with a [link](https://example.org) and ![img](https://x/y.png)\n\n- [ ] task")
	r := markdown.New()
	f.Fuzz(func(t *testing.T, in string) {
		html, err := r.Render(in)
		if err != nil {
			t.Fatalf("Render(%q): %v", in, err)
		}
		if reason := unsafeReason(html); reason != "" {
			t.Fatalf("Render(%q) = %q: %s", in, html, reason)
		}
	})
}
