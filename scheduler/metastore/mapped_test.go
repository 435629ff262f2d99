package metastore

import (
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// A mapped task's instances share its task id and differ by map_index: the first becomes
// map_index 0, the others are inserted (Changes.Expanded), and each has its own XComs and tries.
func TestMappedTaskInstances(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	seedRun(t, s, "etl", "r1", 1)
	tis, err := s.ListTaskInstances(ctx, "etl", "r1")
	if err != nil || len(tis) != 1 || tis[0].MapIndex != -1 {
		t.Fatalf("new run's task instances = %+v, %v; want one at map_index -1", tis, err)
	}
	first := tis[0]
	first.MapIndex, first.State = 0, tasks.StateScheduled
	now := time.Now().UTC()
	var expanded []scheduler.TaskInstance
	for i := 1; i < 3; i++ {
		expanded = append(expanded, scheduler.TaskInstance{DagID: "etl", RunID: "r1", TaskID: "t0", MapIndex: i,
			State: tasks.StateNone, MaxTries: 1, Pool: scheduler.DefaultPool, PoolSlots: 1, Queue: "default"})
	}
	err = s.Save(ctx, scheduler.Changes{TaskInstances: []scheduler.TaskInstance{first}, Expanded: expanded})
	if err != nil {
		t.Fatal(err)
	}
	// An expanded instance the scheduler holds has no ID: it is updated by its key.
	second := expanded[1]
	second.State = tasks.StateSuccess
	err = s.Save(ctx, scheduler.Changes{TaskInstances: []scheduler.TaskInstance{second},
		XComs: []scheduler.XCom{
			{DagID: "etl", RunID: "r1", TaskID: "t0", MapIndex: 0, Key: "return_value", Value: []byte("a"), Timestamp: now},
			{DagID: "etl", RunID: "r1", TaskID: "t0", MapIndex: 2, Key: "return_value", Value: []byte("c"), Timestamp: now}},
		Tries: []scheduler.TaskTry{{DagID: "etl", RunID: "r1", TaskID: "t0", MapIndex: 2, TryNumber: 1, State: tasks.StateSuccess}}})
	if err != nil {
		t.Fatal(err)
	}
	tis, _ = s.ListTaskInstances(ctx, "etl", "r1")
	got := map[int]tasks.TaskInstanceState{}
	for _, ti := range tis {
		got[ti.MapIndex] = ti.State
	}
	want := map[int]tasks.TaskInstanceState{0: tasks.StateScheduled, 1: tasks.StateNone, 2: tasks.StateSuccess}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Errorf("mapped task instances by map_index = %v, want %v", got, want)
	}
	xs, err := s.ListXComs(ctx, "etl", "r1", "t0")
	if err != nil || len(xs) != 2 || xs[0].MapIndex != 0 || string(xs[1].Value) != "c" || xs[1].MapIndex != 2 {
		t.Errorf("XComs = %+v, %v; want map_index 0 then 2", xs, err)
	}
	// Clearing one instance's XComs leaves the others'.
	if err := s.Save(ctx, scheduler.Changes{ClearXComs: []scheduler.TIKey{{DagID: "etl", RunID: "r1", TaskID: "t0", MapIndex: 0}}}); err != nil {
		t.Fatal(err)
	}
	if xs, _ := s.ListXComs(ctx, "etl", "r1", "t0"); len(xs) != 1 || xs[0].MapIndex != 2 {
		t.Errorf("after clearing map_index 0: XComs = %+v, want only map_index 2's", xs)
	}
	// Two instances with one map_index cannot exist.
	dup := []scheduler.TaskInstance{{DagID: "etl", RunID: "r1", TaskID: "t0", MapIndex: 1, State: tasks.StateNone, MaxTries: 1}}
	if err := s.Save(ctx, scheduler.Changes{Expanded: dup}); err == nil {
		t.Errorf("a second task instance at map_index 1 was inserted; want the key to refuse it")
	}
}
