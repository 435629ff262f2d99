package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
)

// sync runs one sync and fails the test on an error.
func syncOnce(t *testing.T, sy *scheduler.DagSyncer) scheduler.SyncReport {
	t.Helper()
	rep, err := sy.SyncOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func importErrors(t *testing.T, s *metastore.Store) map[string]string {
	t.Helper()
	list, err := s.ListImportErrors(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, ie := range list {
		out[filepath.Base(ie.Filename)] = ie.Message
	}
	return out
}

func dagRow(t *testing.T, s *metastore.Store, id string) scheduler.Dag {
	t.Helper()
	d, err := s.GetDag(context.Background(), id)
	if err != nil {
		t.Fatalf("DAG %s: %v", id, err)
	}
	return d
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestSyncLifecycle(t *testing.T) {
	ctx := context.Background()
	dir, store := folder(t), openStore(t)
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}

	writeDag(t, dir, "a.yaml", "a", "t1")
	writeDag(t, dir, "nested/b.yml", "b", "t1")
	write(t, filepath.Join(dir, "notes.txt"), "not a DAG")
	writeDag(t, dir, ".hidden/c.yaml", "c", "t1")
	rep := syncOnce(t, sy)
	if got := active(t, store); fmt.Sprint(got) != "[a b]" || fmt.Sprint(rep.Updated) != "[a b]" || rep.Files != 2 {
		t.Fatalf("after first sync: active %v, report %+v", got, rep)
	}
	if rep := syncOnce(t, sy); len(rep.Updated) != 0 {
		t.Errorf("an unchanged folder rewrote %v", rep.Updated)
	}

	// A change is picked up; pausing survives it.
	if err := store.SetPaused(ctx, "a", true); err != nil {
		t.Fatal(err)
	}
	writeDag(t, dir, "a.yaml", "a", "t1", "t2")
	if rep := syncOnce(t, sy); fmt.Sprint(rep.Updated) != "[a]" {
		t.Errorf("changed file: updated %v", rep.Updated)
	}
	if !dagRow(t, store, "a").IsPaused {
		t.Error("a change to the file unpaused the DAG")
	}
	if len(sy.Dag("a").Tasks) != 2 {
		t.Error("the in-memory DAG was not refreshed")
	}

	// A broken edit is an import error; the DAG stays active on its last good version.
	write(t, filepath.Join(dir, "a.yaml"), "dag_id: a\ntasks:\n  - id: t1\n    module: missing.wasm\n")
	syncOnce(t, sy)
	if msg := importErrors(t, store)["a.yaml"]; !strings.Contains(msg, "a.yaml:4:13: task \"t1\": module \"missing.wasm\" does not exist") {
		t.Fatalf("import error = %q", msg)
	}
	if !dagRow(t, store, "a").IsActive || sy.Dag("a") == nil || len(sy.Dag("a").Tasks) != 2 {
		t.Fatal("a broken edit must keep the DAG active with its last good version")
	}
	// ... also for a new process, which finds the last good version in the metastore.
	fresh := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	syncOnce(t, fresh)
	if d := fresh.Dag("a"); d == nil || len(d.Tasks) != 2 {
		t.Fatalf("after a restart, the broken DAG's last good version = %v", d)
	}
	writeDag(t, dir, "a.yaml", "a", "t1")
	syncOnce(t, sy)
	if errs := importErrors(t, store); len(errs) != 0 {
		t.Errorf("import error not cleared after the fix: %v", errs)
	}

	// A deleted file deactivates its DAG; the record stays, and comes back with the file.
	os.Remove(filepath.Join(dir, "nested", "b.yml"))
	if rep := syncOnce(t, sy); fmt.Sprint(rep.Deactivated) != "[b]" {
		t.Errorf("deactivated %v, want [b]", rep.Deactivated)
	}
	if d := dagRow(t, store, "b"); d.IsActive {
		t.Errorf("deleted DAG b: %+v; want kept and inactive", d)
	}
	writeDag(t, dir, "nested/b.yml", "b", "t1")
	syncOnce(t, sy)
	if got := active(t, store); fmt.Sprint(got) != "[a b]" {
		t.Errorf("restored file: active %v", got)
	}

	// The import error of a file that is then deleted goes with it.
	write(t, filepath.Join(dir, "bad.yaml"), "dag_id: [\n")
	syncOnce(t, sy)
	if _, ok := importErrors(t, store)["bad.yaml"]; !ok {
		t.Fatal("bad.yaml: no import error recorded")
	}
	os.Remove(filepath.Join(dir, "bad.yaml"))
	syncOnce(t, sy)
	if errs := importErrors(t, store); len(errs) != 0 {
		t.Errorf("import error of a deleted file kept: %v", errs)
	}
}

func TestSyncDagMovesBetweenFiles(t *testing.T) {
	dir, store := folder(t), openStore(t)
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	writeDag(t, dir, "old.yaml", "moving", "t1")
	syncOnce(t, sy)
	os.Remove(filepath.Join(dir, "old.yaml"))
	writeDag(t, dir, "new.yaml", "moving", "t1")
	syncOnce(t, sy)
	if d := dagRow(t, store, "moving"); !d.IsActive || filepath.Base(d.Fileloc) != "new.yaml" {
		t.Errorf("moved DAG = %+v, want active at new.yaml", d)
	}
}

func TestSyncDuplicateDagID(t *testing.T) {
	dir, store := folder(t), openStore(t)
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	writeDag(t, dir, "2_original.yaml", "same", "t1")
	syncOnce(t, sy)
	// A copy that sorts first does not take the DAG from the file that had it.
	writeDag(t, dir, "1_copy.yaml", "same", "t1")
	syncOnce(t, sy)
	errs := importErrors(t, store)
	if msg := errs["1_copy.yaml"]; len(errs) != 1 || !strings.Contains(msg, "1_copy.yaml:1:9: dag_id \"same\" is already defined in") || !strings.Contains(msg, "2_original.yaml") {
		t.Fatalf("import errors = %v", errs)
	}
	if filepath.Base(dagRow(t, store, "same").Fileloc) != "2_original.yaml" {
		t.Error("the copy took the dag_id over")
	}
}

func TestSyncAcrossProcessesAndFolders(t *testing.T) {
	dir, other, store := folder(t), folder(t), openStore(t)
	writeDag(t, dir, "a.yaml", "a", "t1")
	writeDag(t, other, "o.yaml", "o", "t1")
	both := &scheduler.DagSyncer{Store: store, Folders: []string{dir, other}}
	syncOnce(t, both)
	// The configured folders change (dags_folder edited, load_examples turned off): DAGs of a
	// folder no longer scanned are deactivated, and its import errors cleared.
	write(t, filepath.Join(other, "bad.yaml"), "dag_id: [\n")
	syncOnce(t, both)
	one := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	syncOnce(t, one)
	if got := active(t, store); fmt.Sprint(got) != "[a]" {
		t.Errorf("active %v, want [a]", got)
	}
	if errs := importErrors(t, store); len(errs) != 0 {
		t.Errorf("import errors of a folder no longer scanned: %v", errs)
	}
	// Another process deactivated everything; this one repairs it although no file changed.
	syncOnce(t, both)
	if _, err := store.DeactivateDags(context.Background(), "", nil); err != nil {
		t.Fatal(err)
	}
	syncOnce(t, both)
	if got := active(t, store); fmt.Sprint(got) != "[a o]" {
		t.Errorf("after another process deactivated everything: active %v, want [a o]", got)
	}
}

func TestSyncPausedAtCreation(t *testing.T) {
	dir, store := folder(t), openStore(t)
	writeDag(t, dir, "a.yaml", "a", "t1")
	write(t, filepath.Join(dir, "b.yaml"), "dag_id: b\nis_paused_upon_creation: false\ntasks:\n  - id: t\n    module: noop.wasm\n")
	syncOnce(t, &scheduler.DagSyncer{Store: store, Folders: []string{dir}, PausedAtCreation: true})
	if !dagRow(t, store, "a").IsPaused || dagRow(t, store, "b").IsPaused {
		t.Error("new DAGs start paused unless the file says is_paused_upon_creation: false")
	}
}
