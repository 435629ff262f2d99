package api_test

import (
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

type runList struct {
	DagRuns []dagRun `json:"dag_runs"`
	Total   int      `json:"total_entries"`
}

func runIDs(l runList) []string {
	out := []string{}
	for _, r := range l.DagRuns {
		out = append(out, r.DagRunID)
	}
	return out
}

// Without a scheduler, triggering records a queued run, and the list, filters and pagination
// of runs work on the metastore alone.
func TestRunsListAndTriggerInput(t *testing.T) {
	e := newEnv(t, nil)
	day := func(d int) time.Time { return time.Date(2024, 1, d, 0, 0, 0, 0, time.UTC) }
	seedRun(t, e.app.Store, "", "pipe", "a", day(1), tasks.StateSuccess, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "b", day(2), tasks.StateFailed, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "c", day(3), tasks.StateSuccess, 1, "extract")
	seedRun(t, e.app.Store, "", "naps", "x", day(2), tasks.StateSuccess, 1, "nap")

	l := jsonOf[runList](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns", "", e.as("viewer")))
	if !reflect.DeepEqual(runIDs(l), []string{"c", "b", "a"}) || l.Total != 3 {
		t.Errorf("runs of pipe %v (%d), want newest first c b a", runIDs(l), l.Total)
	}
	for q, want := range map[string][]string{
		"order_by=logical_date":                       {"a", "b", "c"},
		"order_by=-logical_date":                      {"c", "b", "a"},
		"state=success":                               {"c", "a"},
		"state=success&state=failed":                  {"c", "b", "a"},
		"state=running":                               {},
		"state=success&order_by=logical_date&limit=1": {"a"},
		"limit=1&offset=1":                            {"b"},
	} {
		if got := runIDs(get[runList](e, "/api/v1/dags/pipe/dagRuns?"+q)); !reflect.DeepEqual(got, want) {
			t.Errorf("dagRuns?%s: %v, want %v", q, got, want)
		}
	}
	if l := get[runList](e, "/api/v1/dags/pipe/dagRuns?state=success&limit=1"); l.Total != 2 {
		t.Errorf("total_entries counts the filtered runs, not the page: %d", l.Total)
	}
	checkPagination(t, e, "/api/v1/dags/pipe/dagRuns", func(r resp) (int, int) { l := jsonOf[runList](t, r); return len(l.DagRuns), l.Total })
	e.problem(http.StatusBadRequest, "GET", "/api/v1/dags/pipe/dagRuns?state=done", "", e.as("viewer"), `state "done" is not one of`)
	e.problem(http.StatusBadRequest, "GET", "/api/v1/dags/pipe/dagRuns?order_by=colour", "", e.as("viewer"), "order_by must be one of", "start_date")
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/nope/dagRuns", "", e.as("viewer"), `DAG "nope" not found`)

	// One run, by id or logical date.
	r := jsonOf[dagRun](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/b", "", e.as("viewer")))
	if r.DagRunID != "b" || r.State != "failed" || !r.LogicalDate.Equal(day(2)) || r.RunType != "manual" || r.StartDate == nil {
		t.Errorf("run b: %+v", r)
	}
	if r := get[dagRun](e, "/api/v1/dags/pipe/dagRuns/2024-01-03"); r.DagRunID != "c" {
		t.Errorf("run by date 2024-01-03: %+v", r)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/zzz", "", e.as("viewer"), `no run "zzz"`)
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/2030-01-01", "", e.as("viewer"), "no run at logical date")
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/nope/dagRuns/a", "", e.as("viewer"), `DAG "nope" not found`)
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/naps/dagRuns/a", "", e.as("viewer"), `no run "a"`)

	// Trigger: conf and logical date are kept; bad input is a 400 that says what is wrong.
	run := jsonOf[dagRun](t, e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/dagRuns",
		`{"dag_run_id":"manual_1","logical_date":"2024-02-01T12:00:00+02:00","conf":{"word":"hej","n":[1,2]}}`, e.as("user")))
	if run.DagRunID != "manual_1" || run.State != "queued" || !run.LogicalDate.Equal(time.Date(2024, 2, 1, 10, 0, 0, 0, time.UTC)) ||
		run.Conf["word"] != "hej" || !run.ExternalTrigger || run.RunType != "manual" {
		t.Errorf("triggered run: %+v", run)
	}
	if r := get[dagRun](e, "/api/v1/dags/pipe/dagRuns/manual_1"); !reflect.DeepEqual(r.Conf, map[string]any{"word": "hej", "n": []any{1.0, 2.0}}) {
		t.Errorf("stored conf: %v", r.Conf)
	}
	if tis := e.tis("pipe", "manual_1"); len(tis) != 3 || stateOf(tis["extract"]) != "none" {
		t.Errorf("a triggered run has its task instances, state none: %+v", tis)
	}
	auto := jsonOf[dagRun](t, e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/dagRuns", `{}`, e.as("user")))
	if !strings.HasPrefix(auto.DagRunID, "manual__") || time.Since(auto.LogicalDate) > time.Minute || auto.Conf == nil {
		t.Errorf("a run without id or date: %+v", auto)
	}
	e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/dagRuns", `{"conf":null}`, e.as("user"))
	// A run that exists already is a conflict, as Airflow answers it.
	e.problem(http.StatusConflict, "POST", "/api/v1/dags/pipe/dagRuns", `{"dag_run_id":"manual_1"}`, e.as("user"), "already has a run \"manual_1\"")
	e.problem(http.StatusConflict, "POST", "/api/v1/dags/pipe/dagRuns", `{"logical_date":"2024-02-01T12:00:00+02:00"}`, e.as("user"), "already has a run at logical date")
	for _, c := range []struct{ body, says string }{
		{`{"conf":"word=hej"}`, "conf must be a JSON object"},
		{`{"conf":[1,2]}`, "conf must be a JSON object"},
		{`{"conf":{"word":}}`, "not valid JSON"},
		{`{"conf":{}`, "not valid JSON"},
		{`not json`, "not valid JSON"},
		{`{"dag_run_id":"has space"}`, "may only contain"},
		{`{"dag_run_id":"a/b"}`, "may only contain"},
		{`{"logical_date":"tomorrow"}`, "not valid JSON"},
		{`{"logical_date":"` + time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339) + `"}`, "in the future"},
		{`{"execution_date":"2024-01-01T00:00:00Z","logical_date":"2024-01-02T00:00:00Z"}`, "differ"},
	} {
		e.problem(http.StatusBadRequest, "POST", "/api/v1/dags/pipe/dagRuns", c.body, e.as("user"), c.says)
	}
	e.problem(http.StatusNotFound, "POST", "/api/v1/dags/nope/dagRuns", `{}`, e.as("user"), `DAG "nope" not found`)
	e.problem(http.StatusNotFound, "POST", "/api/v1/dags/broken/dagRuns", `{}`, e.as("user"), `DAG "broken" not found`)
	// Marking a run needs the scheduler, which this process does not run: a 400 that says so.
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/pipe/dagRuns/a", `{"state":"failed"}`, e.as("user"), "needs the scheduler")
	// The audit log names who triggered.
	ev := get[struct {
		EventLogs []struct {
			Event string `json:"event"`
			Owner string `json:"owner"`
			RunID string `json:"run_id"`
		} `json:"event_logs"`
	}](e, "/api/v1/eventLogs")
	found := false
	for _, x := range ev.EventLogs {
		found = found || (x.Event == "dag.trigger" && x.Owner == "user" && x.RunID == "manual_1")
	}
	if !found {
		t.Errorf("no dag.trigger by user of manual_1 in the audit log: %+v", ev.EventLogs)
	}
}

// With the scheduler: a triggered run goes to success, and its task instances, tries, logs
// and XComs are served.
func TestRunToSuccessAndItsTaskInstances(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("pipe", "r1", `{"word":"bonjour"}`)
	if run := e.waitRun("pipe", "r1"); run.State != "success" || run.EndDate == nil {
		t.Fatalf("run r1: %+v; tasks %+v", run, e.tis("pipe", "r1"))
	}
	type tiList struct {
		TaskInstances []taskInstance `json:"task_instances"`
		Total         int            `json:"total_entries"`
	}
	l := jsonOf[tiList](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances", "", e.as("viewer")))
	var order []string
	for _, ti := range l.TaskInstances {
		order = append(order, ti.TaskID)
		if stateOf(ti) != "success" || ti.TryNumber != 1 || ti.Duration == nil || ti.ExitCode == nil || *ti.ExitCode != 0 || ti.Hostname == "" ||
			ti.Pool != "default_pool" || ti.DagRunID != "r1" || ti.MaxTries != 0 {
			t.Errorf("task instance %+v", ti)
		}
	}
	if !reflect.DeepEqual(order, []string{"extract", "transform", "load"}) || l.Total != 3 {
		t.Errorf("task instances in %v (%d), want topological order", order, l.Total)
	}
	checkPagination(t, e, "/api/v1/dags/pipe/dagRuns/r1/taskInstances", func(r resp) (int, int) {
		l := jsonOf[tiList](t, r)
		return len(l.TaskInstances), l.Total
	})
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/nope/taskInstances", "", e.as("viewer"), `no run "nope"`)

	// One task instance, rendered with the run's conf and the XComs.
	type tiDetail struct {
		taskInstance
		Rendered struct {
			Module string            `json:"module"`
			Args   []string          `json:"args"`
			Env    map[string]string `json:"env"`
		} `json:"rendered"`
		Why string `json:"why"`
	}
	d := jsonOf[tiDetail](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/load", "", e.as("viewer")))
	if d.TaskID != "load" || stateOf(d.taskInstance) != "success" || !reflect.DeepEqual(d.Rendered.Args, []string{"got 42"}) ||
		!strings.HasSuffix(d.Rendered.Module, "echo.wasm") || d.Why != "" {
		t.Errorf("task instance load: %+v", d)
	}
	if d := get[tiDetail](e, "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract"); !reflect.DeepEqual(d.Rendered.Args, []string{"bonjour"}) {
		t.Errorf("extract rendered with the conf: %+v", d.Rendered)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/nope", "", e.as("viewer"), `no task "nope"`)

	// The log, whole and from an offset.
	r := e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract/logs/1", "", e.as("viewer"))
	if !strings.Contains(string(r.body), "bonjour") || r.header.Get("X-Log-Offset") != strconv.Itoa(len(r.body)) || !strings.HasPrefix(r.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("log of extract: %q, X-Log-Offset %s", r.body, r.header.Get("X-Log-Offset"))
	}
	at := strings.Index(string(r.body), "bonjour")
	tail := e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract/logs/1?offset="+strconv.Itoa(at), "", e.as("viewer"))
	if string(tail.body) != string(r.body[at:]) || tail.header.Get("X-Log-Offset") != strconv.Itoa(len(r.body)) {
		t.Errorf("log from offset %d: %q (X-Log-Offset %s), want %q", at, tail.body, tail.header.Get("X-Log-Offset"), r.body[at:])
	}
	end := e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract/logs/1?offset=100000", "", e.as("viewer"))
	if len(end.body) != 0 || end.header.Get("X-Log-Offset") != "100000" {
		t.Errorf("log past its end: %q, X-Log-Offset %s", end.body, end.header.Get("X-Log-Offset"))
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract/logs/2", "", e.as("viewer"), "no try 2")

	// XComs of transform: both files it wrote.
	type xcom struct {
		Key       string    `json:"key"`
		Value     string    `json:"value"`
		TaskID    string    `json:"task_id"`
		DagID     string    `json:"dag_id"`
		DagRunID  string    `json:"dag_run_id"`
		Timestamp time.Time `json:"timestamp"`
	}
	xs := jsonOf[struct {
		XComEntries []xcom `json:"xcom_entries"`
		Total       int    `json:"total_entries"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/transform/xcomEntries", "", e.as("viewer")))
	sort.Slice(xs.XComEntries, func(i, j int) bool { return xs.XComEntries[i].Key < xs.XComEntries[j].Key })
	if xs.Total != 2 || len(xs.XComEntries) != 2 || xs.XComEntries[0].Key != "note" || xs.XComEntries[0].Value != "fine" ||
		xs.XComEntries[1].Key != "return_value" || xs.XComEntries[1].Value != "42" || xs.XComEntries[1].DagRunID != "r1" ||
		xs.XComEntries[1].TaskID != "transform" || xs.XComEntries[1].Timestamp.IsZero() {
		t.Errorf("xcoms of transform: %+v", xs)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/nope/xcomEntries", "", e.as("viewer"), `no task "nope"`)

	// Tries: one, ended success.
	tries := jsonOf[tiList](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/extract/tries", "", e.as("viewer")))
	if tries.Total != 1 || len(tries.TaskInstances) != 1 || stateOf(tries.TaskInstances[0]) != "success" || tries.TaskInstances[0].TryNumber != 1 {
		t.Errorf("tries of extract: %+v", tries)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/r1/taskInstances/nope/tries", "", e.as("viewer"), `no task "nope"`)
}

func TestRetriesAreTries(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("flaky", "f1", "")
	if run := e.waitRun("flaky", "f1"); run.State != "success" {
		t.Fatalf("flaky run: %+v %+v", run, e.tis("flaky", "f1"))
	}
	ti := e.tis("flaky", "f1")["flaky"]
	if ti.TryNumber != 2 || stateOf(ti) != "success" || ti.MaxTries != 1 {
		t.Errorf("flaky: %+v, want success on try 2 of max_tries 1 (retries)", ti)
	}
	tries := get[struct {
		TaskInstances []taskInstance `json:"task_instances"`
		Total         int            `json:"total_entries"`
	}](e, "/api/v1/dags/flaky/dagRuns/f1/taskInstances/flaky/tries")
	if tries.Total != 2 || stateOf(tries.TaskInstances[0]) != "failed" || tries.TaskInstances[0].TryNumber != 1 ||
		tries.TaskInstances[0].ExitCode == nil || *tries.TaskInstances[0].ExitCode != 1 || stateOf(tries.TaskInstances[1]) != "success" {
		t.Errorf("tries: %+v", tries.TaskInstances)
	}
	log1 := e.want(http.StatusOK, "GET", "/api/v1/dags/flaky/dagRuns/f1/taskInstances/flaky/logs/1", "", e.as("viewer"))
	log2 := e.want(http.StatusOK, "GET", "/api/v1/dags/flaky/dagRuns/f1/taskInstances/flaky/logs/2", "", e.as("viewer"))
	if !strings.Contains(string(log1.body), "failing on purpose") || !strings.Contains(string(log2.body), "try 2: success") {
		t.Errorf("logs of the two tries: %q / %q", log1.body, log2.body)
	}
}

func TestClearAndMark(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("pipe", "r1", "")
	e.trigger("pipe", "r2", "")
	e.waitRun("pipe", "r1")
	e.waitRun("pipe", "r2")

	type cleared struct {
		TaskInstances []struct {
			DagID    string  `json:"dag_id"`
			DagRunID string  `json:"dag_run_id"`
			TaskID   string  `json:"task_id"`
			State    *string `json:"state"`
		} `json:"task_instances"`
	}
	names := func(c cleared) []string {
		out := []string{}
		for _, ti := range c.TaskInstances {
			out = append(out, ti.DagRunID+"/"+ti.TaskID)
		}
		sort.Strings(out)
		return out
	}
	clear := func(body string) []string {
		t.Helper()
		return names(jsonOf[cleared](t, e.want(http.StatusOK, "POST", "/api/v1/dags/pipe/clearTaskInstances", body, e.as("user"))))
	}
	// A dry run says what would be cleared and clears nothing.
	if got := clear(`{"dag_run_id":"r1","task_ids":["transform"],"include_downstream":true,"only_failed":false,"dry_run":true}`); !reflect.DeepEqual(got, []string{"r1/load", "r1/transform"}) {
		t.Errorf("dry run with downstream: %v", got)
	}
	if got := clear(`{"dag_run_id":"r1","task_ids":["transform"],"include_upstream":true,"only_failed":false,"dry_run":true}`); !reflect.DeepEqual(got, []string{"r1/extract", "r1/transform"}) {
		t.Errorf("dry run with upstream: %v", got)
	}
	if got := clear(`{"task_ids":["load"],"only_failed":false,"dry_run":true}`); !reflect.DeepEqual(got, []string{"r1/load", "r2/load"}) {
		t.Errorf("dry run over every run: %v", got)
	}
	if got := clear(`{"dag_run_id":"r1","only_failed":true,"dry_run":true}`); len(got) != 0 {
		t.Errorf("only_failed in a run without failures: %v", got)
	}
	if got := clear(`{"task_ids":["t.*"],"only_failed":false,"dry_run":true}`); len(got) != 0 {
		t.Errorf("task_ids are ids, not patterns: %v", got)
	}
	if run := get[dagRun](e, "/api/v1/dags/pipe/dagRuns/r1"); run.State != "success" || e.tis("pipe", "r1")["load"].TryNumber != 1 {
		t.Fatalf("a dry run changed r1: %+v", run)
	}
	// A real clear: load runs again as try 2, the run ends success again; r2 is untouched.
	if got := clear(`{"dag_run_id":"r1","task_ids":["load"],"only_failed":false,"dry_run":false}`); !reflect.DeepEqual(got, []string{"r1/load"}) {
		t.Errorf("clear load of r1: %v", got)
	}
	waitUntil(t, 30*time.Second, "load of r1 runs again", func() bool {
		ti := e.tis("pipe", "r1")["load"]
		return ti.TryNumber == 2 && stateOf(ti) == "success"
	})
	if run := e.waitRun("pipe", "r1"); run.State != "success" {
		t.Errorf("r1 after the clear: %+v", run)
	}
	if ti := e.tis("pipe", "r2")["load"]; ti.TryNumber != 1 {
		t.Errorf("r2's load was cleared too: %+v", ti)
	}
	if ti := e.tis("pipe", "r1")["extract"]; ti.TryNumber != 1 {
		t.Errorf("r1's extract was cleared too: %+v", ti)
	}
	for _, c := range []struct {
		status    int
		dag, body string
		says      string
	}{
		{http.StatusNotFound, "pipe", `{"dag_run_id":"nope"}`, `no run "nope"`},
		{http.StatusNotFound, "nope", `{"dag_run_id":"r1"}`, `DAG "nope" not found`},
		{http.StatusNotFound, "nope", `{}`, `DAG "nope" not found`},
		{http.StatusBadRequest, "pipe", `{"dag_run_id":"r1","task_ids":"load"}`, "not valid JSON"},
		{http.StatusBadRequest, "pipe", `{"dag_run_id":"r1","only_failed":"yes"}`, "not valid JSON"},
		{http.StatusBadRequest, "pipe", `{"dag_run_id":"r1","reset_dag_runs":true}`, `unknown field "reset_dag_runs"`},
		{http.StatusBadRequest, "pipe", `{"start_date":"2024-02-01T00:00:00Z","end_date":"2024-01-01T00:00:00Z"}`, "before the start date"},
	} {
		e.problem(c.status, "POST", "/api/v1/dags/"+c.dag+"/clearTaskInstances", c.body, e.as("user"), c.says)
	}

	// Mark a task instance, then a run.
	ti := jsonOf[taskInstance](t, e.want(http.StatusOK, "PATCH", "/api/v1/dags/pipe/dagRuns/r2/taskInstances/load", `{"new_state":"failed","dry_run":true}`, e.as("user")))
	if stateOf(ti) != "success" {
		t.Errorf("a dry-run mark changed load: %+v", ti)
	}
	ti = jsonOf[taskInstance](t, e.want(http.StatusOK, "PATCH", "/api/v1/dags/pipe/dagRuns/r2/taskInstances/load", `{"new_state":"failed"}`, e.as("user")))
	if stateOf(ti) != "failed" || ti.TaskID != "load" {
		t.Errorf("marked load failed: %+v", ti)
	}
	if got := stateOf(e.tis("pipe", "r2")["load"]); got != "failed" {
		t.Errorf("load of r2 is %s after being marked failed", got)
	}
	// only_failed now finds it.
	if got := clear(`{"only_failed":true,"dry_run":true}`); !reflect.DeepEqual(got, []string{"r2/load"}) {
		t.Errorf("only_failed over every run: %v", got)
	}
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/pipe/dagRuns/r2/taskInstances/load", `{"new_state":"running"}`, e.as("user"), `not "running"`)
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/pipe/dagRuns/r2/taskInstances/load", `{"state":"failed"}`, e.as("user"), `unknown field "state"`)
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/dags/pipe/dagRuns/r2/taskInstances/nope", `{"new_state":"failed"}`, e.as("user"), `no task "nope"`)
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/dags/pipe/dagRuns/zz/taskInstances/load", `{"new_state":"failed"}`, e.as("user"), `no run "zz"`)

	run := jsonOf[dagRun](t, e.want(http.StatusOK, "PATCH", "/api/v1/dags/pipe/dagRuns/r1", `{"state":"failed"}`, e.as("user")))
	if run.State != "failed" || run.DagRunID != "r1" {
		t.Errorf("marked r1 failed: %+v", run)
	}
	if r := get[dagRun](e, "/api/v1/dags/pipe/dagRuns/r1"); r.State != "failed" {
		t.Errorf("r1 is %s after being marked failed", r.State)
	}
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/pipe/dagRuns/r1", `{"state":"queued"}`, e.as("user"), `not "queued"`)
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags/pipe/dagRuns/r1", `{}`, e.as("user"), "success or failed")
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/dags/pipe/dagRuns/zz", `{"state":"failed"}`, e.as("user"), `no run "zz"`)
	e.problem(http.StatusNotFound, "PATCH", "/api/v1/dags/nope/dagRuns/r1", `{"state":"failed"}`, e.as("user"), `DAG "nope" not found`)
	events := get[struct {
		EventLogs []struct {
			Event string `json:"event"`
			Owner string `json:"owner"`
		} `json:"event_logs"`
	}](e, "/api/v1/eventLogs")
	seen := map[string]string{}
	for _, ev := range events.EventLogs {
		seen[ev.Event] = ev.Owner
	}
	for _, ev := range []string{"dag.trigger", "task.clear", "task.mark_failed", "dag_run.mark_failed"} {
		if seen[ev] != "user" {
			t.Errorf("the audit log has no %s by user: %v", ev, seen)
		}
	}
}

// A run of a paused DAG waits, and its task instance says why.
func TestWhyATaskWaits(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("quiet", "q1", "")
	var why string
	waitUntil(t, 10*time.Second, "the waiting task says why", func() bool {
		why = get[struct {
			Why string `json:"why"`
		}](e, "/api/v1/dags/quiet/dagRuns/q1/taskInstances/only").Why
		return why != ""
	})
	if !strings.Contains(why, "paused") {
		t.Errorf("why the task of a paused DAG waits: %q", why)
	}
	if run := get[dagRun](e, "/api/v1/dags/quiet/dagRuns/q1"); run.State != "queued" {
		t.Errorf("the run of a paused DAG is %s", run.State)
	}
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/quiet", `{"is_paused":false}`, e.as("user"))
	if run := e.waitRun("quiet", "q1"); run.State != "success" {
		t.Errorf("q1 after unpausing: %+v", run)
	}
}
