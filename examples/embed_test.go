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
