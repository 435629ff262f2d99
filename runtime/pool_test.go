package runtime

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks/operators"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

// operatorModule is a built-in operator's module, built for the test, and the compilation
// cache that has it compiled.
func operatorModule(tb testing.TB, name string) (wasm []byte, cache string) {
	tb.Helper()
	cache = operatorstest.Build(tb)
	path, err := operators.ModulePath(name)
	if err != nil {
		tb.Fatal(err)
	}
	if wasm, err = os.ReadFile(path); err != nil {
		tb.Fatal(err)
	}
	return wasm, cache
}

// scriptModule is the built-in script operator's module, built for the test, and the
// compilation cache that has it compiled.
func scriptModule(tb testing.TB) (wasm []byte, cache string) {
	tb.Helper()
	return operatorModule(tb, "script")
}

// scriptTry is a try of `operator: script` running code, as the executor hands it over.
func scriptTry(wasm []byte, code string, params map[string]any) Try {
	in, _ := json.Marshal(map[string]any{"operator": "script",
		"fields":  map[string]string{"language": "javascript", "code": code},
		"context": map[string]any{"ds": "2024-01-01", "params": params}})
	return Try{Module: wasm, ModuleSHA256: Digest(wasm), TaskID: "transform", Env: wasmflowEnv(nil), Stdin: string(in), Timeout: time.Minute}
}

// pooledRunner is a Runner that pools the script module, with its pool full.
func pooledRunner(tb testing.TB, wasm []byte, cfg Config) *Runner {
	tb.Helper()
	cfg.Pooled = []string{Digest(wasm)}
	r := newRunner(tb, cfg)
	run(tb, r, scriptTry(wasm, "return 1", nil)) // the first try starts the pool
	waitPool(tb, r, r.cfg.PoolSize)
	return r
}

// runWarm runs t on a warm instance of r's pool, failing the test if it ran a fresh one.
func runWarm(tb testing.TB, r *Runner, t Try) (Result, string) {
	tb.Helper()
	waitPool(tb, r, r.cfg.PoolSize)
	before := r.pools.served.Load()
	res, log := run(tb, r, t)
	if r.pools.served.Load() != before+1 {
		tb.Fatalf("the try ran a fresh instance, not a warm one")
	}
	return res, log
}

