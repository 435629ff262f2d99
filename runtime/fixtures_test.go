package runtime

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Go fixtures are ~2-5 MB each, too big to commit: they are built from testdata/<name> once per
// test binary run. The C fixtures are small and committed beside their sources.
var goFixtures = []string{"probe", "noop", "hello", "hostio"}

var built struct {
	once sync.Once
	dir  string
	err  error
	mods map[string][]byte
}

// testCacheDir is one on-disk compilation cache for the whole test binary, so that each Runner
// a test makes does not compile the fixtures cold again.
var testCacheDir string

func TestMain(m *testing.M) {
	if spec := os.Getenv(compileHelperEnv); spec != "" {
		os.Exit(compileHelper(spec))
	}
	if spec := os.Getenv(dieHelperEnv); spec != "" {
		os.Exit(dieHelper(spec))
	}
	dir, err := os.MkdirTemp("", "wasmflow-runtime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testCacheDir = filepath.Join(dir, "cache")
	built.dir = filepath.Join(dir, "modules")
	code := m.Run()
	if shared.r != nil {
		shared.r.Close(context.Background())
	}
	if err := pg.srv.Stop(); err != nil { // the PostgreSQL server of hostcall_test.go, if started
		fmt.Fprintln(os.Stderr, err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// goModule returns the bytes of the Go fixture testdata/<name>, building them all on first use.
func goModule(tb testing.TB, name string) []byte {
	tb.Helper()
	built.once.Do(func() {
		args := []string{"build", "-trimpath", "-o", built.dir + string(os.PathSeparator)}
		for _, f := range goFixtures {
			args = append(args, "./testdata/"+f)
		}
		cmd := exec.Command("go", args...)
		cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			built.err = fmt.Errorf("build the Go test fixtures (GOOS=wasip1 GOARCH=wasm go %v): %v\n%s", args, err, out.Bytes())
			return
		}
		built.mods = map[string][]byte{}
		for _, f := range goFixtures {
			// go build -o DIR/ names a wasip1 executable after its package, without ".wasm".
			b, err := os.ReadFile(filepath.Join(built.dir, f))
			if err != nil {
				built.err = err
				return
			}
			built.mods[f] = b
		}
	})
	if built.err != nil {
		tb.Fatal(built.err)
	}
	b, ok := built.mods[name]
	if !ok {
		tb.Fatalf("no Go fixture %q", name)
	}
	return b
}

// cModule returns the committed C fixture testdata/<dir>/<name>.wasm.
func cModule(tb testing.TB, dir, name string) []byte {
	tb.Helper()
	p := filepath.Join("testdata", dir, name+".wasm")
	b, err := os.ReadFile(p)
	if err != nil {
		tb.Fatalf("C fixture %s: %v\nrebuild it with the clang command in testdata/%s/%s.c "+
			"(examples/modules/build.sh installs clang, lld, wasi-libc and libclang-rt-14-dev-wasm32)", p, err, dir, name)
	}
	return b
}

var shared struct {
	once sync.Once
	r    *Runner
	err  error
}

// testRunner is one Runner shared by the tests that need no special Config.
func testRunner(tb testing.TB) *Runner {
	tb.Helper()
	shared.once.Do(func() {
		shared.r, shared.err = New(context.Background(), Config{CacheDir: testCacheDir})
	})
	if shared.err != nil {
		tb.Fatal(shared.err)
	}
	return shared.r
}

// newRunner makes a Runner with cfg (and the shared disk cache), closed when the test ends.
func newRunner(tb testing.TB, cfg Config) *Runner {
	tb.Helper()
	if cfg.CacheDir == "" {
		cfg.CacheDir = testCacheDir
	}
	r, err := New(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// run runs t and returns its result and log, failing the test on a host error.
func run(tb testing.TB, r *Runner, t Try) (Result, string) {
	tb.Helper()
	var log bytes.Buffer
	t.Log = &log
	if t.TaskID == "" {
		t.TaskID = "task"
	}
	res, err := r.Run(context.Background(), t)
	if err != nil {
		tb.Fatalf("Run: %v\nlog:\n%s", err, log.String())
	}
	return res, log.String()
}
