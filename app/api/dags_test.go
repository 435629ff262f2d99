package api_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

type dagInfo struct {
	DagID            string                  `json:"dag_id"`
	Description      string                  `json:"description"`
	Fileloc          string                  `json:"fileloc"`
	IsPaused         bool                    `json:"is_paused"`
	IsActive         bool                    `json:"is_active"`
	Owners           []string                `json:"owners"`
	ScheduleInterval any                     `json:"schedule_interval"` // Airflow's object, or null
	Tags             []struct{ Name string } `json:"tags"`
	Catchup          bool                    `json:"catchup"`
	MaxActiveRuns    int                     `json:"max_active_runs"`
	Params           map[string]any          `json:"params"`
	RecentRuns       []struct {
		DagRunID    string    `json:"dag_run_id"`
		State       string    `json:"state"`
		LogicalDate time.Time `json:"logical_date"`
	} `json:"recent_runs"`
	RunCounts map[string]int `json:"run_counts"`
	LastRun   *struct {
		DagRunID    string    `json:"dag_run_id"`
		LogicalDate time.Time `json:"logical_date"`
	} `json:"last_run"`
}

type dagList struct {
	Dags         []dagInfo `json:"dags"`
	Total        int       `json:"total_entries"`
	ImportErrors *int      `json:"import_errors"`
}

func ids(dags []dagInfo) []string {
	out := []string{}
	for _, d := range dags {
		out = append(out, d.DagID)
	}
	return out
}

