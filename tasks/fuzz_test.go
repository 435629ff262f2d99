package tasks

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the DAG parser: it may reject them, never panic, and a
// DAG it accepts must be acyclic and fully linked.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.yaml")
	for _, s := range seeds {
		if data, err := os.ReadFile(s); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("dag_id: x\ntasks: [{id: a, sensor: 'true'}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("testdata/valid/fuzz.yaml", data)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("error of type %T, want *ValidationError: %v", err, err)
			}
			return
		}
		if got := len(d.TopologicalOrder()); got != len(d.Tasks) {
			t.Fatalf("accepted a DAG whose topological order has %d of %d tasks", got, len(d.Tasks))
		}
		for _, task := range d.Tasks {
			for _, u := range task.Upstream {
				if d.Task(u) == nil {
					t.Fatalf("accepted unknown upstream %q", u)
				}
			}
		}
	})
}

// FuzzExpr compiles arbitrary expressions and templates in every position the parser uses,
// then evaluates what compiled against an empty environment: errors are fine, panics are not.
func FuzzExpr(f *testing.F) {
	for _, s := range []string{`xcom("a") != "0"`, `params.threshold > 5 ? ["a"] : ["b"]`, `file_exists("/d/" + ds)`,
		`now().Year() > 2000`, `var("k", 1)`, `{{ ds }}-{{ run_id`, `dag_run_state("x", logical_date) == "success"`, `}}{{`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		ps := &problems{file: "fuzz"}
		env := NewEnv(nil, "t", "r", 1, timeZero, timeZero, timeZero, nil)
		if x := compileExpr(ps, Pos{1, 1}, "f", src, exprBool); x != nil {
			_, _ = x.EvalBool(env)
		}
		if x := compileExpr(ps, Pos{1, 1}, "f", src, exprAny); x != nil {
			_, _ = x.Eval(env)
			_, _ = literalBranchIDs(x)
		}
		if tpl := compileTemplate(ps, Pos{1, 1}, "f", src); tpl != nil {
			_, _ = tpl.Render(env)
		}
	})
}
