package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/app/api"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/scheduler/metastore"
	"github.com/wasmflow/wasmflow/tasks"
)

const mib = 1 << 20

// send sends one request with body (nil for none) and reads the answer into io.Discard, so
// the client allocates nothing much for a large answer: it answers the status and size.
func (e *env) send(method, path string, body io.Reader, a auth) (int, int64) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	a(req)
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read the answer: %v", method, path, err)
	}
	return res.StatusCode, n
}

// A User (the role that triggers) cannot create a run whose id Airflow would refuse: longer
// than 250 characters, or one that names a folder (a run id is a folder of the logs).
func TestTriggerRefusesLongAndFolderRunIDs(t *testing.T) {
	e := newEnv(t, nil)
	path := "/api/v1/dags/pipe/dagRuns"
	long := strings.Repeat("a", 251)
	e.problem(http.StatusBadRequest, "POST", path, `{"dag_run_id":"`+long+`"}`, e.as("user"),
		"dag_run_id: run id", "is 251 characters long; a run id has at most 250 (Airflow's limit)")
	e.problem(http.StatusBadRequest, "POST", path, `{"dag_run_id":"`+strings.Repeat("b", 100_000)+`"}`, e.as("user"), "is 100000 characters long")
	e.problem(http.StatusBadRequest, "POST", path, `{"dag_run_id":"."}`, e.as("user"), `run id "." names a folder`)
	e.problem(http.StatusBadRequest, "POST", path, `{"dag_run_id":".."}`, e.as("user"), `run id ".." names a folder`)
	if l := get[runList](e, path); l.Total != 0 {
		t.Errorf("refused triggers made runs: %v", runIDs(l))
	}
	// 250 characters is Airflow's limit, not past it; dots inside an id are fine.
	ok := strings.Repeat("c", 249) + "."
	if run := e.trigger("pipe", ok, ""); run.DagRunID != ok {
		t.Errorf("run id of 250 characters: %q", run.DagRunID)
	}
	if run := e.trigger("pipe", "v1.2..3", ""); run.DagRunID != "v1.2..3" {
		t.Errorf("run id with dots: %q", run.DagRunID)
	}
}

// A conf over core.max_conf_size (1 MiB by default) is refused with 413, naming the limit and
// the key that raises it, and refusing it allocates far less than the body it was sent: the
// body is read through the limit, never whole.
func TestTriggerRefusesLargeConfWithBoundedMemory(t *testing.T) {
	e := newEnv(t, nil)
	path := "/api/v1/dags/pipe/dagRuns"
	conf := func(n int) []byte { return []byte(`{"conf":{"blob":"` + strings.Repeat("x", n) + `"}}`) }
	for _, c := range []struct {
		what string
		body []byte
		says []string
	}{
		{"a 2 MiB conf", conf(2 * mib), []string{"at most 1048576 bytes as JSON (core.max_conf_size = 1MiB)", "more than that", "WASMFLOW__CORE__MAX_CONF_SIZE"}},
		{"a conf 100 bytes over", conf(mib + 100), []string{"and this one is 1048687 bytes", "raise [core] max_conf_size in wasmflow.toml"}},
	} {
		var r resp
		alloc := allocated(func() { r = e.callBytes("POST", path, c.body, e.as("user")) })
		checkProblem(t, c.what, r, http.StatusRequestEntityTooLarge, c.says...)
		// What is read is at most the limit and a little: in the decoder's buffer, which
		// doubles as it fills (so about twice that), and for one under the body's cap, the conf.
		if alloc > 6*mib {
			t.Errorf("%s: refusing it allocated %.1f MiB, want under 6 MiB (the body is %.1f MiB)", c.what, float64(alloc)/mib, float64(len(c.body))/mib)
		}
	}
	// A 60 MiB body costs no more to refuse: reading stops at the limit.
	huge := conf(60 * mib)
	var status int
	alloc := allocated(func() { status, _ = e.send("POST", path, bytes.NewReader(huge), e.as("user")) })
	if status != http.StatusRequestEntityTooLarge || alloc > 6*mib {
		t.Errorf("a 60 MiB conf: status %d, %.1f MiB allocated; want 413 under 6 MiB", status, float64(alloc)/mib)
	}
	if l := get[runList](e, path); l.Total != 0 {
		t.Errorf("refused triggers made runs: %v", runIDs(l))
	}
	// Up to the limit is fine.
	if run := jsonOf[dagRun](t, e.callBytes("POST", path, conf(mib-100), e.as("user"))); len(fmt.Sprint(run.Conf["blob"])) != mib-100 {
		t.Errorf("a conf under the limit was not kept: %d bytes", len(fmt.Sprint(run.Conf["blob"])))
	}

	// The key raises it (read when the server starts).
	e.app.Config.Core.MaxConfSize = 3 * mib
	srv, err := api.New(e.app, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	raised := &env{t: t, app: e.app, ts: ts, tokens: e.tokens}
	if r := raised.callBytes("POST", path, conf(2*mib), e.as("user")); r.status != http.StatusOK {
		t.Errorf("a 2 MiB conf with core.max_conf_size = 3MiB: %d %s", r.status, r.body[:min(len(r.body), 300)])
	}
}

// callBytes is call with a body of bytes (no copy is made of it).
func (e *env) callBytes(method, path string, body []byte, a auth) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	a(req)
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// seedConfRuns records n ended runs of dagID, each with a conf of confSize bytes, written
// straight to the metastore as rows from before the cap (or under a raised one) would be.
func seedConfRuns(t testing.TB, store *metastore.Store, dagID string, n, confSize int) {
	t.Helper()
	blob := strings.Repeat("x", confSize)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		at := base.Add(time.Duration(i) * time.Hour)
		run := scheduler.DagRun{DagID: dagID, RunID: fmt.Sprintf("big_%02d", i), RunType: "manual", State: tasks.RunSuccess,
			LogicalDate: at, DataIntervalStart: at, DataIntervalEnd: at, Conf: map[string]any{"blob": blob, "n": float64(i)}}
		if _, err := store.CreateDagRun(context.Background(), run, []scheduler.TaskInstance{{TaskID: "extract", State: tasks.StateSuccess, TryNumber: 1, MaxTries: 1}}); err != nil {
			t.Fatal(err)
		}
	}
}

