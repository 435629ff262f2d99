package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
)

// folder is a DAGs folder with one module every DAG can use.
func folder(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "noop.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func writeDag(t *testing.T, dir, file, dagID string, tasks ...string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "dag_id: %s\ntasks:\n", dagID)
	for _, id := range tasks {
		fmt.Fprintf(&b, "  - id: %s\n    module: noop.wasm\n", id)
	}
	path := filepath.Join(dir, file)
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(filepath.Join(filepath.Dir(path), "noop.wasm"), []byte("\x00asm\x01\x00\x00\x00"), 0o644)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

func openStore(t *testing.T) *metastore.Store {
	s, err := metastore.Open(context.Background(), filepath.Join(t.TempDir(), "wasmflow.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func active(t *testing.T, s *metastore.Store) []string {
	dags, err := s.ListDags(context.Background(), scheduler.DagFilter{OnlyActive: true})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, d := range dags {
		ids = append(ids, d.DagID)
	}
	return ids
}

func TestSyncLifecycle(t *testing.T) {
	ctx := context.Background()
	dir, store := folder(t), openStore(t)
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}

	writeDag(t, dir, "a.yaml", "a", "t1")
	writeDag(t, dir, "nested/b.yml", "b", "t1")
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not a DAG"), 0o644)
	os.MkdirAll(filepath.Join(dir, ".hidden"), 0o755)
	writeDag(t, dir, ".hidden/c.yaml", "c", "t1")
	rep, err := sy.SyncOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := active(t, store); fmt.Sprint(got) != "[a b]" || len(rep.Updated) != 2 || rep.Files != 2 {
		t.Fatalf("after first sync: active %v, report %+v", got, rep)
	}

	// Unchanged files are not written again.
	if rep, _ := sy.SyncOnce(ctx); len(rep.Updated) != 0 {
		t.Errorf("unchanged folder rewrote %v", rep.Updated)
	}

	// A change is picked up; pausing survives it.
	if err := store.SetPaused(ctx, "a", true); err != nil {
		t.Fatal(err)
	}
	writeDag(t, dir, "a.yaml", "a", "t1", "t2")
	if rep, _ := sy.SyncOnce(ctx); fmt.Sprint(rep.Updated) != "[a]" {
		t.Errorf("changed file: updated %v", rep.Updated)
	}
	if d, _ := store.GetDag(ctx, "a"); !d.IsPaused {
		t.Error("a change to the file unpaused the DAG")
	}
	if len(sy.Dag("a").Tasks) != 2 {
		t.Error("the in-memory DAG was not refreshed")
	}

	// A broken file becomes an import error, the DAG stays recorded, and a fix clears it.
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("dag_id: a\ntasks:\n  - id: t1\n    module: missing.wasm\n"), 0o644)
	sy.SyncOnce(ctx)
	errs, _ := store.ListImportErrors(ctx)
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "a.yaml:4:13: task \"t1\": module \"missing.wasm\" does not exist") {
		t.Fatalf("import errors = %+v", errs)
	}
	writeDag(t, dir, "a.yaml", "a", "t1")
	sy.SyncOnce(ctx)
	if errs, _ := store.ListImportErrors(ctx); len(errs) != 0 {
		t.Errorf("import error not cleared after the fix: %+v", errs)
	}

	// A deleted file deactivates its DAG; the record stays, and comes back with the file.
	os.Remove(filepath.Join(dir, "nested", "b.yml"))
	if rep, _ := sy.SyncOnce(ctx); fmt.Sprint(rep.Deactivated) != "[b]" {
		t.Errorf("deactivated %v, want [b]", rep.Deactivated)
	}
	if d, err := store.GetDag(ctx, "b"); err != nil || d.IsActive {
		t.Errorf("deleted DAG b: %+v, %v; want kept and inactive", d, err)
	}
	writeDag(t, dir, "nested/b.yml", "b", "t1")
	sy.SyncOnce(ctx)
	if got := active(t, store); fmt.Sprint(got) != "[a b]" {
		t.Errorf("restored file: active %v", got)
	}

	// An import error of a deleted file is cleared too.
	os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte("dag_id: [\n"), 0o644)
	sy.SyncOnce(ctx)
	os.Remove(filepath.Join(dir, "bad.yaml"))
	sy.SyncOnce(ctx)
	if errs, _ := store.ListImportErrors(ctx); len(errs) != 0 {
		t.Errorf("import error of a deleted file kept: %+v", errs)
	}
}

func TestSyncDuplicateDagID(t *testing.T) {
	dir, store := folder(t), openStore(t)
	writeDag(t, dir, "1.yaml", "same", "t1")
	writeDag(t, dir, "2.yaml", "same", "t1")
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	if _, err := sy.SyncOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	errs, _ := store.ListImportErrors(context.Background())
	if len(errs) != 1 || !strings.HasSuffix(errs[0].Filename, "2.yaml") || !strings.Contains(errs[0].Message, `dag_id "same" is already defined in`) {
		t.Fatalf("import errors = %+v", errs)
	}
}

func TestSyncRestartClearsStaleErrors(t *testing.T) {
	// An import error written by an earlier process is cleared by a new one once fixed.
	ctx := context.Background()
	dir, store := folder(t), openStore(t)
	os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("dag_id: a\n"), 0o644)
	(&scheduler.DagSyncer{Store: store, Folders: []string{dir}}).SyncOnce(ctx)
	writeDag(t, dir, "a.yaml", "a", "t1")
	(&scheduler.DagSyncer{Store: store, Folders: []string{dir}}).SyncOnce(ctx)
	if errs, _ := store.ListImportErrors(ctx); len(errs) != 0 {
		t.Errorf("stale import error after restart: %+v", errs)
	}
}

func TestRunWatchesFolder(t *testing.T) {
	dir, store := folder(t), openStore(t)
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	synced := make(chan scheduler.SyncReport, 16)
	done := make(chan error)
	// The rescan interval is an hour: only file watching can pick the new file up in time.
	go func() { done <- sy.Run(ctx, time.Hour, func(r scheduler.SyncReport) { synced <- r }) }()
	<-synced // the initial sync
	writeDag(t, dir, "new.yaml", "fresh", "t1")
	deadline := time.After(5 * time.Second)
	for {
		select {
		case r := <-synced:
			if fmt.Sprint(r.Updated) == "[fresh]" {
				cancel()
				if err := <-done; err != nil {
					t.Fatal(err)
				}
				return
			}
		case <-deadline:
			t.Fatal("a new DAG file was not picked up by file watching within 5s")
		}
	}
}

func openMetastore(path string) (*metastore.Store, error) {
	return metastore.Open(context.Background(), path)
}
