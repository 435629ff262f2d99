// Package operatorstest builds the built-in operators' modules for tests, so that `go test
// ./...` on a fresh clone (no `make operators`) runs operator tasks for real.
package operatorstest

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wasmflow/wasmflow/tasks/operators"
)

var built struct {
	once sync.Once
	dir  string
	err  error
}

// Build builds every operator module (once per test binary; go's build cache makes the next
// binaries' builds a link) into a folder kept across test runs (one per checkout), makes operators.ModulePath
// answer from it, and returns a wazero compilation cache folder beside it: a test whose runtime
// uses it compiles the 19 MB script module once per machine instead of once per test (~8 s).
func Build(tb testing.TB) (cacheDir string) {
	tb.Helper()
	built.once.Do(func() { built.dir, built.err = build() })
	if built.err != nil {
		tb.Fatalf("build the operator modules: %v", built.err)
	}
	operators.UseModuleDir(built.dir)
	cacheDir = filepath.Join(filepath.Dir(built.dir), "cache")
	if err := os.MkdirAll(cacheDir, 0o700); err != nil { // tests link a home's cache to it
		tb.Fatal(err)
	}
	return cacheDir
}

func build() (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	// One folder per checkout: tests of two worktrees building at once would otherwise run
	// each other's modules (a script module without the other's change).
	base := filepath.Join(os.TempDir(), fmt.Sprintf("wasmflow-operatorstest-%d-%08x", os.Getuid(), crc32.ChecksumIEEE([]byte(root))))
	dir := filepath.Join(base, "modules")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	done := map[string]bool{}
	for _, o := range operators.All() {
		// A sensor shares its operator's module (http_sensor runs http.wasm): build each once,
		// from the folder the module is named after.
		src := strings.TrimSuffix(o.Module, ".wasm")
		if done[src] {
			continue
		}
		done[src] = true
		// Built beside its final name and renamed, so test binaries building at once never
		// read a half-written module.
		tmp, err := os.CreateTemp(dir, o.Name+"-*.tmp")
		if err != nil {
			return "", err
		}
		tmp.Close()
		cmd := exec.Command("go", "build", "-trimpath", "-o", tmp.Name(), "./tasks/operators/"+src)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			os.Remove(tmp.Name())
			return "", fmt.Errorf("go build ./tasks/operators/%s: %v\n%s", src, err, out.String())
		}
		if err := os.Rename(tmp.Name(), filepath.Join(dir, o.Module)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// moduleRoot is the folder of wasmflow's go.mod, wherever the test runs from.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the wasmflow module")
	}
	return filepath.Dir(gomod), nil
}
