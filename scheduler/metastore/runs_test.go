package metastore

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// seedRun syncs dagID (if needed) and creates run runID with n task instances t0..t{n-1}.
func seedRun(t *testing.T, s *Store, dagID, runID string, n int) scheduler.DagRun {
	t.Helper()
	ctx := t.Context()
	if _, err := s.GetDag(ctx, dagID); errors.Is(err, scheduler.ErrNotFound) {
		if err := s.SyncDag(ctx, dag(dagID, "/dags/"+dagID+".yaml"), []byte(dagID), false); err != nil {
			t.Fatal(err)
		}
	}
	tis := make([]scheduler.TaskInstance, n)
	for i := range tis {
		tis[i] = scheduler.TaskInstance{TaskID: fmt.Sprintf("t%d", i), MaxTries: 1}
	}
	run, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: dagID, RunID: runID,
		LogicalDate: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)}, tis)
	if err != nil {
		t.Fatal(err)
	}
	return run
}

func TestCreateDagRun(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := s.SyncDag(ctx, dag("etl", "/dags/etl.yaml"), nil, false); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	queued := start.Add(25 * time.Hour)
	run := scheduler.DagRun{
		DagID: "etl", RunID: "scheduled__2024-01-01T00:00:00+00:00", RunType: "scheduled",
		LogicalDate: start, DataIntervalStart: start, DataIntervalEnd: start.Add(24 * time.Hour),
		QueuedAt: &queued, Conf: map[string]any{"limit": float64(10), "name": "x"},
	}
	exit := 3
	tis := []scheduler.TaskInstance{
		{TaskID: "extract", MaxTries: 3, PriorityWeight: 3, ModuleSHA256: "abc"},
		{TaskID: "load", State: tasks.StateScheduled, Pool: "db", PoolSlots: 2, Queue: "fast", MaxTries: 1,
			ExitCode: &exit, Hostname: "node-1", Reason: "exit_code 3", Duration: 1.5},
	}
	created, err := s.CreateDagRun(ctx, run, tis)
	if err != nil {
		t.Fatal(err)
	}
	if created.ID == 0 || created.State != tasks.RunQueued {
		t.Errorf("created = %+v, want an ID and state queued", created)
	}
	got, err := s.GetDagRun(ctx, "etl", run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	want := run
	want.ID, want.State = created.ID, tasks.RunQueued
	if !reflect.DeepEqual(got, want) {
		t.Errorf("GetDagRun =\n%+v\nwant\n%+v", got, want)
	}

	gotTIs, err := s.ListTaskInstances(ctx, "etl", run.RunID)
	if err != nil {
		t.Fatal(err)
	}
	if len(gotTIs) != 2 {
		t.Fatalf("ListTaskInstances = %d rows, want 2", len(gotTIs))
	}
	wantTIs := []scheduler.TaskInstance{
		{DagID: "etl", RunID: run.RunID, TaskID: "extract", MapIndex: -1, State: tasks.StateNone, MaxTries: 3,
			Pool: scheduler.DefaultPool, PoolSlots: 1, Queue: "default", PriorityWeight: 3, ModuleSHA256: "abc"},
		{DagID: "etl", RunID: run.RunID, TaskID: "load", MapIndex: -1, State: tasks.StateScheduled, MaxTries: 1, Pool: "db",
			PoolSlots: 2, Queue: "fast", ExitCode: &exit, Hostname: "node-1", Reason: "exit_code 3", Duration: 1.5},
	}
	for i := range gotTIs {
		if gotTIs[i].ID == 0 {
			t.Errorf("task instance %d has no ID", i)
		}
		gotTIs[i].ID = 0
	}
	if !reflect.DeepEqual(gotTIs, wantTIs) {
		t.Errorf("ListTaskInstances =\n%+v\nwant\n%+v", gotTIs, wantTIs)
	}
	if tis, err := s.ListTaskInstances(ctx, "etl", "no_such_run"); err != nil || len(tis) != 0 {
		t.Errorf("ListTaskInstances of a missing run = %v, %v; want empty", tis, err)
	}
	// A run without task instances is allowed.
	if _, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: "etl", RunID: "empty"}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestCreateDagRunErrors(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	seedRun(t, s, "etl", "r1", 1)
	tests := []struct {
		name     string
		run      scheduler.DagRun
		tis      []scheduler.TaskInstance
		wantErr  string
		notFound bool
	}{
		{name: "unknown dag", run: scheduler.DagRun{DagID: "nope", RunID: "r"}, notFound: true, wantErr: `dag "nope"`},
		{name: "duplicate run", run: scheduler.DagRun{DagID: "etl", RunID: "r1"}, wantErr: "the run already exists"},
		{name: "duplicate task", run: scheduler.DagRun{DagID: "etl", RunID: "r2"},
			tis: []scheduler.TaskInstance{{TaskID: "a"}, {TaskID: "a"}}, wantErr: "have the same task_id"},
		{name: "no run id", run: scheduler.DagRun{DagID: "etl"}, wantErr: "are required"},
		{name: "bad state", run: scheduler.DagRun{DagID: "etl", RunID: "r3", State: "done"}, wantErr: `invalid state "done"`},
		{name: "bad ti state", run: scheduler.DagRun{DagID: "etl", RunID: "r3"},
			tis: []scheduler.TaskInstance{{TaskID: "a", State: "ok"}}, wantErr: `invalid state "ok"`},
		{name: "ti of another run", run: scheduler.DagRun{DagID: "etl", RunID: "r3"},
			tis: []scheduler.TaskInstance{{TaskID: "a", RunID: "r9"}}, wantErr: "belongs to run r9"},
		{name: "ti without task id", run: scheduler.DagRun{DagID: "etl", RunID: "r3"},
			tis: []scheduler.TaskInstance{{}}, wantErr: "has no task_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.CreateDagRun(ctx, tt.run, tt.tis)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("CreateDagRun = %v, want error containing %q", err, tt.wantErr)
			}
			if errors.Is(err, scheduler.ErrNotFound) != tt.notFound {
				t.Errorf("errors.Is(%v, ErrNotFound) = %v, want %v", err, !tt.notFound, tt.notFound)
			}
		})
	}
	// Failed creations left nothing behind: the transaction rolled back.
	if _, err := s.GetDagRun(ctx, "etl", "r2"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("GetDagRun of a failed creation = %v, want ErrNotFound", err)
	}
}

