package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// wasmflowEnv is what the scheduler gives every try.
func wasmflowEnv(extra map[string]string) map[string]string {
	env := map[string]string{
		"WASMFLOW_DAG_ID":       "etl",
		"WASMFLOW_TASK_ID":      "task",
		"WASMFLOW_RUN_ID":       "manual__2022-10-22T00:00:00+00:00",
		"WASMFLOW_TRY_NUMBER":   "2",
		"WASMFLOW_LOGICAL_DATE": "2022-10-22T00:00:00Z",
		"WASMFLOW_DS":           "2022-10-22",
		"WASMFLOW_CONF":         `{"threshold":10}`,
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestContract(t *testing.T) {
	t.Setenv("WASMFLOW_HOST_SECRET", "must not leak")
	r := testRunner(t)
	env := wasmflowEnv(map[string]string{"MODE": "full", "EMPTY": "", "SPACES": "a b  c"})
	res, log := run(t, r, Try{
		Module: goModule(t, "probe"),
		TaskID: "extract",
		Args:   []string{"contract", "--date", "2022-10-22", "with space", ""},
		Env:    env,
		Stdin:  "line one\nline two\n",
	})
	if res.State != StateSuccess || res.ExitCode != 0 || res.Reason != "" {
		t.Fatalf("result = %+v\nlog:\n%s", res, log)
	}
	wantArgs, _ := json.Marshal([]string{"extract", "contract", "--date", "2022-10-22", "with space", ""})
	var wantEnv []string
	for k, v := range env {
		wantEnv = append(wantEnv, k+"="+v)
	}
	slices.Sort(wantEnv)
	wantEnvJSON, _ := json.Marshal(wantEnv)
	for _, want := range []string{
		"args=" + string(wantArgs) + "\n",
		"env=" + string(wantEnvJSON) + "\n",
		`stdin="line one\nline two\n"` + "\n",
		"a line on stderr\n",
		"sdk dag=etl task=task run=manual__2022-10-22T00:00:00+00:00 try=2 ds=2022-10-22 logical=2022-10-22T00:00:00Z conf=map[threshold:10]\n",
		"done\n",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q\nlog:\n%s", want, log)
		}
	}
	if strings.Contains(log, "must not leak") || strings.Contains(log, "PATH=") || strings.Contains(log, "HOME=") {
		t.Errorf("the host's environment reached the module:\n%s", log)
	}
	if got := string(res.XComs[ReturnValueKey]); got != "done" {
		t.Errorf("return_value = %q, want the last stdout line %q", got, "done")
	}
	if res.ModuleSHA256 != Digest(goModule(t, "probe")) {
		t.Errorf("ModuleSHA256 = %s", res.ModuleSHA256)
	}
	if res.PeakMemoryPages == 0 || res.Duration <= 0 || res.Hostname == "" {
		t.Errorf("peak=%d duration=%s hostname=%q", res.PeakMemoryPages, res.Duration, res.Hostname)
	}
}

func TestExitCodes(t *testing.T) {
	r := testRunner(t)
	for _, tc := range []struct {
		code   int
		state  State
		reason string
	}{
		{0, StateSuccess, ""},
		{1, StateFailed, "exit_code 1"},
		{2, StateFailed, "exit_code 2"},
		{99, StateSkipped, ""},
		{100, StateSensorNotMet, ""},
		{101, StateFailed, "exit_code 101"},
	} {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			res, log := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"exit", fmt.Sprint(tc.code)}})
			if res.State != tc.state || res.ExitCode != tc.code || res.Reason != tc.reason {
				t.Errorf("got %s/%d/%q, want %s/%d/%q\nlog:\n%s", res.State, res.ExitCode, res.Reason, tc.state, tc.code, tc.reason, log)
			}
			if !strings.Contains(log, fmt.Sprintf("exiting with %d\n", tc.code)) {
				t.Errorf("log lacks the module's output:\n%s", log)
			}
		})
	}
	t.Run("C", func(t *testing.T) {
		res, _ := run(t, r, Try{Module: cModule(t, "noop_c", "noop")})
		if res.State != StateSuccess || res.ExitCode != 0 {
			t.Errorf("C noop: %+v", res)
		}
	})
}

