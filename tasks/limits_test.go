package tasks

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// allocated returns the bytes f allocates, garbage included: what a hostile file costs.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// deepYAML is a DAG whose params nest n lists deep, on line 2: 2n bytes.
func deepYAML(n int) []byte {
	return []byte("dag_id: deep\nparams: {x: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "}\n" +
		"tasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n")
}

// aliasBombYAML is a DAG whose params hold levels anchors of nine aliases of the one before,
// the last on line levels+2: 9^levels values once written out.
func aliasBombYAML(levels int) []byte {
	var b strings.Builder
	b.WriteString("dag_id: bomb\nparams:\n  l0: &l0 [x]\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "  l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d,", i-1), 9), ","))
	}
	b.WriteString("tasks:\n  - id: a\n    module: testdata/modules/noop.wasm\n")
	return []byte(b.String())
}

// textBombYAML is a DAG whose default_args env holds size bytes of text that tasks of their
// own env alias, on lines 5 to 4+tasks.
func textBombYAML(size, tasks int) []byte {
	var b strings.Builder
	b.WriteString("dag_id: t\ndefault_args:\n  env: {BIG: &big " + strings.Repeat("x", size) + "}\ntasks:\n")
	for i := 0; i < tasks; i++ {
		fmt.Fprintf(&b, "  - {id: t%d, module: testdata/modules/noop.wasm, env: {A: *big}}\n", i)
	}
	return []byte(b.String())
}

const hostileAllocBudget = 64 << 20

// TestParserBudgets: files built to exhaust the parser's memory are refused with the line to
// look at, allocating a bounded amount; the refusal says so (OverBudget) for callers that
// would decode the bytes again.
func TestParserBudgets(t *testing.T) {
	var deepBlock strings.Builder
	deepBlock.WriteString("dag_id: deep\nparams:\n")
	for i := 1; i <= 200; i++ {
		fmt.Fprintf(&deepBlock, "%sk%d:\n", strings.Repeat(" ", i), i)
	}
	cases := []struct {
		name string
		src  []byte
		line int
		want string
	}{
		{"30,000 nested lists (60 KB)", deepYAML(30_000), 2, "YAML nested deeper than 64 levels at line 2; DAG files need far less"},
		{"200 nested block mappings", []byte(deepBlock.String()), 2 + 64, "YAML nested deeper than 64 levels at line 66"},
		{"nested flow mappings", []byte("dag_id: d\ntasks: []\nparams: " + strings.Repeat("{a: ", 30_000) + "1" + strings.Repeat("}", 30_000) + "\n"), 3, "nested deeper than 64 levels"},
		{"30,000 nested lists above a syntax error", append(deepYAML(30_000), "b: \"unterminated\n"...), 2, "YAML nested deeper than 64 levels at line 2"},
		{"alias bomb under params", aliasBombYAML(9), 8, "alias *l4 takes the file past 100000 values"},
		{"alias bomb of text in env", textBombYAML(256<<10, 17), 21, "alias *big takes the file past 100000 values or 4 MiB"},
		{"a file over 1 MiB", []byte("dag_id: big\ndoc_md: " + strings.Repeat("x", MaxFileBytes) + "\n"), 1, "a DAG file may have at most 1048576 (1 MiB)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			used := allocated(func() { _, err = Parse("hostile.yaml", c.src) })
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 {
				t.Fatalf("want one problem, got %.500v", err)
			}
			if p := ve.Problems[0]; p.Line != c.line || !strings.Contains(p.Message, c.want) {
				t.Errorf("problem = %s; want line %d containing %q", p, c.line, c.want)
			}
			if !ve.OverBudget {
				t.Error("OverBudget is false")
			}
			t.Logf("%s; allocated %d KB", ve.Problems[0], used>>10)
			if limit := uint64(hostileAllocBudget) + 2*uint64(len(c.src)); used > limit {
				t.Errorf("parsing allocated %d MB, want under %d MB", used>>20, limit>>20)
			}
		})
	}
}

