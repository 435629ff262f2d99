package tasks

import (
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// field is one `key: value` of a YAML mapping, with where the key stands.
type field struct {
	key   string
	pos   Pos
	value ast.Node
}

// walker reads the YAML AST of one DAG file, recording a Problem for every value of the wrong
// shape instead of stopping at the first.
type walker struct {
	ps      *problems
	aliases map[*ast.AliasNode]ast.Node // each alias's anchored value (see aliasBudget)
	lines   []string                    // the file's lines, to place block scalars
}

func posOf(n ast.Node) Pos {
	if n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return Pos{}
	}
	p := n.GetToken().Position
	return Pos{Line: p.Line, Column: p.Column}
}

// valuePos is where a scalar's text starts: after the opening quote of a quoted string.
func valuePos(n ast.Node) Pos {
	if n == nil {
		return Pos{}
	}
	p := posOf(n)
	if tk := n.GetToken(); tk != nil && (tk.Type == token.SingleQuoteType || tk.Type == token.DoubleQuoteType) {
		p.Column++
	}
	return p
}

// textPos is where a scalar's text starts; for a block scalar (| or >) that is the first
// content line, after its indentation.
func (w *walker) textPos(n ast.Node) Pos {
	lit, ok := n.(*ast.LiteralNode)
	if !ok {
		return valuePos(n)
	}
	p := posOf(lit)
	for line := p.Line + 1; line <= len(w.lines); line++ {
		text := w.lines[line-1]
		if strings.TrimSpace(text) != "" {
			return Pos{Line: line, Column: len(text) - len(strings.TrimLeft(text, " ")) + 1}
		}
	}
	return p
}

// resolve looks through anchors, aliases and tags to the node that holds the value.
func (w *walker) resolve(n ast.Node) ast.Node {
	for i := 0; i < 32 && n != nil; i++ { // bounded, though aliases only refer to earlier values
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			name := aliasName(v)
			target, ok := w.aliases[v]
			if !ok {
				w.ps.add(posOf(v), "alias *%s refers to no anchor: define &%s first", name, name)
				return nil
			}
			n = target
		case *ast.TagNode:
			n = v.Value
		default:
			return n
		}
	}
	return n
}

// broken reports whether n is an alias to no anchor: already reported, nothing more to say.
func (w *walker) broken(n ast.Node) bool {
	_, alias := n.(*ast.AliasNode)
	return alias && w.resolve(n) == nil
}

func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return n == nil || ok
}

// isMappingNode reports whether n is a mapping (of one key or more).
func isMappingNode(n ast.Node) bool {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return true
	}
	return false
}

// mapping returns the fields of a mapping node in order, with `<<: *anchor` merges expanded
// (keys written in the mapping itself win) and duplicate keys reported.
func (w *walker) mapping(n ast.Node, what string) ([]field, bool) {
	if w.broken(n) {
		return nil, false
	}
	n = w.resolve(n)
	m, ok := n.(*ast.MappingNode)
	if !ok {
		if mv, single := n.(*ast.MappingValueNode); single {
			m = &ast.MappingNode{Values: []*ast.MappingValueNode{mv}}
		} else {
			w.ps.add(posOf(n), "%s must be a mapping of key: value, got %s", what, describe(n))
			return nil, false
		}
	}
	var own, merged []field
	seen := map[string]Pos{}
	for _, mv := range m.Values {
		keyNode := w.resolve(mv.Key)
		if keyNode == nil { // an alias to no anchor: resolve has reported it
			continue
		}
		if _, isMerge := mv.Key.(*ast.MergeKeyNode); isMerge || (keyNode != nil && keyNode.String() == "<<") {
			fs, _ := w.mapping(mv.Value, "a merged value (<<)")
			merged = append(merged, fs...)
			continue
		}
		key := strings.Trim(keyNode.String(), `"'`)
		if s, ok := keyNode.(*ast.StringNode); ok {
			key = s.Value
		}
		p := posOf(mv.Key)
		if first, dup := seen[key]; dup {
			w.ps.add(p, "%s: key %q is set twice (first at line %d); remove one", what, key, first.Line)
			continue
		}
		seen[key] = p
		own = append(own, field{key: key, pos: p, value: mv.Value})
	}
	for _, f := range merged {
		if _, dup := seen[f.key]; !dup {
			seen[f.key] = f.pos
			own = append(own, f)
		}
	}
	return own, true
}

// scalar returns the text of a scalar node; block literals (| and >) included.
func (w *walker) scalar(n ast.Node) (string, bool) {
	n = w.resolve(n)
	switch v := n.(type) {
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return n.GetToken().Value, true
	}
	return "", false
}

