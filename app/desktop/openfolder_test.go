package desktop

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Open DAGs Folder says when no file manager can open the folder, and where it is; an opener
// that works (exits 0, or keeps running with the folder open) is no error.
func TestOpenFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "dags")
	defer func(f func(string) *exec.Cmd) { fileManager = f }(fileManager)
	for _, c := range []struct {
		name string
		cmd  func(string) *exec.Cmd
		want string // in the error; "" for none
	}{
		{"no handler", func(string) *exec.Cmd {
			return exec.Command("sh", "-c", "echo 'no method available for opening' >&2; exit 3")
		}, "no method available for opening"},
		{"no opener at all", func(string) *exec.Cmd { return exec.Command(filepath.Join(dir, "no-such-opener")) }, "no-such-opener"},
		{"opened", func(string) *exec.Cmd { return exec.Command("true") }, ""},
		{"still showing it", func(string) *exec.Cmd { return exec.Command("sleep", "5") }, ""},
	} {
		fileManager = c.cmd
		err := openFolder(dir, 200*time.Millisecond)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), dir) ||
			!strings.Contains(err.Error(), "No file manager could open it")):
			t.Errorf("%s: %v, want it to say no file manager could, why (%q) and where the folder is", c.name, err, c.want)
		}
	}
}
