package markdown_test

import (
	gohtml "html"
	"regexp"
	"slices"
	"strings"
	"testing"

	"forum/app/markdown"
)

const rel = `rel="nofollow ugc noopener"`

func TestRenderFeatures(t *testing.T) {
	r := markdown.New()
	cases := []struct {
		name string
		in   string
		want []string // substrings the HTML must contain
		not  []string // substrings the HTML must not contain
	}{
		{
			name: "paragraphs",
			in:   "one\n\ntwo",
			want: []string{"<p>one</p>", "<p>two</p>"},
		},
		{
			name: "bold and emphasis",
			in:   "**bold** and *em* and _em2_",
			want: []string{"<strong>bold</strong>", "<em>em</em>", "<em>em2</em>"},
			not:  []string{"**", "*em*"},
		},
		{
			name: "strikethrough",
			in:   "~~gone~~",
			want: []string{"<del>gone</del>"},
			not:  []string{"~~"},
		},
		{
			name: "table",
			in:   "| a | b |\n|---|---|\n| 1 | 2 |",
			want: []string{"<table>", "<thead>", "<th>a</th>", "<tbody>", "<td>1</td>", "<td>2</td>", "</table>"},
		},
		{
			name: "aligned table keeps no style attribute",
			in:   "| a | b |\n|:--|--:|\n| 1 | 2 |",
			want: []string{"<table>", "<td>1</td>"},
			not:  []string{"style="},
		},
		{
			name: "task list",
			in:   "- [x] done\n- [ ] todo",
			want: []string{
				`<input checked="" disabled="" type="checkbox"> done`,
				`<input disabled="" type="checkbox"> todo`,
			},
			not: []string{"[x]", "[ ]"},
		},
		{
			name: "autolink",
			in:   "see https://example.org now",
			want: []string{`<a href="https://example.org" ` + rel + `>https://example.org</a>`},
		},
		{
			name: "www autolink",
			in:   "see www.example.org now",
			want: []string{`<a href="http://www.example.org" ` + rel + `>www.example.org</a>`},
		},
		{
			name: "inline link",
			in:   "[text](https://x.org)",
			want: []string{`<a href="https://x.org" ` + rel + `>text</a>`},
		},
		{
			name: "link title is dropped",
			in:   `[text](https://x.org "a title")`,
			want: []string{`<a href="https://x.org" ` + rel + `>text</a>`},
			not:  []string{"title="},
		},
		{
			name: "reference link",
			in:   "[text][r]\n\n[r]: https://x.org/ref",
			want: []string{`<a href="https://x.org/ref" ` + rel + `>text</a>`},
		},
		{
			name: "scheme-relative links are external",
			in:   "[a](//example.org/path) [b](<//example.org/b>) [c]( //example.org/c)\n\n[d][r]\n\n[r]: //example.org/d",
			want: []string{
				`<a href="//example.org/path" ` + rel + `>a</a>`, `<a href="//example.org/b" ` + rel + `>b</a>`,
				`<a href="//example.org/c" ` + rel + `>c</a>`, `<a href="//example.org/d" ` + rel + `>d</a>`,
			},
		},
		{
			name: "backslash spellings of another site stay paths",
			in:   `[a](\\example.org/a) [b](/\example.org/b) [c](\/example.org/c)`,
			want: []string{`<a href="%5Cexample.org/a" ` + rel + `>a</a>`, `<a href="/%5Cexample.org/b" ` + rel + `>b</a>`, `<a href="/example.org/c" ` + rel + `>c</a>`},
		},
		{
			name: "upper-case schemes are external",
			in:   "[a](HTTPS://EXAMPLE.ORG/A) [b](Http://example.org)",
			want: []string{`<a href="https://EXAMPLE.ORG/A" ` + rel + `>a</a>`, `<a href="http://example.org" ` + rel + `>b</a>`},
		},
		{
			name: "relative links",
			in:   "[a](/t/1) [b](#c) [d](rel/path)",
			want: []string{`href="/t/1"`, `href="#c"`, `href="rel/path"`},
		},
		{
			name: "h1 demoted to h3",
			in:   "# Title",
			want: []string{"<h3>Title</h3>"},
			not:  []string{"<h1", "<h2"},
		},
		{
			name: "h2 demoted to h4",
			in:   "## Sub",
			want: []string{"<h4>Sub</h4>"},
			not:  []string{"<h2"},
		},
		{
			name: "h6 stays h6",
			in:   "###### x",
			want: []string{"<h6>x</h6>"},
			not:  []string{"<h7", "<h8"},
		},
		{
			name: "setext heading demoted",
			in:   "Title\n=====",
			want: []string{"<h3>Title</h3>"},
			not:  []string{"<h1"},
		},
		{
			name: "image becomes a link",
			in:   "![pixel](https://tracker.example/p.gif)",
			want: []string{
				`<a href="https://tracker.example/p.gif" ` + rel + ` class="image-link">[pixel]</a>`,
			},
			not: []string{"<img", "src="},
		},
		{
			name: "image without alt",
			in:   "![](https://tracker.example/p.gif)",
			want: []string{`class="image-link">[image]</a>`},
			not:  []string{"<img"},
		},
		{
			name: "image alt is escaped",
			in:   "![a < b & \"c\"](https://x.org/p.png)",
			want: []string{"[a &lt; b &amp; &#34;c&#34;]</a>"},
			not:  []string{"<img", "<b>"},
		},
		{
			name: "mailto autolink",
			in:   "<help@example.org>",
			want: []string{`<a href="mailto:help@example.org" ` + rel + `>help@example.org</a>`},
		},
		{
			name: "bare email autolink",
			in:   "write to help@example.org",
			want: []string{`href="mailto:help@example.org"`},
		},
		{
			name: "explicit mailto autolink",
			in:   "<mailto:help@example.org>",
			want: []string{`href="mailto:help@example.org"`},
			not:  []string{"mailto:mailto:"},
		},
		{
			name: "fenced code stays escaped",
			in:   "```\n<script>x</script>\n```",
			want: []string{"<pre><code>&lt;script&gt;x&lt;/script&gt;"},
			not:  []string{"<script"},
		},
		{
			name: "fenced code with language",
			in:   "```go\nif a < b {}\n```",
			want: []string{`<pre><code class="language-go">if a &lt; b {}`},
		},
		{
			name: "indented code stays escaped",
			in:   "    <b>x</b>",
			want: []string{"<pre><code>&lt;b&gt;x&lt;/b&gt;"},
			not:  []string{"<b>"},
		},
		{
			name: "code span stays escaped",
			in:   "`<i>x</i>`",
			want: []string{"<code>&lt;i&gt;x&lt;/i&gt;</code>"},
			not:  []string{"<i>"},
		},
		{
			name: "soft line break becomes br",
			in:   "line one\nline two",
			want: []string{"line one<br>"},
		},
		{
			name: "hard line break becomes br",
			in:   "line one  \nline two",
			want: []string{"line one<br>"},
		},
		{
			name: "raw html is dropped",
			in:   "<b>bold</b> <u>u</u>",
			want: []string{"bold"},
			not:  []string{"<b>", "<u>"},
		},
		{
			name: "lists and quotes",
			in:   "> quoted\n\n1. a\n2. b\n\n---",
			want: []string{"<blockquote>", "<ol>", "<li>a</li>", "<hr>"},
		},
		{
			name: "ordered list start",
			in:   "7. seven\n8. eight",
			want: []string{`<ol start="7">`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			html, err := r.Render(tc.in)
			if err != nil {
				t.Fatalf("Render(%q): %v", tc.in, err)
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
			if !assertSafe(t, html) {
				t.Logf("input: %q", tc.in)
			}
		})
	}
}

// xssPayloads are known ways to smuggle script into user content, in markdown and raw HTML form.
var xssPayloads = []struct{ name, in string }{
	// Raw HTML.
	{"script tag", `<script>alert(1)</script>`},
	{"script src upper", `<SCRIPT SRC=https://evil.example/x.js></SCRIPT>`},
	{"script split", `<scr<script>ipt>alert(1)</script>`},
	{"script after quote", `"><script>alert(1)</script>`},
	{"img onerror", `<img src=x onerror=alert(1)>`},
	{"img javascript src", `<IMG SRC="javascript:alert('XSS');">`},
	{"img in comment", `<!--<img src="--><img src=x onerror=alert(1)//">`},
	{"svg onload", `<svg onload=alert(1)>`},
	{"svg script", `<svg><script>alert(1)</script></svg>`},
	{"iframe", `<iframe src="https://evil.example"></iframe>`},
	{"iframe javascript", `<iframe src="javascript:alert(1)"></iframe>`},
	{"iframe srcdoc", `<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>`},
	{"object", `<object data="javascript:alert(1)"></object>`},
	{"embed", `<embed src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">`},
	{"math href", `<math href="javascript:alert(1)">CLICK</math>`},
	{"math mxss", `<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`},
	{"style tag", `<style>body{background:url(javascript:alert(1))}</style>`},
	{"style import", `<style>@import 'https://evil.example/x.css';</style>`},
	{"form action", `<form action="javascript:alert(1)"><button>go</button></form>`},
	{"button formaction", `<button formaction="javascript:alert(1)">x</button>`},
	{"div style", `<div style="background:url(javascript:alert(1))">x</div>`},
	{"p style expression", `<p style="color:expression(alert(1))">x</p>`},
	{"a javascript", `<a href="javascript:alert(1)">x</a>`},
	{"a entity javascript", `<a href="&#106;avascript:alert(1)">x</a>`},
	{"a newline javascript", `<a href="jav&#x0A;ascript:alert(1)">x</a>`},
	{"a control javascript", `<a href=" &#14;  javascript:alert(1)">x</a>`},
	{"a vbscript", `<a href="vbscript:msgbox(1)">x</a>`},
	{"a data", `<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>`},
	{"a onclick", `<a href="https://ok.example" onclick="alert(1)">x</a>`},
	{"body onload", `<body onload=alert(1)>`},
	{"details ontoggle", `<details open ontoggle=alert(1)>`},
	{"input onfocus", `<input autofocus onfocus=alert(1)>`},
	{"custom element handler", `<xss onpointerenter=alert(1)>x</xss>`},
	{"table background", `<table background="javascript:alert(1)"><tr><td>x</td></tr></table>`},
	{"base", `<base href="javascript:alert(1)//">`},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url=javascript:alert(1)">`},
	{"link stylesheet", `<link rel=stylesheet href="https://evil.example/x.css">`},
	{"noscript title", `<noscript><p title="</noscript><img src=x onerror=alert(1)>">`},
	{"cdata", `<![CDATA[<script>alert(1)</script>]]>`},
	{"processing instruction", `<?xml-stylesheet href="javascript:alert(1)"?>`},
	{"rsnake locator", `'';!--"<XSS>=&{()}`},

	// Markdown links.
	{"md javascript", `[x](javascript:alert(1))`},
	{"md mixed case", `[x](JaVaScRiPt:alert(1))`},
	{"md entity j", `[x](&#106;avascript:alert(1))`},
	{"md padded entity j", `[x](&#0000106;avascript:alert(1))`},
	{"md hex entities", `[x](&#x6A;&#x61;&#x76;&#x61;script:alert(1))`},
	{"md entity A", `[x](j&#x41;vascript:alert(1))`},
	{"md entity tab", `[x](java&#x09;script:alert(1))`},
	{"md entity newline", `[x](java&#10;script:alert(1))`},
	{"md entity colon", `[x](javascript&colon;alert(1))`},
	{"md escaped colon", `[x](javascript\:alert(1))`},
	{"md entity parens", `[x](javascript:alert&#40;1&#41;)`},
	{"md raw tab", "[x](java\tscript:alert(1))"},
	{"md pointy raw tab", "[x](<java\tscript:alert(1)>)"},
	{"md pointy control prefix", "[x](<\x0ejavascript:alert(1)>)"},
	{"md nul prefix", "[x](\x00javascript:alert(1))"},
	{"md bom prefix", "[x](\ufeffjavascript:alert(1))"},
	{"md spaces", `[x](   javascript:alert(1)   )`},
	{"md pointy", `[x](<javascript:alert(1)>)`},
	{"md pointy with title", `[x](<javascript:alert(1)> "t")`},
	{"md percent encoded", `[x](%6A%61vascript:alert(1))`},
	{"md data html", `[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`},
	{"md data svg", `[x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`},
	{"md vbscript", `[x](vbscript:msgbox(1))`},
	{"md file", `[x](file:///etc/passwd)`},
	{"md reference", "[x]: javascript:alert(1)\n\n[x]"},
	{"md reference full", "[x][ref]\n\n[ref]: <javascript:alert(1)> \"t\""},
	{"md reference entity", "[x][ref]\n\n[ref]: &#106;avascript:alert(1)"},
	{"md title break out double", `[x](https://ok.example "title\" onmouseover=\"alert(1))`},
	{"md title break out single", `[x](https://ok.example 'a" onmouseover="alert(1)')`},
	{"md title break out paren", `[x](https://ok.example (a" onmouseover="alert(1)))`},
	{"md destination quote", `[x](https://ok.example"onmouseover="alert(1))`},
	{"md pointy destination quote", `[x](<https://ok.example" onclick="alert(1)>)`},
	{"md pointy destination angle", `[x](<https://ok.example/><script>alert(1)</script>)`},
	{"md nested brackets", `[[x](javascript:alert(1))](https://ok.example)`},
	{"md link in destination", `[x]([y](javascript:alert(1)))`},
	{"md html in text", `[<img src=x onerror=alert(1)>](https://ok.example)`},
	{"md link text script", `[<script>alert(1)</script>](https://ok.example)`},

	// Markdown autolinks.
	{"autolink javascript", `<javascript:alert(1)>`},
	{"autolink upper javascript", `<JAVASCRIPT:alert(1)>`},
	{"autolink vbscript", `<vbscript:msgbox(1)>`},
	{"autolink data", `<data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==>`},
	{"autolink quote", `<https://ok.example/"onmouseover="alert(1)>`},
	{"autolink email quote", `<x@y.org"onclick=alert(1)>`},
	{"extended autolink quote", `https://ok.example/"onmouseover="alert(1)`},
	{"extended www script", `www.example.org/<script>alert(1)</script>`},
	{"extended email quote", `x@y.org"onclick="alert(1)`},
	{"bare javascript text", `javascript:alert(1) data:text/html,x vbscript:x`},

	// Markdown images.
	{"image javascript", `![x](javascript:alert(1))`},
	{"image data svg", `![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)`},
	{"image data png", `![x](data:image/png;base64,iVBORw0KGgo=)`},
	{"image alt break out", `![x" onerror="alert(1)](https://img.example/x.png)`},
	{"image src break out", `![x](https://img.example/x.png"onerror="alert(1))`},
	{"image alt html", `![<img src=x onerror=alert(1)>](https://img.example/x.png)`},
	{"image reference javascript", "![x][i]\n\n[i]: javascript:alert(1)"},
	{"image in link", `[![x](javascript:alert(1))](javascript:alert(2))`},

	// Code, tables, lists.
	{"code span script", "``<script>``"},
	{"fence info break out", "```\"><script>alert(1)</script>\n```"},
	{"fence info handler", "```js onclick=alert(1)\nx\n```"},
	{"fence info style", "```x\" style=\"color:red\nx\n```"},
	{"table script", "| a |\n|:-:|\n| <script>alert(1)</script> |"},
	{"task list input", "- [x] <input onfocus=alert(1) autofocus>"},
	{"heading html", "# <img src=x onerror=alert(1)>"},
}

var (
	// tagRe matches a start or end tag; bluemonday escapes '<' and '>' in text and attribute
	// values, so every literal '<' in its output opens a real tag.
	tagRe = regexp.MustCompile(`<(/?)([a-zA-Z][a-zA-Z0-9:-]*)([^>]*)>?`)
	// attrRe matches one attribute inside a tag: name, and a double-, single- or un-quoted value.
	attrRe    = regexp.MustCompile(`([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?`)
	eventAttr = regexp.MustCompile(`\son[a-z]+\s*=`)
	styleAttr = regexp.MustCompile(`(^|\s)style\s*=`)
	hrefRe    = regexp.MustCompile(`(?i)\shref\s*=\s*"([^"]*)"`)
	schemeRe  = regexp.MustCompile(`^([a-z][a-z0-9+.\-]*):`)
)

// forbiddenTags must never reach a reader.
var forbiddenTags = []string{
	"<script", "<iframe", "<object", "<embed", "<style", "<svg", "<math", "<form", "<img",
	"<base", "<meta", "<link", "<frame", "<applet",
}

// urlAttrs hold URLs that a browser follows or loads.
var urlAttrs = map[string]bool{
	"href": true, "src": true, "action": true, "formaction": true, "xlink:href": true,
	"background": true, "poster": true, "cite": true, "data": true, "srcset": true, "srcdoc": true,
}

var dangerousSchemes = []string{"javascript:", "vbscript:", "data:", "file:"}

// normalizeURL returns the URL a browser would see in an attribute value: entities decoded,
// ASCII whitespace and control characters (which browsers strip or ignore) removed, lowercased.
func normalizeURL(v string) string {
	v = gohtml.UnescapeString(v)
	v = strings.Map(func(r rune) rune {
		if r <= 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, v)
	return strings.ToLower(v)
}

// unsafeReason returns why html is unsafe to show a reader, or "" when it is safe.
// Tag and attribute-name checks look at the whole output; scheme checks look only inside
// attribute values, since "javascript:" or "data:" are fine as escaped visible text.
func unsafeReason(html string) string {
	low := strings.ToLower(html)
	for _, tag := range forbiddenTags {
		if strings.Contains(low, tag) {
			return "contains " + tag
		}
	}
	for _, tag := range tagRe.FindAllStringSubmatch(low, -1) {
		attrs := tag[3]
		if tag[1] == "" && tag[2] == "a" {
			if reason := externalWithoutRel(attrs); reason != "" {
				return reason
			}
		}
		if eventAttr.MatchString(attrs) {
			return "has an event-handler attribute in " + tag[0]
		}
		if styleAttr.MatchString(attrs) {
			return "has a style attribute in " + tag[0]
		}
		for _, a := range attrRe.FindAllStringSubmatch(attrs, -1) {
			name, value := a[1], a[2]+a[3]+a[4]
			if strings.HasPrefix(name, "on") {
				return "has an event-handler attribute " + name
			}
			if name == "style" {
				return "has a style attribute"
			}
			v := normalizeURL(value)
			for _, s := range dangerousSchemes {
				if strings.HasPrefix(v, s) || (urlAttrs[name] && strings.Contains(v, ","+s)) {
					return "has a " + s + " URL in attribute " + name + "=" + value
				}
			}
		}
	}
	for _, m := range hrefRe.FindAllStringSubmatch(html, -1) {
		if reason := badHref(m[1]); reason != "" {
			return reason
		}
	}
	return ""
}

// externalWithoutRel reports a link, given its attributes, that leads to another site
// without rel="nofollow" and "noopener".
func externalWithoutRel(attrs string) string {
	var href, rel string
	hasHref := false
	for _, a := range attrRe.FindAllStringSubmatch(attrs, -1) {
		switch a[1] {
		case "href":
			href, hasHref = a[2]+a[3]+a[4], true
		case "rel":
			rel = gohtml.UnescapeString(a[2] + a[3] + a[4])
		}
	}
	if !hasHref || !externalHref(href) {
		return ""
	}
	tokens := strings.Fields(rel)
	if !slices.Contains(tokens, "nofollow") || !slices.Contains(tokens, "noopener") {
		return "has an external link without rel nofollow noopener: href=" + href + " rel=" + rel
	}
	return ""
}

// externalHref reports whether a browser would take an href (as written in the HTML)
// to another site: an http or https URL in any case, or a scheme-relative one, "//host",
// which browsers also read from "\\host", "/\host" and "\/host", after skipping
// leading spaces and control characters and dropping tabs and newlines.
func externalHref(raw string) bool {
	v := strings.ReplaceAll(normalizeURL(raw), `\`, "/")
	return strings.HasPrefix(v, "//") || strings.HasPrefix(v, "http:") || strings.HasPrefix(v, "https:")
}

// badHref reports an href value that is neither empty, http(s), mailto, nor relative.
func badHref(raw string) string {
	v := normalizeURL(raw)
	switch {
	case v == "",
		strings.HasPrefix(v, "http://"), strings.HasPrefix(v, "https://"),
		strings.HasPrefix(v, "mailto:"), strings.HasPrefix(v, "/"), strings.HasPrefix(v, "#"):
		return ""
	}
	if m := schemeRe.FindStringSubmatch(v); m != nil {
		// A colon before any '/', '?' or '#' makes a scheme: only http, https and mailto pass
		// ("https:0" is odd but harmless).
		switch m[1] {
		case "http", "https", "mailto":
		default:
			if i := strings.IndexAny(v, "/?#"); i < 0 || i > len(m[1]) {
				return "has an href with scheme " + m[1] + ": " + raw
			}
		}
	}
	return "" // relative URL
}

// assertSafe fails t when html is unsafe to show a reader and reports whether it was safe.
func assertSafe(t testing.TB, html string) bool {
	t.Helper()
	if reason := unsafeReason(html); reason != "" {
		t.Errorf("unsafe output (%s): %q", reason, html)
		return false
	}
	return true
}

func TestAssertSafeCatches(t *testing.T) {
	bad := []struct{ name, html string }{
		{"script", `<p>x</p><script>alert(1)</script>`},
		{"script upper", `<SCRIPT>alert(1)</SCRIPT>`},
		{"img", `<img src="https://x.org/p.gif">`},
		{"iframe", `<iframe src=x>`},
		{"svg", `<svg/onload=alert(1)>`},
		{"math", `<math><mi>x</mi></math>`},
		{"style tag", `<style>p{}</style>`},
		{"object", `<object data="x"></object>`},
		{"embed", `<embed src="x">`},
		{"form", `<form action="https://x.org"></form>`},
		{"onclick", `<p onclick="alert(1)">y</p>`},
		{"onmouseover unquoted", `<a href="https://x.org" onmouseover=alert(1)>x</a>`},
		{"handler upper", `<a ONCLICK="alert(1)">x</a>`},
		{"style attr", `<p style="color:red">x</p>`},
		{"javascript href", `<a href="javascript:alert(1)">x</a>`},
		{"javascript href upper", `<a href="JaVaScRiPt:alert(1)">x</a>`},
		{"javascript href entity", `<a href="&#106;avascript:alert(1)">x</a>`},
		{"javascript href tab", `<a href="java&#x09;script:alert(1)">x</a>`},
		{"javascript href leading space", `<a href=" javascript:alert(1)">x</a>`},
		{"javascript href single quotes", `<a href='javascript:alert(1)'>x</a>`},
		{"javascript href unquoted", `<a href=javascript:alert(1)>x</a>`},
		{"vbscript href", `<a href="vbscript:msgbox(1)">x</a>`},
		{"data href", `<a href="data:text/html,x">x</a>`},
		{"other scheme href", `<a href="ftp://x.org">x</a>`},
		{"javascript in other attribute", `<code class="javascript:alert(1)">x</code>`},
		{"external link without rel", `<a href="https://evil.example">x</a>`},
		{"external link without noopener", `<a href="https://evil.example" rel="nofollow">x</a>`},
		{"scheme-relative link without rel", `<a href="//evil.example/path">x</a>`},
		{"backslashes link without rel", `<a href="\\evil.example/path">x</a>`},
		{"slash backslash link without rel", `<a href="/\evil.example/path">x</a>`},
		{"backslash slash link without rel", `<a href="\/evil.example/path">x</a>`},
		{"upper-case link without rel", `<a href="HTTP://EVIL.EXAMPLE">x</a>`},
		{"space-prefixed link without rel", `<a href=" //evil.example" rel="ugc">x</a>`},
		{"tab inside link without rel", `<a href="/&#9;/evil.example">x</a>`},
		{"entity slashes link without rel", `<a href="&#47;&#47;evil.example">x</a>`},
		{"unquoted link without rel", `<a href=//evil.example>x</a>`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if unsafeReason(tc.html) == "" {
				t.Errorf("unsafeReason(%q) found nothing", tc.html)
			}
		})
	}

	good := []struct{ name, html string }{
		{"visible scheme words", `<p>javascript: is a word; data: too; vbscript: onclick= style=</p>`},
		{"escaped tags", `<p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(1)&gt;</p>`},
		{"link", `<a href="https://x.org/?q=data:x" rel="nofollow ugc noopener">x</a>`},
		{"mailto", `<a href="mailto:a@b.org" rel="nofollow ugc noopener">a@b.org</a>`},
		{"relative", `<a href="/t/1">a</a><a href="#c">b</a><a href="rel/path">c</a><a href="">d</a>`},
		{"relative with colon later", `<a href="a/b:c">x</a>`},
		{"image link", `<a href="https://x.org/p.gif" rel="nofollow ugc noopener" class="image-link">[p]</a>`},
		{"scheme-relative link", `<a href="//x.org/p" rel="nofollow ugc noopener">x</a>`},
		{"escaped backslash is a path", `<a href="%5Cx.org/p">x</a><a href="/%5Cx.org/p">y</a>`},
		{"checkbox", `<li><input checked="" disabled="" type="checkbox"> done</li>`},
	}
	for _, tc := range good {
		t.Run("safe "+tc.name, func(t *testing.T) {
			if reason := unsafeReason(tc.html); reason != "" {
				t.Errorf("unsafeReason(%q) = %q, want safe", tc.html, reason)
			}
		})
	}
}

