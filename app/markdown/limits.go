package markdown

import (
	"bytes"

	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	extast "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// goldmark's work grows with the square of some structures: a blockquote or list nested
// once more for every marker on a line, emphasis closers that each look back through every
// earlier delimiter of a paragraph, link destinations whose parentheses never close, and
// table rows padded to the header's width. A post of 50,000 characters built of such
// structures took seconds to render and megabytes to store. The parsers below wrap
// goldmark's own and bound each structure; past a bound the markers are kept as the
// literal text they were typed as, so no character of a post is lost.
const (
	// maxNesting bounds blockquotes and lists inside one another.
	maxNesting = 32
	// maxDelimiters bounds the emphasis and strikethrough delimiter runs (*, _, ~) of one
	// block (a paragraph, heading or table cell) that may open or close emphasis.
	maxDelimiters = 200
	// maxDestinationParens bounds parentheses nested inside a link destination, as
	// CommonMark allows ("at least three levels of nesting should be supported").
	maxDestinationParens = 32
	// maxTableCells bounds the cells of all tables of a post, padding of short rows included.
	maxTableCells = 50_000
)

// nestingLimit refuses to open a blockquote or list nested maxNesting deep; the marker
// then stays text of the paragraph it starts.
type nestingLimit struct{ parser.BlockParser }

func (p nestingLimit) Open(parent ast.Node, reader text.Reader, pc parser.Context) (ast.Node, parser.State) {
	depth := 0
	for n := parent; n != nil; n = n.Parent() {
		if k := n.Kind(); k == ast.KindBlockquote || k == ast.KindList {
			depth++
		}
	}
	if depth >= maxNesting {
		return nil, parser.NoChildren
	}
	return p.BlockParser.Open(parent, reader, pc)
}

var delimiterCountKey = parser.NewContextKey()

// delimiterCount counts the delimiters of the block whose inlines are being parsed.
type delimiterCount struct {
	block ast.Node
	n     int
}

// delimiterLimit lets an emphasis or strikethrough parser push at most maxDelimiters
// delimiters per block; later runs are text, as unmatched delimiters are.
type delimiterLimit struct{ parser.InlineParser }

func (p delimiterLimit) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	count, _ := pc.Get(delimiterCountKey).(*delimiterCount)
	if count == nil || count.block != parent {
		count = &delimiterCount{block: parent}
		pc.Set(delimiterCountKey, count)
	}
	line, segment := block.PeekLine()
	run := 1
	for run < len(line) && line[run] == line[0] {
		run++
	}
	if line[0] == '~' && run > 2 {
		// Three or more tildes never strike through, and goldmark would look at the run
		// again from each of its characters. The last one is left to the parsers, as it
		// may start an autolink ("~~~www.example.org").
		block.Advance(run - 1)
		return ast.NewTextSegment(segment.WithStop(segment.Start + run - 1))
	}
	if count.n >= maxDelimiters {
		block.Advance(run)
		return ast.NewTextSegment(segment.WithStop(segment.Start + run))
	}
	n := p.InlineParser.Parse(parent, block, pc)
	if d, ok := n.(*parser.Delimiter); ok && (d.CanOpen || d.CanClose) {
		count.n++
	}
	return n
}

// linkLimit keeps goldmark's link parser from scanning a line again for every "](" on it:
// an inline link whose destination nests parentheses deeper than maxDestinationParens, or
// whose <destination> holds a '<' or no closing '>' on its line, is not a link
// (CommonMark), and the label may still be a reference link.
type linkLimit struct{ parser.InlineParser }

// CloseBlock passes the end of a block to goldmark's link parser, which turns labels
// left open into text.
func (p linkLimit) CloseBlock(parent ast.Node, block text.Reader, pc parser.Context) {
	if c, ok := p.InlineParser.(parser.CloseBlocker); ok {
		c.CloseBlock(parent, block, pc)
	}
}

func (p linkLimit) Parse(parent ast.Node, block text.Reader, pc parser.Context) ast.Node {
	line, segment := block.PeekLine()
	if len(line) > 1 && line[0] == ']' && line[1] == '(' && !inlineDestinationPossible(line[2:]) {
		return p.InlineParser.Parse(parent, &notInlineLink{Reader: block, at: segment.Start + 1}, pc)
	}
	return p.InlineParser.Parse(parent, block, pc)
}