func (w *walker) str(f field) (string, bool) {
	if w.broken(f.value) {
		return "", false
	}
	if s, ok := w.resolve(f.value).(*ast.StringNode); ok {
		return s.Value, true
	}
	if l, ok := w.resolve(f.value).(*ast.LiteralNode); ok {
		return l.Value.Value, true
	}
	// Numbers and booleans are fine where text is expected (dag_id: 2024 is a fine id).
	s, ok := w.scalar(f.value)
	if !ok {
		w.ps.add(posOf(f.value), "%s must be a string, got %s", f.key, describe(w.resolve(f.value)))
	}
	return s, ok
}

func (w *walker) integer(f field) (int, bool) {
	if w.broken(f.value) {
		return 0, false
	}
	s, ok := w.scalar(f.value)
	n, err := strconv.Atoi(s)
	if !ok || err != nil {
		w.ps.add(posOf(f.value), "%s must be a whole number, got %s", f.key, describe(w.resolve(f.value)))
		return 0, false
	}
	return n, true
}

func (w *walker) boolean(f field) (bool, bool) {
	if w.broken(f.value) {
		return false, false
	}
	if b, ok := w.resolve(f.value).(*ast.BoolNode); ok {
		return b.Value, true
	}
	w.ps.add(posOf(f.value), "%s must be true or false, got %s", f.key, describe(w.resolve(f.value)))
	return false, false
}

// item is one element of a sequence with its position.
type item struct {
	node ast.Node
	pos  Pos
}

func (w *walker) list(f field) ([]item, bool) {
	if w.broken(f.value) {
		return nil, false
	}
	n := w.resolve(f.value)
	if isNull(n) {
		return nil, true
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		w.ps.add(posOf(n), "%s must be a list ([a, b] or one \"- item\" per line), got %s", f.key, describe(n))
		return nil, false
	}
	out := make([]item, 0, len(seq.Values))
	for _, v := range seq.Values {
		out = append(out, item{node: v, pos: valuePos(w.resolve(v))})
	}
	return out, true
}

// strings reads a list of strings; a single string is accepted as a list of one.
func (w *walker) strings(f field) ([]string, []Pos, bool) {
	if s, ok := w.resolve(f.value).(*ast.StringNode); ok {
		return []string{s.Value}, []Pos{valuePos(s)}, true
	}
	items, ok := w.list(f)
	if !ok {
		return nil, nil, false
	}
	var out []string
	var pos []Pos
	for _, it := range items {
		s, sok := w.scalar(it.node)
		if !sok && w.broken(it.node) {
			ok = false
			continue
		}
		if !sok {
			w.ps.add(it.pos, "%s: each item must be a string, got %s", f.key, describe(w.resolve(it.node)))
			ok = false
			continue
		}
		out = append(out, s)
		pos = append(pos, it.pos)
	}
	return out, pos, ok
}

// value converts a node to plain Go values as goccy/go-yaml decodes into any: a mapping to a
// map[string]any (merges expanded, duplicate keys reported), a list to []any, a number to
// uint64, int64 or float64. Each alias becomes a copy of its anchor's value; the alias budget
// bounds how much that copies. what names the value in messages (params.limits).
func (w *walker) value(n ast.Node, what string) any {
	if tag, ok := n.(*ast.TagNode); ok && tag.Start != nil && tag.Start.Value == "!!str" {
		s, _ := w.scalar(tag.Value)
		return s
	}
	if w.broken(n) {
		return nil
	}
	switch v := w.resolve(n).(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		fs, _ := w.mapping(v, what)
		m := make(map[string]any, len(fs))
		for _, f := range fs {
			m[f.key] = w.value(f.value, what+"."+f.key)
		}
		return m
	case *ast.SequenceNode:
		list := make([]any, len(v.Values))
		for i, item := range v.Values {
			list[i] = w.value(item, what)
		}
		return list
	case *ast.StringNode:
		return v.Value
	case *ast.LiteralNode:
		return v.Value.Value
	case nil, *ast.NullNode:
		return nil
	case ast.ScalarNode:
		return v.GetValue()
	default:
		return v.String()
	}
}

func describe(n ast.Node) string {
	switch v := n.(type) {
	case nil, *ast.NullNode:
		return "nothing (null)"
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.BoolNode:
		return "a boolean " + v.GetToken().Value
	case *ast.IntegerNode, *ast.FloatNode:
		return "the number " + v.GetToken().Value
	case *ast.StringNode:
		return strconv.Quote(v.Value)
	}
	return n.Type().String()
}
