package tasks

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	exprast "github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
)

// Env is what every template (`{{ ... }}`) and condition (`sensor`, `branch`, `run_if`) sees:
// SPEC.md §3. Expressions are type-checked against this struct when the DAG is parsed, so a
// typo is an import error, not a failure at 3 a.m. The function fields are filled by whoever
// evaluates (the scheduler or `tasks test`); a nil one behaves as "absent" (see Defaults).
type Env struct {
	DagID             string         `expr:"dag_id"`
	TaskID            string         `expr:"task_id"`
	RunID             string         `expr:"run_id"`
	TryNumber         int            `expr:"try_number"`
	DS                string         `expr:"ds"`
	DSNodash          string         `expr:"ds_nodash"`
	TS                string         `expr:"ts"`
	LogicalDate       time.Time      `expr:"logical_date"`
	DataIntervalStart time.Time      `expr:"data_interval_start"`
	DataIntervalEnd   time.Time      `expr:"data_interval_end"`
	Params            map[string]any `expr:"params"`
	Conf              map[string]any `expr:"conf"`
	// Item is a mapped task instance's element of its expand list, MapIndex its position
	// (-1, and Item nil, for a task that is not mapped).
	Item     any `expr:"item"`
	MapIndex int `expr:"map_index"`
	// TriggeringDatasetEvents are, in a dataset-triggered run, the dataset events that
	// triggered it by dataset URI (Airflow's triggering_dataset_events); empty in other runs.
	TriggeringDatasetEvents map[string][]map[string]any `expr:"triggering_dataset_events"`
	// State, Reason and LogURL are a callback's event: the state the task instance or run
	// reached, why (a failed try's reason, the SLA missed), and where its log is. Empty in a
	// task's own try.
	State  string `expr:"state"`
	Reason string `expr:"reason"`
	LogURL string `expr:"log_url"`

	Now         func() time.Time                           `expr:"now"`
	XCom        func(taskID string, key ...string) any     `expr:"xcom"`
	Var         func(name string, def ...any) any          `expr:"var"`
	FileExists  func(path string) bool                     `expr:"file_exists"`
	TaskState   func(taskID string) string                 `expr:"task_state"`
	DagRunState func(dagID string, logicalDate any) string `expr:"dag_run_state"`
}

// NewEnv returns the environment of one task instance: the date fields derived from the
// logical date and the data interval, params merged with conf (conf wins), and functions that
// answer "absent" until the caller replaces them.
func NewEnv(dag *DAG, taskID, runID string, tryNumber int, logicalDate, intervalStart, intervalEnd time.Time, conf map[string]any) Env {
	params := map[string]any{}
	if dag != nil {
		for k, v := range dag.Params {
			params[k] = v
		}
	}
	for k, v := range conf {
		params[k] = v
		if dag != nil {
			params[k] = dag.ParamSpecs[k].typed(v)
		}
	}
	if conf == nil {
		conf = map[string]any{}
	}
	e := Env{
		TaskID: taskID, RunID: runID, TryNumber: tryNumber,
		DS: logicalDate.Format("2006-01-02"), DSNodash: logicalDate.Format("20060102"),
		TS: logicalDate.Format(time.RFC3339), LogicalDate: logicalDate,
		DataIntervalStart: intervalStart, DataIntervalEnd: intervalEnd,
		Params: params, Conf: conf, MapIndex: -1,
	}
	if dag != nil {
		e.DagID = dag.DagID
	}
	return e.Defaults()
}

// Defaults fills every nil function with one that reports "absent": xcom and var return nil
// (or var's default), file_exists false, the state lookups "none", now the wall clock.
func (e Env) Defaults() Env {
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.XCom == nil {
		e.XCom = func(string, ...string) any { return nil }
	}
	if e.Var == nil {
		e.Var = func(_ string, def ...any) any {
			if len(def) > 0 {
				return def[0]
			}
			return nil
		}
	}
	if e.FileExists == nil {
		e.FileExists = func(string) bool { return false }
	}
	if e.TaskState == nil {
		e.TaskState = func(string) string { return string(StateNone) }
	}
	if e.DagRunState == nil {
		e.DagRunState = func(string, any) string { return "" }
	}
	if e.Params == nil {
		e.Params = map[string]any{}
	}
	if e.Conf == nil {
		e.Conf = map[string]any{}
	}
	if e.TriggeringDatasetEvents == nil {
		e.TriggeringDatasetEvents = map[string][]map[string]any{}
	}
	return e
}

