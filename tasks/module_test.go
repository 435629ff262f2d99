//go:build unix

package tasks

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestModuleNotARegularFile: a module path naming a device or a FIFO is an import error at its
// line; read by the process that runs the task, /dev/zero would take all of its memory and a
// FIFO would hang it.
func TestModuleNotARegularFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo.wasm")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	for module, want := range map[string]string{
		"/dev/zero": `module "/dev/zero" is a character device, not a .wasm file: name a regular file`,
		"fifo.wasm": `module "fifo.wasm" is a named pipe (FIFO), not a .wasm file`,
	} {
		src := "dag_id: m\ntasks:\n  - id: a\n    module: " + module + "\n"
		_, err := Parse(filepath.Join(dir, "m.yaml"), []byte(src))
		var ve *ValidationError
		if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Line != 4 || !strings.Contains(ve.Problems[0].Message, want) {
			t.Errorf("module %s: got %v, want one problem at line 4 saying %q", module, err, want)
		}
	}
}