// inlineDestinationPossible reports whether rest, the line after "](", may start a link
// destination that goldmark should parse. It looks no further than goldmark would.
func inlineDestinationPossible(rest []byte) bool {
	i := 0
	for i < len(rest) && (rest[i] == ' ' || rest[i] == '\t') {
		i++
	}
	if i == len(rest) || rest[i] == '\n' || rest[i] == '\r' {
		return true // the destination, if any, is on the next line
	}
	if rest[i] == '<' {
		for i++; i < len(rest); i++ {
			switch c := rest[i]; {
			case c == '\\' && i+1 < len(rest) && util.IsPunct(rest[i+1]):
				i++
			case c == '>':
				return true
			case c == '<' || c == '\n' || c == '\r':
				return false
			}
		}
		return false
	}
	depth := 0
	for ; i < len(rest); i++ {
		switch c := rest[i]; {
		case c == '\\' && i+1 < len(rest) && util.IsPunct(rest[i+1]):
			i++
		case c == '(':
			depth++
			if depth > maxDestinationParens {
				return false
			}
		case c == ')':
			depth--
			if depth < 0 {
				return true
			}
		case util.IsSpace(c):
			return true
		}
	}
	return true
}

// notInlineLink hides the '(' after a link label from goldmark's link parser, which then
// treats the label as it would any label not followed by "(": a shortcut reference or text.
type notInlineLink struct {
	text.Reader
	at   int // source offset of the '('
	done bool
}

func (r *notInlineLink) Peek() byte {
	if !r.done {
		if _, pos := r.Position(); pos.Start == r.at && pos.Padding == 0 {
			r.done = true
			return ' '
		}
	}
	return r.Reader.Peek()
}

var tableCellsKey = parser.NewContextKey()

// tableLimit leaves as a paragraph a table that would take the post past maxTableCells:
// goldmark pads every row to the width of the header, so a wide header over many short
// lines multiplies the post's size.
type tableLimit struct{ parser.ParagraphTransformer }

func (t tableLimit) Transform(node *ast.Paragraph, reader text.Reader, pc parser.Context) {
	used, _ := pc.Get(tableCellsKey).(int)
	if used+tableCellsBound(node, reader.Source()) > maxTableCells {
		return
	}
	parent, prev := node.Parent(), node.PreviousSibling()
	// goldmark puts the table after the paragraph, and drops the paragraph if the table
	// took all of its lines.
	t.ParagraphTransformer.Transform(node, reader, pc)
	next := parent.FirstChild()
	if node.Parent() != nil {
		next = node.NextSibling()
	} else if prev != nil {
		next = prev.NextSibling()
	}
	if table, ok := next.(*extast.Table); ok {
		pc.Set(tableCellsKey, used+table.ChildCount()*len(table.Alignments))
	}
}

// tableCellsBound is at least the number of cells of the table that goldmark would make
// of a paragraph: the rows after its delimiter row, and the header, times the columns.
func tableCellsBound(node *ast.Paragraph, source []byte) int {
	lines := node.Lines()
	bound := 0
	for i := 1; i < lines.Len(); i++ {
		seg := lines.At(i)
		line := seg.Value(source)
		if !bytes.Contains(line, []byte{'-'}) || len(bytes.Trim(line, "|-: \t\r\n")) != 0 {
			continue
		}
		cols := bytes.Count(line, []byte{'|'}) + 1
		bound = max(bound, cols*(lines.Len()-i))
	}
	return bound
}

// limitedParser is goldmark's parser with its default and GitHub-flavoured parsers (as
// goldmark.New with extension.GFM makes it), each structure that could make rendering slow
// bounded.
func limitedParser() parser.Parser {
	return parser.NewParser(
		parser.WithBlockParsers(
			util.Prioritized(parser.NewSetextHeadingParser(), 100),
			util.Prioritized(parser.NewThematicBreakParser(), 200),
			util.Prioritized(nestingLimit{parser.NewListParser()}, 300),
			util.Prioritized(parser.NewListItemParser(), 400),
			util.Prioritized(parser.NewCodeBlockParser(), 500),
			util.Prioritized(parser.NewATXHeadingParser(), 600),
			util.Prioritized(parser.NewFencedCodeBlockParser(), 700),
			util.Prioritized(nestingLimit{parser.NewBlockquoteParser()}, 800),
			util.Prioritized(parser.NewHTMLBlockParser(), 900),
			util.Prioritized(parser.NewParagraphParser(), 1000),
		),
		parser.WithInlineParsers(
			util.Prioritized(extension.NewTaskCheckBoxParser(), 0),
			util.Prioritized(parser.NewCodeSpanParser(), 100),
			util.Prioritized(linkLimit{parser.NewLinkParser()}, 200),
			util.Prioritized(parser.NewAutoLinkParser(), 300),
			util.Prioritized(parser.NewRawHTMLParser(), 400),
			util.Prioritized(delimiterLimit{parser.NewEmphasisParser()}, 500),
			util.Prioritized(delimiterLimit{extension.NewStrikethroughParser()}, 500),
			util.Prioritized(extension.NewLinkifyParser(), 999),
		),
		parser.WithParagraphTransformers(
			util.Prioritized(parser.LinkReferenceParagraphTransformer, 100),
			util.Prioritized(tableLimit{extension.NewTableParagraphTransformer()}, 200),
		),
		parser.WithASTTransformers(util.Prioritized(extension.NewTableASTTransformer(), 0)),
	)
}
