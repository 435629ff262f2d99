package tasks

import (
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/vm"
	"github.com/goccy/go-yaml/ast"

	"github.com/wasmflow/wasmflow/tasks/operators"
)

// OperatorModulePrefix starts Task.Module for an operator task: "operator:script". The file is
// the operator's module, which ships inside wasmflow; it is found when a try is rendered.
const OperatorModulePrefix = "operator:"

// OperatorCall is what an `operator:` task asks of its built-in operator: the fields it set,
// each a template rendered when the try starts (fields that are not templated are literal).
type OperatorCall struct {
	Name   string
	Pos    Pos // where `operator:` is written
	Fields map[string]*Template
	// Lists are the List fields: each element a template, rendered into a JSON array.
	Lists map[string][]*Template
	// Lines are the DAG file lines where multi-line fields (a `|` block, as code is) start:
	// line n of the field is line Lines[name]+n-1 of the file, for the module's errors.
	Lines map[string]int
}

// lookupOperator finds a built-in operator's table; tests of the framework add their own.
var lookupOperator = operators.Get

// taskOperator is the operator a task's mapping names, found before its keys are checked, so
// that the operator's own fields are known keys.
type taskOperator struct {
	field field // the operator: key
	name  string
	spec  *operators.Operator // nil: not an operator task, or an unknown operator
}

func (o taskOperator) has(key string) bool {
	if o.spec == nil {
		return false
	}
	_, ok := o.spec.Field(key)
	return ok
}

// unknownHint suggests the closest task key or field of the operator.
func (o taskOperator) unknownHint(key string) string {
	known := taskKeys
	if o.spec != nil {
		known = keySet(append(o.spec.FieldNames(), keysOf(taskKeys)...)...)
		if h := suggest(key, known); h != "" {
			return h
		}
		return fmt.Sprintf(" (operator %s takes %s, besides the common task keys)", o.name, strings.Join(o.spec.FieldNames(), ", "))
	}
	return suggest(key, known)
}

