package metastore

import (
	"context"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// A callback request is written with the Save that raises it, once per event (the same event
// saved again is one row), pending until FinishCallback, and goes with its run.
func TestCallbackRequests(t *testing.T) {
	s := newStore(t)
	ctx := context.Background()
	run := seedRun(t, s, "cb", "r1", 1)
	req := scheduler.CallbackRequest{DagID: run.DagID, RunID: run.RunID, TaskID: "t0", MapIndex: -1, Event: tasks.OnFailureCallback,
		TryNumber: 1, State: "failed", Reason: "exit_code 1", CreatedAt: time.Now()}
	for range 2 {
		if err := s.Save(ctx, scheduler.Changes{Callbacks: []scheduler.CallbackRequest{req}}); err != nil {
			t.Fatal(err)
		}
	}
	retry := req
	retry.Event, retry.State = tasks.OnRetryCallback, "up_for_retry"
	if err := s.Save(ctx, scheduler.Changes{Callbacks: []scheduler.CallbackRequest{retry}}); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingCallbacks(ctx)
	if err != nil || len(pending) != 2 || pending[0].Event != tasks.OnFailureCallback || pending[0].Reason != "exit_code 1" || pending[0].DoneAt != nil {
		t.Fatalf("pending = %+v, %v; want the failure (once) then the retry", pending, err)
	}
	if err := s.FinishCallback(ctx, pending[0].ID, time.Now(), "host-1", ""); err != nil {
		t.Fatal(err)
	}
	if again, _ := s.PendingCallbacks(ctx); len(again) != 1 || again[0].Event != tasks.OnRetryCallback {
		t.Errorf("pending after one is done = %+v", again)
	}
	all, _ := s.ListCallbacks(ctx, run.DagID, run.RunID)
	if len(all) != 2 || all[0].DoneAt == nil || all[0].Hostname != "host-1" {
		t.Errorf("callbacks = %+v", all)
	}
	if _, err := s.DeleteDagRuns(ctx, run.DagID); err != nil {
		t.Fatal(err)
	}
	if left, _ := s.ListCallbacks(ctx, run.DagID, ""); len(left) != 0 {
		t.Errorf("callbacks of deleted runs remain: %+v", left)
	}
}
