package app

import (
	"bytes"
	"context"
	"errors"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/wasmflow/wasmflow/app/config"
)

// newAuthoringApp opens an App on a fresh home with no examples, its DAGs folder holding files.
func newAuthoringApp(t *testing.T, files map[string]string) *App {
	t.Helper()
	home := t.TempDir()
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "WASMFLOW_HOME":
			return home
		case "WASMFLOW__CORE__LOAD_EXAMPLES":
			return "false"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	a, err := Open(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	for name, src := range files {
		p := filepath.Join(cfg.Core.DagsFolder, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.SyncDags(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCheckPath(t *testing.T) {
	for _, c := range []struct {
		path    string
		dagFile bool
		words   string // "" = accepted
	}{
		{"x.yaml", true, ""},
		{"etl/daily/x.yml", true, ""},
		{"modules/ab/x.wasm", false, ""},
		{"", true, "the path is empty"},
		{"../x.yaml", true, `path "../x.yaml" leaves the DAGs folder: use a path inside it, like etl/x.yaml`},
		{"etl/../../x.yaml", true, "leaves the DAGs folder"},
		{"/etc/x.yaml", true, "is absolute"},
		{`etl\x.yaml`, true, "has a backslash"},
		{`..\x.yaml`, true, "has a backslash"},
		{"etl//x.yaml", true, "empty or '.' segment"},
		{"./x.yaml", true, "empty or '.' segment"},
		{"etl/", true, "empty or '.' segment"},
		{".hidden/x.yaml", true, "hidden segment .hidden"},
		{"etl/.x.yaml", true, "hidden segment"},
		{"x.txt", true, "is not a DAG file: DAG files end in .yaml or .yml"},
		{"x.wasm", true, "is not a DAG file"},
		{"x\x00.yaml", true, "control character"},
		{strings.Repeat("a/", 600) + "x.yaml", true, "longer than 1024"},
	} {
		err := checkPath(c.path, c.dagFile)
		switch {
		case c.words == "" && err != nil:
			t.Errorf("checkPath(%q) = %v, want it accepted", c.path, err)
		case c.words != "" && (err == nil || !strings.Contains(err.Error(), c.words) || !errors.Is(err, ErrInvalid)):
			t.Errorf("checkPath(%q) = %v, want an ErrInvalid saying %q", c.path, err, c.words)
		}
	}
}

func TestResolveRefusesSymlinksOut(t *testing.T) {
	a := newAuthoringApp(t, nil)
	outside := t.TempDir()
	dags := a.Config.Core.DagsFolder
	if err := os.WriteFile(filepath.Join(outside, "secret.yaml"), []byte("dag_id: secret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dags, "out")); err != nil {
		t.Skip("no symbolic links here:", err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.yaml"), filepath.Join(dags, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dags, "in"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(dags, "in"), filepath.Join(dags, "inner")); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, rel := range []string{"out/secret.yaml", "out/new.yaml", "out/deeper/new.yaml", "link.yaml"} {
		if _, err := a.ReadDagFile(ctx, rel); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "leads outside the DAGs folder") {
			t.Errorf("ReadDagFile(%s) = %v, want refused: a link leads outside", rel, err)
		}
		if _, err := a.SaveDagFile(ctx, "test", rel, []byte("dag_id: x\ntasks: []\n"), ""); !errors.Is(err, ErrInvalid) {
			t.Errorf("SaveDagFile(%s) = %v, want refused", rel, err)
		}
	}
	if _, err := os.Stat(filepath.Join(outside, "new.yaml")); err == nil {
		t.Error("a file was written outside the DAGs folder")
	}
	// A link that stays inside is fine.
	if _, err := a.resolve("inner/x.yaml", true); err != nil {
		t.Errorf("a link inside the DAGs folder is refused: %v", err)
	}
}

func TestWriteAtomicCreateNeverReplaces(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "x.yaml")
	if err := writeAtomic(target, []byte("one"), 0o644, true); err != nil {
		t.Fatal(err)
	}
	if err := writeAtomic(target, []byte("two"), 0o644, true); !errors.Is(err, os.ErrExist) {
		t.Errorf("create over an existing file: %v, want ErrExist", err)
	}
	if err := writeAtomic(target, []byte("three"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(target)
	st, _ := os.Stat(target)
	entries, _ := os.ReadDir(dir)
	if string(b) != "three" || st.Mode().Perm() != 0o600 || len(entries) != 1 {
		t.Errorf("after the writes: %q, mode %v, %d files (no temporary file may be left)", b, st.Mode().Perm(), len(entries))
	}
}

// Saves from one base race: exactly one wins, whether they create the file or change it.
func TestConcurrentSavesOneWins(t *testing.T) {
	a := newAuthoringApp(t, nil)
	ctx := context.Background()
	race := func(base, prefix string) string {
		const n = 8
		saved := make([]SavedDagFile, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				src := "dag_id: racy\ntasks:\n  - {id: " + prefix + string(rune('a'+i)) + ", sensor: 'true'}\n"
				saved[i], errs[i] = a.SaveDagFile(ctx, "test", "racy.yaml", []byte(src), base)
			}()
		}
		wg.Wait()
		won := ""
		for i, err := range errs {
			var stale *StaleFileError
			switch {
			case err == nil && won == "":
				won = saved[i].SHA256
			case err == nil:
				t.Errorf("base %q: two saves won", base)
			case !errors.As(err, &stale) || !errors.Is(err, ErrConflict) || stale.CurrentSHA256 == "":
				t.Errorf("base %q: a losing save: %v, want a StaleFileError with the winner's sha256", base, err)
			}
		}
		if won == "" {
			t.Fatalf("base %q: no save won", base)
		}
		return won
	}
	// Every change differs from the file: a save of the same bytes leaves the base current.
	race(race("", "create_"), "change_")
}

func TestSketch(t *testing.T) {
	for _, c := range []struct {
		name, src string
		dagID     string
		want      []DraftTask
	}{
		{"cycle", "dag_id: loop\ntasks:\n  - id: a\n    module: m.wasm\n    upstream: [c]\n  - {id: b, upstream: a, branch: '[\"c\"]'}\n  - id: c\n    sensor: 'true'\n    upstream: [b, nowhere, b]\n    trigger_rule: all_done\n", "loop",
			[]DraftTask{{"a", []string{"c"}, "module", "all_success", 3}, {"b", []string{"a"}, "branch", "all_success", 6}, {"c", []string{"b"}, "sensor", "all_done", 7}}},
		{"default trigger rule and duplicate ids", "dag_id: d\ndefault_args: {trigger_rule: one_success}\ntasks:\n  - {id: a}\n  - {id: a, sensor: false}\n  - {id: 7}\n", "d",
			[]DraftTask{{"a", []string{}, "module", "one_success", 4}, {"7", []string{}, "module", "one_success", 6}}},
		{"a line being typed", "dag_id: typing\ntasks:\n  - id: a\n  - id: b\n    upstream: [a\n", "typing",
			[]DraftTask{{"a", []string{}, "module", "all_success", 3}, {"b", []string{}, "module", "all_success", 4}}},
		{"not a mapping", "- just\n- a list\n", "", []DraftTask{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			id, list := sketch([]byte(c.src))
			if got := ""; id != nil {
				got = *id
				if got != c.dagID {
					t.Errorf("dag_id %q, want %q", got, c.dagID)
				}
			} else if c.dagID != "" {
				t.Errorf("no dag_id, want %q", c.dagID)
			}
			if !reflect.DeepEqual(list, c.want) {
				t.Errorf("tasks\n%+v, want\n%+v", list, c.want)
			}
		})
	}
}

func TestModuleName(t *testing.T) {
	for in, want := range map[string]string{
		"x.wasm":             "x.wasm",
		"../../etc/x.wasm":   "x.wasm",
		`C:\builds\t x.wasm`: "t_x.wasm",
		".hidden.wasm":       "hidden.wasm",
		"né.WASM":            "n_.WASM",
		"x.wasm.txt":         "",
		".wasm":              "",
		"":                   "",
	} {
		got, err := moduleName(in)
		if got != want || (want == "") != errors.Is(err, ErrInvalid) {
			t.Errorf("moduleName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// TestNoWazeroImport: the service layer leaves WebAssembly to the runtime package (STYLE.md),
// which owns the check an upload makes.
func TestNoWazeroImport(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, im := range af.Imports {
			if strings.Contains(im.Path.Value, "tetratelabs/wazero") {
				t.Errorf("%s imports %s: call the runtime package instead", fset.Position(im.Pos()), im.Path.Value)
			}
		}
	}
}

func TestCheckModule(t *testing.T) {
	ctx := context.Background()
	noop, err := os.ReadFile(filepath.Join("..", "runtime", "testdata", "noop_c", "noop.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	if err := checkModule(ctx, "noop.wasm", noop); err != nil {
		t.Errorf("noop.wasm: %v", err)
	}
	for name, c := range map[string]struct {
		wasm  []byte
		words string
	}{
		"text":      {[]byte("#!/bin/sh\necho hi\n"), "does not start with \\0asm"},
		"short":     {[]byte("\x00as"), "does not start with \\0asm"},
		"component": {[]byte("\x00asm\x0d\x00\x01\x00"), "not a core module"},
		"truncated": {noop[:len(noop)-20], "does not compile"},
		"reactor":   {bytes.Replace(noop, []byte("_start"), []byte("_other"), 1), "no _start export"},
	} {
		if err := checkModule(ctx, name+".wasm", c.wasm); !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.words) {
			t.Errorf("%s: %v, want an ErrInvalid saying %q", name, err, c.words)
		}
	}
}
