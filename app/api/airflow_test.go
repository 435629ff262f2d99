package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// Issue 22: what Airflow's own client sends must do what Airflow does, or be refused.

// airflowDags are DAG files the tests below add: a schedule as a TimeDelta, task durations,
// and a second import error.
var airflowDags = map[string]string{
	"every.yaml": `dag_id: every
schedule: "@every 90m"
start_date: 2024-01-01
catchup: false
is_paused_upon_creation: false
tasks:
  - {id: slow, module: modules/echo.wasm, execution_timeout: 1d2h3m4.5s, retry_delay: 90s, retry_exponential_backoff: true, wait_for_downstream: true, doc_md: "Takes **long**."}
`,
	"zbroken.yaml": "dag_id: zbroken\ntasks: [{id: a}]\n",
}

func day(n int) time.Time { return time.Date(2024, 1, n, 0, 0, 0, 0, time.UTC) }

// A clearTaskInstances body without dry_run lists what a clear would touch and changes
// nothing, as Airflow's (dry_run and only_failed default to true); "dry_run": false clears.
func TestClearTaskInstancesIsADryRunUnlessToldOtherwise(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "r1", day(1), tasks.StateSuccess, 1, "extract", "transform", "load")
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/load", `{"new_state":"failed"}`, e.as("user"))
	cleared := func(body string) []string {
		t.Helper()
		out := jsonOf[struct {
			TIs []struct {
				TaskID string `json:"task_id"`
			} `json:"task_instances"`
		}](t, e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/clearTaskInstances", body, e.as("user")))
		ids := []string{}
		for _, ti := range out.TIs {
			ids = append(ids, ti.TaskID)
		}
		return ids
	}
	unchanged := func(when string) {
		t.Helper()
		for id, ti := range e.tis("pipe", "r1") {
			want := "success"
			if id == "load" {
				want = "failed"
			}
			if stateOf(ti) != want || ti.TryNumber != 1 {
				t.Errorf("%s: %s is %s try %d, want %s try 1 (nothing cleared)", when, id, stateOf(ti), ti.TryNumber, want)
			}
		}
	}
	// No dry_run, no only_failed: the failed task is listed, nothing is cleared.
	if got := cleared(`{"dag_run_id":"r1"}`); !reflect.DeepEqual(got, []string{"load"}) {
		t.Errorf("clear without dry_run and only_failed listed %v, want the failed load only", got)
	}
	unchanged("after a clear without dry_run")
	if got := cleared(`{"dag_run_id":"r1","only_failed":false}`); len(got) != 3 {
		t.Errorf("only_failed false lists %v, want all three tasks", got)
	}
	unchanged("after a clear with only_failed false and no dry_run")
	// The dry run lists each instance with the state it is in now, not the one it would get.
	states := map[string]*string{}
	for _, ti := range jsonOf[struct {
		TIs []struct {
			TaskID string  `json:"task_id"`
			State  *string `json:"state"`
		} `json:"task_instances"`
	}](t, e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/clearTaskInstances", `{"dag_run_id":"r1","only_failed":false}`, e.as("user"))).TIs {
		states[ti.TaskID] = ti.State
	}
	if s := states["load"]; s == nil || *s != "failed" || states["extract"] == nil || *states["extract"] != "success" {
		t.Errorf("the dry run's states: load %v, extract %v; want failed and success, their states now", states["load"], states["extract"])
	}
	// A field of Airflow's body wasmflow does not take is refused, naming those it takes, and
	// nothing is cleared.
	e.problem(http.StatusBadRequest, "POST", "/api/v1/dags/pipe/clearTaskInstances", `{"dag_run_id":"r1","include_future":true}`, e.as("user"),
		`unknown field "include_future"`, "it takes dag_run_id, task_ids, task_regex, only_failed, include_upstream, include_downstream, dry_run, start_date, end_date")
	unchanged("after a clear with a field it does not take")
	// Said out loud, it clears, and only the failed task (only_failed's default).
	if got := cleared(`{"dag_run_id":"r1","dry_run":false}`); !reflect.DeepEqual(got, []string{"load"}) {
		t.Errorf("clear with dry_run false cleared %v, want load", got)
	}
	tis := e.tis("pipe", "r1")
	if stateOf(tis["load"]) == "failed" || stateOf(tis["extract"]) != "success" || stateOf(tis["transform"]) != "success" {
		t.Errorf("after the clear: load %s, extract %s, transform %s; want load cleared, the others success",
			stateOf(tis["load"]), stateOf(tis["extract"]), stateOf(tis["transform"]))
	}
}