// The list checks every list endpoint shares: limit and offset slice, total_entries counts
// all, and bad values are 400s that say what is wrong.
func checkPagination(t *testing.T, e *env, path string, count func(resp) (n, total int)) {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	_, total := count(e.want(http.StatusOK, "GET", path, "", e.as("admin")))
	if total < 3 {
		t.Fatalf("%s: %d entries, too few to check pagination", path, total)
	}
	for _, c := range []struct {
		q    string
		want int
	}{{"limit=2", 2}, {"limit=2&offset=1", 2}, {"offset=1", total - 1}, {"offset=" + "100000", 0}, {"limit=1000", total}, {"limit=1&offset=" + itoa(total-1), 1}} {
		n, tot := count(e.want(http.StatusOK, "GET", path+sep+c.q, "", e.as("admin")))
		if n != c.want || tot != total {
			t.Errorf("%s%s%s: %d entries of %d, want %d of %d", path, sep, c.q, n, tot, c.want, total)
		}
	}
	for _, q := range []string{"limit=0", "limit=1001", "limit=abc", "limit=-1", "limit=1.5"} {
		e.problem(http.StatusBadRequest, "GET", path+sep+q, "", e.as("admin"), "limit must be a number from 1 to 1000")
	}
	for _, q := range []string{"offset=-1", "offset=x"} {
		e.problem(http.StatusBadRequest, "GET", path+sep+q, "", e.as("admin"), "offset must be a number")
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestDagsList(t *testing.T) {
	e := newEnv(t, nil)
	all := jsonOf[dagList](t, e.want(http.StatusOK, "GET", "/api/v1/dags", "", e.as("viewer")))
	if want := []string{"flaky", "naps", "pipe", "quiet"}; !reflect.DeepEqual(ids(all.Dags), want) || all.Total != 4 {
		t.Fatalf("dags %v total %d, want %v (broken.yaml does not load)", ids(all.Dags), all.Total, want)
	}
	pipe := all.Dags[2]
	if pipe.Description != "extract, transform, load" || pipe.IsPaused || !pipe.IsActive || pipe.ScheduleInterval != nil ||
		len(pipe.Tags) != 2 || pipe.Tags[0].Name != "etl" || pipe.Fileloc != filepath.Join(e.home, "dags", "pipe.yaml") || pipe.Owners == nil {
		t.Errorf("pipe = %+v", pipe)
	}
	if q := all.Dags[3]; !q.IsPaused || !reflect.DeepEqual(q.ScheduleInterval, map[string]any{"__type": "CronExpression", "value": "@daily"}) {
		t.Errorf("quiet = %+v, want paused at creation, @daily", q)
	}
	checkPagination(t, e, "/api/v1/dags", func(r resp) (int, int) { l := jsonOf[dagList](t, r); return len(l.Dags), l.Total })
	if l := get[dagList](e, "/api/v1/dags?limit=2&offset=1"); !reflect.DeepEqual(ids(l.Dags), []string{"naps", "pipe"}) {
		t.Errorf("limit=2&offset=1: %v", ids(l.Dags))
	}
	for q, want := range map[string][]string{
		"dag_id_pattern=ip":          {"pipe"},
		"dag_id_pattern=a":           {"flaky", "naps"},
		"dag_id_pattern=%25":         {}, // a literal %, not LIKE's wildcard
		"tags=demo":                  {"pipe", "quiet"},
		"tags=etl&tags=nothing":      {"pipe"},
		"tags=nothing":               {},
		"paused=true":                {"quiet"},
		"paused=false&tags=demo":     {"pipe"},
		"paused=false&limit=1":       {"flaky"},
		"only_active=false&paused=1": {"quiet"},
	} {
		l := get[dagList](e, "/api/v1/dags?"+q)
		if !reflect.DeepEqual(ids(l.Dags), want) {
			t.Errorf("/dags?%s: %v, want %v", q, ids(l.Dags), want)
		}
	}
	e.problem(http.StatusBadRequest, "GET", "/api/v1/dags?paused=maybe", "", e.as("viewer"), "paused must be true or false")
	e.problem(http.StatusBadRequest, "GET", "/api/v1/dags?only_active=sometimes", "", e.as("viewer"), "only_active must be true or false")

	// A DAG whose file is gone is inactive: listed only with only_active=false.
	if err := os.Remove(filepath.Join(e.home, "dags", "naps.yaml")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.SyncDags(context.Background()); err != nil {
		t.Fatal(err)
	}
	if l := get[dagList](e, "/api/v1/dags"); !reflect.DeepEqual(ids(l.Dags), []string{"flaky", "pipe", "quiet"}) {
		t.Errorf("after naps.yaml was removed: %v", ids(l.Dags))
	}
	l := get[dagList](e, "/api/v1/dags?only_active=false")
	if !reflect.DeepEqual(ids(l.Dags), []string{"flaky", "naps", "pipe", "quiet"}) || l.Dags[1].IsActive {
		t.Errorf("only_active=false: %+v", l.Dags)
	}
}

func TestDagGetPatchTasksSource(t *testing.T) {
	e := newEnv(t, nil)
	d := jsonOf[dagInfo](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe", "", e.as("viewer")))
	if d.DagID != "pipe" || !reflect.DeepEqual(d.Params, map[string]any{"word": "hello"}) {
		t.Errorf("GET /dags/pipe = %+v, want its params", d)
	}
	if d := get[dagInfo](e, "/api/v1/dags/naps"); d.Params == nil || len(d.Params) != 0 {
		t.Errorf("a DAG without params has params %v, want {}", d.Params)
	}
	for _, p := range []string{"/api/v1/dags/nope", "/api/v1/dags/nope/tasks", "/api/v1/dags/nope/source", "/api/v1/dags/nope/grid", "/api/v1/dags/nope/dagRuns"} {
		e.problem(http.StatusNotFound, "GET", p, "", e.as("viewer"), `DAG "nope" not found`)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/broken", "", e.as("viewer"), `DAG "broken" not found`)

	// Pause and unpause.
	d = jsonOf[dagInfo](t, e.want(http.StatusOK, "PATCH", "/api/v1/dags/quiet", `{"is_paused":false}`, e.as("user")))
	if d.IsPaused || d.DagID != "quiet" {
		t.Errorf("PATCH is_paused false answered %+v", d)
	}
	if d := get[dagInfo](e, "/api/v1/dags/quiet"); d.IsPaused {
		t.Error("quiet is still paused")
	}
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/quiet", `{"is_paused":true}`, e.as("user"))
	if d := get[dagInfo](e, "/api/v1/dags/quiet"); !d.IsPaused {
		t.Error("quiet was not paused again")
	}
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/dags/nope", `{"is_paused":true}`, e.as("user"), `DAG "nope" not found`)
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/quiet", `{}`, e.as("user"), "is_paused")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/quiet", `{"is_paused":"yes"}`, e.as("user"), "not valid JSON")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/quiet", `{"is_paused":true,"schedule":"@hourly"}`, e.as("user"), `unknown field "schedule"`)
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/quiet", `{"is_paused":`, e.as("user"), "not valid JSON")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/quiet", "", e.as("user"), "not valid JSON")
	events := get[struct {
		EventLogs []struct {
			Event string `json:"event"`
			Owner string `json:"owner"`
			DagID string `json:"dag_id"`
		} `json:"event_logs"`
	}](e, "/api/v1/eventLogs?limit=2")
	if len(events.EventLogs) != 2 || events.EventLogs[0].Event != "dag.pause" || events.EventLogs[0].Owner != "user" ||
		events.EventLogs[0].DagID != "quiet" || events.EventLogs[1].Event != "dag.unpause" {
		t.Errorf("the audit log does not say who paused: %+v", events.EventLogs)
	}

	// Tasks, in topological order with their edges and settings.
	type task struct {
		TaskID            string   `json:"task_id"`
		Module            string   `json:"module"`
		UpstreamTaskIDs   []string `json:"upstream_task_ids"`
		DownstreamTaskIDs []string `json:"downstream_task_ids"`
		TriggerRule       string   `json:"trigger_rule"`
		Retries           int      `json:"retries"`
		Pool              string   `json:"pool"`
		IsSensor          bool     `json:"is_sensor"`
		ExecutionTimeout  any      `json:"execution_timeout"`
	}
	ts := jsonOf[struct {
		Tasks []task `json:"tasks"`
		Total int    `json:"total_entries"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/tasks", "", e.as("viewer")))
	if ts.Total != 3 || len(ts.Tasks) != 3 {
		t.Fatalf("pipe's tasks: %+v", ts)
	}
	ext, tr, load := ts.Tasks[0], ts.Tasks[1], ts.Tasks[2]
	if ext.TaskID != "extract" || tr.TaskID != "transform" || load.TaskID != "load" ||
		!reflect.DeepEqual(ext.UpstreamTaskIDs, []string{}) || !reflect.DeepEqual(ext.DownstreamTaskIDs, []string{"transform"}) ||
		!reflect.DeepEqual(load.UpstreamTaskIDs, []string{"transform"}) || !reflect.DeepEqual(load.DownstreamTaskIDs, []string{}) ||
		ext.Module != filepath.Join(e.home, "dags", "modules", "echo.wasm") || ext.TriggerRule != "all_success" || ext.Pool != "default_pool" || ext.ExecutionTimeout != nil {
		t.Errorf("pipe's tasks: %+v", ts.Tasks)
	}
	if ft := get[struct{ Tasks []task }](e, "/api/v1/dags/flaky/tasks"); ft.Tasks[0].Retries != 1 {
		t.Errorf("flaky's task: %+v", ft.Tasks)
	}

	// The source is the file, as text.
	r := e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/source", "", e.as("viewer"))
	if string(r.body) != baseDags["pipe.yaml"] || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Errorf("source: %q (%s)", r.body, r.header.Get("Content-Type"))
	}
}

func TestImportErrors(t *testing.T) {
	e := newEnv(t, map[string]string{
		"cycle.yaml":  "dag_id: cycle\ntasks:\n  - {id: a, module: modules/echo.wasm, upstream: [b]}\n  - {id: b, module: modules/echo.wasm, upstream: [a]}\n",
		"syntax.yaml": "dag_id: [unclosed\n",
	})
	type importError struct {
		ID         int64     `json:"import_error_id"`
		Filename   string    `json:"filename"`
		Timestamp  time.Time `json:"timestamp"`
		StackTrace string    `json:"stack_trace"`
	}
	l := jsonOf[struct {
		ImportErrors []importError `json:"import_errors"`
		Total        int           `json:"total_entries"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/importErrors", "", e.as("viewer")))
	if l.Total != 3 || len(l.ImportErrors) != 3 {
		t.Fatalf("import errors: %+v", l)
	}
	files := map[string]importError{}
	for _, ie := range l.ImportErrors {
		files[filepath.Base(ie.Filename)] = ie
		if ie.ID == 0 || ie.Timestamp.IsZero() || !strings.HasPrefix(ie.StackTrace, ie.Filename+":") {
			t.Errorf("import error %+v: want an id, a time, and problems that start with file:line", ie)
		}
	}
	if !strings.Contains(files["broken.yaml"].StackTrace, "nowhere") || !strings.Contains(files["cycle.yaml"].StackTrace, "cycle") {
		t.Errorf("the stack traces do not say what is wrong: %+v", files)
	}
	checkPagination(t, e, "/api/v1/importErrors", func(r resp) (int, int) {
		l := jsonOf[struct {
			ImportErrors []importError `json:"import_errors"`
			Total        int           `json:"total_entries"`
		}](t, r)
		return len(l.ImportErrors), l.Total
	})
}

func TestUIDags(t *testing.T) {
	e := newEnv(t, nil)
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	for d := 1; d <= 7; d++ {
		state := tasks.StateSuccess
		if d == 6 {
			state = tasks.StateFailed
		}
		seedRun(t, e.app.Store, "", "pipe", "p"+itoa(d), day(d), state, 1, "extract")
	}
	seedRun(t, e.app.Store, "", "naps", "n1", day(3), tasks.StateSuccess, 1, "nap")
	l := jsonOf[dagList](t, e.want(http.StatusOK, "GET", "/api/v1/ui/dags", "", e.as("viewer")))
	if l.Total != 4 || l.ImportErrors == nil || *l.ImportErrors != 1 || !reflect.DeepEqual(ids(l.Dags), []string{"flaky", "naps", "pipe", "quiet"}) {
		t.Fatalf("ui/dags: %v total %d import_errors %v", ids(l.Dags), l.Total, l.ImportErrors)
	}
	byID := map[string]dagInfo{}
	for _, d := range l.Dags {
		byID[d.DagID] = d
	}
	var got []string
	for _, r := range byID["pipe"].RecentRuns {
		got = append(got, r.DagRunID+":"+r.State)
	}
	if want := []string{"p7:success", "p6:failed", "p5:success", "p4:success", "p3:success"}; !reflect.DeepEqual(got, want) {
		t.Errorf("pipe's recent runs %v, want the 5 newest first %v", got, want)
	}
	if r := byID["naps"].RecentRuns; len(r) != 1 || r[0].DagRunID != "n1" || !r[0].LogicalDate.Equal(day(3)) {
		t.Errorf("naps' recent runs: %+v", r)
	}
	if r := byID["flaky"].RecentRuns; r == nil || len(r) != 0 {
		t.Errorf("flaky has no runs; recent_runs must be [], is %v", r)
	}
	if c, want := byID["pipe"].RunCounts, map[string]int{"queued": 0, "running": 0, "success": 6, "failed": 1}; !reflect.DeepEqual(c, want) {
		t.Errorf("pipe's run_counts %v, want %v (every run, not the 5 recent ones)", c, want)
	}
	if c := byID["flaky"].RunCounts; len(c) != 4 || c["success"] != 0 {
		t.Errorf("flaky has no runs; run_counts must be each state at 0, is %v", c)
	}
	if lr := byID["pipe"].LastRun; lr == nil || lr.DagRunID != "p7" || !lr.LogicalDate.Equal(day(7)) {
		t.Errorf("pipe's last_run %+v, want p7", lr)
	}
	if lr := byID["flaky"].LastRun; lr != nil {
		t.Errorf("flaky has no runs; last_run must be null, is %+v", lr)
	}
	if byID["pipe"].Description == "" || byID["pipe"].Fileloc == "" {
		t.Errorf("ui/dags entries lack the DAG fields: %+v", byID["pipe"])
	}
	checkPagination(t, e, "/api/v1/ui/dags", func(r resp) (int, int) { l := jsonOf[dagList](t, r); return len(l.Dags), l.Total })
	if l := get[dagList](e, "/api/v1/ui/dags?tags=demo&paused=false"); !reflect.DeepEqual(ids(l.Dags), []string{"pipe"}) || len(l.Dags[0].RecentRuns) != 5 {
		t.Errorf("ui/dags?tags=demo&paused=false: %+v", l.Dags)
	}
	e.problem(http.StatusBadRequest, "GET", "/api/v1/ui/dags?paused=x", "", e.as("viewer"), "paused must be true or false")
}

type grid struct {
	DagRuns []dagRun `json:"dag_runs"`
	Tasks   []struct {
		TaskID          string   `json:"task_id"`
		UpstreamTaskIDs []string `json:"upstream_task_ids"`
	} `json:"tasks"`
	Instances [][]*struct {
		State     *string `json:"state"`
		TryNumber int     `json:"try_number"`
		Duration  float64 `json:"duration"`
	} `json:"instances"`
}

func TestGrid(t *testing.T) {
	e := newEnv(t, nil)
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	seedRun(t, e.app.Store, "", "pipe", "d1", day(1), tasks.StateSuccess, 1.5, "extract", "transform", "load")
	seedRun(t, e.app.Store, "", "pipe", "d2", day(2), tasks.StateFailed, 2, "extract", "transform") // no load: null
	seedRun(t, e.app.Store, "", "pipe", "d3", day(3), tasks.StateSuccess, 3, "extract", "transform", "load", "retired")
	seedRun(t, e.app.Store, "", "naps", "other", day(2), tasks.StateSuccess, 1, "nap") // another DAG's run
	g := jsonOf[grid](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/grid", "", e.as("viewer")))
	var runIDs, taskIDs []string
	for _, r := range g.DagRuns {
		runIDs = append(runIDs, r.DagRunID)
	}
	for _, tk := range g.Tasks {
		taskIDs = append(taskIDs, tk.TaskID)
	}
	// Oldest run first; the DAG's tasks in topological order, then a task no longer in it.
	if !reflect.DeepEqual(runIDs, []string{"d1", "d2", "d3"}) || !reflect.DeepEqual(taskIDs, []string{"extract", "transform", "load", "retired"}) {
		t.Fatalf("grid runs %v tasks %v", runIDs, taskIDs)
	}
	if !reflect.DeepEqual(g.Tasks[2].UpstreamTaskIDs, []string{"transform"}) || g.Tasks[3].UpstreamTaskIDs == nil {
		t.Errorf("grid task edges: %+v", g.Tasks)
	}
	if len(g.Instances) != 3 {
		t.Fatalf("%d rows of instances", len(g.Instances))
	}
	for i, row := range g.Instances {
		if len(row) != 4 {
			t.Fatalf("row %d has %d cells, want one per task (4)", i, len(row))
		}
	}
	c := g.Instances[0][0]
	if c == nil || c.State == nil || *c.State != "success" || c.TryNumber != 1 || c.Duration != 1.5 {
		t.Errorf("d1 extract: %+v", c)
	}
	if c := g.Instances[1][1]; c == nil || *c.State != "failed" || c.Duration != 2 {
		t.Errorf("d2 transform: %+v", c)
	}
	if g.Instances[1][2] != nil || g.Instances[0][3] != nil || g.Instances[1][3] != nil {
		t.Errorf("cells of task instances that do not exist must be null: %+v %+v", g.Instances[1][2], g.Instances[0][3])
	}
	if c := g.Instances[2][3]; c == nil || *c.State != "success" {
		t.Errorf("d3 retired: %+v", c)
	}
	// num_runs takes the newest; before cuts at a logical date (inclusive).
	g = get[grid](e, "/api/v1/dags/pipe/grid?num_runs=2")
	if len(g.DagRuns) != 2 || g.DagRuns[0].DagRunID != "d2" || g.DagRuns[1].DagRunID != "d3" || len(g.Instances) != 2 {
		t.Errorf("num_runs=2: %+v", g.DagRuns)
	}
	g = get[grid](e, "/api/v1/dags/pipe/grid?num_runs=1&before=2024-01-02T00:00:00Z")
	if len(g.DagRuns) != 1 || g.DagRuns[0].DagRunID != "d2" || len(g.Instances) != 1 || len(g.Tasks) != 3 {
		t.Errorf("before d2, one run: %+v, tasks %d", g.DagRuns, len(g.Tasks))
	}
	g = get[grid](e, "/api/v1/dags/pipe/grid?before=2023-01-01T00:00:00Z")
	if len(g.DagRuns) != 0 || g.Instances == nil || len(g.Tasks) != 3 {
		t.Errorf("no run before 2023: %+v", g)
	}
	g = get[grid](e, "/api/v1/dags/quiet/grid")
	if len(g.DagRuns) != 0 || g.DagRuns == nil || len(g.Tasks) != 1 {
		t.Errorf("a DAG without runs: %+v", g)
	}
	for _, q := range []string{"num_runs=0", "num_runs=1001", "num_runs=x", "num_runs=-1"} {
		e.problem(http.StatusBadRequest, "GET", "/api/v1/dags/pipe/grid?"+q, "", e.as("viewer"), "num_runs must be a number from 1 to 1000")
	}
	e.problem(http.StatusBadRequest, "GET", "/api/v1/dags/pipe/grid?before=yesterday", "", e.as("viewer"), "before must be an RFC 3339 date")
}

// The grid reads each run's cells joined into one row and splits them; a task id holding the
// separator (no DAG file can make one, an old row might hold one) must still land in its cell.
func TestGridOddTaskIDs(t *testing.T) {
	e := newEnv(t, nil)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	seedRun(t, e.app.Store, "", "pipe", "plain", at, tasks.StateSuccess, 1.25, "extract", "load")
	seedRun(t, e.app.Store, "", "pipe", "odd", at.Add(time.Hour), tasks.StateFailed, 2.5, "extract", "odd\x1fid", "x,y;z")
	g := get[grid](e, "/api/v1/dags/pipe/grid")
	col := map[string]int{}
	for i, tk := range g.Tasks {
		col[tk.TaskID] = i
	}
	if len(g.DagRuns) != 2 || len(g.Tasks) != 5 || g.DagRuns[1].DagRunID != "odd" {
		t.Fatalf("grid: runs %+v tasks %+v", g.DagRuns, g.Tasks)
	}
	for _, id := range []string{"extract", "odd\x1fid", "x,y;z"} {
		c := g.Instances[1][col[id]]
		if c == nil || c.State == nil || *c.State != "failed" || c.Duration != 2.5 || c.TryNumber != 1 {
			t.Errorf("cell of %q in run odd: %+v", id, c)
		}
	}
	if c := g.Instances[0][col["load"]]; c == nil || *c.State != "success" || c.Duration != 1.25 {
		t.Errorf("cell of load in run plain: %+v", c)
	}
	if g.Instances[0][col["odd\x1fid"]] != nil || g.Instances[0][col["transform"]] != nil {
		t.Errorf("run plain has cells it has no task instance for: %+v", g.Instances[0])
	}
}
