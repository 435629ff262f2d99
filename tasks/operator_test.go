package tasks

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks/operators"
)

// An operator task parses into a module task whose module is the operator's, and its fields,
// templates included, render for a try.
func TestOperatorTaskRenders(t *testing.T) {
	src := `dag_id: ops
params: {n: 3}
tasks:
  - id: shape
    operator: script
    language: javascript
    retries: 2
    code: |
      // for {{ ds }}
      return params.n;
`
	d, err := Parse("/tmp/ops.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	task := d.Task("shape")
	if task.Kind != KindModule || task.Module != "operator:script" || task.Operator == nil || task.Retries != 2 {
		t.Fatalf("task = kind %s, module %q, operator %+v, retries %d", task.Kind, task.Module, task.Operator, task.Retries)
	}
	day := time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)
	in, err := RenderOperator(task.Operator, d.Fileloc, NewEnv(d, "shape", "manual__1", 1, day, day, day.AddDate(0, 0, 1), map[string]any{"n": 5}))
	if err != nil {
		t.Fatal(err)
	}
	if in.Fields["code"] != "// for 2024-01-02\nreturn params.n;\n" || in.Fields["language"] != "javascript" {
		t.Errorf("fields = %q", in.Fields)
	}
	if in.File != "ops.yaml" || in.Lines["code"] != 9 {
		t.Errorf("the code is placed at %s line %d, want ops.yaml line 9", in.File, in.Lines["code"])
	}
	b, _ := json.Marshal(in.Context)
	var ctx map[string]any
	_ = json.Unmarshal(b, &ctx)
	if ctx["ds"] != "2024-01-02" || ctx["task_id"] != "shape" || ctx["params"].(map[string]any)["n"] != 5.0 {
		t.Errorf("context = %s", b)
	}
}

// grantingOperator stands for the HTTP operator being built on the host I/O: a field that
// grants a connection and a URL whose host must be granted.
var grantingOperator = &operators.Operator{Name: "fetch", Fields: []operators.Field{
	{Name: "http_conn_id", Type: operators.ConnID, Doc: "the connection"},
	{Name: "url", Type: operators.URL, Templated: true, Doc: "the URL"},
}}

// The grant checks of the framework, each at its line: a conn_id field must name a defined
// connection and grants it; a literal URL's host must be in allow_hosts.
func TestOperatorGrants(t *testing.T) {
	saved := lookupOperator
	defer func() { lookupOperator = saved }()
	lookupOperator = func(name string) *operators.Operator {
		if name == grantingOperator.Name {
			return grantingOperator
		}
		return saved(name)
	}
	src := `dag_id: grants
tasks:
  - id: ok
    operator: fetch
    http_conn_id: my_api
    connections: [other]
    url: "https://api.example.com/orders?day={{ ds }}"
    allow_hosts: ["api.example.com:443"]
  - id: templated_host
    operator: fetch
    url: "https://{{ params.host }}/x"
  - id: no_grant
    operator: fetch
    url: "http://api.example.com:8080/x"
    allow_hosts: ["api.example.com:443"]
  - id: no_conn
    operator: fetch
    http_conn_id: nope
  - id: templated_conn
    operator: fetch
    http_conn_id: "{{ params.conn }}"
  - id: not_http
    operator: fetch
    url: "file:///etc/passwd"
`
	exists := func(id string) bool { return id == "my_api" || id == "other" }
	_, err := ParseWith("/tmp/grants.yaml", []byte(src), ParseOptions{ConnectionExists: exists})
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Parse = %v", err)
	}
	want := map[int]string{
		14: `task "no_grant": url: host api.example.com:8080 is not granted to this task: add allow_hosts: ["api.example.com:8080"]`,
		18: `task "no_conn": http_conn_id: connection "nope" does not exist: add it with ` + "`wasmflow connections add nope",
		21: `task "templated_conn": http_conn_id cannot be a template: it grants the connection`,
		24: `task "not_http": url "file:///etc/passwd": only http and https URLs can be requested`,
	}
	for _, p := range ve.Problems {
		if w, ok := want[p.Line]; !ok || !strings.Contains(p.Message, w) {
			t.Errorf("unexpected problem %s", p)
		}
		delete(want, p.Line)
	}
	for line, w := range want {
		t.Errorf("line %d: no problem %q", line, w)
	}
	src = strings.Split(src, "  - id: templated_host")[0]
	d, err := ParseWith("/tmp/grants.yaml", []byte(src), ParseOptions{ConnectionExists: exists})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Task("ok").Grants.Connections; !reflect.DeepEqual(got, []string{"other", "my_api"}) {
		t.Errorf("grants of ok = %v, want its connections and the conn_id field's", got)
	}
}