// TestNestingAtTheLimit: the depth counted is the nesting goccy builds: the top mapping, the
// params mapping and the lists inside it; 64 levels parse, 65 do not.
func TestNestingAtTheLimit(t *testing.T) {
	if d, err := Parse("deep.yaml", deepYAML(MaxNestingDepth-2)); err != nil || d.Params["x"] == nil {
		t.Fatalf("%d levels: %v", MaxNestingDepth, err)
	}
	_, err := Parse("deep.yaml", deepYAML(MaxNestingDepth-1))
	if err == nil || !strings.Contains(err.Error(), "deep.yaml:2:75: YAML nested deeper than 64 levels") {
		t.Fatalf("%d levels: %v", MaxNestingDepth+1, err)
	}
}

// TestParseFileTooLarge: a file in the DAGs folder over the cap is refused without being read.
func TestParseFileTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "huge.yaml")
	src := "dag_id: huge\ndoc_md: " + strings.Repeat("x", 16<<20)
	if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	var err error
	used := allocated(func() { _, err = ParseFile(path) })
	want := fmt.Sprintf("huge.yaml:1: the file is %d bytes; a DAG file may have at most %d (1 MiB)", len(src), MaxFileBytes)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("got %.300v, want %q", err, want)
	}
	if used > 1<<20 {
		t.Errorf("allocated %d KB refusing a 16 MB file, want it not read", used>>10)
	}
}

// TestAnchorsWithinBudget: anchors and aliases as DAG files use them still work: shared
// default_args merged into tasks, an aliased list, params that alias each other (copied, so a
// change to one is not a change to the other), and aliases that only refer backwards.
func TestAnchorsWithinBudget(t *testing.T) {
	var b strings.Builder
	b.WriteString("dag_id: shared\nparams:\n  regions: &regions [eu, us]\n  copy: *regions\n  nested: {r: *regions, n: 3}\n")
	b.WriteString("default_args: &defaults\n  retries: 3\n  args: &args [\"--region\", \"{{ params.regions[0] }}\"]\ntasks:\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "  - <<: *defaults\n    id: t%d\n    module: testdata/modules/noop.wasm\n    env: {A: x}\n    args: *args\n", i)
	}
	d, err := Parse("shared.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("%.500v", err)
	}
	want := []any{"eu", "us"}
	if !reflect.DeepEqual(d.Params["copy"], want) || !reflect.DeepEqual(d.Params["nested"], map[string]any{"r": want, "n": uint64(3)}) {
		t.Errorf("params = %v", d.Params)
	}
	d.Params["copy"].([]any)[0] = "changed"
	if d.Params["regions"].([]any)[0] != "eu" {
		t.Error("an alias in params shares its anchor's value; it must be a copy")
	}
	if last := d.Task("t999"); last == nil || last.Retries != 3 || len(last.Args) != 2 {
		t.Errorf("t999 = %+v", last)
	}

	t.Run("an alias refers to an anchor before it", func(t *testing.T) {
		src := "dag_id: fwd\nparams: {a: *later, b: &later 1, c: &self [*self]}\ntasks:\n  - id: t\n    module: testdata/modules/noop.wasm\n"
		_, err := Parse("fwd.yaml", []byte(src))
		for _, want := range []string{"fwd.yaml:2:13: alias *later refers to no anchor", "alias *self refers to no anchor"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got %v, want %q", err, want)
			}
		}
	})
	t.Run("an anchor defined twice: the alias takes the latest before it", func(t *testing.T) {
		src := "dag_id: twice\nparams: {a: &v 1, b: *v, c: &v 2, d: *v}\ntasks:\n  - id: t\n    module: testdata/modules/noop.wasm\n"
		d, err := Parse("twice.yaml", []byte(src))
		if err != nil || d.Params["b"] != uint64(1) || d.Params["d"] != uint64(2) {
			t.Fatalf("params = %v, %v", d, err)
		}
	})
}
