package scheduler_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/internal/dbtest"
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

// openStore opens a metastore on a fresh database: SQLite, or PostgreSQL with
// WASMFLOW_TEST_PG=1 (internal/dbtest), so every scheduler test that uses it runs on both.
func openStore(t *testing.T) *metastore.Store {
	t.Helper()
	s, err := metastore.Open(context.Background(), dbtest.URL(t))
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

// TestMain stops the PostgreSQL server internal/dbtest may have started for the suite.
func TestMain(m *testing.M) {
	code := m.Run()
	dbtest.Stop()
	os.Exit(code)
}
