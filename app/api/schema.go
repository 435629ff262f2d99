package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// schemaOf is the OpenAPI schema of what encoding/json writes for a value of type t, read
// from its JSON tags: a route's declared answer type is both what its handler returns (wrap
// checks that in tests) and what openapi.json says, so the description cannot drift.
//
// A field's `openapi:"TYPE"` tag names its schema type where Go's type does not say it (a
// json.RawMessage that always holds an object).
func schemaOf(t reflect.Type) map[string]any {
	return schemaOfType(t, map[reflect.Type]bool{})
}

// schemaTypes are the types whose JSON is not what reflection of their fields would say.
var schemaTypes = map[reflect.Type]map[string]any{
	reflect.TypeFor[time.Time]():       {"type": "string", "format": "date-time"},
	reflect.TypeFor[json.RawMessage](): {},
}

func schemaOfType(t reflect.Type, seen map[reflect.Type]bool) map[string]any {
	if s, ok := schemaTypes[t]; ok {
		return s
	}
	if t == reflect.TypeFor[orderedParams]() { // written as an object of params by name
		return map[string]any{"type": "object", "additionalProperties": schemaOfType(reflect.TypeFor[paramJSON](), seen)}
	}
	switch t.Kind() {
	case reflect.Pointer:
		s := map[string]any{}
		for k, v := range schemaOfType(t.Elem(), seen) {
			s[k] = v
		}
		s["nullable"] = true
		return s
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": schemaOfType(t.Elem(), seen)}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOfType(t.Elem(), seen)}
	case reflect.Interface:
		return map[string]any{} // any JSON value
	case reflect.Struct:
		if seen[t] {
			return map[string]any{"type": "object"} // a recursive type: described once
		}
		seen[t] = true
		defer delete(seen, t)
		props, required := map[string]any{}, map[string]bool{}
		addFields(t, props, required, seen)
		out := map[string]any{"type": "object", "properties": props}
		if len(required) > 0 {
			out["required"] = sortedKeys(required)
		}
		return out
	}
	panic("schemaOf: no JSON schema for " + t.String())
}

// addFields adds t's JSON fields to props, an embedded struct's as its own (as encoding/json
// promotes them; the outer field of a name wins, added last).
func addFields(t reflect.Type, props map[string]any, required map[string]bool, seen map[reflect.Type]bool) {
	var own []reflect.StructField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				addFields(et, props, required, seen)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		own = append(own, f)
	}
	for _, f := range own {
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		required[name] = !strings.Contains(opts, "omitempty")
		if !required[name] {
			delete(required, name)
		}
		if typ := f.Tag.Get("openapi"); typ != "" {
			props[name] = map[string]any{"type": typ}
			continue
		}
		props[name] = schemaOfType(f.Type, seen)
	}
}

// conforms says how the JSON v (as json.Unmarshal decodes into any) breaks schema s, at path:
// a value of another type, null where it may not be, a property s does not declare, a
// required one absent; nil when it conforms.
func conforms(s map[string]any, v any, path string) error {
	if len(s) == 0 {
		return nil // any value
	}
	if v == nil {
		if s["nullable"] == true {
			return nil
		}
		return fmt.Errorf("%s is null, declared %v and not nullable", path, s["type"])
	}
	switch typ, _ := s["type"].(string); typ {
	case "string", "boolean", "number", "integer":
		want := map[string]string{"string": "string", "boolean": "bool", "number": "float64", "integer": "float64"}[typ]
		if got := fmt.Sprintf("%T", v); got != want {
			return fmt.Errorf("%s is a %s, declared %s", path, got, typ)
		}
		if f, ok := v.(float64); ok && typ == "integer" && f != float64(int64(f)) {
			return fmt.Errorf("%s is %v, declared integer", path, f)
		}
	case "array":
		items, ok := v.([]any)
		if !ok {
			return fmt.Errorf("%s is a %T, declared array", path, v)
		}
		for i, item := range items {
			if err := conforms(s["items"].(map[string]any), item, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is a %T, declared object", path, v)
		}
		props, _ := s["properties"].(map[string]any)
		extra, _ := s["additionalProperties"].(map[string]any)
		for k, fv := range obj {
			fs, declared := props[k].(map[string]any)
			switch {
			case declared:
			case extra != nil:
				fs = extra
			case props == nil:
				continue // an object of any keys
			default:
				return fmt.Errorf("%s.%s is not declared (the declared fields are %s)", path, k, strings.Join(sortedKeys(props), ", "))
			}
			if err := conforms(fs, fv, path+"."+k); err != nil {
				return err
			}
		}
		req, _ := s["required"].([]string)
		for _, k := range req {
			if _, ok := obj[k]; !ok {
				return fmt.Errorf("%s has no %s, declared required", path, k)
			}
		}
	}
	return nil
}
