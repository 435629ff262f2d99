package runtime

import (
	"context"
	"strings"
	"testing"
)

// TestCheckModule: the check an upload makes refuses, with the reason, what a try would refuse
// (no _start, an import WASI preview1 and the wasmflow module do not provide, a later WASI, a
// component, bytes that are not wasm), and lets a real task module through.
func TestCheckModule(t *testing.T) {
	ctx := context.Background()
	for _, ok := range [][]byte{goModule(t, "probe"), cModule(t, "host_c", "host")} {
		if err := CheckModule(ctx, ok); err != nil {
			t.Errorf("a task module: %v", err)
		}
	}
	for _, c := range []struct {
		name  string
		wasm  []byte
		words []string
	}{
		{"not wasm", []byte("MZ\x90\x00 a Windows program"), []string{"does not start with \\0asm"}},
		{"component", []byte("\x00asm\x0d\x00\x01\x00"), []string{"not a core module", "component"}},
		{"truncated", goModule(t, "probe")[:1000], []string{"does not compile"}},
		{"reactor", wasmSpec{export: "_initialize"}.bytes(), []string{"no _start export"}},
		{"preview2", wasmSpec{imports: []string{"wasi_snapshot_preview2.fd_write"}}.bytes(),
			[]string{"imports the host does not provide: wasi_snapshot_preview2.fd_write", "build for WASI preview1"}},
		{"unknown WASI function", wasmSpec{imports: []string{"wasi_snapshot_preview1.fd_teleport"}}.bytes(),
			[]string{"wasi_snapshot_preview1.fd_teleport (no such function)"}},
		{"wrong signature", wasmSpec{imports: []string{"wasmflow.log"}}.bytes(),
			[]string{"wasmflow.log (imported as () -> (), the host's is (i32, i32) -> ())"}},
		{"both", wasmSpec{export: "main", importEnv: true}.bytes(), []string{"no _start export", "env.foo"}},
	} {
		err := CheckModule(ctx, c.wasm)
		for _, w := range c.words {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want an error saying %q", c.name, err, w)
			}
		}
	}
}
