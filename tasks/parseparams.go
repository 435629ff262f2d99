package tasks

import (
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// params reads the DAG's params: each a plain value or a JSON Schema (see IsParamSchema). A
// schema that is not valid JSON Schema, or whose default breaks it, is a problem at its line.
func (p *dagParser) params(d *DAG, f field) {
	fs, ok := p.w.mapping(f.value, "params")
	if !ok {
		return
	}
	// Read from the AST, whose aliases are within budget: each alias becomes a copy of its
	// anchor's value, so what the API writes as JSON is as large as this, no larger.
	d.Params = make(map[string]any, len(fs))
	d.ParamSpecs = make(map[string]Param, len(fs))
	for _, pf := range fs {
		v := p.w.value(pf.value, "params."+pf.key)
		if !IsParamSchema(v) {
			d.Params[pf.key] = v
			d.ParamSpecs[pf.key] = Param{Value: v, HasDefault: true, Pos: pf.pos}
			continue
		}
		param := p.paramSchema(pf, v.(map[string]any))
		if param.HasDefault {
			d.Params[pf.key] = param.Value
		} else if d.Schedule.Kind != ScheduleNone && d.Schedule.Kind != "" {
			p.ps.add(pf.pos, "params.%s has no default, and a scheduled run has no conf to give it one: give it a default, or set schedule: null (as Airflow requires)", pf.key)
		}
		d.ParamSpecs[pf.key] = param
	}
}

// paramSchema reads one param written as a schema.
func (p *dagParser) paramSchema(pf field, m map[string]any) Param {
	param := Param{Pos: pf.pos, Schema: make(map[string]any, len(m))}
	for k, v := range m {
		switch k {
		case "default":
			param.Value, param.HasDefault = v, true
		case "description":
			s, ok := v.(string)
			if !ok {
				p.ps.add(p.schemaPos(pf, "/description"), "params.%s: description must be a string", pf.key)
			}
			param.Description = s
		default:
			param.Schema[k] = v
		}
	}
	sch, issues := compileParamSchema(pf.key, param.Schema)
	for _, is := range issues {
		where := "its schema"
		if is.Path != "" {
			where = is.Path
		}
		p.ps.add(p.schemaPos(pf, is.Path), "params.%s: %s is not valid JSON Schema: %s", pf.key, where, is.Message)
	}
	if sch == nil {
		return param
	}
	param.compiled = sch
	if param.HasDefault {
		for _, is := range param.check(pf.key, param.Value) {
			p.ps.add(p.schemaPos(pf, "/default"+strings.TrimPrefix(is.Path, "/"+escapePointer(pf.key))),
				"params.%s: the default breaks the schema at %s: %s", pf.key, is.Path, is.Message)
		}
	}
	return param
}

// schemaPos is where the JSON pointer ptr (into the param's mapping) is written, or the
// param's own key where it cannot be followed.
func (p *dagParser) schemaPos(pf field, ptr string) Pos {
	n := p.w.resolve(pf.value)
	pos := pf.pos
	for _, tok := range strings.Split(strings.TrimPrefix(ptr, "/"), "/") {
		if tok == "" {
			continue
		}
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		next, at := childNode(p.w, n, tok)
		if next == nil {
			break
		}
		n, pos = next, at
	}
	return pos
}

// childNode is the value under key (or list index) tok of n, and where it is written.
func childNode(w *walker, n ast.Node, tok string) (ast.Node, Pos) {
	switch v := n.(type) {
	case *ast.MappingNode:
		for _, mv := range v.Values {
			if k := w.resolve(mv.Key); k != nil && strings.Trim(k.String(), `"'`) == tok {
				return w.resolve(mv.Value), posOf(mv.Key)
			}
		}
	case *ast.MappingValueNode:
		if k := w.resolve(v.Key); k != nil && strings.Trim(k.String(), `"'`) == tok {
			return w.resolve(v.Value), posOf(v.Key)
		}
	case *ast.SequenceNode:
		if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(v.Values) {
			item := w.resolve(v.Values[i])
			return item, posOf(item)
		}
	}
	return nil, Pos{}
}