func TestRenderKnownXSSPayloads(t *testing.T) {
	if len(xssPayloads) < 25 {
		t.Fatalf("only %d payloads", len(xssPayloads))
	}
	r := markdown.New()
	for _, p := range xssPayloads {
		t.Run(p.name, func(t *testing.T) {
			html, err := r.Render(p.in)
			if err != nil {
				t.Fatalf("Render(%q): %v", p.in, err)
			}
			if !assertSafe(t, html) {
				t.Logf("input: %q", p.in)
			}
		})
	}
}

func FuzzRender(f *testing.F) {
	for _, p := range xssPayloads {
		f.Add(p.in)
	}
	for _, s := range []string{
		"# Title\n\nSome **bold** and *em* text with a [link](https://example.org).",
		"![img](https://x.example/y.png) and <https://example.org> and help@example.org",
		"- [ ] task\n- [x] done\n\n1. one\n2. two",
		"| a | b |\n|:-|-:|\n| 1 | ~~2~~ |",
		"> quote\n\n```go\nfunc main() {}\n```\n\n---\n\n`code`",
		"line one\nline two  \nline three",
		"[ref][r]\n\n[r]: /relative \"title\"",
		"javascript: and data: are words here",
	} {
		f.Add(s)
	}
	// Past the bounds of limits.go, where markers become text.
	for _, p := range pathological {
		f.Add(p.head + strings.Repeat(p.unit, 120))
	}
	r := markdown.New()
	f.Fuzz(func(t *testing.T, in string) {
		html, err := r.Render(in)
		if err != nil {
			t.Fatalf("Render(%q): %v", in, err)
		}
		if !assertSafe(t, html) {
			t.Logf("input: %q", in)
		}
	})
}
