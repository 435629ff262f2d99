package tasks

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Param is one DAG param, Airflow's Param: a default value and, when the file gives one, a
// JSON Schema every run's value must follow. A plain `n: 3` is a Param with no schema.
type Param struct {
	Value       any  // the default; nil when HasDefault is false
	HasDefault  bool // false: a trigger must give it in its conf
	Description string
	// Schema is the JSON Schema as written, without default and description (Airflow keeps
	// those beside it); nil for a plain value.
	Schema map[string]any
	Pos    Pos

	compiled *jsonschema.Schema
}

// IsParamSchema says whether a param's value in a DAG file is a JSON Schema rather than a
// plain value: a mapping with a `type` or an `enum` key. Airflow says it with Param(...); a
// YAML file has only the shape to go by, so a plain mapping that needs one of those keys is
// written as a schema: {type: object, default: {type: vm}}.
func IsParamSchema(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, typed := m["type"]
	_, enum := m["enum"]
	return typed || enum
}

// typed is v as templates see it: a whole number a JSON conf gave as float64 becomes an int
// where the schema wants an integer, so `params.n % 3` works (expr has no float modulo), as with Airflow's ints.
func (p Param) typed(v any) any {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > 1<<53 || !p.wantsInteger() {
		return v
	}
	return int(f)
}

func (p Param) wantsInteger() bool {
	switch t := p.Schema["type"].(type) {
	case string:
		return t == "integer"
	case []any:
		return slices.Contains(t, any("integer")) && !slices.Contains(t, any("number"))
	}
	return false
}

// ParamIssue is one way a param's value breaks its schema.
type ParamIssue struct {
	Param   string `json:"param"`
	Path    string `json:"path"` // a JSON pointer into the conf: /n, /cfg/retries
	Message string `json:"message"`
}

func (i ParamIssue) String() string { return i.Path + ": " + i.Message }

// ParamsError refuses a run's params: every issue found, so the caller can fix them at once.
type ParamsError struct {
	DagID  string
	Issues []ParamIssue
}

func (e *ParamsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the conf breaks the params of DAG %s (%d %s):", e.DagID, len(e.Issues), plural(len(e.Issues), "problem", "problems"))
	for _, is := range e.Issues {
		b.WriteString("\n  " + is.String())
	}
	b.WriteString("\nfix the conf: the DAG file's params give each one's schema (the API's /dags/" + e.DagID + "/details shows them)")
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// ResolveParams is what a run's templates see as params: each param's default, replaced by
// the conf's value where it has one (conf keys that are no param pass through, as Airflow's
// dag_run.conf does), checked against the schemas. A param without a default that the conf
// does not give is refused too. The error is a *ParamsError.
func (d *DAG) ResolveParams(conf map[string]any) (map[string]any, error) {
	out := maps.Clone(d.Params)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, conf)
	var issues []ParamIssue
	for _, name := range d.ParamNames() {
		p := d.ParamSpecs[name]
		v, ok := out[name]
		if !ok {
			issues = append(issues, ParamIssue{Param: name, Path: "/" + escapePointer(name),
				Message: "no value given and the param has no default: give it in the conf"})
			continue
		}
		issues = append(issues, p.check(name, v)...)
	}
	if len(issues) > 0 {
		return nil, &ParamsError{DagID: d.DagID, Issues: issues}
	}
	for name, p := range d.ParamSpecs {
		if v, ok := out[name]; ok {
			out[name] = p.typed(v)
		}
	}
	return out, nil
}

// ParamNames are the DAG's params in the file's order.
func (d *DAG) ParamNames() []string {
	names := sortedKeys(d.ParamSpecs)
	sort.SliceStable(names, func(i, j int) bool {
		a, b := d.ParamSpecs[names[i]].Pos, d.ParamSpecs[names[j]].Pos
		return a.Line < b.Line || a.Line == b.Line && a.Column < b.Column
	})
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// check validates one value of the param named name; nothing when it has no schema.
func (p Param) check(name string, v any) (issues []ParamIssue) {
	if p.compiled == nil {
		return nil
	}
	defer func() { // a validator's bug must not take the scheduler down with a DAG file
		if r := recover(); r != nil {
			issues = []ParamIssue{{Param: name, Path: "/" + escapePointer(name), Message: fmt.Sprintf("the schema could not be checked (%v): simplify it", r)}}
		}
	}()
	if at, bad := nonFinite(v, ""); bad {
		return []ParamIssue{{Param: name, Path: "/" + escapePointer(name) + at, Message: "NaN and infinity are no JSON numbers: give a finite number"}}
	}
	err := p.compiled.Validate(v)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []ParamIssue{{Param: name, Path: "/" + escapePointer(name), Message: err.Error()}}
	}
	for _, leaf := range leaves(ve) {
		path := "/" + escapePointer(name)
		for _, tok := range leaf.InstanceLocation {
			path += "/" + escapePointer(tok)
		}
		issues = append(issues, ParamIssue{Param: name, Path: path, Message: leaf.ErrorKind.LocalizedString(english)})
	}
	return issues
}

