package tasks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// DefaultMaxMapLength is core.max_map_length's default, Airflow's: the most task instances one
// mapped task may expand into.
const DefaultMaxMapLength = 1024

// Expand is a mapped task's `expand`: the list it makes one task instance per element of,
// written in the file (Items) or computed when its upstream tasks are done (Expr).
type Expand struct {
	Pos   Pos   // where the value is written
	Items []any // a YAML list
	Expr  *Expr // an expression yielding a list, e.g. xcom("list_files")
}

// IsMapped reports whether the task is expanded into one task instance per element of a list.
func (t *Task) IsMapped() bool { return t.Expand != nil }

// List evaluates the expansion against env. An expression may yield a list, or a string
// holding a JSON list (what an upstream module's return_value is, read with xcom).
func (x *Expand) List(env Env) ([]any, error) {
	if x.Expr == nil {
		return x.Items, nil
	}
	v, err := x.Expr.Eval(env)
	if err != nil {
		return nil, fmt.Errorf("expand: %w", err)
	}
	return expandList(x.Expr.Source, v)
}

// expandList turns what an expand expression returned into the list to map over.
func expandList(src string, v any) ([]any, error) {
	switch v := v.(type) {
	case nil:
		return nil, fmt.Errorf("expand %q returned nothing (null): it must return a list, e.g. [1, 2] or the xcom of a task that returns a JSON list", src)
	case []any:
		return v, nil
	case string:
		s := strings.TrimSpace(v)
		var list []any
		if strings.HasPrefix(s, "[") && json.Unmarshal([]byte(s), &list) == nil {
			return list, nil
		}
		return nil, fmt.Errorf("expand %q returned the text %q, which is not a JSON list: the upstream task must return a list such as [\"a.csv\", \"b.csv\"]", src, truncate(v, 60))
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array {
		list := make([]any, rv.Len())
		for i := range list {
			list[i] = rv.Index(i).Interface()
		}
		return list, nil
	}
	return nil, fmt.Errorf("expand %q returned %T %v: it must return a list", src, v, v)
}

// expand reads a task's `expand`: a YAML list, or an expression yielding one. Only module
// (and operator) tasks map: a sensor or branch decided by the scheduler has no per-instance
// arguments to map over.
func (p *dagParser) expand(t *Task, f field, label string) {
	n := p.w.resolve(f.value)
	if isNull(n) {
		return
	}
	if t.IsSensor() || t.IsBranch() {
		what := "a sensor"
		if t.IsBranch() {
			what = "a branch"
		}
		p.ps.add(f.pos, "%sexpand is not supported on %s: map a module or operator task, and put the sensor or branch before or after it", label, what)
		return
	}
	x := &Expand{Pos: valuePos(n)}
	switch n.(type) {
	case *ast.SequenceNode:
		list, _ := p.w.value(f.value, label+"expand").([]any)
		x.Items = list
		if x.Items == nil {
			x.Items = []any{}
		}
	case *ast.StringNode, *ast.LiteralNode:
		s, _ := p.w.scalar(f.value)
		x.Expr = compileExpr(p.ps, p.w.textPos(n), label+"expand", s, exprAny)
		if x.Expr == nil {
			return
		}
		if !x.Expr.canBeList() {
			p.ps.add(x.Expr.Pos, "%sexpand %q returns %s; it must return a list, e.g. [1, 2, 3] or xcom(\"list_files\")", label, s, x.Expr.resultType())
			return
		}
	default:
		p.ps.add(posOf(n), "%sexpand must be a list ([a, b]) or an expression yielding one (e.g. 'xcom(\"list_files\")'), got %s", label, describe(n))
		return
	}
	t.Expand = x
}

// canBeList reports whether an expand expression may return a list: the types a branch may
// return (a string, here a JSON list; a list; or a type only known when it runs).
func (x *Expr) canBeList() bool { return x.canBeIDs() }
