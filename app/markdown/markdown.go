// Package markdown turns what members write into safe HTML, once, when a post is written.
//
// goldmark renders GitHub-flavoured markdown (tables, strikethrough, autolinks, task lists)
// with raw HTML switched off; bluemonday then sanitizes the result with an allow-list.
// Links get rel="nofollow ugc noopener", images are never loaded (a remote image can track
// readers): they render as links, and headings are demoted below the page's own title.
// Structures whose cost grows faster than the text are bounded while parsing (limits.go),
// so that any post renders in milliseconds.
package markdown

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// Rel is the rel attribute of every link in a post.
const Rel = "nofollow ugc noopener"

// headingShift demotes post headings: the page title is the h1, post headings start at h3.
const headingShift = 2

// Renderer renders markdown to sanitized HTML. It is safe for concurrent use.
type Renderer struct {
	md     goldmark.Markdown
	policy *bluemonday.Policy
}

// New returns a Renderer.
func New() *Renderer {
	md := goldmark.New(
		goldmark.WithParser(limitedParser()),
		goldmark.WithParserOptions(
			parser.WithASTTransformers(util.Prioritized(headingDemoter{}, 100)),
		),
		goldmark.WithRendererOptions(
			html.WithHardWraps(),
			renderer.WithNodeRenderers(
				util.Prioritized(linkRenderer{}, 100),
				util.Prioritized(extension.NewTableHTMLRenderer(), 500),
				util.Prioritized(extension.NewStrikethroughHTMLRenderer(), 500),
				util.Prioritized(extension.NewTaskCheckBoxHTMLRenderer(), 500),
			),
		),
	)
	return &Renderer{md: md, policy: policy()}
}

// MaxHTML bounds the HTML of one post: every page that shows the post carries it. The
// structures that multiply a text's size are bounded while parsing (limits.go); what
// remains, such as a long table of empty aligned cells (23 bytes of HTML for each "|"),
// is refused here.
const MaxHTML = 1 << 20

// ErrTooLarge is returned for a text whose HTML would be larger than MaxHTML.
var ErrTooLarge = errors.New("the text makes more than 1 MiB of HTML")

// Render returns the sanitized HTML of source.
func (r *Renderer) Render(source string) (string, error) {
	var buf bytes.Buffer
	if err := r.md.Convert([]byte(source), &buf); err != nil {
		return "", fmt.Errorf("render markdown: %w", err)
	}
	if buf.Len() > MaxHTML {
		return "", ErrTooLarge
	}
	out := r.policy.Sanitize(buf.String())
	if len(out) > MaxHTML {
		return "", ErrTooLarge
	}
	return out, nil
}

func policy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs() // http, https, mailto; relative URLs; parseable only
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireNoFollowOnLinks(true)
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^` + Rel + `$`)).OnElements("a")
	p.AllowAttrs("class").Matching(regexp.MustCompile(`^(image-link|language-[a-zA-Z0-9_+-]{1,30})$`)).OnElements("a", "code")
	p.AllowElements("p", "br", "hr", "blockquote", "pre", "code", "em", "strong", "del", "ul", "ol", "li",
		"h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "span")
	p.AllowAttrs("start").Matching(regexp.MustCompile(`^[0-9]{1,6}$`)).OnElements("ol")
	p.AllowAttrs("align").Matching(regexp.MustCompile(`^(left|right|center)$`)).OnElements("th", "td")
	// Task list items render as disabled checkboxes.
	p.AllowAttrs("type").Matching(regexp.MustCompile(`^checkbox$`)).OnElements("input")
	p.AllowAttrs("checked", "disabled").Matching(regexp.MustCompile(`^(|checked|disabled)$`)).OnElements("input")
	p.AllowElements("input")
	return p
}

// headingDemoter shifts heading levels so that a post never competes with the page title.
type headingDemoter struct{}

func (headingDemoter) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if h, ok := n.(*ast.Heading); ok && entering {
			h.Level = min(h.Level+headingShift, 6)
		}
		return ast.WalkContinue, nil
	})
}

// linkRenderer writes links with the forum's rel attribute and images as plain links.
type linkRenderer struct{}

func (linkRenderer) RegisterFuncs(reg renderer.NodeRendererFuncRegisterer) {
	reg.Register(ast.KindLink, renderLink)
	reg.Register(ast.KindAutoLink, renderAutoLink)
	reg.Register(ast.KindImage, renderImage)
}

func renderLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Link)
	if entering {
		openLink(w, n.Destination, "")
	} else {
		_, _ = w.WriteString("</a>")
	}
	return ast.WalkContinue, nil
}

func renderAutoLink(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.AutoLink)
	if !entering {
		return ast.WalkContinue, nil
	}
	url := n.URL(source)
	label := n.Label(source)
	if n.AutoLinkType == ast.AutoLinkEmail && !bytes.HasPrefix(bytes.ToLower(url), []byte("mailto:")) {
		url = append([]byte("mailto:"), url...)
	}
	openLink(w, url, "")
	_, _ = w.Write(util.EscapeHTML(label))
	_, _ = w.WriteString("</a>")
	return ast.WalkContinue, nil
}

// renderImage writes ![alt](src) as a link to the image, so that nothing is fetched
// when a page is read: remote images can be used to track readers.
func renderImage(w util.BufWriter, source []byte, node ast.Node, entering bool) (ast.WalkStatus, error) {
	n := node.(*ast.Image)
	if !entering {
		return ast.WalkContinue, nil
	}
	openLink(w, n.Destination, "image-link")
	var alt bytes.Buffer
	for c := n.FirstChild(); c != nil; c = c.NextSibling() {
		if t, ok := c.(*ast.Text); ok {
			alt.Write(t.Value(source))
		} else if s, ok := c.(*ast.String); ok {
			alt.Write(s.Value)
		}
	}
	label := alt.Bytes()
	if len(label) == 0 {
		label = []byte("image")
	}
	_, _ = w.WriteString("[")
	_, _ = w.Write(util.EscapeHTML(label))
	_, _ = w.WriteString("]</a>")
	return ast.WalkSkipChildren, nil
}

func openLink(w util.BufWriter, dest []byte, class string) {
	_, _ = w.WriteString(`<a href="`)
	if !html.IsDangerousURL(dest) {
		_, _ = w.Write(util.EscapeHTML(util.URLEscape(dest, true)))
	}
	_, _ = w.WriteString(`" rel="` + Rel + `"`)
	if class != "" {
		_, _ = w.WriteString(` class="` + class + `"`)
	}
	_, _ = w.WriteString(">")
}
