package tasks

import (
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Parser budgets. A DAG file comes from anyone who may write to the DAGs folder or call the
// authoring API, and YAML lets a few bytes stand for a huge value: goccy/go-yaml's parser
// takes time and memory quadratic in the nesting depth (10,000 nested "[" in 20 KB cost
// 160 MB, 30,000 several GB), and aliases of aliases repeat their anchors exponentially (nine
// levels of nine aliases are 387 million values once written out as JSON). So the file is
// measured before it is parsed, and its aliases before the model is built from it; a file
// over a budget is refused with the line to look at. No real DAG comes near these figures.
const (
	// MaxFileBytes caps a DAG file. Parsing costs up to some 600 bytes of memory per byte of
	// YAML (a dense list like [a,a,a,...]), so this bounds the rest; a 10,000-task chain takes
	// about 730 KB.
	MaxFileBytes = 1 << 20
	// MaxNestingDepth caps how deeply mappings and lists nest; a DAG file's tasks sit at
	// depth 3 and their env at 4.
	MaxNestingDepth = 64
	// MaxAliasValues caps the values aliases add to the file: each alias counts every value of
	// its anchor again (four default_args merged into 1,000 tasks through <<: *defaults add
	// 9,000: the mapping and four keys with their values, each time).
	MaxAliasValues = 100_000
	// MaxAliasBytes caps the text aliases add to the file, each counting its anchor's text.
	MaxAliasBytes = 4 << 20
)

// checkSize refuses a file over MaxFileBytes before anything reads it.
func (ps *problems) checkSize(n int64) bool {
	if n <= MaxFileBytes {
		return true
	}
	ps.add(Pos{Line: 1}, "the file is %d bytes; a DAG file may have at most %d (%d MiB): split it, or move data out of params",
		n, MaxFileBytes, MaxFileBytes>>20)
	return false
}

// checkDepth refuses tokens nested deeper than MaxNestingDepth, before the parser sees them.
// The lexer is linear (about 300 bytes per token); the parser is what grows with depth. Flow
// collections ([ and {) count their brackets; block collections count the distinct
// indentation levels of their entries ("- " and "key:") that are open at a token.
func (ps *problems) checkDepth(tokens token.Tokens) bool {
	flow := 0
	var block []int // columns of the open block collections, innermost last
	for _, tk := range tokens {
		switch tk.Type {
		case token.DocumentHeaderType:
			flow, block = 0, block[:0]
		case token.SequenceStartType, token.MappingStartType:
			flow++
		case token.SequenceEndType, token.MappingEndType:
			flow = max(0, flow-1)
		case token.SequenceEntryType, token.MappingKeyType, token.MappingValueType:
			if flow > 0 {
				continue // a ':' inside { }: the brace counted already
			}
			col := tk.Position.Column
			if tk.Type == token.MappingValueType && tk.Prev != nil {
				col = tk.Prev.Position.Column // a mapping's entries stand at their keys' column
			}
			for len(block) > 0 && block[len(block)-1] > col {
				block = block[:len(block)-1]
			}
			if len(block) == 0 || block[len(block)-1] < col {
				block = append(block, col)
			}
		}
		if flow+len(block) > MaxNestingDepth {
			ps.add(Pos{Line: tk.Position.Line, Column: tk.Position.Column},
				"YAML nested deeper than %d levels at line %d; DAG files need far less: flatten this value", MaxNestingDepth, tk.Position.Line)
			return false
		}
	}
	return true
}

// extent is how much a node holds once its aliases are written out: values and text bytes.
type extent struct{ values, bytes int }

func (e extent) add(o extent) extent { return extent{e.values + o.values, e.bytes + o.bytes} }

// anchorDef is an anchor defined earlier in the file, with what it holds.
type anchorDef struct {
	node ast.Node
	size extent
}

// aliasBudget reads a file's AST once, in document order, to tie each alias to its anchor (the
// latest one of that name defined before it, as YAML says) and add up what the aliases repeat.
// Because an anchor is recorded only once its value is read, an alias cannot refer to its own
// anchor, and nothing reached through aliases is ever cyclic.
type aliasBudget struct {
	ps      *problems
	anchors map[string]anchorDef
	targets map[*ast.AliasNode]ast.Node
	added   extent // what the aliases so far repeat
	over    bool
}

func newAliasBudget(ps *problems) *aliasBudget {
	return &aliasBudget{ps: ps, anchors: map[string]anchorDef{}, targets: map[*ast.AliasNode]ast.Node{}}
}

// size returns what n holds with its aliases written out; once the budget is spent it stops
// (the file is refused, nothing more is read from it).
func (b *aliasBudget) size(n ast.Node) extent {
	if b.over || n == nil {
		return extent{}
	}
	switch v := n.(type) {
	case *ast.DocumentNode:
		return b.size(v.Body)
	case *ast.AnchorNode:
		e := b.size(v.Value)
		b.anchors[v.Name.String()] = anchorDef{node: v.Value, size: e}
		return e
	case *ast.AliasNode:
		def, ok := b.anchors[aliasName(v)]
		if !ok {
			return extent{values: 1} // the walker reports the alias to no anchor where it is used
		}
		b.targets[v] = def.node
		b.added = b.added.add(def.size)
		if b.added.values > MaxAliasValues || b.added.bytes > MaxAliasBytes {
			b.over = true
			b.ps.add(posOf(v), "alias *%s takes the file past %d values or %d MiB once its aliases are written out "+
				"(each alias repeats all of its anchor); DAG files need far less: repeat less through aliases",
				aliasName(v), MaxAliasValues, MaxAliasBytes>>20)
		}
		return def.size
	case *ast.TagNode:
		return b.size(v.Value)
	case *ast.MappingKeyNode:
		return b.size(v.Value)
	case *ast.MappingValueNode:
		return b.size(v.Key).add(b.size(v.Value))
	case *ast.MappingNode:
		e := extent{values: 1}
		for _, mv := range v.Values {
			e = e.add(b.size(mv))
		}
		return e
	case *ast.SequenceNode:
		e := extent{values: 1}
		for _, item := range v.Values {
			e = e.add(b.size(item))
		}
		return e
	case *ast.StringNode:
		return extent{1, len(v.Value)}
	case *ast.LiteralNode:
		return extent{1, len(v.Value.Value)}
	}
	if tk := n.GetToken(); tk != nil {
		return extent{1, len(tk.Value)}
	}
	return extent{values: 1}
}

// aliasName is the anchor an alias names, without its '*'.
func aliasName(a *ast.AliasNode) string { return strings.TrimPrefix(a.Value.String(), "*") }
