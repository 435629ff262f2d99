package scheduler_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
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