// TestPooledScriptTryAsFresh: a script try on a warm instance ends exactly as on a fresh one:
// the XComs, the log, the state and reason, for a success that logs, pulls an XCom and returns
// a value, a thrown error, an XCom over its limit, a timeout and a memory limit reached.
func TestPooledScriptTryAsFresh(t *testing.T) {
	wasm, cache := scriptModule(t)
	fresh := newRunner(t, Config{CacheDir: cache, PoolSize: -1})
	pooled := pooledRunner(t, wasm, Config{CacheDir: cache})
	pull := func(task, key string) ([]byte, bool) {
		if task == "extract" && key == "return_value" {
			return []byte(`[3,4]`), true
		}
		return nil, false
	}
	for _, tc := range []struct {
		name      string
		code      string
		limit     int64
		timeout   time.Duration
		state     State
		reason    string
		sameLog   bool
		wantInLog string
	}{
		{name: "success", code: "log('rows', params.n, ds); const up = JSON.parse(xcom('extract'));\nreturn {n: params.n * 2, sum: up[0] + up[1]};",
			state: StateSuccess, sameLog: true, wantInLog: "rows 21 2024-01-01"},
		{name: "throws", code: "const x = 1;\nthrow new Error('boom ' + params.n);",
			state: StateFailed, reason: "exit_code 1", sameLog: true, wantInLog: "script failed at line 2, column 7 of code: Error: boom 21"},
		{name: "xcom_too_big", code: "return 'x'.repeat(100000);",
			state: StateFailed, reason: "exit_code 1", sameLog: true, wantInLog: "return_value\" is 100000 bytes, over the limit"},
		{name: "timeout", code: "for (;;) {}", timeout: 2 * time.Second,
			state: StateFailed, reason: ReasonTimeout, sameLog: true, wantInLog: "execution_timeout of 2s reached"},
		{name: "memory_limit", code: "let s = 'x' + params.n; for (;;) s += s;", limit: 128 << 20,
			state: StateFailed, reason: ReasonOOM, wantInLog: "memory limit of 128 MiB (2048 pages) reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			try := scriptTry(wasm, tc.code, map[string]any{"n": 21})
			try.XComIn, try.MemoryLimit = pull, tc.limit
			if tc.timeout > 0 {
				try.Timeout = tc.timeout
			}
			want, wantLog := run(t, fresh, try)
			got, gotLog := runWarm(t, pooled, try)
			if got.State != tc.state || !strings.HasPrefix(got.Reason, tc.reason) {
				t.Fatalf("warm: %s %q, want %s %q; log:\n%s", got.State, got.Reason, tc.state, tc.reason, gotLog)
			}
			if got.State != want.State || got.Reason != want.Reason || got.ExitCode != want.ExitCode || got.MemoryLimitPages != want.MemoryLimitPages {
				t.Errorf("warm: %s %q exit %d limit %d; fresh: %s %q exit %d limit %d", got.State, got.Reason, got.ExitCode, got.MemoryLimitPages,
					want.State, want.Reason, want.ExitCode, want.MemoryLimitPages)
			}
			if fmt.Sprint(got.XComs) != fmt.Sprint(want.XComs) || fmt.Sprint(got.Calls) != fmt.Sprint(want.Calls) {
				t.Errorf("warm XComs %q calls %v; fresh %q %v", got.XComs, got.Calls, want.XComs, want.Calls)
			}
			if tc.sameLog && gotLog != wantLog {
				t.Errorf("warm log:\n%s\nfresh log:\n%s", gotLog, wantLog)
			}
			if !strings.Contains(gotLog, tc.wantInLog) {
				t.Errorf("warm log lacks %q:\n%s", tc.wantInLog, gotLog)
			}
		})
	}
}

// TestPooledCallRecord: granted I/O from a warm instance is made under its try's grants and
// recorded in its try's Result as from a fresh one, refused calls included. The http
// operator's module, which also reads its input first, stands in for a script's http().
func TestPooledCallRecord(t *testing.T) {
	wasm, cache := operatorModule(t, "http")
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, `{"n": 3}`) })
	fresh := newRunner(t, Config{CacheDir: cache, PoolSize: -1})
	pooled := newRunner(t, Config{CacheDir: cache, Pooled: []string{Digest(wasm)}})
	try := func(url string) Try {
		in, _ := json.Marshal(map[string]any{"operator": "http", "fields": map[string]string{"url": url, "method": "GET"}})
		return Try{Module: wasm, ModuleSHA256: Digest(wasm), TaskID: "fetch", Stdin: string(in), Timeout: time.Minute,
			Grants: Grants{AllowHosts: []string{srv.hostPort()}}}
	}
	run(t, pooled, try(srv.URL)) // starts the pool
	for _, url := range []string{srv.URL + "/items?page=2", "http://api.example.com/items"} {
		want, wantLog := run(t, fresh, try(url))
		got, gotLog := runWarm(t, pooled, try(url))
		if len(got.Calls) != 1 || len(want.Calls) != 1 {
			t.Fatalf("%s: warm calls %+v, fresh %+v", url, got.Calls, want.Calls)
		}
		got.Calls[0].Duration, want.Calls[0].Duration = 0, 0
		if got.Calls[0] != want.Calls[0] || got.State != want.State || got.Reason != want.Reason || gotLog != wantLog ||
			fmt.Sprint(got.XComs) != fmt.Sprint(want.XComs) {
			t.Errorf("%s: warm %s %q %+v %q, log:\n%s\nfresh %s %q %+v %q, log:\n%s", url, got.State, got.Reason, got.Calls[0], got.XComs, gotLog,
				want.State, want.Reason, want.Calls[0], want.XComs, wantLog)
		}
	}
}