// Expr is a compiled expr-lang expression from a DAG file.
type Expr struct {
	Source  string
	Pos     Pos // where the expression starts in the DAG file
	program *vm.Program
}

// Eval runs the expression against env.
func (x *Expr) Eval(env Env) (any, error) {
	out, err := expr.Run(x.program, env.Defaults())
	if err != nil {
		return nil, fmt.Errorf("evaluate %q: %w", x.Source, err)
	}
	return out, nil
}

// EvalBool runs a condition (sensor, run_if), which the parser has checked returns a bool.
func (x *Expr) EvalBool(env Env) (bool, error) {
	out, err := x.Eval(env)
	if err != nil {
		return false, err
	}
	b, ok := out.(bool)
	if !ok {
		return false, fmt.Errorf("evaluate %q: got %T, want true or false", x.Source, out)
	}
	return b, nil
}

// Template is a string with `{{ expression }}` parts, rendered when a task instance starts.
type Template struct {
	Raw   string
	parts []templatePart
}

type templatePart struct {
	literal string
	expr    *Expr
}

// Render evaluates every `{{ }}` part and joins the pieces. Strings are inserted as they are,
// nil as "", whole numbers without a decimal point, lists and maps as JSON.
func (t *Template) Render(env Env) (string, error) { return t.RenderWith(env, nil) }

// RenderWith is Render that hands each `{{ }}` part's text to inserted (when not nil) as it
// is inserted: a caller that masks what a part derived from a secret (base64 of a Variable, a
// field of its JSON) learns exactly the text that part produced, apart from the DAG file's own.
func (t *Template) RenderWith(env Env, inserted func(string)) (string, error) {
	if t == nil {
		return "", nil
	}
	env = env.Defaults()
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr == nil {
			b.WriteString(p.literal)
			continue
		}
		v, err := p.expr.Eval(env)
		if err != nil {
			return "", err
		}
		s := Stringify(v)
		if inserted != nil {
			inserted(s)
		}
		b.WriteString(s)
	}
	return b.String(), nil
}

// IsStatic reports whether the template has no `{{ }}` part.
func (t *Template) IsStatic() bool {
	for _, p := range t.parts {
		if p.expr != nil {
			return false
		}
	}
	return true
}

// Stringify turns an expression's value into the text a template inserts.
func Stringify(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		if v == float64(int64(v)) {
			return fmt.Sprint(int64(v))
		}
		return fmt.Sprint(v)
	case time.Time:
		return v.Format(time.RFC3339)
	case []any, map[string]any, []string:
		b, err := json.Marshal(v)
		if err == nil {
			return string(b)
		}
	}
	return fmt.Sprint(v)
}

// exprKind says what an expression must return.
type exprKind int

const (
	exprAny exprKind = iota
	exprBool
)

// compileExpr compiles src found at pos (the first character of the expression in the file).
// On error it records a Problem at the error's own line and column and returns nil.
func compileExpr(ps *problems, pos Pos, field, src string, kind exprKind) *Expr {
	opts := []expr.Option{expr.Env(Env{}), expr.DisableBuiltin("now")}
	if kind == exprBool {
		opts = append(opts, expr.AsBool())
	}
	prog, err := expr.Compile(src, opts...)
	if err != nil {
		at, msg := pos, err.Error()
		if fe, ok := err.(*file.Error); ok {
			at = offsetPos(pos, fe.Line, fe.Column)
			msg = fe.Message
		}
		if kind == exprBool && strings.Contains(msg, "expected bool") {
			msg += " (a condition must be true or false, e.g. x > 5 or file_exists(\"/data/a.csv\"))"
		}
		ps.add(at, "%s: expression %q: %s", field, src, strings.TrimSpace(msg))
		return nil
	}
	return &Expr{Source: src, Pos: pos, program: prog}
}

