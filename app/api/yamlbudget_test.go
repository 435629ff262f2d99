package api_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const hostileAlloc = 64 << 20 // what one hostile file may cost; before the budgets, gigabytes

// deepDag nests 30,000 lists in params on line 2: 60 KB that cost goccy's parser over 4 GB.
var deepDag = "dag_id: deep\nparams: {x: " + strings.Repeat("[", 30_000) + strings.Repeat("]", 30_000) + "}\n" +
	"tasks:\n  - {id: a, module: modules/echo.wasm}\n"

// bombDag holds nine levels of nine aliases in params (387 million values written out); the
// alias that passes the budget is on line 8.
func bombDag() string {
	var b strings.Builder
	b.WriteString("dag_id: bomb\nparams:\n  l0: &l0 [x]\n")
	for i := 1; i <= 9; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 9), ","))
	}
	b.WriteString("tasks:\n  - {id: a, module: modules/echo.wasm}\n")
	return b.String()
}

// sharedDag uses anchors as DAG files do: params that alias each other, default_args merged.
const sharedDag = `dag_id: shared
params:
  regions: &regions [eu, us]
  copy: *regions
default_args: &defaults
  retries: 2
tasks:
  - {<<: *defaults, id: a, module: modules/echo.wasm, args: &args ["{{ params.regions }}"]}
  - {<<: *defaults, id: b, module: modules/echo.wasm, args: *args, upstream: [a]}
`

