package runtime

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"
)

// CheckModule reports why wasm cannot run as a task, or nil when it can: it must be a core
// WebAssembly module (not a component) that compiles, exports `_start` and imports only
// functions the host provides (WASI preview1 and the wasmflow host module), with their
// signatures, and whose tables start within MaxTableEntries. It is the check a try makes before it runs, for callers that take a module in
// (an upload) and want the reason then rather than at the first try. A canceled ctx is
// returned as ctx.Err(); every other error is the module's fault.
//
// It compiles with the interpreter, which validates as the compiler does without the cost of
// native code that nothing would keep.
func CheckModule(ctx context.Context, wasm []byte) error {
	if len(wasm) < 8 || !bytes.Equal(wasm[:4], []byte("\x00asm")) {
		return errors.New("not a WebAssembly module: it does not start with \\0asm")
	}
	if v := binary.LittleEndian.Uint32(wasm[4:8]); v != 1 {
		return fmt.Errorf("WebAssembly binary version %#x, not a core module (version 1), perhaps a component: tasks are WASI preview1 modules", v)
	}
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	mod, err := rt.CompileModule(ctx, wasm)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("does not compile: %w", err)
	}
	defer mod.Close(ctx)
	return errors.Join(checkContract(mod), checkTables(wasm))
}

// provided is the signature of every function the host provides to a task, by "module.name",
// as "(i32, i32) -> (i32)". It is read from the real WASI and wasmflow host modules, so a host
// function added to either is known here without a list to keep in step: from the Runner's
// runtime (knowProvided), or else from an interpreter runtime made for it.
func provided() (map[string]string, error) {
	providedOnce.Do(func() {
		ctx := context.Background()
		rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
		defer rt.Close(ctx)
		if _, err := wasi_snapshot_preview1.Instantiate(ctx, rt); err != nil {
			providedErr = fmt.Errorf("instantiate WASI: %w", err)
			return
		}
		if err := instantiateHostModule(ctx, rt); err != nil {
			providedErr = err
			return
		}
		providedSigs = signatures(rt)
	})
	return providedSigs, providedErr
}

var (
	providedOnce sync.Once
	providedSigs map[string]string
	providedErr  error
)

// knowProvided takes provided's signatures from rt, a runtime with WASI and the host module
// instantiated (the Runner's), if nothing read them yet: building a runtime only for them
// cost a short process (dags test) about a millisecond before its first try.
func knowProvided(rt wazero.Runtime) {
	providedOnce.Do(func() { providedSigs = signatures(rt) })
}

// signatures reads the functions of the WASI and host modules instantiated in rt.
func signatures(rt wazero.Runtime) map[string]string {
	sigs := map[string]string{}
	for _, mn := range []string{wasi_snapshot_preview1.ModuleName, HostModuleName} {
		for name, def := range rt.Module(mn).ExportedFunctionDefinitions() {
			sigs[mn+"."+name] = signature(def)
		}
	}
	return sigs
}

func signature(def api.FunctionDefinition) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
		}
		return strings.Join(s, ", ")
	}
	return "(" + names(def.ParamTypes()) + ") -> (" + names(def.ResultTypes()) + ")"
}

// badImports lists the module's imports that no host module provides as imported: an unknown
// module (wasi_snapshot_preview2, env), an unknown function of a known one, a known function
// with another signature, or any memory.
func badImports(mod wazero.CompiledModule) ([]string, error) {
	sigs, err := provided()
	if err != nil {
		return nil, err
	}
	var bad []string
	for _, f := range mod.ImportedFunctions() {
		mn, name, _ := f.Import()
		want, known := sigs[mn+"."+name]
		switch {
		case mn != wasi_snapshot_preview1.ModuleName && mn != HostModuleName:
			bad = append(bad, mn+"."+name)
		case !known:
			bad = append(bad, mn+"."+name+" (no such function)")
		case signature(f) != want:
			bad = append(bad, fmt.Sprintf("%s.%s (imported as %s, the host's is %s)", mn, name, signature(f), want))
		}
	}
	for _, mem := range mod.ImportedMemories() {
		mn, name, _ := mem.Import()
		bad = append(bad, mn+"."+name+" (memory)")
	}
	slices.Sort(bad)
	return bad, nil
}
