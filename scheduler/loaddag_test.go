package scheduler_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/wasmflow/wasmflow/scheduler"
)

// loadDag runs LoadDag and returns the DAG's tasks and the files it parsed, by name.
func loadDag(t *testing.T, sy *scheduler.DagSyncer, parsed func() []string, dagID string) (tasks, files []string) {
	t.Helper()
	before := len(parsed())
	d, err := sy.LoadDag(context.Background(), dagID)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range parsed()[before:] {
		files = append(files, filepath.Base(p))
	}
	slices.Sort(files)
	if d == nil {
		return nil, files
	}
	for _, task := range d.Tasks {
		tasks = append(tasks, task.TaskID)
	}
	return tasks, files
}

// A one-DAG run (`dags test`) parses only its DAG's file while the metastore has that file
// unchanged, and every file as a sync does when it has not (new DAG, edited, gone, broken).
func TestLoadDagParsesOnlyItsFileWhileUnchanged(t *testing.T) {
	dir, store := folder(t), openStore(t)
	writeDag(t, dir, "a.yaml", "a", "t1")
	writeDag(t, dir, "nested/b.yml", "b", "t1")
	write(t, filepath.Join(dir, "bad.yaml"), "dag_id: [\n")
	syncOnce(t, &scheduler.DagSyncer{Store: store, Folders: []string{dir}})
	errsBefore := importErrors(t, store)

	parsed := scheduler.CountParses(t)
	sy := &scheduler.DagSyncer{Store: store, Folders: []string{dir}} // a new process
	tasks, files := loadDag(t, sy, parsed, "a")
	if !slices.Equal(tasks, []string{"t1"}) || !slices.Equal(files, []string{"a.yaml"}) {
		t.Errorf("unchanged DAG a: tasks %v, parsed %v; want [t1] from a.yaml alone", tasks, files)
	}
	if sy.Dag("b") != nil {
		t.Error("DAG b is loaded although only a was asked for")
	}
	if errs := importErrors(t, store); !maps.Equal(errs, errsBefore) {
		t.Errorf("import errors changed from %v to %v: the fast way must leave them as recorded", errsBefore, errs)
	}

	// Edited: its file is parsed, found changed, and then a sync parses every file and
	// records the new version.
	writeDag(t, dir, "a.yaml", "a", "t1", "t2")
	tasks, files = loadDag(t, sy, parsed, "a")
	if !slices.Equal(tasks, []string{"t1", "t2"}) || !slices.Equal(files, []string{"a.yaml", "a.yaml", "b.yml", "bad.yaml"}) {
		t.Errorf("edited DAG a: tasks %v, parsed %v; want [t1 t2] from a full sync", tasks, files)
	}
	if got := dagRow(t, store, "a").SourceHash; got != sy.Dag("a").SourceHash {
		t.Error("the edited DAG's new version was not recorded")
	}
	if _, files = loadDag(t, sy, parsed, "a"); !slices.Equal(files, []string{"a.yaml"}) {
		t.Errorf("once recorded, the edited DAG parses alone; parsed %v", files)
	}

	// Not recorded yet: found by a full sync.
	writeDag(t, dir, "c.yaml", "c", "t1")
	if tasks, files = loadDag(t, sy, parsed, "c"); !slices.Equal(tasks, []string{"t1"}) || len(files) != 4 {
		t.Errorf("new DAG c: tasks %v, parsed %v; want [t1] from a full sync", tasks, files)
	}

	// Broken now: the sync records the import error (the DAG keeps its last good version).
	write(t, filepath.Join(dir, "c.yaml"), "dag_id: c\ntasks: [\n")
	sy = &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	if _, files = loadDag(t, sy, parsed, "c"); len(files) != 5 {
		t.Errorf("broken DAG c: parsed %v, want its file, then a full sync", files)
	}
	if _, ok := importErrors(t, store)["c.yaml"]; !ok {
		t.Error("the broken file got no import error")
	}

	// Gone: the sync deactivates it and there is no DAG.
	if err := os.Remove(filepath.Join(dir, "a.yaml")); err != nil {
		t.Fatal(err)
	}
	if tasks, files = loadDag(t, sy, parsed, "a"); tasks != nil || len(files) != 4 {
		t.Errorf("removed DAG a: tasks %v, parsed %v; want none after a try of its file and a full sync", tasks, files)
	}
	if dagRow(t, store, "a").IsActive {
		t.Error("the removed DAG is still active")
	}

	// A folder no longer scanned (load_examples turned off): its DAGs are not loaded alone.
	other := folder(t)
	writeDag(t, other, "o.yaml", "o", "t1")
	syncOnce(t, &scheduler.DagSyncer{Store: store, Folders: []string{dir, other}})
	sy = &scheduler.DagSyncer{Store: store, Folders: []string{dir}}
	if tasks, _ = loadDag(t, sy, parsed, "o"); tasks != nil {
		t.Errorf("DAG o of a folder not scanned any more loaded with tasks %v", tasks)
	}
}
