package examples

import (
	"os"
	"path/filepath"
	"testing"
)

func TestUnpack(t *testing.T) {
	dir := t.TempDir()
	root, err := Unpack(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"test_pipe.yaml", "modules/echo.wasm", "modules/src/echo.c"} {
		if _, err := os.Stat(filepath.Join(root, f)); err != nil {
			t.Errorf("%s not unpacked: %v", f, err)
		}
	}
	stale := filepath.Join(root, "old_example.yaml")
	userData := filepath.Join(root, "data", "2024-01-01.csv")
	os.WriteFile(stale, []byte("dag_id: old"), 0o644)
	os.WriteFile(userData, []byte("a,b"), 0o644)
	edited := filepath.Join(root, "test_pipe.yaml")
	os.WriteFile(edited, []byte("changed"), 0o644)
	if _, err := Unpack(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a DAG no longer shipped was kept")
	}
	if _, err := os.Stat(userData); err != nil {
		t.Errorf("the user's data file was removed: %v", err)
	}
	if b, _ := os.ReadFile(edited); string(b) == "changed" {
		t.Error("a changed example was not restored")
	}
}

// countReads records the unpacked files Unpack reads back to compare, from now on.
func countReads(t *testing.T) *int {
	n := new(int)
	old := readFile
	readFile = func(name string) ([]byte, error) {
		*n++
		return old(name)
	}
	t.Cleanup(func() { readFile = old })
	return n
}

// TestUnpackCurrentReadsNothing: a home this build unpacked, unchanged, is recognised by its
// stamp without reading a file back (every command opening the home unpacks); the user's own
// file beside the examples does not change that. A file of the examples removed, a stale one
// added, or a stamp of another build makes Unpack compare again and repair.
func TestUnpackCurrentReadsNothing(t *testing.T) {
	dir := t.TempDir()
	root, err := Unpack(dir)
	if err != nil {
		t.Fatal(err)
	}
	reads := countReads(t)
	unpack := func() {
		t.Helper()
		*reads = 0
		if got, err := Unpack(dir); err != nil || got != root {
			t.Fatalf("Unpack = %q, %v; want %q", got, err, root)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "data", "2024-01-01.csv"), []byte("a,b"), 0o644); err != nil {
		t.Fatal(err)
	}
	unpack()
	if *reads != 0 {
		t.Errorf("an unpacked, unchanged home: %d files read back, want 0", *reads)
	}

	module := filepath.Join(root, "modules", "echo.wasm")
	os.Remove(module)
	unpack()
	if _, err := os.Stat(module); err != nil || *reads == 0 {
		t.Errorf("a removed example module: restored %v (err %v), after %d reads", err == nil, err, *reads)
	}
	unpack()
	if *reads != 0 {
		t.Errorf("after the repair: %d files read back, want 0", *reads)
	}

	stale := filepath.Join(root, "old_example.yaml")
	os.WriteFile(stale, []byte("dag_id: old"), 0o644)
	unpack()
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Error("a stale example added beside a current stamp was kept")
	}

	os.WriteFile(filepath.Join(dir, stampName), []byte("crc32c:00000000\n"), 0o644) // another build's
	unpack()
	if *reads == 0 {
		t.Error("the stamp of another build was trusted: nothing compared")
	}
}
