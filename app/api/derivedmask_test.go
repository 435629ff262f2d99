package api_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

// derived makes text of Variables rather than quoting them: a module's args, a run_if, a
// branch, an expression sensor and mounts, each of which renders or fails on what it made.
// The Variables' keys name no secret: what hides them is that a render read them.
var derived = map[string]string{"derived.yaml": `dag_id: derived
schedule: null
is_paused_upon_creation: false
tasks:
  - id: connect
    module: modules/echo.wasm
    args: ["--auth={{ toBase64(var('user') + ':' + var('code')) }}", "{{ fromJSON(var('db')).pw }}", "{{ upper(var('code')) }}", "x{{ var('code')[3:10] }}", "{{ var('region', 'eu-west') }}"]
  - id: gate
    module: modules/echo.wasm
    run_if: 'int(var("code")) > 0'
  - id: pick
    branch: 'fromJSON(var("db")).pw'
  - id: after
    module: modules/echo.wasm
    upstream: [pick]
  - id: poke
    sensor: 'int(upper(var("code"))) > 0'
  - id: look
    sensor: 'file_exists("/data/ready")'
    mounts: ["{{ lower(var('dir')) }}:/data"]
  - id: copy
    module: modules/echo.wasm
    mounts: ["{{ lower(var('dir')) }}/in:/data"]
`}

const (
	derivedCode = "hunter2-S3cret"
	derivedPW   = "pg-Pa55word"
	derivedDir  = "/opt/Priv-Zq81"
)

// TestDerivedValuesMaskedBelowOp: what a template or expression makes of a Variable (its
// base64, a field of its JSON, upper, a slice, a lowered path) is hidden from Viewers like the
// Variable itself: in the rendered task instance, in the reasons of tasks whose run_if, branch,
// sensor or mount failed on it, and in the lines the scheduler wrote to their logs.
func TestDerivedValuesMaskedBelowOp(t *testing.T) {
	e := newEnv(t, derived)
	for _, v := range []string{`{"key":"user","value":"app"}`, `{"key":"code","value":"` + derivedCode + `"}`,
		`{"key":"db","value":"{\"pw\":\"` + derivedPW + `\"}"}`, `{"key":"dir","value":"` + derivedDir + `"}`} {
		e.want(http.StatusOK, "POST", "/api/v1/variables", v, e.as("op"))
	}
	e.startScheduler()
	e.trigger("derived", "r1", "")
	e.waitRun("derived", "r1")

	leaks := []string{derivedCode, derivedPW, strings.ToLower(derivedDir), strings.ToUpper(derivedCode), derivedCode[3:10],
		base64.StdEncoding.EncodeToString([]byte("app:" + derivedCode))}
	leaked := func(where string, body []byte) {
		t.Helper()
		for _, s := range leaks {
			if strings.Contains(string(body), s) {
				t.Errorf("a Viewer reads %q in %s: %s", s, where, body)
			}
		}
	}
	const run = "/api/v1/dags/derived/dagRuns/r1/taskInstances"
	r := e.want(http.StatusOK, "GET", run+"/connect", "", e.as("viewer"))
	leaked("the rendered task instance", r.body)
	got := jsonOf[struct {
		Rendered struct {
			Args []string `json:"args"`
		} `json:"rendered"`
	}](t, r).Rendered.Args
	if want := []string{"--auth=***", "***", "***", "x***", "eu-west"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("a Viewer's rendered args = %q, want %q (the DAG file's own text and default as they are)", got, want)
	}
	opArgs := jsonOf[struct {
		Rendered struct {
			Args []string `json:"args"`
		} `json:"rendered"`
	}](t, e.want(http.StatusOK, "GET", run+"/connect", "", e.as("op"))).Rendered.Args
	if len(opArgs) != 5 || opArgs[1] != derivedPW || opArgs[2] != strings.ToUpper(derivedCode) {
		t.Errorf("an Op's rendered args = %q, want them in clear", opArgs)
	}

	tis := jsonOf[struct {
		TaskInstances []taskInstance `json:"task_instances"`
	}](t, e.want(http.StatusOK, "GET", run, "", e.as("viewer"))).TaskInstances
	reasons := map[string]string{}
	for _, ti := range tis {
		reasons[ti.TaskID] = stateOf(ti) + ": " + ti.Reason
	}
	for id, want := range map[string]string{"gate": "failed: run_if: ***", "pick": `failed: branch: branch chose "***", which is not a direct downstream task of pick ([after])`, "poke": "failed: sensor: ***",
		"look": "failed: sensor: ***", "copy": "failed: ***"} {
		if reasons[id] != want {
			t.Errorf("a Viewer reads the reason of %s as %q, want %q", id, reasons[id], want)
		}
	}
	leaked("the task instances", e.want(http.StatusOK, "GET", run, "", e.as("viewer")).body)
	for _, id := range []string{"pick", "poke", "look", "copy"} {
		leaked("the log of "+id, e.want(http.StatusOK, "GET", run+"/"+id+"/logs/1", "", e.as("viewer")).body)
	}
}
