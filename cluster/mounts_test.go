package cluster

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestMountsCheckedWhereTheyAreOpened: a try's mounts are checked when it is rendered, and
// again on the node that runs it, whose folder at the same path may be a link out (a worker's
// disk, or a link swapped in after rendering). Nothing is created outside.
func TestMountsCheckedWhereTheyAreOpened(t *testing.T) {
	dags, outside := t.TempDir(), t.TempDir()
	file := filepath.Join(dags, "m.yaml")
	src := "dag_id: m\ntasks:\n  - {id: a, module: mod.wasm, mounts: [\"data/in:/in\"]}\n"
	if err := os.WriteFile(filepath.Join(dags, "mod.wasm"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := tasks.ParseWith(file, []byte(src), tasks.ParseOptions{MountRoots: tasks.MountRoots{Allowed: []string{dags}}})
	if err != nil {
		t.Fatal(err)
	}
	ld := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	w, err := scheduler.RenderWorkload(d, d.Task("a"), scheduler.TryContext{RunID: "r", TryNumber: 1, LogicalDate: ld})
	if err != nil {
		t.Fatal(err)
	}
	if len(w.MountRoots.Allowed) != 1 || w.MountRoots.Allowed[0] != dags {
		t.Fatalf("the workload carries the roots its mounts were checked against: %q", w.MountRoots)
	}
	// Where the try runs, data is a link out.
	if err := os.RemoveAll(filepath.Join(dags, "data")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dags, "data")); err != nil {
		t.Fatal(err)
	}
	_, err = RunWorkload(context.Background(), nil, w, io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "through a symbolic link) is outside the folders mounts may use") {
		t.Errorf("RunWorkload with a mount leading out: %v", err)
	}
	if _, err := os.Lstat(filepath.Join(outside, "in")); !os.IsNotExist(err) {
		t.Errorf("the mount's folder was made outside: %v", err)
	}
	// A workload without roots (sent by an older server) mounts nothing.
	w.MountRoots = tasks.MountRoots{}
	w.Mounts[0].Host = filepath.Join(dags, "elsewhere")
	if _, err := RunWorkload(context.Background(), nil, w, io.Discard, nil); err == nil || !strings.Contains(err.Error(), "no folder is allowed for mounts") {
		t.Errorf("RunWorkload without roots: %v", err)
	}
}

// TestWorkerChecksMounts: a worker checks a try's mounts against the roots the server sent,
// on its own disk: at the same path it may have a link out, and then the try fails, saying so
// in its record and its log, with nothing created there.
func TestWorkerChecksMounts(t *testing.T) {
	logs := t.TempDir()
	s := startServer(t, serverOpts{logs: logs})
	startWorker(t, "w1", s.Node().Address(), workerOpts{})
	waitWorkers(t, s, 1)
	dags, outside := t.TempDir(), t.TempDir()
	if err := os.Symlink(outside, filepath.Join(dags, "link")); err != nil {
		t.Fatal(err)
	}
	out := workload("m", "r", "out", 1, noopWasm)
	out.Mounts, out.MountRoots = []scheduler.Mount{{Host: filepath.Join(dags, "link", "sub"), Guest: "/d"}}, tasks.MountRoots{Allowed: []string{dags}}
	in := workload("m", "r", "in", 1, noopWasm)
	in.Mounts, in.MountRoots = []scheduler.Mount{{Host: filepath.Join(dags, "data"), Guest: "/d"}}, tasks.MountRoots{Allowed: []string{dags}}
	s.Submit(out, nil)
	s.Submit(in, nil)
	eventually(t, 10*time.Second, func() bool { return s.res.count() == 2 }, "no results")
	if r := s.res.of(keyOf(out)); len(r) != 1 || r[0].State != tasks.StateFailed ||
		!strings.Contains(r[0].Reason, "on worker w1: mount "+filepath.Join(dags, "link", "sub")+":/d") || !strings.Contains(r[0].Reason, "through a symbolic link) is outside") {
		t.Errorf("a mount through a link out: %+v", r)
	}
	if _, err := os.Lstat(filepath.Join(outside, "sub")); !os.IsNotExist(err) {
		t.Errorf("the worker made the folder outside: %v", err)
	}
	eventually(t, 10*time.Second, func() bool {
		b, _ := os.ReadFile(LogPath(logs, keyOf(out), 1))
		return strings.Contains(string(b), "through a symbolic link) is outside")
	}, "the try's log does not say why it failed")
	if r := s.res.of(keyOf(in)); len(r) != 1 || r[0].State != tasks.StateSuccess {
		t.Errorf("a mount inside: %+v", r)
	}
	if st, err := os.Stat(filepath.Join(dags, "data")); err != nil || !st.IsDir() {
		t.Errorf("the worker did not make the folder inside: %v", err)
	}
}