func TestListDagRuns(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, id := range []string{"a", "b"} {
		if err := s.SyncDag(ctx, dag(id, "/d/"+id+".yaml"), nil, false); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	for _, r := range []scheduler.DagRun{
		{DagID: "a", RunID: "a1", LogicalDate: day(1), State: tasks.RunSuccess},
		{DagID: "a", RunID: "a3", LogicalDate: day(3), State: tasks.RunRunning},
		{DagID: "a", RunID: "a2", LogicalDate: day(2), State: tasks.RunFailed},
		{DagID: "b", RunID: "b1", LogicalDate: day(5), State: tasks.RunRunning},
	} {
		if _, err := s.CreateDagRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		dagID string
		state tasks.DagRunState
		limit int
		want  []string
	}{
		{"a", "", 0, []string{"a3", "a2", "a1"}},
		{"a", "", 2, []string{"a3", "a2"}},
		{"a", tasks.RunRunning, 0, []string{"a3"}},
		{"", tasks.RunRunning, 0, []string{"b1", "a3"}},
		{"", "", 0, []string{"b1", "a3", "a2", "a1"}},
		{"b", tasks.RunFailed, 0, nil},
		{"nope", "", 0, nil},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/%s/%d", tt.dagID, tt.state, tt.limit), func(t *testing.T) {
			runs, err := s.ListDagRuns(ctx, tt.dagID, tt.state, tt.limit)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range runs {
				ids = append(ids, r.RunID)
			}
			if !reflect.DeepEqual(ids, tt.want) {
				t.Errorf("ListDagRuns = %v, want %v", ids, tt.want)
			}
		})
	}
}