func TestSandbox(t *testing.T) {
	r := testRunner(t)
	ro, rw := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(ro, "hello.txt"), []byte("hello from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Remove("/tmp/escape")
	// A real listener on the host, which the module must not reach.
	host, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer host.Close()
	var reached atomic.Int32
	go func() {
		for {
			c, err := host.Accept()
			if err != nil {
				return
			}
			reached.Add(1)
			c.Close()
		}
	}()
	// A free host port for the module to listen on; the host must not reach that either.
	probeL, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listenAddr := probeL.Addr().String()
	probeL.Close()
	var log syncBuffer
	dialed := make(chan error, 1)
	log.onLine = func(line string) {
		if addr, ok := strings.CutPrefix(line, "LISTENING "); ok {
			go func() {
				c, err := net.DialTimeout("tcp", strings.TrimSpace(addr), time.Second)
				if err == nil {
					c.Close()
				}
				dialed <- err
			}()
		}
	}
	res, err := r.Run(context.Background(), Try{
		Module: goModule(t, "probe"),
		TaskID: "sandbox",
		Args:   []string{"sandbox", host.Addr().String(), listenAddr},
		Mounts: []Mount{{HostPath: ro, GuestPath: "/ro", ReadOnly: true}, {HostPath: rw, GuestPath: "/rw"}},
		Log:    &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-dialed:
		if err == nil {
			t.Errorf("the host connected to the module's listener at %s", listenAddr)
		}
	case <-time.After(5 * time.Second):
		t.Error("the module never said LISTENING")
	}
	if n := reached.Load(); n > 0 {
		t.Errorf("the module connected to the host %d times", n)
	}
	if res.State != StateSuccess {
		t.Fatalf("result = %+v\nlog:\n%s", res, log.String())
	}
	for _, want := range []string{
		"DENIED read /etc/passwd",
		"DENIED list /",
		"DENIED write /tmp/escape",
		"DENIED write /escape",
		"DENIED write /rw/../escape",
		"DENIED write /ro/new.txt: open /ro/new.txt: Read-only file system",
		"DENIED remove /ro/hello.txt",
		"DENIED symlink /rw/passwd",
		"DENIED read /rw/passwd",
		"DENIED symlink /xcom/passwd",
		"DENIED link /ro/hello.txt /rw/hello.txt",
		"DENIED dial the host",
		"ALLOWED read /ro/hello.txt",
		"ALLOWED write /rw/out.txt",
		"ALLOWED write /xcom/note",
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("log:\n%s", log.String())
	}
	// And the host agrees.
	if _, err := os.Stat("/tmp/escape"); err == nil {
		t.Error("/tmp/escape was written on the host")
	}
	if b, err := os.ReadFile(filepath.Join(rw, "out.txt")); err != nil || string(b) != "written by the guest\n" {
		t.Errorf("rw/out.txt = %q, %v", b, err)
	}
	if _, err := os.Lstat(filepath.Join(rw, "passwd")); err == nil {
		t.Error("a symlink was made in the writable mount")
	}
	if _, err := os.Stat(filepath.Join(ro, "new.txt")); err == nil {
		t.Error("the read-only mount was written")
	}
	if got := string(res.XComs["note"]); got != "sandboxed" {
		t.Errorf("xcom note = %q", got)
	}
	if _, ok := res.XComs["passwd"]; ok {
		t.Error("a link to a host file became an XCom")
	}
}

// TestTimeout: a busy loop and a sleep are stopped within 100 ms of the deadline, and the next
// try runs normally.
func TestTimeout(t *testing.T) {
	r := testRunner(t)
	probe := goModule(t, "probe")
	run(t, r, Try{Module: probe, Args: []string{"exit", "0"}}) // compile outside the measurement
	const timeout = 300 * time.Millisecond
	for _, tc := range []struct {
		name string
		try  Try
	}{
		{"go busy loop", Try{Module: probe, Args: []string{"busy"}}},
		{"go sleep 1h", Try{Module: probe, Args: []string{"sleep", "1h"}}},
		{"wasm busy loop", Try{Module: wasmSpec{body: opBusyLoop}.bytes()}},
		// A C module's sleep returns when interrupted; it must not go on to exit 0 as a success.
		{"c sleep then exit 0", Try{Module: cModule(t, "sleep_c", "sleep")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.try.Timeout = timeout
			start := time.Now()
			res, log := run(t, r, tc.try)
			late := time.Since(start) - timeout
			if res.State != StateFailed || res.Reason != ReasonTimeout || res.ExitCode != -1 {
				t.Fatalf("result = %+v\nlog:\n%s", res, log)
			}
			if late > 100*time.Millisecond || res.Duration-timeout > 100*time.Millisecond {
				t.Errorf("stopped %s after the deadline (module ran %s), want within 100ms", late, res.Duration)
			}
			t.Logf("stopped %s after the deadline", late.Round(time.Millisecond))
			if strings.Contains(log, "slept") {
				t.Errorf("the module ran on past its deadline:\n%s", log)
			}
			if !strings.Contains(log, "[wasmflow] execution_timeout of 300ms reached") {
				t.Errorf("log does not say it timed out:\n%s", log)
			}
			assertHealthy(t, r)
		})
	}
	t.Run("sleep within the timeout", func(t *testing.T) {
		res, log := run(t, r, Try{Module: probe, Args: []string{"sleep", "50ms"}, Timeout: time.Second})
		if res.State != StateSuccess || !strings.Contains(log, "woke up") {
			t.Errorf("result = %+v\nlog:\n%s", res, log)
		}
	})
}

// assertHealthy checks that the runner still runs a try normally.
func assertHealthy(t *testing.T, r *Runner) {
	t.Helper()
	res, log := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"print", "still fine"}})
	if res.State != StateSuccess || string(res.XComs[ReturnValueKey]) != "still fine" {
		t.Errorf("the next try: %+v\nlog:\n%s", res, log)
	}
}

