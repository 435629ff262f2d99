package modules_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/runtime"
)

// build compiles every example into a temporary directory: the Go ones with the go command,
// the C ones with clang (installed by build.sh).
func build(t *testing.T) map[string][]byte {
	t.Helper()
	out := t.TempDir()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string][]byte{}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		name, wasm := e.Name(), filepath.Join(out, e.Name()+".wasm")
		var cmd *exec.Cmd
		switch {
		case strings.HasSuffix(name, "_c"):
			srcs, _ := filepath.Glob(filepath.Join(name, "*.c"))
			cmd = exec.Command("clang", append([]string{"--target=wasm32-wasi", "-O2", "-Wall", "-Werror", "-o", wasm}, srcs...)...)
		case fileExists(filepath.Join(name, "main.go")):
			cmd = exec.Command("go", "build", "-o", wasm, "./"+name)
			cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
		default:
			continue
		}
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("build example %s: %v\n%s\n(C examples need clang for wasm32-wasi: run examples/modules/build.sh once, it installs clang lld wasi-libc libclang-rt-14-dev-wasm32)", name, err, b)
		}
		b, err := os.ReadFile(wasm)
		if err != nil {
			t.Fatal(err)
		}
		mods[name] = b
	}
	return mods
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// TestExamples runs the examples the way a DagRun would: each try gets the WASMFLOW_*
// environment, and the XComs of earlier tasks.
func TestExamples(t *testing.T) {
	mods := build(t)
	ctx := context.Background()
	r, err := runtime.New(ctx, runtime.Config{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)

	data := t.TempDir()
	xcoms := map[string]map[string][]byte{} // task -> key -> value, this run's XCom table
	run := func(task, module string, try int, args []string, mounts ...runtime.Mount) (runtime.Result, string) {
		t.Helper()
		var log bytes.Buffer
		res, err := r.Run(ctx, runtime.Try{
			Module: mods[module], TaskID: task, Args: args, Mounts: mounts, Log: &log,
			Env: map[string]string{
				"WASMFLOW_DAG_ID": "example", "WASMFLOW_TASK_ID": task, "WASMFLOW_RUN_ID": "manual__1",
				"WASMFLOW_TRY_NUMBER": string(rune('0' + try)), "WASMFLOW_LOGICAL_DATE": "2022-10-22T00:00:00Z",
				"WASMFLOW_DS": "2022-10-22", "WASMFLOW_CONF": "{}",
			},
			XComIn: func(task, key string) ([]byte, bool) { v, ok := xcoms[task][key]; return v, ok },
		})
		if err != nil {
			t.Fatalf("%s: %v", task, err)
		}
		if res.State == runtime.StateSuccess {
			xcoms[task] = res.XComs
		}
		return res, log.String()
	}
	dataMount := runtime.Mount{HostPath: data, GuestPath: "/data", ReadOnly: true}

	for _, tc := range []struct {
		task, module string
		try          int
		args         []string
		mounts       []runtime.Mount
		state        runtime.State
		xcoms        map[string]string // expected values, a subset
		log          string            // expected in the log
	}{
		{"extract", "extract", 1, []string{"7"}, nil, runtime.StateSuccess,
			map[string]string{"return_value": "7", "source": "argument"}, "extracting for 2022-10-22 (dag example, run manual__1, try 1) from argument"},
		{"transform", "transform", 1, nil, nil, runtime.StateSuccess,
			map[string]string{"return_value": "14"}, "transform: got 7 from extract"},
		{"choose", "choose", 1, []string{"-threshold", "10", "-above", "big", "-below", "small,tiny", "-from", "transform"}, nil,
			runtime.StateSuccess, map[string]string{"return_value": `["big"]`}, "choose: transform=14, threshold 10"},
		{"report", "report", 1, []string{"extract", "transform", "skipped"}, nil, runtime.StateSuccess, nil, "skipped      (no value)"},
		{"wait_file", "wait_file", 1, []string{"/data/2022-10-22.csv"}, []runtime.Mount{dataMount}, runtime.StateSensorNotMet, nil, "is not there yet"},
		{"fail", "fail", 1, nil, nil, runtime.StateFailed, nil, "fail: failing on purpose"},
		{"flaky", "flaky", 2, nil, nil, runtime.StateFailed, nil, "try 2 of the 3 this task needs"},
		{"flaky", "flaky", 3, nil, nil, runtime.StateSuccess, nil, "flaky: try 3 succeeded"},
		{"noop", "noop", 1, nil, nil, runtime.StateSuccess, map[string]string{}, ""},
		{"noop_c", "noop_c", 1, nil, nil, runtime.StateSuccess, map[string]string{}, ""},
		{"hello_c", "hello_c", 1, []string{"world"}, nil, runtime.StateSuccess,
			map[string]string{"greeting": "hello from C, 1 argument(s)", "return_value": "greeted 1"},
			"hello_c: logged through the wasmflow host module"},
	} {
		t.Run(tc.task+"/"+string(rune('0'+tc.try)), func(t *testing.T) {
			res, log := run(tc.task, tc.module, tc.try, tc.args, tc.mounts...)
			if res.State != tc.state || !strings.Contains(log, tc.log) {
				t.Fatalf("state %s (%s), want %s; log lacks %q?\n%s", res.State, res.Reason, tc.state, tc.log, log)
			}
			for k, v := range tc.xcoms {
				if got := string(res.XComs[k]); got != v {
					t.Errorf("xcom %s = %q, want %q", k, got, v)
				}
			}
			if tc.xcoms != nil && len(tc.xcoms) == 0 && len(res.XComs) != 0 {
				t.Errorf("xcoms = %q, want none", res.XComs)
			}
		})
	}

	t.Run("report json", func(t *testing.T) {
		var rep struct {
			DS     string             `json:"ds"`
			Values map[string]*string `json:"values"`
		}
		if err := json.Unmarshal(xcoms["report"]["report"], &rep); err != nil {
			t.Fatal(err)
		}
		if rep.DS != "2022-10-22" || *rep.Values["extract"] != "7" || *rep.Values["transform"] != "14" || rep.Values["skipped"] != nil {
			t.Errorf("report = %+v", rep)
		}
	})
	t.Run("sensor met, extract from the mount", func(t *testing.T) {
		if err := os.WriteFile(filepath.Join(data, "2022-10-22.csv"), []byte("a,1\nb,2\nc,3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		if res, log := run("wait_file", "wait_file", 2, []string{"/data/2022-10-22.csv"}, dataMount); res.State != runtime.StateSuccess {
			t.Errorf("%+v\n%s", res, log)
		}
		res, log := run("extract", "extract", 1, nil, dataMount)
		if string(res.XComs["return_value"]) != "3" || string(res.XComs["source"]) != "/data/2022-10-22.csv" {
			t.Errorf("%q\n%s", res.XComs, log)
		}
	})
}