// DagRunsAfter hands each new run once to a reader that passes back the last id it got, in
// the order of creation; LastDagRunID is where such a reader starts.
func TestDagRunsAfter(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	if err := s.SyncDag(ctx, dag("a", "/d/a.yaml"), nil, false); err != nil {
		t.Fatal(err)
	}
	if last, err := s.LastDagRunID(ctx); err != nil || last != 0 {
		t.Fatalf("LastDagRunID without runs = %d, %v", last, err)
	}
	create := func(id string, d int) {
		t.Helper()
		r := scheduler.DagRun{DagID: "a", RunID: id, LogicalDate: time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC), State: tasks.RunSuccess}
		if _, err := s.CreateDagRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	create("first", 5)
	start, err := s.LastDagRunID(ctx)
	if err != nil || start == 0 {
		t.Fatalf("LastDagRunID = %d, %v", start, err)
	}
	create("late", 9)
	create("early", 1) // older logical date, created later: still after "late"
	runs, last, err := s.DagRunsAfter(ctx, start, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].RunID != "late" || runs[1].RunID != "early" || last != runs[1].ID {
		t.Fatalf("DagRunsAfter(%d) = %+v, last %d", start, runs, last)
	}
	if runs, again, err := s.DagRunsAfter(ctx, last, 0); err != nil || len(runs) != 0 || again != last {
		t.Fatalf("nothing new: %+v, %d, %v", runs, again, err)
	}
}

// PageDagRuns pages, orders, filters and counts in SQL, and reads conf only when asked;
// DagRunAt finds a run by its logical date in any time zone.
func TestPageDagRunsAndDagRunAt(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	for _, id := range []string{"a", "b"} {
		if err := s.SyncDag(ctx, dag(id, "/d/"+id+".yaml"), nil, false); err != nil {
			t.Fatal(err)
		}
	}
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	for i, st := range []tasks.DagRunState{tasks.RunSuccess, tasks.RunFailed, tasks.RunSuccess, tasks.RunRunning, tasks.RunSuccess} {
		r := scheduler.DagRun{DagID: "a", RunID: fmt.Sprintf("a%d", i+1), LogicalDate: day(i + 1), State: st, Conf: map[string]any{"i": float64(i + 1)}}
		if _, err := s.CreateDagRun(ctx, r, nil); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: "b", RunID: "b1", LogicalDate: day(3)}, nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		q     RunQuery
		want  []string
		total int
	}{
		{RunQuery{}, []string{"a5", "a4", "a3", "a2", "a1"}, 5},
		{RunQuery{Limit: 2, Offset: 1}, []string{"a4", "a3"}, 5},
		{RunQuery{Oldest: true, Limit: 2}, []string{"a1", "a2"}, 5},
		{RunQuery{States: []tasks.DagRunState{tasks.RunSuccess}, Limit: 1, Offset: 1}, []string{"a3"}, 3},
		{RunQuery{States: []tasks.DagRunState{tasks.RunFailed, tasks.RunRunning}}, []string{"a4", "a2"}, 2},
		{RunQuery{From: day(2), To: day(4)}, []string{"a4", "a3", "a2"}, 3},
		{RunQuery{From: day(4)}, []string{"a5", "a4"}, 2},
		{RunQuery{Offset: 10}, nil, 5},
	} {
		c.q.DagID = "a"
		runs, total, err := s.PageDagRuns(ctx, c.q)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range runs {
			ids = append(ids, r.RunID)
			if r.Conf != nil {
				t.Errorf("%+v: run %s has its conf, which was not asked for", c.q, r.RunID)
			}
		}
		if !reflect.DeepEqual(ids, c.want) || total != c.total {
			t.Errorf("PageDagRuns(%+v) = %v of %d, want %v of %d", c.q, ids, total, c.want, c.total)
		}
	}
	runs, _, err := s.PageDagRuns(ctx, RunQuery{DagID: "a", Limit: 1, WithConf: true})
	if err != nil || len(runs) != 1 || string(runs[0].ConfJSON) != `{"i":5}` || runs[0].Conf != nil || runs[0].LogicalDate != day(5) || runs[0].ID == 0 {
		t.Errorf("with conf: %+v, %v", runs, err)
	}

	r, err := s.DagRunAt(ctx, "a", day(3).In(time.FixedZone("CET", 3600)))
	if err != nil || r.RunID != "a3" || r.Conf["i"] != 3.0 {
		t.Errorf("DagRunAt day 3 = %+v, %v; want a3 with its conf", r, err)
	}
	// A microsecond: PostgreSQL keeps no finer time (a nanosecond later is the same instant there).
	if _, err := s.DagRunAt(ctx, "a", day(3).Add(time.Microsecond)); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("DagRunAt between runs: %v, want ErrNotFound", err)
	}
	if _, err := s.DagRunAt(ctx, "nope", day(3)); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("DagRunAt of an unknown DAG: %v, want ErrNotFound", err)
	}
	// Both go through the (dag_id, logical_date) index of migration 1, never a scan of dag_run.
	// (SQLite's plan; PostgreSQL's planner rightly scans a table of a few rows, and its schema
	// snapshot, testdata/postgres, pins the same index.)
	if s.Dialect() != SQLite {
		return
	}
	for _, q := range []string{
		"SELECT * FROM dag_run WHERE dag_id = 'a' AND logical_date = '2024-01-03 00:00:00+00:00' ORDER BY id DESC LIMIT 1",
		"SELECT " + dagRunColumnsWithoutConf + " FROM dag_run WHERE dag_id = 'a' AND state IN ('success') ORDER BY logical_date DESC, id DESC LIMIT 2 OFFSET 1",
		"SELECT count(*) FROM dag_run WHERE dag_id = 'a' AND logical_date >= '2024-01-02'",
	} {
		var plan []struct{ Detail string }
		if err := s.rdb.Raw("EXPLAIN QUERY PLAN " + q).Scan(&plan).Error; err != nil {
			t.Fatal(err)
		}
		if len(plan) == 0 || !strings.Contains(plan[0].Detail, "USING INDEX idx_dag_run_dag_id_logical_date") &&
			!strings.Contains(plan[0].Detail, "USING COVERING INDEX idx_dag_run_dag_id_logical_date") {
			t.Errorf("%s: plan %+v, want a search of idx_dag_run_dag_id_logical_date", q, plan)
		}
	}
}