func TestOutOfMemory(t *testing.T) {
	r := testRunner(t)
	const limit = 64 << 20
	for _, tc := range []struct {
		name string
		try  Try
	}{
		{"go grows until the limit", Try{Module: goModule(t, "probe"), Args: []string{"alloc"}}},
		{"go one allocation over the limit", Try{Module: goModule(t, "probe"), Args: []string{"alloc-big", "512"}}},
		{"c malloc until NULL", Try{Module: cModule(t, "alloc_c", "alloc")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.try.MemoryLimit = limit
			tc.try.Timeout = 30 * time.Second
			res, log := run(t, r, tc.try)
			if res.State != StateFailed || res.Reason != ReasonOOM {
				t.Fatalf("result = %+v\nlog:\n%s", res, log)
			}
			if res.MemoryLimitPages != limit/pageSize || res.PeakMemoryPages > res.MemoryLimitPages {
				t.Errorf("peak %d pages, limit %d pages", res.PeakMemoryPages, res.MemoryLimitPages)
			}
			if !strings.Contains(log, "[wasmflow] memory limit of 64 MiB (1024 pages) reached") {
				t.Errorf("log does not say it ran out of memory:\n%s", log)
			}
			t.Logf("peak %d of %d pages; log tail: %q", res.PeakMemoryPages, res.MemoryLimitPages, tail(log, 2))
			assertHealthy(t, r)
		})
	}
	t.Run("initial memory over the limit", func(t *testing.T) {
		res, log := run(t, r, Try{Module: wasmSpec{memoryMin: 20}.bytes(), MemoryLimit: 10 * pageSize})
		if res.State != StateFailed || res.Reason != ReasonOOM || !strings.Contains(log, "needs 1280 KiB (20 pages) of memory to start") {
			t.Errorf("result = %+v\nlog:\n%s", res, log)
		}
	})
	t.Run("within the limit", func(t *testing.T) {
		res, log := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"alloc-big", "16"}, MemoryLimit: limit})
		if res.State != StateSuccess {
			t.Errorf("result = %+v\nlog:\n%s", res, log)
		}
	})
}

