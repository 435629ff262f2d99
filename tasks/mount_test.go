package tasks

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestMountRoots parses a DAG file in a DAGs folder with the roots the app passes: the DAGs
// folder and a folder an Admin listed. Symbolic links are followed at parse time for static
// host folders, so a link in the DAGs folder that points out is an import error at its line.
func TestMountRoots(t *testing.T) {
	dags, listed, outside := t.TempDir(), t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dags, "out")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "gone"), filepath.Join(dags, "dangling")); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(listed, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(listed, "sub"), filepath.Join(dags, "in")); err != nil {
		t.Fatal(err)
	}
	opts := ParseOptions{MountRoots: MountRoots{Allowed: []string{dags, listed}}}
	cases := []struct{ mount, want string }{ // want "" = accepted
		{"data:/d", ""},
		{"in/later:/d", ""}, // a link to a listed folder, to a path made at run time
		{listed + ":/d:ro", ""},
		{filepath.Join(listed, "not/yet") + ":/d", ""},
		{filepath.Dir(listed) + ":/d", "is outside the folders mounts may use (" + dags + string(os.PathListSeparator) + listed + ")"},
		{"out:/d", "host folder " + filepath.Join(dags, "out") + " (it leads to " + outside + " through a symbolic link) is outside"},
		{"out/deeper/still:/d", "through a symbolic link) is outside"},
		{"dangling/x:/d", "resolve " + filepath.Join(dags, "dangling")},
	}
	for _, c := range cases {
		t.Run(c.mount, func(t *testing.T) {
			src := "dag_id: m\ntasks:\n  - id: a\n    mounts: [\"" + c.mount + "\"]\n    sensor: 'true'\n"
			d, err := ParseWith(filepath.Join(dags, "m.yaml"), []byte(src), opts)
			var ve *ValidationError
			switch {
			case c.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case c.want == "":
				if got := d.MountRoots().Allowed; len(got) != 2 || got[1] != listed {
					t.Errorf("the DAG keeps the roots it was parsed with for its tries: %q", got)
				}
			case !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Line != 4 || !strings.Contains(ve.Problems[0].Message, c.want):
				t.Errorf("got %v, want one problem at line 4 saying %q", err, c.want)
			}
		})
	}
	// Without options, the DAG file's own folder is the only root.
	if _, err := Parse(filepath.Join(dags, "m.yaml"), []byte("dag_id: m\ntasks:\n  - {id: a, sensor: 'true', mounts: [\""+listed+":/d\"]}\n")); err == nil {
		t.Error("a folder outside the file's folder was accepted without options")
	}
}
