package scheduler_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler"
)

// TestFileExistsThroughLinks: file_exists answers through a mount as the module would see it,
// so a link the host put in the mounted folder that leads out of it (absolute, relative, to a
// folder) answers false even though its target exists; a relative link inside answers true.
func TestFileExistsThroughLinks(t *testing.T) {
	outside := filepath.Join(t.TempDir(), "secret")
	write(t, outside, "host secret\n")
	rg := newRig(t, map[string]string{"links": `dag_id: links
tasks:
  - {id: plain, module: modules/echo.wasm, run_if: 'file_exists("/in/real.txt")', mounts: ["in:/in:ro"]}
  - {id: inside, module: modules/echo.wasm, run_if: 'file_exists("/in/inside")', mounts: ["in:/in:ro"]}
  - {id: absolute, module: modules/echo.wasm, run_if: 'file_exists("/in/absolute")', mounts: ["in:/in:ro"]}
  - {id: relative, module: modules/echo.wasm, run_if: 'file_exists("/in/relative")', mounts: ["in:/in:ro"]}
  - {id: folder, module: modules/echo.wasm, run_if: 'file_exists("/in/folder/secret")', mounts: ["in:/in:ro"]}
  - {id: parent, module: modules/echo.wasm, run_if: 'file_exists("/in/parent/links.yaml")', mounts: ["in:/in:ro"]}
`})
	in := filepath.Join(rg.dir, "in")
	if err := os.Mkdir(in, 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(in, "real.txt"), "real\n")
	write(t, filepath.Join(rg.dir, "beside"), "outside the mount, inside the DAG folder\n")
	for link, target := range map[string]string{
		"inside":   "real.txt",
		"absolute": outside,
		"relative": "../beside",
		"folder":   filepath.Dir(outside),
		"parent":   "..",
	} {
		if err := os.Symlink(target, filepath.Join(in, link)); err != nil {
			t.Fatal(err)
		}
	}
	_, tis := rg.trigger("links", nil)
	want := map[string]string{"plain": "success", "inside": "success",
		"absolute": "skipped", "relative": "skipped", "folder": "skipped", "parent": "skipped"}
	if got := stateMap(tis); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("states =\n%v\nwant\n%v", got, want)
	}
}

// TestMountFolderMadeWithin: the folders a mount lacks are made through the allowed folder it
// was checked against, so a folder on the way that became a link out after the check (a
// swap between the check and the making) fails the making instead of creating outside.
func TestMountFolderMadeWithin(t *testing.T) {
	within, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(within, "swapped")); err != nil {
		t.Fatal(err)
	}
	if err := scheduler.MkdirWithin(within, filepath.Join(within, "swapped", "made")); err == nil {
		t.Error("a folder was made through a link out")
	}
	if entries, _ := os.ReadDir(outside); len(entries) != 0 {
		t.Errorf("made outside: %v", entries)
	}
	if err := scheduler.MkdirWithin(within, filepath.Join(within, "a", "b")); err != nil {
		t.Errorf("a folder inside: %v", err)
	} else if fi, err := os.Stat(filepath.Join(within, "a", "b")); err != nil || !fi.IsDir() {
		t.Errorf("a/b: %v, %v", fi, err)
	}
}
