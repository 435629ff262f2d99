package examples_test

import (
	"path/filepath"
	"testing"

	"github.com/wasmflow/wasmflow/examples"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestExampleDagsParseAndSayWhose: every example DAG parses as shipped, and says who owns it
// and what it shows (the DAG list's Owner and description columns are what a new user reads).
func TestExampleDagsParseAndSayWhose(t *testing.T) {
	root, err := examples.Unpack(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "*.yaml"))
	if err != nil || len(files) < 5 {
		t.Fatalf("example DAGs: %v, %v", files, err)
	}
	for _, f := range files {
		d, err := tasks.ParseFile(f)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(f), err)
			continue
		}
		if d.Owner == "" || d.Owner == "airflow" {
			t.Errorf("%s: no owner (write `owner: wasmflow`)", filepath.Base(f))
		}
		if d.Description == "" {
			t.Errorf("%s: no description", filepath.Base(f))
		}
	}
}
