package markdown

import (
	"regexp"
	"strings"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/text"
)

// References are the people a text names, as the forum's notifications find them: the
// @mentions in its words, and the names over the quotes the reply form prefills
// ("maple_mom wrote:" above a blockquote). Code (spans and blocks), raw HTML, links
// written as addresses and quotes are not the writer's words: "@name" there names nobody.
type References struct {
	// Mentions are the names written after an @, without it, each once (case-insensitively),
	// in order. A name that ends with '.', '-' or '_' comes with the name without them
	// too ("Thank you @maple_mom." names maple_mom).
	Mentions []string
	// Quoted are the names over quotes, each once, in order.
	Quoted []string
}

// MaxMentions bounds the names of one text that are looked up: a post that names more
// people than this is a list, not a conversation, and notifies only the first ones.
const MaxMentions = 10

// mentionPattern finds "@name" where name has a pseudonym's form (app/forum's pseudonym
// rule), not inside a word or an address ("bob@example.org", "example.org/@name").
var mentionPattern = regexp.MustCompile(`(?:^|[^\p{L}\p{N}_.@/-])@([\p{L}\p{N}][\p{L}\p{N}_.-]{2,29})`)

// quoteHeader is the line the reply form writes over a quote (app/web quoteOf).
var quoteHeader = regexp.MustCompile(`^([\p{L}\p{N}][\p{L}\p{N}_.-]{2,29}) wrote:$`)

// refParser reads texts for References, with the bounds posts are rendered with.
var refParser = limitedParser()

// ReferencesOf returns the people source names.
func ReferencesOf(source string) References {
	src := []byte(source)
	doc := refParser.Parse(text.NewReader(src))
	var refs References
	seen := map[string]bool{}
	add := func(list *[]string, name string) {
		k := "m:" + strings.ToLower(name)
		if list == &refs.Quoted {
			k = "q:" + strings.ToLower(name)
		}
		if seen[k] || name == "" {
			return
		}
		seen[k] = true
		*list = append(*list, name)
	}
	var words strings.Builder
	flush := func() {
		for _, m := range mentionPattern.FindAllStringSubmatch(words.String(), -1) {
			if len(refs.Mentions) >= MaxMentions {
				break
			}
			name := m[1]
			add(&refs.Mentions, name)
			if trimmed := strings.TrimRight(name, "._-"); trimmed != name && len([]rune(trimmed)) >= 3 {
				add(&refs.Mentions, trimmed)
			}
		}
		words.Reset()
	}
	_ = ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		switch n := n.(type) {
		case *ast.CodeSpan, *ast.CodeBlock, *ast.FencedCodeBlock, *ast.HTMLBlock, *ast.RawHTML, *ast.AutoLink:
			if entering {
				// Words on either side of code are not one word.
				words.WriteByte(' ')
			}
			return ast.WalkSkipChildren, nil
		case *ast.Blockquote:
			// A quote holds someone else's words: a name mentioned there was mentioned
			// before, by them.
			if entering {
				flush()
			}
			return ast.WalkSkipChildren, nil
		case *ast.Text:
			if entering {
				words.Write(n.Segment.Value(src))
				if n.SoftLineBreak() || n.HardLineBreak() {
					words.WriteByte('\n')
				}
			}
			return ast.WalkContinue, nil
		case *ast.String:
			if entering {
				words.Write(n.Value)
			}
			return ast.WalkContinue, nil
		case *ast.Paragraph:
			if entering {
				if _, ok := n.NextSibling().(*ast.Blockquote); ok {
					if m := quoteHeader.FindStringSubmatch(strings.TrimSpace(string(n.Lines().Value(src)))); m != nil {
						add(&refs.Quoted, m[1])
					}
				}
			}
		}
		if n.Type() == ast.TypeBlock {
			flush()
		}
		return ast.WalkContinue, nil
	})
	flush()
	return refs
}