// listCase is one request to a list endpoint: what it answers (the ids of its items, in
// order) or the 400 and the words its detail must hold.
type listCase struct {
	path  string
	ids   []string // the ids listed, in order
	total int      // total_entries; -1: len(ids)
	words []string // a 400 that says these
}

// Every query parameter of Airflow's spec that wasmflow's list endpoints serve either works
// or is refused with a 400 naming what it takes.
func TestEveryListParameterWorksOrIsRefused(t *testing.T) {
	e := newEnv(t, airflowDags)
	ctx := t.Context()
	// Runs of pipe: a on day 1 (success), b on day 2 (failed: load failed, its other tasks
	// succeeded), c on day 3 (success), each started a minute after its logical date; the
	// tasks of a and c lasted 1 s, b's 10 s.
	seedRun(t, e.app.Store, "", "pipe", "a", day(1), tasks.StateSuccess, 1, "extract", "transform", "load")
	b := seedRun(t, e.app.Store, "", "pipe", "b", day(2), tasks.StateFailed, 10, "extract", "transform", "load")
	seedRun(t, e.app.Store, "", "pipe", "c", day(3), tasks.StateSuccess, 1, "extract", "transform", "load")
	bTIs, err := e.app.Store.ListTaskInstances(ctx, "pipe", b.RunID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range bTIs {
		if bTIs[i].TaskID != "load" {
			bTIs[i].State = tasks.StateSuccess
		}
	}
	if err := e.app.Store.Save(ctx, scheduler.Changes{TaskInstances: bTIs}); err != nil {
		t.Fatal(err)
	}
	if err := e.app.Store.SetPool(ctx, scheduler.Pool{Name: "a_pool", Slots: 9}); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{`{"key":"k1","value":"1","description":"zz"}`, `{"key":"k2","value":"2","description":"aa"}`} {
		e.want(http.StatusOK, "POST", "/api/v1/variables", v, e.as("op"))
	}
	const runs, tis = "/api/v1/dags/pipe/dagRuns", "/api/v1/dags/pipe/dagRuns/b/taskInstances"
	at := func(d time.Time) string { return d.Format(time.RFC3339) }
	all := []string{"extract", "transform", "load"}
	for _, c := range []listCase{
		// /dags: order_by, the page, the filters.
		{path: "/api/v1/dags", ids: []string{"every", "flaky", "naps", "pipe", "quiet"}},
		{path: "/api/v1/dags?order_by=-dag_id", ids: []string{"quiet", "pipe", "naps", "flaky", "every"}},
		{path: "/api/v1/dags?order_by=-is_paused", ids: []string{"quiet", "pipe", "naps", "flaky", "every"}}, // ties by dag_id, the same way
		{path: "/api/v1/dags?order_by=-dag_id&limit=2&offset=1", ids: []string{"pipe", "naps"}, total: 5},
		{path: "/api/v1/dags?tags=etl", ids: []string{"pipe"}},
		{path: "/api/v1/dags?dag_id_pattern=ap", ids: []string{"naps"}},
		{path: "/api/v1/dags?paused=true", ids: []string{"quiet"}},
		{path: "/api/v1/dags?only_active=false&dag_id_pattern=e", ids: []string{"every", "pipe", "quiet"}},
		{path: "/api/v1/dags?order_by=colour", words: []string{`order_by must be one of`, "dag_id", "next_dagrun", `not "colour"`}},
		{path: "/api/v1/dags?limit=0", words: []string{"limit must be a number from 1 to 1000"}},
		{path: "/api/v1/dags?offset=-1", words: []string{"offset must be"}},
		{path: "/api/v1/dags?only_active=maybe", words: []string{"only_active must be true or false"}},
		{path: "/api/v1/ui/dags?order_by=-dag_id&limit=1", ids: []string{"quiet"}, total: 5},
		// A DAG's tasks: topological without order_by, else as asked.
		{path: "/api/v1/dags/pipe/tasks", ids: all},
		{path: "/api/v1/dags/pipe/tasks?order_by=task_id", ids: []string{"extract", "load", "transform"}},
		{path: "/api/v1/dags/pipe/tasks?order_by=-task_id", ids: []string{"transform", "load", "extract"}},
		{path: "/api/v1/dags/pipe/tasks?order_by=module", words: []string{"order_by must be one of", "priority_weight, queue, retries, task_id"}},
		// A DAG's runs: every order_by, the date ranges, state.
		{path: runs, ids: []string{"c", "b", "a"}},
		{path: runs + "?order_by=-execution_date", ids: []string{"c", "b", "a"}},
		{path: runs + "?order_by=execution_date", ids: []string{"a", "b", "c"}},
		{path: runs + "?order_by=start_date", ids: []string{"a", "b", "c"}},
		{path: runs + "?order_by=-end_date", ids: []string{"c", "b", "a"}},
		{path: runs + "?order_by=state", ids: []string{"b", "a", "c"}},
		{path: runs + "?order_by=-dag_run_id", ids: []string{"c", "b", "a"}},
		{path: runs + "?execution_date_gte=" + at(day(2)), ids: []string{"c", "b"}},
		{path: runs + "?execution_date_lte=" + at(day(2)), ids: []string{"b", "a"}},
		{path: runs + "?start_date_gte=" + at(day(2)) + "&start_date_lte=" + at(day(3)), ids: []string{"b"}},
		{path: runs + "?end_date_lte=" + at(day(1).Add(2*time.Minute)), ids: []string{"a"}},
		{path: runs + "?end_date_gte=" + at(day(3)), ids: []string{"c"}},
		{path: runs + "?state=failed", ids: []string{"b"}},
		{path: runs + "?state=success&limit=1&offset=1", ids: []string{"a"}, total: 2},
		{path: runs + "?order_by=colour", words: []string{"order_by must be one of", "end_date", "execution_date", "start_date", `not "colour"`}},
		{path: runs + "?start_date_gte=yesterday", words: []string{"start_date_gte must be an RFC 3339 date", `"yesterday"`}},
		{path: runs + "?state=done", words: []string{`state "done" is not one of`}},
		// A run's task instances: state, pool, queue, dates, duration, the page.
		{path: tis, ids: all},
		{path: tis + "?state=failed", ids: []string{"load"}},
		{path: tis + "?state=success&state=failed", ids: all},
		{path: tis + "?state=queued", ids: []string{}},
		{path: tis + "?state=failed&state=success", ids: all},
		{path: tis + "?pool=default_pool", ids: all},
		{path: tis + "?pool=a_pool", ids: []string{}},
		{path: tis + "?queue=default", ids: all},
		{path: tis + "?queue=gpu", ids: []string{}},
		{path: tis + "?duration_gte=5", ids: all},
		{path: "/api/v1/dags/pipe/dagRuns/a/taskInstances?duration_gte=5", ids: []string{}},
		{path: "/api/v1/dags/pipe/dagRuns/a/taskInstances?duration_lte=5&duration_gte=0.5", ids: all},
		{path: tis + "?duration_lte=9.5", ids: []string{}},
		{path: tis + "?start_date_gte=" + at(day(3)), ids: []string{}},
		{path: tis + "?start_date_lte=" + at(day(3)) + "&end_date_gte=" + at(day(2)), ids: all},
		{path: tis + "?end_date_lte=" + at(day(2)), ids: []string{}},
		{path: tis + "?execution_date_gte=" + at(day(3)), ids: []string{}},
		{path: tis + "?execution_date_lte=" + at(day(2)), ids: all},
		{path: tis + "?limit=1&offset=1", ids: []string{"transform"}, total: 3},
		{path: tis + "?state=done", words: []string{`state "done" is not one of`, "up_for_retry"}},
		{path: tis + "?duration_gte=long", words: []string{"duration_gte must be a number of seconds"}},
		{path: tis + "?end_date_gte=2024", words: []string{"end_date_gte must be an RFC 3339 date"}},
		// Admin lists: order_by on each.
		{path: "/api/v1/importErrors?order_by=-filename", ids: []string{"zbroken.yaml", "broken.yaml"}},
		{path: "/api/v1/importErrors?order_by=filename&limit=1", ids: []string{"broken.yaml"}, total: 2},
		{path: "/api/v1/importErrors?order_by=stack_trace", words: []string{"order_by must be one of filename, import_error_id, timestamp"}},
		{path: "/api/v1/pools", ids: []string{"a_pool", "default_pool"}},
		{path: "/api/v1/pools?order_by=-name", ids: []string{"default_pool", "a_pool"}},
		{path: "/api/v1/pools?order_by=-slots", ids: []string{"default_pool", "a_pool"}},
		{path: "/api/v1/pools?order_by=colour", words: []string{"order_by must be one of", "name", "open_slots", "used_slots"}},
		{path: "/api/v1/variables?order_by=-key", ids: []string{"k2", "k1"}},
		{path: "/api/v1/variables?order_by=description", ids: []string{"k2", "k1"}},
		{path: "/api/v1/variables?order_by=value", words: []string{"order_by must be one of description, key"}},
		{path: "/api/v1/users?order_by=-username", ids: []string{"viewer", "user", "op", "admin"}},
		{path: "/api/v1/users?order_by=role&limit=2", ids: []string{"admin", "op"}, total: 4},
		{path: "/api/v1/users?order_by=password", words: []string{"order_by must be one of", "username"}},
		{path: "/api/v1/connections?order_by=colour", words: []string{"order_by must be one of", "connection_id"}},
		{path: "/api/v1/eventLogs?order_by=event_log_id", words: []string{"order_by must be -when or -event_log_id"}},
		{path: "/api/v1/eventLogs?order_by=-event_log_id&limit=1", ids: []string{"variable.set"}, total: -2},
	} {
		t.Run(c.path, func(t *testing.T) {
			r := e.call("GET", c.path, "", e.as("admin"))
			if c.words != nil {
				checkProblem(t, c.path, r, http.StatusBadRequest, c.words...)
				return
			}
			ids, total := listed(t, r)
			if !reflect.DeepEqual(ids, c.ids) {
				t.Errorf("GET %s lists %v, want %v", c.path, ids, c.ids)
			}
			switch want := c.total; {
			case want == 0 && total != len(c.ids), want > 0 && total != want:
				t.Errorf("GET %s: total_entries %d, want %d", c.path, total, max(want, len(c.ids)))
			case want < 0 && total < -want:
				t.Errorf("GET %s: total_entries %d, want at least %d", c.path, total, -want)
			}
		})
	}
}

// listed reads a list answer: the id of each item (whatever the list's name) and
// total_entries.
func listed(t *testing.T, r resp) ([]string, int) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var body map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("not JSON: %v: %s", err, r.body)
	}
	var total int
	if err := json.Unmarshal(body["total_entries"], &total); err != nil {
		t.Fatalf("no total_entries: %s", r.body)
	}
	for name, raw := range body {
		var items []map[string]any
		if name == "total_entries" || json.Unmarshal(raw, &items) != nil {
			continue
		}
		ids := []string{}
		for _, it := range items {
			for _, k := range []string{"dag_id", "dag_run_id", "task_id", "filename", "name", "key", "username", "event"} {
				if v, ok := it[k].(string); ok && v != "" && (k != "dag_id" || name == "dags") && (k != "dag_run_id" || name == "dag_runs") {
					if k == "filename" {
						v = v[strings.LastIndex(v, "/")+1:]
					}
					ids = append(ids, v)
					break
				}
			}
		}
		return ids, total
	}
	t.Fatalf("no list in %s", r.body)
	return nil, 0
}