// A Viewer listing one page of 40 runs of 2 MiB conf each reads that page only (80 MiB of
// conf in all): the page has its runs' conf, as Airflow's list has it, and the grid and the
// DAGs list, which do not show conf, read none.
func TestListingRunsReadsOnlyThePage(t *testing.T) {
	const runs, confSize = 40, 2 * mib
	e := newEnv(t, nil)
	api.SkipAnswerChecks(t)
	seedConfRuns(t, e.app.Store, "pipe", runs, confSize)
	viewer := e.as("viewer")

	l := jsonOf[runList](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/dagRuns?limit=2&offset=1", "", viewer))
	if l.Total != runs || len(l.DagRuns) != 2 || l.DagRuns[0].DagRunID != "big_38" || l.DagRuns[1].DagRunID != "big_37" {
		t.Fatalf("page limit=2 offset=1: %v of %d, want big_38 big_37 of 40", runIDs(l), l.Total)
	}
	if b, _ := l.DagRuns[0].Conf["blob"].(string); len(b) != confSize || l.DagRuns[0].Conf["n"] != 38.0 {
		t.Errorf("the page's runs lack their conf: %d bytes of blob, n = %v", len(b), l.DagRuns[0].Conf["n"])
	}
	var status int
	var size int64
	alloc := allocated(func() { status, size = e.send("GET", "/api/v1/dags/pipe/dagRuns?limit=2&offset=1", nil, viewer) })
	total := float64(runs*confSize) / mib
	if status != http.StatusOK || size < 2*confSize {
		t.Fatalf("page of 2: status %d, %d bytes", status, size)
	}
	// Per run of the page, about 13 MiB: the row read from SQLite (copied by the driver and
	// by GORM), its conf decoded, and encoded in a buffer that grows. Every run of the DAG
	// would be 40 times that, over 500 MiB.
	if alloc > 32*mib {
		t.Errorf("a page of 2 runs allocated %.0f MiB, want under 32 MiB (the DAG's confs are %.0f MiB)", float64(alloc)/mib, total)
	}
	for _, path := range []string{"/api/v1/dags/pipe/grid?num_runs=40", "/api/v1/ui/dags"} {
		alloc := allocated(func() { status, size = e.send("GET", path, nil, viewer) })
		if status != http.StatusOK || alloc > 4*mib {
			t.Errorf("GET %s: status %d, %.1f MiB allocated; want 200 under 4 MiB (no conf read)", path, status, float64(alloc)/mib)
		}
	}
	// One run still has its conf.
	if r := get[dagRun](e, "/api/v1/dags/pipe/dagRuns/big_05"); len(fmt.Sprint(r.Conf["blob"])) != confSize {
		t.Errorf("GET of one run lacks its conf")
	}
}

// Triggering checks for a run at the logical date and with the run id by index: with 2,000
// runs it allocates about what it does with none (before, it read every run of the DAG).
func TestTriggerDoesNotReadTheDagsRuns(t *testing.T) {
	e := newEnv(t, nil)
	trigger := func(id string) uint64 {
		var status int
		alloc := allocated(func() {
			status, _ = e.send("POST", "/api/v1/dags/pipe/dagRuns", strings.NewReader(`{"dag_run_id":"`+id+`"}`), e.as("user"))
		})
		if status != http.StatusOK {
			t.Fatalf("trigger %s: status %d", id, status)
		}
		return alloc
	}
	least := func(prefix string) uint64 { // the least of 3: a stray allocation elsewhere is not the trigger's
		return min(trigger(prefix+"_1"), trigger(prefix+"_2"), trigger(prefix+"_3"))
	}
	none := least("first")
	seedConfRuns(t, e.app.Store, "pipe", 2000, 100)
	many := least("after")
	t.Logf("trigger allocates %d KiB with 3 runs, %d KiB with 2,006", none>>10, many>>10)
	if many > none+256<<10 {
		t.Errorf("a trigger with 2,000 runs allocated %d KiB, with none %d KiB: it reads the DAG's runs", many>>10, none>>10)
	}
}
