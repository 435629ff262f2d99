package tasks

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const paramsDAG = `dag_id: typed
params:
  plain: {size: 3}            # a mapping without type or enum is a plain value
  word: hello
  n: {type: integer, minimum: 1, maximum: 10, default: 3, description: how many}
  mode: {enum: [fast, slow], default: fast}
  tag: {type: string, pattern: "^[a-z]+$", minLength: 2, maxLength: 5, default: ab}
  mail: {type: string, format: email, default: a@b.org}
  flag: {type: boolean, default: false, title: Flag}
  cfg:
    type: object
    properties: {retries: {type: integer, minimum: 0}}
    required: [retries]
    default: {retries: 1}
  ids: {type: array, items: {$ref: "#/$defs/id"}, $defs: {id: {type: integer}}, default: [1, 2]}
  who: {type: string}         # required: no default
tasks:
  - id: a
    module: ../modules/noop.wasm
`

func TestParamsParse(t *testing.T) {
	d, err := Parse("testdata/valid/typed.yaml", []byte(paramsDAG))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Params["plain"], map[string]any{"size": uint64(3)}) || d.ParamSpecs["plain"].Schema != nil {
		t.Errorf("plain = %v %+v, want a plain mapping", d.Params["plain"], d.ParamSpecs["plain"])
	}
	n := d.ParamSpecs["n"]
	if n.Value != uint64(3) || !n.HasDefault || n.Description != "how many" ||
		!reflect.DeepEqual(n.Schema, map[string]any{"type": "integer", "minimum": uint64(1), "maximum": uint64(10)}) {
		t.Errorf("n = %+v", n)
	}
	if _, ok := d.Params["who"]; ok || d.ParamSpecs["who"].HasDefault {
		t.Errorf("who has a default: %v", d.Params["who"])
	}
	if d.ParamSpecs["flag"].Schema["title"] != "Flag" {
		t.Errorf("flag's schema %v lost its title", d.ParamSpecs["flag"].Schema)
	}
}

func TestResolveParams(t *testing.T) {
	d, err := Parse("testdata/valid/typed.yaml", []byte(paramsDAG))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		conf   map[string]any
		issues []string // path: substring of message
	}{
		{"defaults and the required one", map[string]any{"who": "me"}, nil},
		{"conf wins, extra keys pass", map[string]any{"who": "me", "n": 10, "extra": 1, "mode": "slow"}, nil},
		{"required missing", map[string]any{}, []string{"/who: no value given"}},
		{"every reason", map[string]any{"who": "me", "n": float64(0), "mode": "medium", "tag": "ABCDEFG", "flag": "yes", "mail": "nope"}, []string{
			"/flag: got string, want boolean", "/mail: 'nope' is not valid email", "/mode: value must be one of",
			"/n: minimum: got 0, want 1", "/tag: maxLength: got 7, want 5", "/tag: 'ABCDEFG' does not match pattern"}},
		{"not an integer", map[string]any{"who": "me", "n": 2.5}, []string{"/n: got number, want integer"}},
		{"nested paths", map[string]any{"who": "me", "cfg": map[string]any{"retries": float64(-1)}, "ids": []any{1, "x"}}, []string{
			"/cfg/retries: minimum: got -1, want 0", "/ids/1: got string, want integer"}},
		{"nested required", map[string]any{"who": "me", "cfg": map[string]any{}}, []string{"/cfg: missing property 'retries'"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := d.ResolveParams(c.conf)
			if c.issues == nil {
				if err != nil {
					t.Fatal(err)
				}
				for k, v := range c.conf {
					if !reflect.DeepEqual(got[k], v) {
						t.Errorf("params[%s] = %v, want the conf's %v", k, got[k], v)
					}
				}
				if _, given := c.conf["n"]; !given && got["n"] != uint64(3) {
					t.Errorf("params.n = %v, want its default 3", got["n"])
				}
				return
			}
			var pe *ParamsError
			if !errors.As(err, &pe) {
				t.Fatalf("ResolveParams = %v, want a *ParamsError", err)
			}
			var all []string
			for _, is := range pe.Issues {
				all = append(all, is.String())
			}
			if len(all) != len(c.issues) {
				t.Errorf("issues = %q, want %d", all, len(c.issues))
			}
			for _, want := range c.issues {
				found := false
				for _, is := range all {
					found = found || strings.Contains(is, want)
				}
				if !found {
					t.Errorf("no issue %q in %q", want, all)
				}
			}
			if !strings.Contains(err.Error(), "DAG typed") {
				t.Errorf("error %q does not name the DAG", err)
			}
		})
	}
}

func TestIsParamSchema(t *testing.T) {
	for v, want := range map[string]bool{"type": true, "enum": true, "size": false} {
		if got := IsParamSchema(map[string]any{v: "x"}); got != want {
			t.Errorf("IsParamSchema({%s: x}) = %v, want %v", v, got, want)
		}
	}
	if IsParamSchema("type") || IsParamSchema([]any{"type"}) {
		t.Error("a string or a list is a schema")
	}
}

// TestTemplatesSeeTypedParams: a whole number from a JSON conf (a float64) is an int where
// the schema wants an integer, so `params.n % 3` works (expr has no float modulo); elsewhere values stay as given.
func TestTemplatesSeeTypedParams(t *testing.T) {
	src := strings.Replace(paramsDAG, "  - id: a\n    module: ../modules/noop.wasm\n",
		"  - id: a\n    module: ../modules/noop.wasm\n    args: [\"{{ params.n % 3 }} {{ params.n }} {{ params.flag }} {{ params.cfg.retries }}\"]\n", 1)
	d, err := Parse("testdata/valid/typed.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ld := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	env := NewEnv(d, "a", "manual__1", 1, ld, ld, ld, map[string]any{"n": float64(4), "flag": true, "who": "me"})
	if got, err := d.Task("a").Args[0].Render(env); err != nil || got != "1 4 true 1" {
		t.Errorf("rendered %q, %v; want \"1 4 true 1\"", got, err)
	}
	resolved, err := d.ResolveParams(map[string]any{"n": float64(4), "who": "me"})
	if err != nil || resolved["n"] != 4 {
		t.Errorf("ResolveParams n = %#v, %v; want int 4", resolved["n"], err)
	}
}
