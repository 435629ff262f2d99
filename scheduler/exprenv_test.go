package scheduler

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// exprStore answers the expression functions' reads; the rest of RunStore is not called.
type exprStore struct {
	RunStore
	runs  []DagRun
	xcoms []XCom
	vars  map[string]string
}

func (f *exprStore) ListDagRuns(_ context.Context, dagID string, _ tasks.DagRunState, _ int) ([]DagRun, error) {
	var out []DagRun
	for _, r := range f.runs {
		if r.DagID == dagID {
			out = append(out, r)
		}
	}
	return out, nil
}

func (f *exprStore) ListXComs(_ context.Context, dagID, runID, taskID string) ([]XCom, error) {
	var out []XCom
	for _, x := range f.xcoms {
		if x.DagID == dagID && x.RunID == runID && (taskID == "" || x.TaskID == taskID) {
			out = append(out, x)
		}
	}
	return out, nil
}

func (f *exprStore) GetVariable(_ context.Context, key string) (Variable, error) {
	if v, ok := f.vars[key]; ok {
		return Variable{Key: key, Value: v}, nil
	}
	return Variable{}, ErrNotFound
}

// TestRunContextIsTheSchedulers checks that what the UI's render, `tasks test` and callbacks
// evaluate against (RunContext) answers xcom, var, task_state and dag_run_state as a try the
// scheduler drives does, for the same run: a mapped task's XComs as a list and its state
// aggregated, a Variable's default, another DAG's run state.
func TestRunContextIsTheSchedulers(t *testing.T) {
	cases := []struct{ expr, want string }{
		{`xcom("produce")`, "42"},
		{`xcom("produce", "n")`, "7"},
		{`xcom("per_item")`, `["A","B"]`},
		{`xcom("nothing") == nil`, "true"},
		{`var("region")`, "eu"},
		{`var("missing", "dflt")`, "dflt"},
		{`var("missing") == nil`, "true"},
		{`task_state("produce")`, "success"},
		{`task_state("per_item")`, "failed"},
		{`task_state("nothing")`, ""},
		{`dag_run_state("other", "2024-03-01")`, "success"},
		{`dag_run_state("other", "2024-03-02")`, ""},
	}
	src := `dag_id: exprenv
tasks:
  - id: produce
    module: modules/echo.wasm
  - id: per_item
    module: modules/echo.wasm
    expand: '["a", "b"]'
    upstream: [produce]
  - id: probe
    module: modules/echo.wasm
    upstream: [per_item]
    args:
`
	for _, tc := range cases {
		src += "      - '{{ " + tc.expr + " }}'\n"
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "modules", "echo.wasm"), []byte("\x00asm"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := tasks.Parse(filepath.Join(dir, "exprenv.yaml"), []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	ld := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	run := DagRun{DagID: "exprenv", RunID: "manual__1", LogicalDate: ld, DataIntervalStart: ld, DataIntervalEnd: ld, State: tasks.RunRunning}
	ti := func(id string, mapIndex int, st tasks.TaskInstanceState) TaskInstance {
		return TaskInstance{DagID: run.DagID, RunID: run.RunID, TaskID: id, MapIndex: mapIndex, State: st, TryNumber: 1}
	}
	tis := []TaskInstance{ti("produce", -1, tasks.StateSuccess), ti("per_item", 0, tasks.StateSuccess),
		ti("per_item", 1, tasks.StateFailed), ti("probe", -1, tasks.StateNone)}
	x := func(task string, mapIndex int, key, v string) XCom {
		return XCom{DagID: run.DagID, RunID: run.RunID, TaskID: task, MapIndex: mapIndex, Key: key, Value: []byte(v)}
	}
	store := &exprStore{
		runs:  []DagRun{{DagID: "other", RunID: "scheduled__1", LogicalDate: ld, State: tasks.RunSuccess}},
		xcoms: []XCom{x("produce", -1, "return_value", "42"), x("produce", -1, "n", "7"), x("per_item", 0, "return_value", "A"), x("per_item", 1, "return_value", "B")},
		vars:  map[string]string{"region": "eu"},
	}

	s := &Scheduler{cfg: Config{Store: store, Now: time.Now}}
	probe := d.Task("probe")
	r := newActiveRun(run, d, tis)
	sched, err := s.tryContext(r, probe, r.tis["probe"][0])
	if err != nil {
		t.Fatal(err)
	}
	shared := RunContext(context.Background(), store, d, run, tis)
	for name, c := range map[string]TryContext{"scheduler": sched, "RunContext": shared} {
		w, err := RenderWorkload(d, probe, c)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for i, tc := range cases {
			if got := w.Args[i]; got != tc.want {
				t.Errorf("%s: {{ %s }} = %q, want %q", name, tc.expr, got, tc.want)
			}
		}
	}
}
