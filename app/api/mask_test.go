package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// secretive reads a secret Variable into its args, env and stdin, and a harmless one with a
// default the DAG file shows anyway.
var secretive = map[string]string{"secretive.yaml": `dag_id: secretive
schedule: null
is_paused_upon_creation: false
tasks:
  - id: connect
    module: modules/echo.wasm
    args: ["--password={{ var(\"db_password\") }}", "{{ var(\"region\", \"eu-west\") }}"]
    env: {PW: "{{ var(\"db_password\") }}", DSN: "postgres://app:{{ var(\"db_password\") }}@db/app", BUCKET: "{{ var(\"bucket\") }}"}
    stdin: "{{ var(\"db_password\") }}"
`}

const dbPassword = "hunter2-S3cret"

func TestRenderedMasksVariablesBelowOp(t *testing.T) {
	e := newEnv(t, secretive)
	for _, v := range []string{`{"key":"db_password","value":"` + dbPassword + `"}`, `{"key":"bucket","value":"reports-bucket"}`} {
		e.want(http.StatusOK, "POST", "/api/v1/variables", v, e.as("op"))
	}
	e.startScheduler()
	e.trigger("secretive", "r1", "")
	if run := e.waitRun("secretive", "r1"); run.State != "success" {
		t.Fatalf("run r1: %+v; tasks %+v", run, e.tis("secretive", "r1"))
	}
	type rendered struct {
		Args  []string          `json:"args"`
		Env   map[string]string `json:"env"`
		Stdin string            `json:"stdin"`
	}
	const path = "/api/v1/dags/secretive/dagRuns/r1/taskInstances/connect"
	for _, who := range []string{"viewer", "user"} {
		r := e.want(http.StatusOK, "GET", path, "", e.as(who))
		if strings.Contains(string(r.body), dbPassword) || strings.Contains(string(r.body), "reports-bucket") {
			t.Errorf("%s reads a Variable's value in the rendered task instance: %s", who, r.body)
		}
		got := jsonOf[struct {
			Rendered rendered `json:"rendered"`
		}](t, r).Rendered
		if len(got.Args) != 2 || got.Args[0] != "--password=***" || got.Args[1] != "eu-west" ||
			got.Env["PW"] != "***" || got.Env["DSN"] != "postgres://app:***@db/app" || got.Env["BUCKET"] != "***" ||
			got.Stdin != "***" || got.Env["WASMFLOW_DAG_ID"] != "secretive" {
			t.Errorf("%s's rendered fields, want the Variables' values as *** (the DAG file's default as is): %+v", who, got)
		}
	}
	for _, who := range []string{"op", "admin"} {
		got := jsonOf[struct {
			Rendered rendered `json:"rendered"`
		}](t, e.want(http.StatusOK, "GET", path, "", e.as(who))).Rendered
		if len(got.Args) != 2 || got.Args[0] != "--password="+dbPassword || got.Env["PW"] != dbPassword ||
			got.Env["DSN"] != "postgres://app:"+dbPassword+"@db/app" || got.Env["BUCKET"] != "reports-bucket" || got.Stdin != dbPassword {
			t.Errorf("%s (who may read Variables) sees the rendered fields masked: %+v", who, got)
		}
	}
}