// Airflow's shapes: schedule_interval and the tasks' durations are typed objects, pools
// have used_slots, and a log is {content, continuation_token} when JSON is asked for.
func TestAirflowShapes(t *testing.T) {
	e := newEnv(t, airflowDags)
	schedules := map[string]any{
		"pipe":  nil,
		"quiet": map[string]any{"__type": "CronExpression", "value": "@daily"},
		"every": map[string]any{"__type": "TimeDelta", "days": 0.0, "seconds": 5400.0, "microseconds": 0.0},
	}
	for dagID, want := range schedules {
		for _, path := range []string{"/api/v1/dags/" + dagID, "/api/v1/dags?dag_id_pattern=" + dagID, "/api/v1/ui/dags?dag_id_pattern=" + dagID} {
			var got any
			body := get[map[string]any](e, path)
			if dags, ok := body["dags"].([]any); ok {
				got = dags[0].(map[string]any)["schedule_interval"]
			} else {
				got = body["schedule_interval"]
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("GET %s: schedule_interval %#v, want %#v", path, got, want)
			}
		}
	}
	task := get[struct {
		Tasks []map[string]any `json:"tasks"`
	}](e, "/api/v1/dags/every/tasks").Tasks[0]
	// 1d2h3m4.5s is 1 day, 7384 s and 500000 µs, as Python's timedelta splits it.
	if want := map[string]any{"__type": "TimeDelta", "days": 1.0, "seconds": 7384.0, "microseconds": 500000.0}; !reflect.DeepEqual(task["execution_timeout"], want) {
		t.Errorf("execution_timeout %#v, want %#v", task["execution_timeout"], want)
	}
	if want := map[string]any{"__type": "TimeDelta", "days": 0.0, "seconds": 90.0, "microseconds": 0.0}; !reflect.DeepEqual(task["retry_delay"], want) {
		t.Errorf("retry_delay %#v, want %#v", task["retry_delay"], want)
	}
	if task["retry_exponential_backoff"] != true {
		t.Errorf("retry_exponential_backoff %v, want true", task["retry_exponential_backoff"])
	}
	if task["depends_on_past"] != true || task["wait_for_downstream"] != true || task["latest_only"] != false {
		t.Errorf("depends_on_past %v, wait_for_downstream %v, latest_only %v; want true, true, false",
			task["depends_on_past"], task["wait_for_downstream"], task["latest_only"])
	}
	if task["doc_md"] != "Takes **long**." {
		t.Errorf("doc_md %#v, want the task's Markdown", task["doc_md"])
	}
	if ext := get[struct {
		Tasks []map[string]any `json:"tasks"`
	}](e, "/api/v1/dags/pipe/tasks").Tasks[0]; ext["execution_timeout"] != nil || ext["doc_md"] != nil {
		t.Errorf("a task without execution_timeout nor doc_md: %#v, want both null", ext)
	}

	// used_slots is the running tasks' slots: seed one running and one queued in the default pool.
	seedRun(t, e.app.Store, e.app.Config.LogsFolder(), "pipe", "r1", day(1), tasks.StateSuccess, 1, "extract", "transform", "load")
	seedRun(t, e.app.Store, "", "pipe", "r2", day(2), tasks.StateRunning, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "r3", day(3), tasks.StateQueued, 1, "extract")
	pool := get[map[string]any](e, "/api/v1/pools/default_pool")
	if pool["used_slots"] != 1.0 || pool["queued_slots"] != 1.0 || pool["occupied_slots"] != 2.0 {
		t.Errorf("default_pool %v, want used_slots 1, queued_slots 1, occupied_slots 2", pool)
	}

	// A log: text by default and for text/plain, Airflow's JSON for application/json, whose
	// continuation_token continues it (token=).
	const log = "/api/v1/dags/pipe/dagRuns/r1/taskInstances/load/logs/1"
	accept := func(v string) auth {
		return func(r *http.Request) { e.as("viewer")(r); r.Header.Set("Accept", v) }
	}
	for _, a := range []string{"", "text/plain", "*/*", "text/plain, application/json"} {
		r := e.want(http.StatusOK, "GET", log, "", accept(a))
		if string(r.body) != "log of load\n" || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
			t.Errorf("Accept %q: %s %q, want the text", a, r.header.Get("Content-Type"), r.body)
		}
	}
	type chunk struct {
		Content string  `json:"content"`
		Token   *string `json:"continuation_token"`
	}
	r := e.want(http.StatusOK, "GET", log, "", accept("application/json"))
	c := jsonOf[chunk](t, r)
	if r.header.Get("Content-Type") != "application/json" || c.Content != "log of load\n" || c.Token == nil || *c.Token != "12" {
		t.Fatalf("Accept application/json: %s %s, want {content, continuation_token 12}", r.header.Get("Content-Type"), r.body)
	}
	if c := jsonOf[chunk](t, e.want(http.StatusOK, "GET", log+"?token=7", "", accept("application/json"))); c.Content != "load\n" || *c.Token != "12" {
		t.Errorf("token=7: %+v, want the log from byte 7", c)
	}
	if c := jsonOf[chunk](t, e.want(http.StatusOK, "GET", log+"?token="+*c.Token, "", accept("application/json"))); c.Content != "" || *c.Token != "12" {
		t.Errorf("the last token: %+v, want nothing more", c)
	}
	if c := jsonOf[chunk](t, e.want(http.StatusOK, "GET", log+"?full_content=true&map_index=-1", "", accept("application/json"))); c.Content != "log of load\n" {
		t.Errorf("full_content: %+v, want the whole log", c)
	}
	e.problem(http.StatusNotFound, "GET", log+"?map_index=0", "", e.as("viewer"), "no task instance load[0]") // load is not mapped
	e.problem(http.StatusBadRequest, "GET", log+"?map_index=x", "", e.as("viewer"), "map_index must be -1")
	e.problem(http.StatusBadRequest, "GET", log+"?token=x", "", e.as("viewer"), "token must be a byte count")
	e.problem(http.StatusBadRequest, "GET", log+"?full_content=true&token=3", "", e.as("viewer"), "full_content=true reads the log from its start")
	e.problem(http.StatusBadRequest, "GET", log+"?full_content=perhaps", "", e.as("viewer"), "full_content must be true or false")
}