// TestPooledTriesShareNothing: every try gets an instance of its own, warm or fresh, even when
// they run at once: a global a script sets is never seen by the next, and each try's params,
// log and XCom are its own.
func TestPooledTriesShareNothing(t *testing.T) {
	wasm, cache := scriptModule(t)
	r := pooledRunner(t, wasm, Config{CacheDir: cache})
	for range 3 {
		res, log := runWarm(t, r, scriptTry(wasm, "globalThis.count = (globalThis.count || 0) + 1; return count;", nil))
		if string(res.XComs["return_value"]) != "1" {
			t.Fatalf("return_value = %q: the instance ran another try before; log:\n%s", res.XComs["return_value"], log)
		}
	}
	waitPool(t, r, r.cfg.PoolSize)
	var wg sync.WaitGroup
	for i := range 4 { // more than the pool holds: some run warm, some fresh
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, log := run(t, r, scriptTry(wasm, "log('try', params.n); return params.n;", map[string]any{"n": i}))
			if got := string(res.XComs["return_value"]); got != fmt.Sprint(i) || log != fmt.Sprintf("try %d\n", i) {
				t.Errorf("try %d: return_value %q, log %q", i, got, log)
			}
		}()
	}
	wg.Wait()
}

// TestPoolClose: Close discards the warm instances, gives their memory back to the budget and
// leaves no goroutine of theirs behind.
func TestPoolClose(t *testing.T) {
	wasm, cache := scriptModule(t)
	before := goruntime.NumGoroutine()
	r, err := New(context.Background(), Config{CacheDir: cache, Pooled: []string{Digest(wasm)}})
	if err != nil {
		t.Fatal(err)
	}
	run(t, r, scriptTry(wasm, "return 1", nil))
	waitPool(t, r, DefaultPoolSize)
	if r.memory.inUse() == 0 {
		t.Error("the warm instances hold no memory in the budget")
	}
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, _, _ := r.pools.idle(); n != 0 {
		t.Errorf("%d warm instances left after Close", n)
	}
	if used := r.memory.inUse(); used != 0 {
		t.Errorf("%d bytes of the budget still held after Close", used)
	}
	if after := goruntime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before New, %d after Close:\n%s", before, after, buf[:goruntime.Stack(buf, true)])
	}
}

// TestPoolMemory: a warm instance counts in core.max_task_memory (what it holds is its memory,
// which a try's limit covers once it takes it), and gives it back to a try that would otherwise
// wait for it: a try whose limit fits only without the pool runs at once.
func TestPoolMemory(t *testing.T) {
	wasm, cache := scriptModule(t)
	r := pooledRunner(t, wasm, Config{CacheDir: cache, PoolSize: 1, DefaultMemoryLimit: 128 << 20, MaxTaskMemory: 256 << 20})
	var size uint64
	r.pools.mu.Lock()
	for _, mp := range r.pools.byKey {
		for _, w := range mp.idle {
			size += w.mem.size()
		}
	}
	r.pools.mu.Unlock()
	t.Logf("a warm instance holds %s", byteSize(int64(size)))
	if size == 0 || r.memory.inUse() != int64(size) {
		t.Fatalf("the budget holds %d bytes for the warm instance of %d bytes", r.memory.inUse(), size)
	}
	try := scriptTry(wasm, "return 2", nil)
	try.MemoryLimit = 256 << 20 // all of max_task_memory
	var waited []string
	try.Waiting = func(why string) { waited = append(waited, why) }
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a failure, not a hang
	defer cancel()
	res, err := r.Run(ctx, try)
	if err != nil || res.State != StateSuccess || string(res.XComs["return_value"]) != "2" {
		t.Fatalf("%v %+v (waited: %q)", err, res, waited)
	}
}