var english = message.NewPrinter(language.English)

// leaves are the errors that say what is wrong; the ones above them only group them.
func leaves(ve *jsonschema.ValidationError) []*jsonschema.ValidationError {
	if len(ve.Causes) == 0 {
		return []*jsonschema.ValidationError{ve}
	}
	var out []*jsonschema.ValidationError
	for _, c := range ve.Causes {
		out = append(out, leaves(c)...)
	}
	return out
}

// nonFinite finds a NaN or an infinity in v (YAML has .nan and .inf, JSON has neither, and the
// validator cannot compare them): its JSON pointer under at.
func nonFinite(v any, at string) (string, bool) {
	switch v := v.(type) {
	case float64:
		return at, math.IsNaN(v) || math.IsInf(v, 0)
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if p, bad := nonFinite(v[k], at+"/"+escapePointer(k)); bad {
				return p, true
			}
		}
	case []any:
		for i, item := range v {
			if p, bad := nonFinite(item, fmt.Sprintf("%s/%d", at, i)); bad {
				return p, true
			}
		}
	}
	return "", false
}

func escapePointer(s string) string {
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// noLoader refuses every $ref outside the schema itself: a DAG file must not make the
// scheduler read files or fetch URLs.
type noLoader struct{}

func (noLoader) Load(url string) (any, error) { return nil, &refError{url} }

type refError struct{ url string }

func (e *refError) Error() string {
	return fmt.Sprintf("$ref %s: a param's schema may only refer within itself (#/$defs/...): write the schema inline", e.url)
}

// refPointer is the JSON pointer of the first $ref to url in v, "" if there is none.
func refPointer(v any, url, at string) string {
	switch v := v.(type) {
	case map[string]any:
		if r, ok := v["$ref"].(string); ok && r == url {
			return at + "/$ref"
		}
		for _, k := range sortedKeys(v) {
			if p := refPointer(v[k], url, at+"/"+escapePointer(k)); p != "" {
				return p
			}
		}
	case []any:
		for i, item := range v {
			if p := refPointer(item, url, fmt.Sprintf("%s/%d", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// compileParamSchema compiles a param's schema (Draft 2020-12, formats asserted). The error
// lists what is wrong with the schema, each with its place in it (a JSON pointer).
func compileParamSchema(name string, schema map[string]any) (sch *jsonschema.Schema, issues []ParamIssue) {
	defer func() {
		if r := recover(); r != nil {
			sch, issues = nil, []ParamIssue{{Param: name, Message: fmt.Sprintf("the schema could not be compiled (%v): simplify it", r)}}
		}
	}()
	if at, bad := nonFinite(schema, ""); bad {
		return nil, []ParamIssue{{Param: name, Path: at, Message: "NaN and infinity are no JSON numbers: give a finite number"}}
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	c.AssertFormat()
	url := "param:///" + name
	if err := c.AddResource(url, schema); err != nil {
		return nil, []ParamIssue{{Param: name, Message: err.Error()}}
	}
	sch, err := c.Compile(url)
	if err == nil {
		return sch, nil
	}
	sch = nil
	var sve *jsonschema.SchemaValidationError
	var ve *jsonschema.ValidationError
	if errors.As(err, &sve) && errors.As(sve.Err, &ve) {
		for _, leaf := range leaves(ve) {
			path := ""
			for _, tok := range leaf.InstanceLocation {
				path += "/" + escapePointer(tok)
			}
			issues = append(issues, ParamIssue{Param: name, Path: path, Message: leaf.ErrorKind.LocalizedString(english)})
		}
		return nil, issues
	}
	if le := (*jsonschema.LoadURLError)(nil); errors.As(err, &le) { // it does not unwrap
		msg := (&refError{le.URL}).Error()
		if _, ours := le.Err.(*refError); !ours {
			msg = le.Error()
		}
		return nil, []ParamIssue{{Param: name, Path: refPointer(schema, le.URL, ""), Message: msg}}
	}
	return nil, []ParamIssue{{Param: name, Message: strings.ReplaceAll(err.Error(), url, "the schema")}}
}
