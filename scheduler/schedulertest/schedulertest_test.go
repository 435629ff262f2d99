package schedulertest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/schedulertest"
)

// A set field answers; a nil one delegates to Base; with neither the call panics, naming the
// method (an optional interface's method too, when Base lacks that interface).
func TestStoreFieldsBaseAndPanics(t *testing.T) {
	base := &schedulertest.Store{GetDagFunc: func(_ context.Context, id string) (scheduler.Dag, error) {
		return scheduler.Dag{DagID: "base:" + id}, nil
	}}
	s := &schedulertest.Store{Base: base, ListDagsFunc: func(context.Context, scheduler.DagFilter) ([]scheduler.Dag, error) {
		return []scheduler.Dag{{DagID: "field"}}, nil
	}}
	if d, _ := s.ListDags(context.Background(), scheduler.DagFilter{}); len(d) != 1 || d[0].DagID != "field" {
		t.Errorf("ListDags = %+v, want the field's answer", d)
	}
	if d, _ := s.GetDag(context.Background(), "x"); d.DagID != "base:x" {
		t.Errorf("GetDag = %+v, want Base's answer", d)
	}
	wantPanic(t, "schedulertest.Store.Save: no SaveFunc and no Base", func() { (&schedulertest.Store{}).Save(context.Background(), scheduler.Changes{}) })
	wantPanic(t, "schedulertest.Store.GetDagRun: no GetDagRunFunc and no Base", func() { s.GetDagRun(context.Background(), "d", "r") })
	var plain struct{ scheduler.RunStore }
	plain.RunStore = base
	wantPanic(t, "schedulertest.Store.StartJob: no StartJobFunc and Base is no scheduler.JobStore", func() {
		(&schedulertest.Store{Base: plain}).StartJob(context.Background(), "h", time.Time{})
	})
}

func TestExecutorFieldsBaseAndPanics(t *testing.T) {
	var killed scheduler.TIKey
	base := &schedulertest.Executor{KillFunc: func(k scheduler.TIKey, _ int) { killed = k }}
	e := &schedulertest.Queuer{Executor: schedulertest.Executor{Base: base}}
	e.Kill(scheduler.NewTIKey("d", "r", "t"), 1)
	if killed.TaskID != "t" {
		t.Errorf("Kill did not reach Base: %+v", killed)
	}
	wantPanic(t, "schedulertest.Executor.Stop: no StopFunc and no Base", func() { (&schedulertest.Executor{}).Stop(context.Background()) })
}

func wantPanic(t *testing.T, want string, f func()) {
	t.Helper()
	defer func() {
		t.Helper()
		if r := recover(); r == nil || !strings.Contains(r.(string), want) {
			t.Errorf("panic %v, want %q", r, want)
		}
	}()
	f()
}
