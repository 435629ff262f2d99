package metastore

import (
	"testing"

	"github.com/wasmflow/wasmflow/scheduler"
)

func TestDeleteDagRuns(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	seedRun(t, s, "etl", "r1", 2)
	seedRun(t, s, "etl", "r2", 2)
	seedRun(t, s, "other", "r1", 1)
	if err := s.Save(ctx, scheduler.Changes{XComs: []scheduler.XCom{{DagID: "etl", RunID: "r1", TaskID: "t0", MapIndex: -1, Key: "return_value", Value: []byte(`1`)}}}); err != nil {
		t.Fatal(err)
	}
	if xs, _ := s.ListXComs(ctx, "etl", "r1", "t0"); len(xs) != 1 {
		t.Fatalf("the XCom was not written: %d", len(xs))
	}
	n, err := s.DeleteDagRuns(ctx, "etl")
	if err != nil || n != 2 {
		t.Fatalf("DeleteDagRuns = %d, %v; want 2 runs", n, err)
	}
	for _, r := range []string{"r1", "r2"} {
		if tis, _ := s.ListTaskInstances(ctx, "etl", r); len(tis) != 0 {
			t.Errorf("task instances of deleted run %s: %d", r, len(tis))
		}
	}
	if xs, _ := s.ListXComs(ctx, "etl", "r1", "t0"); len(xs) != 0 {
		t.Errorf("XComs of a deleted run: %d", len(xs))
	}
	if tis, _ := s.ListTaskInstances(ctx, "other", "r1"); len(tis) != 1 {
		t.Errorf("another DAG's run lost its task instances: %d", len(tis))
	}
	if _, err := s.GetDag(ctx, "etl"); err != nil {
		t.Errorf("the DAG itself must stay: %v", err)
	}
}