func tail(s string, n int) []string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[max(0, len(lines)-n):]
}

func TestTraps(t *testing.T) {
	r := testRunner(t)
	for _, tc := range []struct {
		name   string
		module []byte
		reason string
	}{
		{"unreachable", wasmSpec{body: opUnreachable}.bytes(), "trap: unreachable"},
		{"divide by zero", wasmSpec{body: opDivByZero}.bytes(), "trap: integer divide by zero"},
		{"in the start section", wasmSpec{body: opUnreachable, startSecton: true}.bytes(), "trap: unreachable"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, log := run(t, r, Try{Module: tc.module})
			if res.State != StateFailed || res.Reason != tc.reason || res.ExitCode != -1 {
				t.Errorf("result = %+v, want reason %q\nlog:\n%s", res, tc.reason, log)
			}
			if !strings.Contains(log, "[wasmflow] the module trapped: ") || !strings.Contains(log, "wasm stack trace") {
				t.Errorf("log does not show the trap:\n%s", log)
			}
			assertHealthy(t, r)
		})
	}
}

func TestCompileError(t *testing.T) {
	r := testRunner(t)
	probe := goModule(t, "probe")
	for _, tc := range []struct {
		name   string
		module []byte
		reason string
	}{
		{"not wasm", []byte("#!/bin/sh\necho hi\n"), "compile_error: invalid magic number"},
		{"empty", nil, "compile_error: invalid magic number"},
		{"truncated", probe[:len(probe)/2], "compile_error: "},
		{"garbage sections", []byte("\x00asm\x01\x00\x00\x00\x0a\xff\xff\xff\xff\x0f"), "compile_error: "},
		{"no _start", wasmSpec{export: "main"}.bytes(), "compile_error: no _start export"},
		{"unknown import", wasmSpec{importEnv: true}.bytes(), "compile_error: imports the host does not provide: env.foo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 2 { // the second time from the in-memory cache
				res, log := run(t, r, Try{Module: tc.module})
				if res.State != StateFailed || !strings.HasPrefix(res.Reason, tc.reason) || res.ModuleSHA256 == "" {
					t.Fatalf("result = %+v, want reason %q...\nlog:\n%s", res, tc.reason, log)
				}
				if !strings.Contains(log, "does not compile") {
					t.Errorf("log does not say so:\n%s", log)
				}
			}
			assertHealthy(t, r)
		})
	}
}

func TestConcurrentTries(t *testing.T) {
	r := testRunner(t)
	probe := goModule(t, "probe")
	const n = 100
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := fmt.Sprintf("try-%03d", i)
			var log bytes.Buffer
			res, err := r.Run(context.Background(), Try{Module: probe, TaskID: id, Args: []string{"concurrent", id}, Log: &log, Timeout: time.Minute})
			switch {
			case err != nil:
				errs <- err
			case res.State != StateSuccess:
				errs <- fmt.Errorf("%s: %+v\n%s", id, res, log.String())
			case log.String() != "id "+id+"\n"+id+"\n":
				errs <- fmt.Errorf("%s: log mixes tries: %q", id, log.String())
			case string(res.XComs["id"]) != id || string(res.XComs[ReturnValueKey]) != id || len(res.XComs) != 2:
				errs <- fmt.Errorf("%s: xcoms mix tries: %q", id, res.XComs)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestClocks(t *testing.T) {
	r := testRunner(t)
	res, log := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"clock"}})
	lines := strings.Split(log, "\n")
	guest, err := time.Parse(time.RFC3339Nano, lines[0])
	if err != nil || res.State != StateSuccess {
		t.Fatalf("%v %+v\n%s", err, res, log)
	}
	if d := time.Since(guest); d < 0 || d > 10*time.Second {
		t.Errorf("the guest's wall clock is %s off", d)
	}
	if lines[1] != "slept true" {
		t.Errorf("the guest's monotonic clock: %q", lines[1])
	}
}

