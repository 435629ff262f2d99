package tasks

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const mappedDAG = `dag_id: mapped
tasks:
  - id: list_files
    module: testdata/modules/noop.wasm
  - id: per_file
    module: testdata/modules/noop.wasm
    expand: 'xcom("list_files")'
    max_active_tis_per_dag: 2
    args: ["--file={{ item }}", "--index={{ map_index }}"]
    upstream: [list_files]
  - id: literal
    module: testdata/modules/noop.wasm
    expand: [a.csv, 2, {k: v}]
  - id: plain
    module: testdata/modules/noop.wasm
    args: ["{{ map_index }}"]
`

func TestExpandParses(t *testing.T) {
	d, err := Parse("x.yaml", []byte(mappedDAG))
	if err != nil {
		t.Fatal(err)
	}
	per := d.Task("per_file")
	if !per.IsMapped() || per.Expand.Expr == nil || per.MaxActiveTIsPerDag != 2 {
		t.Fatalf("per_file: mapped %v, expand %+v, max_active_tis_per_dag %d", per.IsMapped(), per.Expand, per.MaxActiveTIsPerDag)
	}
	if d.Task("plain").IsMapped() || d.Task("plain").MaxActiveTIsPerDag != 0 {
		t.Errorf("plain is not mapped and has no cap")
	}
	lit := d.Task("literal").Expand
	if lit.Expr != nil || len(lit.Items) != 3 || lit.Items[0] != "a.csv" {
		t.Errorf("literal expand = %+v, want the YAML list", lit)
	}

	ld := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	env := NewEnv(d, "per_file", "manual__1", 1, ld, ld, ld, nil)
	env.XCom = func(task string, key ...string) any { return `["a.csv", "b.csv"]` }
	list, err := per.Expand.List(env)
	if err != nil || !reflect.DeepEqual(list, []any{"a.csv", "b.csv"}) {
		t.Fatalf("List = %v, %v; want the upstream's JSON list decoded", list, err)
	}
	env.Item, env.MapIndex = list[1], 1
	var args []string
	for _, a := range per.Args {
		s, err := a.Render(env)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, s)
	}
	if want := []string{"--file=b.csv", "--index=1"}; !reflect.DeepEqual(args, want) {
		t.Errorf("args = %q, want %q", args, want)
	}
	if s, _ := d.Task("plain").Args[0].Render(NewEnv(d, "plain", "r", 1, ld, ld, ld, nil)); s != "-1" {
		t.Errorf("map_index of an unmapped task = %q, want -1 (Airflow's)", s)
	}

	env.XCom = func(string, ...string) any { return "not json" }
	if _, err := per.Expand.List(env); err == nil || !strings.Contains(err.Error(), "not a JSON list") {
		t.Errorf("List of a text = %v, want it to say it is not a JSON list", err)
	}
	env.XCom = func(string, ...string) any { return nil }
	if _, err := per.Expand.List(env); err == nil || !strings.Contains(err.Error(), "returned nothing") {
		t.Errorf("List of no xcom = %v, want it to say it returned nothing", err)
	}
}
