package runtime

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
	"github.com/wasmflow/wasmflow/tasks/operators"
	"github.com/wasmflow/wasmflow/tasks/operators/operatorstest"
)

// BenchmarkScriptTry is a try of an `operator: script` task on a warm server: the 19 MB goja
// module compiled and in memory, its sha256 known, one small script per try (JSON in through
// params, JSON out). Beside it in the same run, the Go no-op module's try, the floor of any
// Go-built module. Target (issue 13): ≤ 10 ms a script try.
func BenchmarkScriptTry(b *testing.B) {
	cache := operatorstest.Build(b)
	path, err := operators.ModulePath("script")
	if err != nil {
		b.Fatal(err)
	}
	script, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	in, _ := json.Marshal(map[string]any{"operator": "script",
		"fields":  map[string]string{"language": "javascript", "code": "return params.items.filter(i => i.total > 100).length;"},
		"context": map[string]any{"ds": "2024-01-01", "params": map[string]any{"items": []map[string]int{{"total": 50}, {"total": 150}}}}})
	ctx := context.Background()
	r := newRunner(b, Config{CacheDir: cache})
	noop := goModule(b, "noop")
	tries := []struct {
		name string
		try  Try
	}{
		{"go_noop", Try{Module: noop, ModuleSHA256: Digest(noop), TaskID: "noop", Env: wasmflowEnv(nil), Timeout: time.Minute, Log: io.Discard}},
		{"script", Try{Module: script, ModuleSHA256: Digest(script), TaskID: "shape", Env: wasmflowEnv(nil), Stdin: string(in), Timeout: time.Minute, Log: io.Discard}},
	}
	for _, t := range tries { // compile (from the cache) and check the result once
		res, err := r.Run(ctx, t.try)
		if err != nil || res.State != StateSuccess {
			b.Fatalf("%s: %v %+v", t.name, err, res)
		}
		if t.name == "script" && strings.TrimSpace(string(res.XComs["return_value"])) != "1" {
			b.Fatalf("script's return_value = %q", res.XComs["return_value"])
		}
	}
	// Where a script try's time goes: instantiating the module (its memory and data segments,
	// without running _start) against the whole try.
	cc, err := wazero.NewCompilationCacheWithDir(cache)
	if err != nil {
		b.Fatal(err)
	}
	bare := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfig().WithCompilationCache(cc))
	defer bare.Close(ctx)
	wasi_snapshot_preview1.MustInstantiate(ctx, bare)
	// The runner's own host module: the guest helper imports every host function (xcom, log and
	// the granted I/O), and instantiating calls none of them.
	if err := instantiateHostModule(ctx, bare); err != nil {
		b.Fatal(err)
	}
	compiled, err := bare.CompileModule(ctx, script)
	if err != nil {
		b.Fatal(err)
	}
	noStart := wazero.NewModuleConfig().WithName("").WithStartFunctions()

	spent := make([]time.Duration, len(tries))
	var inst time.Duration
	b.ResetTimer()
	for b.Loop() {
		for i, t := range tries {
			t0 := time.Now()
			if res, err := r.Run(ctx, t.try); err != nil || res.State != StateSuccess {
				b.Fatalf("%s: %v %+v", t.name, err, res)
			}
			spent[i] += time.Since(t0)
		}
		t0 := time.Now()
		mod, err := bare.InstantiateModule(ctx, compiled, noStart)
		if err != nil {
			b.Fatal(err)
		}
		inst += time.Since(t0)
		mod.Close(ctx)
	}
	n := float64(b.N)
	b.ReportMetric(float64(spent[0].Microseconds())/n/1000, "go_noop-ms/try")
	b.ReportMetric(float64(spent[1].Microseconds())/n/1000, "script-ms/try")
	b.ReportMetric(float64(inst.Microseconds())/n/1000, "script-instantiate-ms")
}