// Airflow's names in request bodies: execution_date for logical_date, roles: [{name}].
func TestAirflowRequestAliases(t *testing.T) {
	e := newEnv(t, nil)
	run := jsonOf[dagRun](t, e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/dagRuns", `{"dag_run_id":"old","execution_date":"2024-01-05T00:00:00Z"}`, e.as("user")))
	if !run.LogicalDate.Equal(day(5)) {
		t.Errorf("triggered with execution_date 2024-01-05: logical_date %s", run.LogicalDate)
	}
	if got := get[dagRun](e, "/api/v1/dags/pipe/dagRuns/old"); !got.LogicalDate.Equal(day(5)) {
		t.Errorf("the run recorded: logical_date %s", got.LogicalDate)
	}
	e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/dagRuns", `{"dag_run_id":"both","execution_date":"2024-01-06T00:00:00Z","logical_date":"2024-01-06T00:00:00Z"}`, e.as("user"))
	e.problem(http.StatusBadRequest, "POST", "/api/v1/dags/pipe/dagRuns", `{"execution_date":"2024-01-07T00:00:00Z","logical_date":"2024-01-08T00:00:00Z"}`, e.as("user"), "differ")
	// A trigger's note is kept with the run, as Airflow keeps it; setNote changes it.
	e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/dagRuns", `{"dag_run_id":"noted","note":"why"}`, e.as("user"))
	if n, err := e.app.Store.RunNote(t.Context(), "pipe", "noted"); err != nil || n == nil || *n != "why" {
		t.Errorf("the trigger's note was kept as %v (%v), want why", n, err)
	}
	if n := jsonOf[struct {
		Note *string `json:"note"`
	}](t, e.want(http.StatusOK, "PATCH", "/api/v1/dags/pipe/dagRuns/noted/setNote", `{"note":"why not"}`, e.as("user"))); n.Note == nil || *n.Note != "why not" {
		t.Errorf("setNote answered the note %v", n.Note)
	}

	type user struct {
		Username string `json:"username"`
		Roles    []struct {
			Name string `json:"name"`
		} `json:"roles"`
	}
	u := jsonOf[user](t, e.want(http.StatusOK, "POST", "/api/v1/users", `{"username":"carol","password":"pw-Carol-1234","email":"c@x","roles":[{"name":"Op"}]}`, e.as("admin")))
	if len(u.Roles) != 1 || u.Roles[0].Name != "Op" {
		t.Errorf("created with roles [Op]: %+v", u)
	}
	if got := get[user](e, "/api/v1/users/carol"); len(got.Roles) != 1 || got.Roles[0].Name != "Op" {
		t.Errorf("carol recorded as %+v, want Op", got)
	}
	e.problem(http.StatusBadRequest, "POST", "/api/v1/users", `{"username":"dan","password":"pw-Dan-12345","email":"d@x","roles":[{"name":"Op"},{"name":"Admin"}]}`, e.as("admin"), "one role, not 2")
	e.problem(http.StatusNotFound, "GET", "/api/v1/users/dan", "", e.as("admin"))
}

// A method a known path does not serve answers 405 and says which it does; a path that is no
// endpoint's stays 404.
func TestUnsupportedMethodIs405WithAllow(t *testing.T) {
	e := newEnv(t, nil)
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/api/v1/dags/pipe", "GET, HEAD, PATCH, DELETE"},
		{"PUT", "/api/v1/dags", "GET, HEAD, PATCH"},
		{"PUT", "/api/v1/dags/pipe/dagRuns/r1", "GET, HEAD, PATCH, DELETE"},
		{"GET", "/api/v1/dags/pipe/clearTaskInstances", "POST"},
		{"PUT", "/api/v1/users/admin", "GET, HEAD, PATCH, DELETE"},
		{"PUT", "/api/v1/pools/default_pool", "GET, HEAD, PATCH, DELETE"},
	} {
		r := e.call(c.method, c.path, "", e.as("admin"))
		checkProblem(t, c.method+" "+c.path, r, http.StatusMethodNotAllowed, "does not answer "+c.method)
		if got := r.header.Get("Allow"); got != c.allow {
			t.Errorf("%s %s: Allow %q, want %q", c.method, c.path, got, c.allow)
		}
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dagz", "", e.as("admin"), "no endpoint GET /api/v1/dagz")
	if r := e.call("DELETE", "/api/v1/dagz", "", e.as("admin")); r.status != http.StatusNotFound || r.header.Get("Allow") != "" {
		t.Errorf("DELETE of no endpoint: %d Allow %q, want 404 and no Allow", r.status, r.header.Get("Allow"))
	}
}

// xcomEntries pages as Airflow's: limit and offset, total_entries of every entry.
func TestXComEntriesPage(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("pipe", "r1", "")
	e.waitRun("pipe", "r1")
	const path = "/api/v1/dags/pipe/dagRuns/r1/taskInstances/transform/xcomEntries"
	type page struct {
		Entries []struct {
			Key string `json:"key"`
		} `json:"xcom_entries"`
		Total int `json:"total_entries"`
	}
	all := get[page](e, path)
	if len(all.Entries) != 2 || all.Total != 2 {
		t.Fatalf("transform's XComs: %+v, want note and return_value", all)
	}
	for i := range 2 {
		p := get[page](e, fmt.Sprintf("%s?limit=1&offset=%d", path, i))
		if len(p.Entries) != 1 || p.Entries[0].Key != all.Entries[i].Key || p.Total != 2 {
			t.Errorf("limit=1&offset=%d: %+v, want %s of 2", i, p, all.Entries[i].Key)
		}
	}
	e.problem(http.StatusBadRequest, "GET", path+"?limit=0", "", e.as("viewer"), "limit must be")
}

// A PATCH's update_mask (Airflow's) changes the fields it names and no other; a field it
// cannot change, or one the body lacks, is a 400.
func TestUpdateMask(t *testing.T) {
	e := newEnv(t, nil)
	before := get[map[string]any](e, "/api/v1/pools/default_pool")
	pool := jsonOf[map[string]any](t, e.want(http.StatusOK, "PATCH", "/api/v1/pools/default_pool?update_mask=description", `{"slots":3,"description":"the default"}`, e.as("op")))
	if pool["description"] != "the default" || pool["slots"] != before["slots"] {
		t.Errorf("update_mask=description: %v, want the description changed and slots %v", pool, before["slots"])
	}
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/pools/default_pool?update_mask=colour", `{"slots":3}`, e.as("op"), `"colour" is unknown`, "name, slots, description")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/pools/default_pool?update_mask=slots", `{"description":"x"}`, e.as("op"), `the body has no "slots"`)
	if p := get[map[string]any](e, "/api/v1/pools/default_pool"); p["slots"] != before["slots"] || p["description"] != "the default" {
		t.Errorf("refused PATCHes changed the pool: %v", p)
	}

	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"k","value":"v1","description":"d1"}`, e.as("op"))
	v := jsonOf[map[string]any](t, e.want(http.StatusOK, "PATCH", "/api/v1/variables/k?update_mask=description", `{"value":"v2","description":"d2"}`, e.as("op")))
	if v["value"] != "v1" || v["description"] != "d2" {
		t.Errorf("update_mask=description on a variable: %v, want value v1, description d2", v)
	}
	if v := get[map[string]any](e, "/api/v1/variables/k"); v["value"] != "v1" {
		t.Errorf("the variable stored: %v", v)
	}
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/variables/k?update_mask=val", `{"value":"v2"}`, e.as("op"), "key, value, description")

	e.want(http.StatusOK, "PATCH", "/api/v1/dags/pipe?update_mask=is_paused", `{"is_paused":true}`, e.as("user"))
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/pipe?update_mask=description", `{"is_paused":false}`, e.as("user"), "the fields are is_paused")
	if d := get[map[string]any](e, "/api/v1/dags/pipe"); d["is_paused"] != true {
		t.Errorf("pipe after the refused PATCH: is_paused %v, want true", d["is_paused"])
	}
}
