package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// tasks init writes a module that builds as it is (Go: the SDK vendored, outside this
// repository and offline; C: with wasmflow.h) and runs in a DAG through tasks test.
func TestTasksInitBuildsAndRuns(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := filepath.Join(h.dir, "dags")
	for _, lang := range []string{"go", "c"} {
		name := "load_" + lang
		dir := filepath.Join(dags, name)
		out := h.ok("tasks", "init", name, "--lang", lang, "--dir", dir)
		if !strings.Contains(out, "make -C "+dir) || !strings.Contains(out, name+".wasm") {
			t.Errorf("tasks init %s says:\n%s", lang, out)
		}
		cmd := exec.Command("make", "-C", dir)
		// Outside this module, with no network: the vendored SDK is all the build has.
		cmd.Env = append(os.Environ(), "GOFLAGS=", "GOPROXY=off", "GOWORK=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make in the %s module: %v\n%s\n(C needs clang for wasm32-wasi: examples/modules/build.sh installs it)", lang, err, b)
		}
		if _, err := os.Stat(filepath.Join(dir, name+".wasm")); err != nil {
			t.Fatalf("make built no %s.wasm: %v", name, err)
		}
	}
	dag := `dag_id: scaffolded
tasks:
  - id: load_go
    module: load_go/load_go.wasm
    args: ["{{ ds }}"]
  - id: load_c
    module: load_c/load_c.wasm
    args: ["{{ ds }}"]
    upstream: [load_go]
`
	if err := os.WriteFile(filepath.Join(dags, "scaffolded.yaml"), []byte(dag), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, task := range []string{"load_go", "load_c"} {
		if rv := returnValue(t, h.ok("tasks", "test", "scaffolded", task, "2024-03-01", "-o", "json")); rv != task+" processed 2024-03-01" {
			t.Errorf("%s's return value = %q", task, rv)
		}
	}
	if out := h.ok("tasks", "test", "scaffolded", "load_go", "2024-03-01"); !strings.Contains(out, "load_go runs for 2024-03-01") {
		t.Errorf("the Go module's sdk.Logf line is not in its log:\n%s", out)
	}

	h.fails(2, "already exists and is not empty", "tasks", "init", "load_go", "--dir", filepath.Join(dags, "load_go"))
	h.fails(2, "use lower-case letters", "tasks", "init", "Load-Orders", "--dir", filepath.Join(h.dir, "x"))
	h.fails(2, `language "rust"`, "tasks", "init", "x", "--lang", "rust", "--dir", filepath.Join(h.dir, "x"))
}