func keysOf(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// operatorOf finds `operator:` among a task's fields and reports an unknown operator at its
// value.
func (p *dagParser) operatorOf(fields []field) taskOperator {
	for _, f := range fields {
		if f.key != "operator" {
			continue
		}
		op := taskOperator{field: f}
		labelled := f
		if id, ok := taskID(fields); ok {
			labelled.key = fmt.Sprintf("task %q: operator", id)
		}
		name, ok := p.w.str(labelled)
		if !ok {
			return op
		}
		op.name = name
		op.spec = lookupOperator(name)
		switch {
		case op.spec != nil:
		case operators.IsComing(name):
			p.ps.add(valuePos(f.value), "operator %q is not built yet: it comes with the host I/O (HTTP and SQL done by the host under the task's grants); built in now: %s", name, operators.Names())
		default:
			p.ps.add(valuePos(f.value), "unknown operator %q%s; the built-in operators are: %s (`wasmflow operators list` shows their fields)",
				name, suggest(name, keySet(strings.Split(operators.Names(), ", ")...)), operators.Names())
		}
		return op
	}
	return taskOperator{}
}

// taskID is the id a task's fields give, if it is a plain scalar.
func taskID(fields []field) (string, bool) {
	for _, f := range fields {
		if f.key == "id" {
			if s, ok := f.value.(*ast.StringNode); ok {
				return s.Value, true
			}
		}
	}
	return "", false
}

// moduleOnlyKeys feed a module directly; an operator's module takes its fields instead.
var moduleOnlyKeys = []string{"args", "stdin"}

// operator reads an operator task's fields against the operator's table.
func (p *dagParser) operator(t *Task, tf taskFields, op taskOperator, label string) {
	t.Module = OperatorModulePrefix + op.name
	call := &OperatorCall{Name: op.name, Pos: valuePos(op.field.value), Fields: map[string]*Template{}}
	t.Operator = call
	for _, key := range moduleOnlyKeys {
		if f, own := tf.own[key]; own {
			p.ps.add(f.pos, "%s%s is for module tasks; operator %s takes its input from its fields (%s)", label, key, op.name, strings.Join(op.spec.FieldNames(), ", "))
		}
	}
	if op.spec.Sensor {
		// As `sensor: true` on a module: the module exits 100 for "not yet" and the scheduler
		// pokes again, with the task's sensor settings.
		t.Sensor = p.sensor(tf, label)
	} else {
		for key := range sensorKeys {
			if f, own := tf.own[key]; own {
				p.ps.add(f.pos, "%s%s only applies to sensors; operator %s is not one", label, key, op.name)
			}
		}
	}
	p.oneOf(tf, op, call.Pos, label)
	for _, spec := range op.spec.Fields {
		f, ok := tf.own[spec.Name]
		if !ok || isNull(p.w.resolve(f.value)) {
			if spec.Required {
				p.ps.add(call.Pos, "%soperator %s needs %s: %s", label, op.name, spec.Name, spec.Doc)
			}
			continue
		}
		if spec.Type == operators.List {
			if tpls, ok := p.operatorList(f, spec, label); ok {
				if call.Lists == nil {
					call.Lists = map[string][]*Template{}
				}
				call.Lists[spec.Name] = tpls
			}
			continue
		}
		if tpl := p.operatorField(t, f, spec, op.name, label); tpl != nil {
			call.Fields[spec.Name] = tpl
			if lit, ok := p.w.resolve(f.value).(*ast.LiteralNode); ok && lit.Start != nil && strings.HasPrefix(lit.Start.Value, "|") {
				if call.Lines == nil {
					call.Lines = map[string]int{}
				}
				call.Lines[spec.Name] = p.w.textPos(lit).Line
			}
		}
	}
}

// operatorField checks one field's value against its type and compiles its template.
func (p *dagParser) operatorField(t *Task, f field, spec operators.Field, opName, label string) *Template {
	n := p.w.resolve(f.value)
	if p.w.broken(f.value) {
		return nil
	}
	s, ok := p.w.scalar(n)
	if !ok {
		p.ps.add(posOf(f.value), "%s%s must be %s, got %s", label, spec.Name, typeName(spec), describe(n))
		return nil
	}
	switch spec.Type {
	case operators.ConnID:
		if strings.Contains(s, "{{") {
			p.ps.add(valuePos(f.value), "%s%s cannot be a template: it grants the connection, which must be known when the file is parsed", label, spec.Name)
			return nil
		}
		switch {
		case !ConnIDPattern.MatchString(s):
			p.ps.add(valuePos(f.value), "%s%s: %q is not a conn_id (letters, digits, '_', '.' and '-')", label, spec.Name, s)
			return nil
		case p.opts.ConnectionExists != nil && !p.opts.ConnectionExists(s):
			p.ps.add(valuePos(f.value), "%s%s: connection %q does not exist: add it with `wasmflow connections add %s --conn-type ...` "+
				"or in the UI (Admin > Connections)", label, spec.Name, s, s)
			return nil
		case !contains(t.Grants.Connections, s):
			t.Grants.Connections = append(t.Grants.Connections, s)
		}
		return &Template{Raw: s, parts: []templatePart{{literal: s}}}
	case operators.URL:
		tpl := compileTemplate(p.ps, p.w.textPos(n), label+spec.Name, s)
		if tpl != nil {
			p.checkURLGrant(t, valuePos(f.value), label+spec.Name, s)
		}
		return tpl
	case operators.Condition, operators.Expression:
		kind := exprAny
		if spec.Type == operators.Condition {
			kind = exprBool
		}
		if compileResponseExpr(p.ps, p.w.textPos(n), label+spec.Name, s, kind) == nil {
			return nil
		}
		return &Template{Raw: s, parts: []templatePart{{literal: s}}}
	case operators.Enum:
		if !contains(spec.Values, s) {
			p.ps.add(valuePos(f.value), "%s%s %q is not one operator %s knows: %s", label, spec.Name, s, opName, strings.Join(spec.Values, ", "))
			return nil
		}
		return &Template{Raw: s, parts: []templatePart{{literal: s}}}
	default:
		if !spec.Templated {
			return &Template{Raw: s, parts: []templatePart{{literal: s}}}
		}
		return compileTemplate(p.ps, p.w.textPos(n), label+spec.Name, s)
	}
}

// operatorList compiles a List field: a YAML list whose every element is a scalar template.
func (p *dagParser) operatorList(f field, spec operators.Field, label string) ([]*Template, bool) {
	labelled := f
	labelled.key = label + spec.Name
	items, ok := p.w.list(labelled)
	if !ok {
		return nil, false
	}
	out := make([]*Template, 0, len(items))
	for i, it := range items {
		n := p.w.resolve(it.node)
		s, ok := p.w.scalar(n)
		if !ok {
			p.ps.add(it.pos, "%s%s[%d] must be a scalar (text or a number), got %s", label, spec.Name, i, describe(n))
			return nil, false
		}
		tpl := compileTemplate(p.ps, p.w.textPos(n), fmt.Sprintf("%s%s[%d]", label, spec.Name, i), s)
		if tpl == nil {
			return nil, false
		}
		out = append(out, tpl)
	}
	return out, true
}

// oneOf checks that the task sets exactly one of the operator's OneOf fields.
func (p *dagParser) oneOf(tf taskFields, op taskOperator, pos Pos, label string) {
	if len(op.spec.OneOf) == 0 {
		return
	}
	var set []field
	for _, name := range op.spec.OneOf {
		if f, ok := tf.own[name]; ok && !isNull(p.w.resolve(f.value)) {
			set = append(set, f)
		}
	}
	switch {
	case len(set) == 0:
		p.ps.add(pos, "%soperator %s needs one of %s", label, op.name, strings.Join(op.spec.OneOf, " or "))
	case len(set) > 1:
		p.ps.add(set[1].pos, "%s%s and %s exclude each other: operator %s takes one of %s", label, set[0].key, set[1].key, op.name, strings.Join(op.spec.OneOf, " or "))
	}
}

// ResponseEnv is what an HTTP operator's response_check and response_filter see; the module
// (tasks/operators/http) evaluates them over a copy of this struct filled from the response.
// JSON is nil where the body is not JSON.
type ResponseEnv struct {
	Status  int               `expr:"status"`
	Headers map[string]string `expr:"headers"` // canonical names; repeated values joined with ", "
	Text    string            `expr:"text"`
	JSON    any               `expr:"json"`
}

// compileResponseExpr compiles an expression over ResponseEnv, recording a Problem at the
// error's line and column, to find a typo when the file is parsed rather than at the request.
func compileResponseExpr(ps *problems, pos Pos, field, src string, kind exprKind) *vm.Program {
	opts := []expr.Option{expr.Env(ResponseEnv{})}
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
		ps.add(at, "%s: expression %q over status, headers, text and json: %s", field, src, strings.TrimSpace(msg))
		return nil
	}
	return prog
}