// TestHostileDagFilesInTheFolder: a file nested too deeply or an alias bomb in the DAGs folder,
// at start or written later, is an import error with its line that a Viewer reads; the process
// stays up, every other DAG loads, and a Viewer's GET of a DAG with aliases writes its params
// once each, not expanded.
func TestHostileDagFilesInTheFolder(t *testing.T) {
	e := newEnv(t, map[string]string{"bomb.yaml": bombDag(), "shared.yaml": sharedDag})
	writeFile(t, filepath.Join(e.home, "dags", "deep.yaml"), deepDag)
	used := allocated(func() {
		if _, err := e.app.SyncDags(context.Background()); err != nil { // what the file watcher runs
			t.Fatal(err)
		}
	})
	if used > 2*hostileAlloc {
		t.Errorf("a DAG folder sync with two hostile files allocated %d MB, want under %d MB", used>>20, 2*hostileAlloc>>20)
	}

	type importError struct {
		Filename   string `json:"filename"`
		StackTrace string `json:"stack_trace"`
	}
	l := jsonOf[struct {
		ImportErrors []importError `json:"import_errors"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/importErrors", "", e.as("viewer")))
	got := map[string]string{}
	for _, ie := range l.ImportErrors {
		got[filepath.Base(ie.Filename)] = strings.TrimPrefix(ie.StackTrace, ie.Filename)
	}
	wants := map[string]string{
		"deep.yaml": ":2:75: YAML nested deeper than 64 levels at line 2; DAG files need far less",
		"bomb.yaml": ":8:36: alias *l4 takes the file past 100000 values",
	}
	for file, want := range wants {
		if !strings.HasPrefix(got[file], want) {
			t.Errorf("import error of %s = %.300q, want it to start with %q", file, got[file], want)
		}
	}
	for _, id := range []string{"deep", "bomb"} {
		e.want(http.StatusNotFound, "GET", "/api/v1/dags/"+id, "", e.as("viewer"))
	}
	for _, id := range []string{"pipe", "quiet", "shared"} {
		e.want(http.StatusOK, "GET", "/api/v1/dags/"+id, "", e.as("viewer"))
	}

	shared := jsonOf[struct {
		Params map[string]any `json:"params"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/dags/shared", "", e.as("viewer")))
	regions := []any{"eu", "us"}
	if !reflect.DeepEqual(shared.Params, map[string]any{"regions": regions, "copy": regions}) {
		t.Errorf("params of shared = %v", shared.Params)
	}
	tasks := jsonOf[struct {
		Tasks []struct {
			TaskID  string `json:"task_id"`
			Retries int    `json:"retries"`
		} `json:"tasks"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/dags/shared/tasks", "", e.as("viewer")))
	if len(tasks.Tasks) != 2 || tasks.Tasks[1].Retries != 2 {
		t.Errorf("tasks of shared (default_args merged through <<: *defaults): %+v", tasks.Tasks)
	}
}

// TestHostileDagFileThroughTheEditor: an Op validating or saving a 30,000-deep file gets the
// problem and its line, at bounded cost; the save writes nothing.
func TestHostileDagFileThroughTheEditor(t *testing.T) {
	e := newEnv(t, nil)
	var r resp
	used := allocated(func() {
		r = e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"path": "deep.yaml", "content": deepDag}), e.as("op"))
	})
	if used > hostileAlloc {
		t.Errorf("validating allocated %d MB, want under %d MB", used>>20, hostileAlloc>>20)
	}
	check := jsonOf[dagFileCheck](t, r)
	want := []fileProblem{{Line: 2, Column: 75, Message: "YAML nested deeper than 64 levels at line 2; DAG files need far less: flatten this value"}}
	if check.Valid || !reflect.DeepEqual(check.Problems, want) || check.DagID != nil || len(check.Tasks) != 0 {
		t.Errorf("validate: %+v, want invalid with %+v and nothing read loosely", check, want)
	}

	used = allocated(func() {
		r = e.call("PUT", "/api/v1/dagFiles/deep.yaml", body(map[string]string{"content": bombDag(), "base_sha256": ""}), e.as("op"))
	})
	checkProblem(t, "PUT an alias bomb", r, http.StatusUnprocessableEntity, "alias *l4 takes the file past 100000 values")
	if !strings.Contains(string(r.body), `"line":8`) {
		t.Errorf("PUT an alias bomb: %s, want the problem at line 8", r.body)
	}
	if used > hostileAlloc {
		t.Errorf("saving allocated %d MB, want under %d MB", used>>20, hostileAlloc>>20)
	}
	if _, err := os.Stat(filepath.Join(e.home, "dags", "deep.yaml")); !os.IsNotExist(err) {
		t.Errorf("the refused file was written: %v", err)
	}

	big := "dag_id: big\ndoc_md: " + strings.Repeat("x", 1<<20) + "\ntasks: []\n"
	r = e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"content": big}), e.as("op"))
	if c := jsonOf[dagFileCheck](t, r); c.Valid || len(c.Problems) != 1 || !strings.Contains(c.Problems[0].Message, "a DAG file may have at most 1048576 (1 MiB)") {
		t.Errorf("validate a 1 MiB file: %+v", c.Problems)
	}
}

// TestBrokenHostileDagFileThroughTheEditor: a file over a budget that also has a syntax error
// further down is refused over budget, not read loosely above the error: validating it or
// opening it in the editor costs little, and the problem is the budget's, at its line.
func TestBrokenHostileDagFileThroughTheEditor(t *testing.T) {
	const broken = "b: \"unterminated\n" // a syntax error on the last line
	deep := "dag_id: x\na: " + strings.Repeat("[", 30_000) + strings.Repeat("]", 30_000) + "\n" + broken
	bomb := strings.TrimSuffix(bombDag(), "tasks:\n  - {id: a, module: modules/echo.wasm}\n") + broken
	cases := []struct {
		name, content string
		want          string // the start of the one problem
		line          int
	}{
		{"deep", deep, "YAML nested deeper than 64 levels at line 2", 2},
		{"bomb", bomb, "YAML syntax", 13},
	}
	e := newEnv(t, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r resp
			used := allocated(func() {
				r = e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"path": c.name + ".yaml", "content": c.content}), e.as("op"))
			})
			if used > hostileAlloc {
				t.Errorf("validating allocated %d MB, want under %d MB", used>>20, hostileAlloc>>20)
			}
			check := jsonOf[dagFileCheck](t, r)
			if check.Valid || len(check.Problems) != 1 || check.Problems[0].Line != c.line || !strings.HasPrefix(check.Problems[0].Message, c.want) {
				t.Errorf("validate: %+v, want one problem at line %d starting %q", check.Problems, c.line, c.want)
			}
			if check.DagID != nil || len(check.Tasks) != 0 {
				t.Errorf("validate read the file loosely: dag_id %v, tasks %+v", check.DagID, check.Tasks)
			}

			writeFile(t, filepath.Join(e.home, "dags", c.name+".yaml"), c.content)
			used = allocated(func() {
				r = e.want(http.StatusOK, "GET", "/api/v1/dagFiles/"+c.name+".yaml", "", e.as("op"))
			})
			if used > hostileAlloc {
				t.Errorf("opening the file in the editor allocated %d MB, want under %d MB", used>>20, hostileAlloc>>20)
			}
			if f := jsonOf[dagFile](t, r); f.Content != c.content || f.DagID != nil {
				t.Errorf("GET: dag_id %v, content of %d bytes; want the file as written and no dag_id read loosely", f.DagID, len(f.Content))
			}
		})
	}
}
