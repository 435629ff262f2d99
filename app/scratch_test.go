package app

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The tries' scratch space (/xcom) is under the home's cache, owner-only, and the folder a
// process that died left there is swept when the next one starts its runtime (which also
// shows that the runtime uses that folder).
func TestScratchUnderTheHome(t *testing.T) {
	a := newAuthoringApp(t, nil)
	scratch := filepath.Join(a.Config.CacheFolder(), "tmp")
	left := filepath.Join(scratch, "wasmflow-runner-dead")
	if err := os.MkdirAll(filepath.Join(left, "xcom-1"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Runner(context.Background()); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(scratch); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("scratch folder %s: %v, %v; want it made 0700", scratch, fi, err)
	}
	if _, err := os.Stat(left); !os.IsNotExist(err) {
		t.Errorf("the folder a dead process left (%s) is still there: %v", left, err)
	}
}
