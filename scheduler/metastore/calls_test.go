package metastore

import (
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestTryCalls: the calls of a try are stored with it and listed with the task instance's
// tries, in order; a sensor's pokes (one try number) add theirs after the first's; deleting the
// run deletes them.
func TestTryCalls(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	seedRun(t, s, "etl", "r1", 1)
	key := scheduler.NewTIKey("etl", "r1", "t0")
	get := scheduler.Call{Kind: "http", Target: "api", Op: "GET /v1/items", Status: 200, BytesIn: 5, Duration: 1500 * time.Microsecond}
	refused := scheduler.Call{Kind: "http", Target: "example.com", Op: "GET /", Refused: true, Error: `host example.com is not granted: add "example.com:80" to allow_hosts`}
	query := scheduler.Call{Kind: "sql", Target: "wh", Op: "SELECT id FROM t", Rows: 3, Duration: time.Millisecond}
	err := s.Save(ctx, scheduler.Changes{
		Tries: []scheduler.TaskTry{{MapIndex: -1, DagID: "etl", RunID: "r1", TaskID: "t0", TryNumber: 1, State: tasks.StateFailed},
			{MapIndex: -1, DagID: "etl", RunID: "r1", TaskID: "t0", TryNumber: 2, State: tasks.StateSuccess}},
		Calls: []scheduler.TryCalls{{Key: key, TryNumber: 1, Calls: []scheduler.Call{get, refused}}, {Key: key, TryNumber: 2, Calls: []scheduler.Call{get}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Save(ctx, scheduler.Changes{Calls: []scheduler.TryCalls{{Key: key, TryNumber: 2, Calls: []scheduler.Call{query}}}}); err != nil {
		t.Fatal(err)
	}
	tries, err := s.ListTaskTries(ctx, "etl", "r1", "t0")
	if err != nil || len(tries) != 2 {
		t.Fatalf("ListTaskTries = %+v, %v", tries, err)
	}
	for i, want := range [][]scheduler.Call{{get, refused}, {get, query}} {
		got := tries[i].Calls
		if len(got) != len(want) {
			t.Fatalf("try %d calls = %+v, want %+v", i+1, got, want)
		}
		for j := range want {
			if got[j] != want[j] {
				t.Errorf("try %d call %d = %+v, want %+v", i+1, j, got[j], want[j])
			}
		}
	}
	if err := s.DeleteDagRun(ctx, "etl", "r1"); err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := s.rdb.Model(&taskCallModel{}).Count(&n).Error; err != nil || n != 0 {
		t.Errorf("%d calls left after the run was deleted (%v)", n, err)
	}
}