func TestRunErrors(t *testing.T) {
	r := testRunner(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	os.WriteFile(file, nil, 0o644)
	probe := goModule(t, "probe")
	for _, tc := range []struct {
		name string
		try  Try
		want string
	}{
		{"no task id", Try{Module: probe}, "empty task id"},
		{"env name", Try{Module: probe, TaskID: "t", Env: map[string]string{"A=B": "x"}}, `env "A=B"`},
		{"relative guest path", Try{Module: probe, TaskID: "t", Mounts: []Mount{{HostPath: dir, GuestPath: "data"}}}, "must be absolute"},
		{"xcom mount", Try{Module: probe, TaskID: "t", Mounts: []Mount{{HostPath: dir, GuestPath: "/xcom"}}}, "reserved"},
		{"missing host dir", Try{Module: probe, TaskID: "t", Mounts: []Mount{{HostPath: filepath.Join(dir, "nope"), GuestPath: "/d"}}}, "no such file"},
		{"host file", Try{Module: probe, TaskID: "t", Mounts: []Mount{{HostPath: file, GuestPath: "/d"}}}, "not a directory"},
		{"digest mismatch", Try{Module: []byte("\x00asm\x01\x00\x00\x00"), ModuleSHA256: strings.Repeat("0", 64), TaskID: "t"}, "bytes hash to"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := r.Run(context.Background(), tc.try)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		var log bytes.Buffer
		res, err := r.Run(ctx, Try{Module: probe, TaskID: "t", Args: []string{"sleep", "1h"}, Timeout: time.Hour, Log: &log})
		if !errors.Is(err, context.Canceled) || res.Reason != ReasonCanceled || res.State != StateFailed {
			t.Errorf("err = %v, result = %+v\n%s", err, res, log.String())
		}
	})
	t.Run("closed", func(t *testing.T) {
		r := newRunner(t, Config{})
		r.Close(context.Background())
		if _, err := r.Run(context.Background(), Try{Module: probe, TaskID: "t"}); !errors.Is(err, ErrClosed) {
			t.Errorf("err = %v", err)
		}
	})
}

func TestModuleCache(t *testing.T) {
	r := newRunner(t, Config{MaxModules: 2})
	mods := [][]byte{
		wasmSpec{body: nil}.bytes(),
		wasmSpec{body: []byte{0x01}}.bytes(), // nop
		wasmSpec{body: []byte{0x01, 0x01}}.bytes(),
	}
	for i, m := range append(mods, mods...) {
		res, _ := run(t, r, Try{Module: m, ModuleSHA256: Digest(m)})
		if res.State != StateSuccess {
			t.Fatalf("module %d: %+v", i%3, res)
		}
		if n := r.mods.len(); n > 2 {
			t.Fatalf("%d modules held, max 2", n)
		}
	}
	// A known digest runs without the bytes being hashed again.
	res, _ := run(t, r, Try{Module: mods[2], ModuleSHA256: Digest(mods[2])})
	if res.State != StateSuccess || res.ModuleSHA256 != Digest(mods[2]) {
		t.Errorf("%+v", res)
	}
}

func TestLimitPages(t *testing.T) {
	for _, tc := range []struct {
		bytes int64
		pages uint32
	}{{1, 1}, {pageSize - 1, 1}, {pageSize, 1}, {pageSize + 1, 1}, {64 << 20, 1024}, {1 << 40, maxPages}} {
		if got := limitPages(tc.bytes); got != tc.pages {
			t.Errorf("limitPages(%d) = %d, want %d", tc.bytes, got, tc.pages)
		}
	}
}