func TestDeleteDagRun(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	seedRun(t, s, "etl", "r1", 3)
	seedRun(t, s, "etl", "r2", 2)
	if _, err := s.AddTaskTry(ctx, scheduler.TaskTry{MapIndex: -1, DagID: "etl", RunID: "r1", TaskID: "t0", TryNumber: 1, State: tasks.StateFailed}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteDagRun(ctx, "etl", "r1"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetDagRun(ctx, "etl", "r1"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("GetDagRun after delete = %v, want ErrNotFound", err)
	}
	if tis, _ := s.ListTaskInstances(ctx, "etl", "r1"); len(tis) != 0 {
		t.Errorf("task instances of a deleted run: %d, want 0", len(tis))
	}
	if tries, _ := s.ListTaskTries(ctx, "etl", "r1", "t0"); len(tries) != 0 {
		t.Errorf("tries of a deleted run: %d, want 0", len(tries))
	}
	if tis, _ := s.ListTaskInstances(ctx, "etl", "r2"); len(tis) != 2 {
		t.Errorf("the other run lost task instances: %d, want 2", len(tis))
	}
	if err := s.DeleteDagRun(ctx, "etl", "r1"); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("DeleteDagRun twice = %v, want ErrNotFound", err)
	}
}

func TestTaskTries(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	seedRun(t, s, "etl", "r1", 1)
	start := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
	end := start.Add(90 * time.Second)
	exit := 137
	for try := 2; try >= 1; try-- {
		in := scheduler.TaskTry{MapIndex: -1, DagID: "etl", RunID: "r1", TaskID: "t0", TryNumber: try, State: tasks.StateFailed,
			StartDate: &start, EndDate: &end, Duration: 90, Hostname: "w1", ExitCode: &exit, Reason: "oom",
			ModuleSHA256: "abc"}
		got, err := s.AddTaskTry(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID == 0 {
			t.Error("AddTaskTry returned no ID")
		}
	}
	tries, err := s.ListTaskTries(ctx, "etl", "r1", "t0")
	if err != nil || len(tries) != 2 || tries[0].TryNumber != 1 || tries[1].TryNumber != 2 {
		t.Fatalf("ListTaskTries = %+v, %v; want tries 1 and 2 in order", tries, err)
	}
	if tr := tries[0]; !tr.EndDate.Equal(end) || *tr.ExitCode != 137 || tr.Reason != "oom" || tr.State != tasks.StateFailed {
		t.Errorf("try = %+v", tr)
	}
	_, err = s.AddTaskTry(ctx, scheduler.TaskTry{MapIndex: -1, DagID: "etl", RunID: "r1", TaskID: "t0", TryNumber: 1, State: tasks.StateFailed})
	if err == nil || !strings.Contains(err.Error(), "already recorded") {
		t.Errorf("duplicate try = %v, want 'already recorded'", err)
	}
	_, err = s.AddTaskTry(ctx, scheduler.TaskTry{MapIndex: -1, DagID: "etl", RunID: "r1", TaskID: "nope", TryNumber: 1, State: tasks.StateFailed})
	if !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("try of a missing task instance = %v, want ErrNotFound", err)
	}
}

func TestModules(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	data := []byte("\x00asm\x01\x00\x00\x00")
	sha, err := s.PutModule(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(sha) != 64 {
		t.Errorf("digest %q is not hex sha256", sha)
	}
	if again, err := s.PutModule(ctx, data); err != nil || again != sha {
		t.Errorf("PutModule again = %q, %v; want %q", again, err, sha)
	}
	if got, err := s.GetModule(ctx, sha); err != nil || string(got) != string(data) {
		t.Errorf("GetModule = %q, %v", got, err)
	}
	if _, err := s.GetModule(ctx, strings.Repeat("0", 64)); !errors.Is(err, scheduler.ErrNotFound) {
		t.Errorf("GetModule of a missing digest = %v, want ErrNotFound", err)
	}
	empty, err := s.PutModule(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.GetModule(ctx, empty); err != nil || len(got) != 0 {
		t.Errorf("empty module = %q, %v", got, err)
	}
}

// TestLargeRun creates a run of 10,000 task instances: the batch insert must stay fast.
func TestLargeRun(t *testing.T) {
	const n = 10_000
	s := newStore(t)
	ctx := t.Context()
	if err := s.SyncDag(ctx, dag("big", "/dags/big.yaml"), nil, false); err != nil {
		t.Fatal(err)
	}
	tis := make([]scheduler.TaskInstance, n)
	for i := range tis {
		tis[i] = scheduler.TaskInstance{TaskID: fmt.Sprintf("task_%05d", i), MaxTries: 2, PriorityWeight: n - i}
	}
	start := time.Now()
	if _, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: "big", RunID: "manual__big"}, tis); err != nil {
		t.Fatal(err)
	}
	insert := time.Since(start)
	start = time.Now()
	got, err := s.ListTaskInstances(ctx, "big", "manual__big")
	if err != nil {
		t.Fatal(err)
	}
	list := time.Since(start)
	t.Logf("%d task instances: insert %v, list %v", n, insert, list)
	if len(got) != n {
		t.Fatalf("ListTaskInstances = %d rows, want %d", len(got), n)
	}
	for i, ti := range got {
		if ti.TaskID != tis[i].TaskID || ti.PriorityWeight != n-i {
			t.Fatalf("row %d = %+v, want task %s in creation order", i, ti, tis[i].TaskID)
		}
	}
	if insert > 3*time.Second && !raceEnabled {
		t.Errorf("inserting %d task instances took %v, want well under 3s", n, insert)
	}
}