func typeName(spec operators.Field) string {
	if spec.Type == operators.Enum {
		return "one of " + strings.Join(spec.Values, ", ")
	}
	return "a " + string(spec.Type)
}

// OperatorInput is what an operator's module reads on stdin (docs/operators.md): its name, its
// fields rendered, and the try's template names that are data.
type OperatorInput struct {
	Operator string            `json:"operator"`
	Fields   map[string]string `json:"fields"`
	Context  map[string]any    `json:"context"`
	// File and Lines place the fields in the DAG file (see OperatorCall.Lines), so that an
	// error the module reports at a line of a field can name the file's line too.
	File  string         `json:"file,omitempty"`
	Lines map[string]int `json:"lines,omitempty"`
}

// RenderOperator renders an operator task's fields for one try; file is the DAG file.
func RenderOperator(call *OperatorCall, file string, env Env) (OperatorInput, error) {
	env = env.Defaults()
	in := OperatorInput{Operator: call.Name, File: filepath.Base(file), Lines: call.Lines, Fields: make(map[string]string, len(call.Fields)), Context: map[string]any{
		"dag_id": env.DagID, "task_id": env.TaskID, "run_id": env.RunID, "try_number": env.TryNumber,
		"ds": env.DS, "ds_nodash": env.DSNodash, "ts": env.TS,
		"logical_date": env.LogicalDate, "data_interval_start": env.DataIntervalStart, "data_interval_end": env.DataIntervalEnd,
		"params": env.Params, "conf": env.Conf, "triggering_dataset_events": env.TriggeringDatasetEvents,
	}}
	for name, tpl := range call.Fields {
		s, err := tpl.Render(env)
		if err != nil {
			return in, fmt.Errorf("render %s: %w", name, err)
		}
		in.Fields[name] = s
	}
	for name, tpls := range call.Lists {
		vals := make([]string, len(tpls))
		for i, tpl := range tpls {
			s, err := tpl.Render(env)
			if err != nil {
				return in, fmt.Errorf("render %s[%d]: %w", name, i, err)
			}
			vals[i] = s
		}
		b, err := json.Marshal(vals)
		if err != nil {
			return in, err
		}
		in.Fields[name] = string(b)
	}
	return in, nil
}

// checkURLGrant checks a URL field whose scheme, host and port are literal: it must be http(s)
// and its host must be granted by allow_hosts. A URL whose start is a template is checked by
// the host when the request is made.
func (p *dagParser) checkURLGrant(t *Task, pos Pos, what, raw string) {
	head := raw
	if i := strings.Index(head, "{{"); i >= 0 {
		head = head[:i]
	}
	scheme, rest, ok := strings.Cut(head, "://")
	if !ok {
		if !strings.Contains(raw, "{{") {
			p.ps.add(pos, "%s %q is not an absolute URL: write http:// or https:// and the host", what, raw)
		}
		return
	}
	if scheme != "http" && scheme != "https" {
		p.ps.add(pos, "%s %q: only http and https URLs can be requested", what, raw)
		return
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		if strings.Contains(raw, "{{") {
			return // the host itself is (partly) a template
		}
		end = len(rest)
	}
	u, err := url.Parse(scheme + "://" + rest[:end])
	if err != nil || u.Hostname() == "" {
		p.ps.add(pos, "%s %q has no host", what, raw)
		return
	}
	port := 80
	if scheme == "https" {
		port = 443
	}
	if u.Port() != "" {
		port, _ = strconv.Atoi(u.Port())
	}
	for _, h := range t.Grants.AllowHosts {
		if hp, err := ParseHostPattern(h); err == nil && hp.Matches(u.Hostname(), port) {
			return
		}
	}
	p.ps.add(pos, "%s: host %s:%d is not granted to this task: add allow_hosts: [\"%s:%d\"] (or use a connection)",
		what, u.Hostname(), port, u.Hostname(), port)
}