// offsetPos maps a 1-based line and 0-based column inside an expression to the DAG file.
// Later lines are taken to share the first line's indentation, as in a block scalar (| or >).
func offsetPos(start Pos, line, col int) Pos {
	if line <= 1 {
		return Pos{Line: start.Line, Column: start.Column + col}
	}
	return Pos{Line: start.Line + line - 1, Column: start.Column + col}
}

// compileTemplate splits raw into literal and `{{ expr }}` parts and compiles each expression.
// pos is where raw's first character stands in the file.
func compileTemplate(ps *problems, pos Pos, field, raw string) *Template {
	t := &Template{Raw: raw}
	rest, offset := raw, 0
	// at is the file position of raw[k]; past a newline (a block scalar's next lines, indented
	// as its first) the line advances and the column restarts at the first line's.
	at := func(k int) Pos {
		nl := strings.LastIndexByte(raw[:k], '\n')
		if nl < 0 {
			return Pos{pos.Line, pos.Column + k}
		}
		return Pos{pos.Line + strings.Count(raw[:k], "\n"), pos.Column + k - nl - 1}
	}
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.parts = append(t.parts, templatePart{literal: rest})
			}
			return t
		}
		j := strings.Index(rest[i:], "}}")
		if j < 0 {
			ps.add(at(offset+i), "%s: %q opens {{ without a closing }}", field, raw)
			return nil
		}
		if i > 0 {
			t.parts = append(t.parts, templatePart{literal: rest[:i]})
		}
		inner := rest[i+2 : i+j]
		trimmed := strings.TrimLeft(inner, " \t")
		start := at(offset + i + 2 + len(inner) - len(trimmed))
		trimmed = strings.TrimSpace(trimmed)
		if trimmed == "" {
			ps.add(start, "%s: empty {{ }} in %q", field, raw)
			return nil
		}
		x := compileExpr(ps, start, field, trimmed, exprAny)
		if x == nil {
			return nil
		}
		t.parts = append(t.parts, templatePart{expr: x})
		offset += i + j + 2
		rest = rest[i+j+2:]
	}
}

// literalBranchIDs returns the task ids a branch expression can return when they are all
// written as literals ("a", ["a", "b"], cond ? [...] : "c"); ok is false when any result is
// computed, in which case the check happens when the branch runs.
func literalBranchIDs(x *Expr) (ids []string, ok bool) {
	var walk func(n exprast.Node) bool
	walk = func(n exprast.Node) bool {
		switch n := n.(type) {
		case *exprast.StringNode:
			ids = append(ids, n.Value)
			return true
		case *exprast.ArrayNode:
			for _, e := range n.Nodes {
				if !walk(e) {
					return false
				}
			}
			return true
		case *exprast.ConditionalNode:
			return walk(n.Exp1) && walk(n.Exp2)
		case *exprast.NilNode:
			return true
		case *exprast.ConstantNode: // the optimizer folds literal lists into constants
			switch v := n.Value.(type) {
			case string:
				ids = append(ids, v)
				return true
			case []string:
				ids = append(ids, v...)
				return true
			case []any:
				for _, e := range v {
					s, ok := e.(string)
					if !ok {
						return false
					}
					ids = append(ids, s)
				}
				return true
			}
		}
		return false
	}
	ok = walk(x.program.Node())
	return ids, ok
}

// canBeIDs reports whether a branch expression may return task ids: a string, a list, nil, or
// a type only known when it runs.
func (x *Expr) canBeIDs() bool {
	t := x.program.Node().Type()
	if t == nil {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Slice, reflect.Array, reflect.Interface:
		return true
	}
	return false
}

func (x *Expr) resultType() string {
	if t := x.program.Node().Type(); t != nil {
		return "a " + t.String()
	}
	return "an unknown type"
}
