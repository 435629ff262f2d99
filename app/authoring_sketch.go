package app

import (
	"bytes"
	"errors"
	"fmt"
	"slices"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/wasmflow/wasmflow/tasks"
)

// sketch reads a DAG file that does not validate as loosely as it can: its dag_id and its
// tasks' ids, upstream ids (those that name a task), kinds and lines. A YAML syntax error
// drops the lines from it on, so the part above still draws while a line is being typed.
func sketch(content []byte) (*string, []DraftTask) {
	text := bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	for range 3 {
		id, list, err := sketchText(text)
		var se *yaml.SyntaxError
		if err == nil || !errors.As(err, &se) || se.Token == nil || se.Token.Position == nil || se.Token.Position.Line <= 1 {
			return id, list
		}
		lines := bytes.SplitAfter(text, []byte("\n"))
		text = bytes.Join(lines[:min(se.Token.Position.Line-1, len(lines))], nil)
	}
	return nil, []DraftTask{}
}

func sketchText(text []byte) (*string, []DraftTask, error) {
	out := []DraftTask{}
	// The lines above a syntax error are a new file, which the parser never measured: goccy's
	// decoder costs what the budgets are there to spare (quadratic in the nesting depth,
	// exponential in aliases of aliases), so a cut that is over one draws nothing.
	if err := tasks.CheckBudget(text); err != nil {
		return nil, out, nil
	}
	var doc map[string]any
	if err := yaml.UnmarshalWithOptions(text, &doc, yaml.AllowDuplicateMapKey()); err != nil {
		return nil, out, err
	}
	file, err := parser.ParseBytes(text, 0)
	if err != nil {
		return nil, out, err
	}
	var dagID *string
	if s, ok := scalarText(doc["dag_id"]); ok {
		dagID = &s
	}
	rule := "all_success"
	if defaults, ok := doc["default_args"].(map[string]any); ok {
		if s, ok := scalarText(defaults["trigger_rule"]); ok {
			rule = s
		}
	}
	items, _ := doc["tasks"].([]any)
	seen := map[string]bool{}
	for i, it := range items {
		m, _ := it.(map[string]any)
		id, ok := scalarText(m["id"])
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		t := DraftTask{TaskID: id, Upstream: sketchUpstream(m["upstream"]), Kind: sketchKind(m), TriggerRule: rule, Line: itemLine(file, i)}
		if s, ok := scalarText(m["trigger_rule"]); ok {
			t.TriggerRule = s
		}
		out = append(out, t)
	}
	for i := range out {
		kept := []string{}
		for _, u := range out[i].Upstream {
			if seen[u] && u != out[i].TaskID && !slices.Contains(kept, u) {
				kept = append(kept, u)
			}
		}
		out[i].Upstream = kept
	}
	return dagID, out, nil
}

func sketchUpstream(v any) []string {
	if s, ok := scalarText(v); ok {
		return []string{s}
	}
	list, _ := v.([]any)
	var out []string
	for _, u := range list {
		if s, ok := scalarText(u); ok {
			out = append(out, s)
		}
	}
	return out
}

func sketchKind(m map[string]any) string {
	on := func(key string) bool { v, set := m[key]; return set && v != false && v != nil }
	switch {
	case on("branch"):
		return string(tasks.KindBranch)
	case on("sensor"):
		return string(tasks.KindSensor)
	}
	return string(tasks.KindModule)
}

// itemLine is the line of the i-th task in the file.
func itemLine(file *ast.File, i int) int {
	p, err := yaml.PathString(fmt.Sprintf("$.tasks[%d]", i))
	if err != nil {
		return 0
	}
	n, err := p.FilterFile(file)
	if err != nil || n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

func scalarText(v any) (string, bool) {
	switch v.(type) {
	case string, int, int64, uint64, float64, bool:
		return fmt.Sprint(v), true
	}
	return "", false
}
