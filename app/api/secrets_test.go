package api_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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

// secretiveRun runs secretive once (r1) with its Variables set.
func secretiveRun(t *testing.T) *env {
	e := newEnv(t, secretive)
	for _, v := range []string{`{"key":"db_password","value":"` + dbPassword + `"}`, `{"key":"bucket","value":"reports-bucket"}`} {
		e.want(http.StatusOK, "POST", "/api/v1/variables", v, e.as("op"))
	}
	e.startScheduler()
	e.trigger("secretive", "r1", "")
	if run := e.waitRun("secretive", "r1"); run.State != "success" {
		t.Fatalf("run r1: %+v; tasks %+v", run, e.tis("secretive", "r1"))
	}
	return e
}

func TestRenderedMasksVariablesBelowOp(t *testing.T) {
	e := secretiveRun(t)
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

// TestHomeFilesOwnerOnly: the metastore (Variables, password hashes, XComs) and the logs
// (whatever tasks print) are created readable by their owner only.
func TestHomeFilesOwnerOnly(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("pipe", "r1", "")
	if run := e.waitRun("pipe", "r1"); run.State != "success" {
		t.Fatalf("run r1: %+v", run)
	}
	db := filepath.Join(e.home, "wasmflow.db")
	logs := filepath.Join(e.home, "logs")
	want := map[string]os.FileMode{
		db: 0o600, db + "-wal": 0o600, db + "-shm": 0o600,
		logs: 0o700, filepath.Join(logs, "pipe"): 0o700, filepath.Join(logs, "pipe", "r1"): 0o700,
		filepath.Join(logs, "pipe", "r1", "extract"): 0o700, filepath.Join(logs, "pipe", "r1", "extract", "1.log"): 0o600,
		filepath.Join(e.home, "api.secret"): 0o600,
	}
	for path, mode := range want {
		fi, err := os.Stat(path)
		if err != nil {
			t.Errorf("after a run: %v", err)
			continue
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %04o, want %04o", path, fi.Mode().Perm(), mode)
		}
	}
}

// TestWiderModesWarned: a home whose metastore others may read (made by an older wasmflow,
// or copied) gets a warning at start that names the file and the chmod, and keeps its mode.
func TestWiderModesWarned(t *testing.T) {
	home := t.TempDir()
	db := filepath.Join(home, "wasmflow.db")
	if err := os.WriteFile(db, nil, 0o644); err != nil { // an empty file is an empty SQLite database
		t.Fatal(err)
	}
	if err := os.Chmod(db, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	e := openEnv(t, home)
	out := e.logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "path="+db+" ") || !strings.Contains(out, `fix="chmod 600 `+db+`"`) ||
		!strings.Contains(out, "mode=0644") {
		t.Errorf("a 0644 metastore at start, want a warning naming it and its chmod; the log:\n%s", out)
	}
	if fi, err := os.Stat(db); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("the user's file was changed: %v %v", fi.Mode(), err)
	}
	if strings.Contains(out, "api.secret") {
		t.Errorf("a warning about a file wasmflow created owner-only:\n%s", out)
	}
}

// TestVariableListingMasksSecretNames: Airflow's rule for listings: a Variable whose key names
// a secret shows "***"; one GET by a role that may read Variables returns it. The UI's edit
// form, prefilled from the listing, sends "***" back: that keeps the value.
func TestVariableListingMasksSecretNames(t *testing.T) {
	e := newEnv(t, nil)
	for _, v := range []string{`{"key":"db_password","value":"` + dbPassword + `"}`, `{"key":"Stripe_API_KEY","value":"sk_live_1"}`,
		`{"key":"bucket","value":"reports-bucket"}`} {
		e.want(http.StatusOK, "POST", "/api/v1/variables", v, e.as("op"))
	}
	for _, who := range []string{"op", "admin"} {
		r := e.want(http.StatusOK, "GET", "/api/v1/variables", "", e.as(who))
		if strings.Contains(string(r.body), dbPassword) || strings.Contains(string(r.body), "sk_live_1") {
			t.Errorf("%s's variable listing shows a secret: %s", who, r.body)
		}
		got := map[string]string{}
		for _, v := range jsonOf[struct {
			Variables []variable `json:"variables"`
		}](t, r).Variables {
			got[v.Key] = v.Value
		}
		if got["db_password"] != "***" || got["Stripe_API_KEY"] != "***" || got["bucket"] != "reports-bucket" {
			t.Errorf("%s's listing: %v, want the secret names' values as ***", who, got)
		}
	}
	if v := jsonOf[variable](t, e.want(http.StatusOK, "GET", "/api/v1/variables/db_password", "", e.as("op"))); v.Value != dbPassword {
		t.Errorf("GET of one variable: %+v, want its value", v)
	}
	e.want(http.StatusOK, "PATCH", "/api/v1/variables/db_password", `{"value":"***","description":"the app's"}`, e.as("op"))
	if v := get[variable](e, "/api/v1/variables/db_password"); v.Value != dbPassword || v.Description != "the app's" {
		t.Errorf("PATCH with the listing's *** changed the secret: %+v", v)
	}
	e.want(http.StatusOK, "PATCH", "/api/v1/variables/db_password", `{"value":"rotated-1"}`, e.as("op"))
	if v := get[variable](e, "/api/v1/variables/db_password"); v.Value != "rotated-1" {
		t.Errorf("PATCH with a new value: %+v", v)
	}
	e.want(http.StatusOK, "PATCH", "/api/v1/variables/bucket", `{"value":"***"}`, e.as("op")) // no secret name: a value like any other
	if v := get[variable](e, "/api/v1/variables/bucket"); v.Value != "***" {
		t.Errorf("PATCH of bucket to ***: %+v", v)
	}
}

// TestLogMasksSecretVariables: what a task prints of a Variable whose key names a secret is
// *** in its served log, for every role, whole, from any offset and followed; the offsets
// stay the file's. bucket (no secret name) is printed as is.
func TestLogMasksSecretVariables(t *testing.T) {
	e := secretiveRun(t)
	const path = "/api/v1/dags/secretive/dagRuns/r1/taskInstances/connect/logs/1"
	file, err := os.ReadFile(filepath.Join(e.home, "logs", "secretive", "r1", "connect", "1.log"))
	if err != nil || !strings.Contains(string(file), dbPassword) {
		t.Fatalf("the log file, which holds the secret as the task printed it: %q %v", file, err)
	}
	size := strconv.Itoa(len(file))
	at := strings.Index(string(file), dbPassword)
	for _, who := range []string{"viewer", "op", "admin"} {
		r := e.want(http.StatusOK, "GET", path, "", e.as(who))
		if strings.Contains(string(r.body), "hunter2") || !strings.Contains(string(r.body), "--password=*** eu-west") ||
			r.header.Get("X-Log-Offset") != size {
			t.Errorf("%s's log: %q (X-Log-Offset %s, the file has %s bytes)", who, r.body, r.header.Get("X-Log-Offset"), size)
		}
	}
	// From inside the secret: its tail is masked too.
	r := e.want(http.StatusOK, "GET", path+"?offset="+strconv.Itoa(at+3), "", e.as("viewer"))
	if strings.Contains(string(r.body), dbPassword[3:]) || !strings.HasPrefix(string(r.body), "*** eu-west") || r.header.Get("X-Log-Offset") != size {
		t.Errorf("log from inside the secret: %q (X-Log-Offset %s)", r.body, r.header.Get("X-Log-Offset"))
	}
	for _, from := range []int{0, at + 3} {
		st := e.stream(path+"/stream?offset="+strconv.Itoa(from), e.as("viewer"))
		var text strings.Builder
		last := int64(-1)
		st.until(30*time.Second, "the end event", func(ev sseEvent) bool {
			if ev.name == "log" {
				l := decodeData[logEvent](t, ev)
				if l.Offset <= last || l.Offset < int64(from) {
					t.Errorf("log event at offset %d after %d", l.Offset, last)
				}
				last = l.Offset
				text.WriteString(l.Data)
			}
			return ev.name != "end"
		})
		if strings.Contains(text.String(), dbPassword[3:]) || !strings.Contains(text.String(), "*** eu-west") {
			t.Errorf("log stream from %d: %q", from, text.String())
		}
	}
}

// TestRenderErrorMasked: a template that fails on a Variable's value ("int(hunter2)") fails the
// try with a reason Viewers read: the error of the part that read the Variable is *** there
// and in the rendered error, whatever the Variable's name (it may quote what the part made of
// the value, not only the value); the template it failed in is shown.
func TestRenderErrorMasked(t *testing.T) {
	e := newEnv(t, map[string]string{"leaky.yaml": `dag_id: leaky
schedule: null
is_paused_upon_creation: false
tasks:
  - {id: count, module: modules/echo.wasm, args: ["{{ int(var(\"bucket\")) }}"]}
`})
	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"bucket","value":"reports-bucket"}`, e.as("op"))
	e.startScheduler()
	e.trigger("leaky", "r1", "")
	if run := e.waitRun("leaky", "r1"); run.State != "failed" {
		t.Fatalf("run r1: %+v", run)
	}
	const path = "/api/v1/dags/leaky/dagRuns/r1/taskInstances/count"
	for _, p := range []string{path, "/api/v1/dags/leaky/dagRuns/r1/taskInstances"} { // a try that does not render has no log
		r := e.want(http.StatusOK, "GET", p, "", e.as("viewer"))
		if strings.Contains(string(r.body), "reports-bucket") || !strings.Contains(string(r.body), `"reason":"render args[0] \"{{ int(var(\\\"bucket\\\")) }}\": ***"`) {
			t.Errorf("GET %s as a Viewer: %s; want the render error with the value as ***", p, r.body)
		}
	}
}
