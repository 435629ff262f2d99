package api_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/wasmflow/wasmflow/tasks"
)

func pausedOf(e *env) map[string]bool {
	out := map[string]bool{}
	for _, d := range get[dagList](e, "/api/v1/dags").Dags {
		out[d.DagID] = d.IsPaused
	}
	return out
}

// PATCH /dags pauses the DAGs dag_id_pattern matches and answers them; "~" is every DAG, and
// without a pattern nothing changes.
func TestPatchDagsPausesThePatternsDags(t *testing.T) {
	e := newEnv(t, nil)
	before := pausedOf(e)
	l := jsonOf[dagList](t, e.want(http.StatusOK, "PATCH", "/api/v1/dags?dag_id_pattern=PIP", `{"is_paused":true}`, e.as("user")))
	if l.Total != 1 || len(l.Dags) != 1 || l.Dags[0].DagID != "pipe" || !l.Dags[0].IsPaused {
		t.Errorf("PATCH /dags?dag_id_pattern=PIP answered %+v, want pipe paused", l)
	}
	after := pausedOf(e)
	for id, was := range before {
		if want := was || id == "pipe"; after[id] != want {
			t.Errorf("after pausing pipe, %s is_paused=%v", id, after[id])
		}
	}
	l = jsonOf[dagList](t, e.want(http.StatusOK, "PATCH", "/api/v1/dags?dag_id_pattern=~&update_mask=is_paused", `{"is_paused":false}`, e.as("user")))
	if l.Total != len(before) {
		t.Errorf("~ unpaused %d DAGs, want all %d", l.Total, len(before))
	}
	for id, paused := range pausedOf(e) {
		if paused {
			t.Errorf("%s still paused after PATCH /dags?dag_id_pattern=~", id)
		}
	}
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags", `{"is_paused":true}`, e.as("user"), "dag_id_pattern is required")
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags?dag_id_pattern=~", `{}`, e.as("user"), `send {"is_paused": true}`)
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/dags?dag_id_pattern=~", `{"is_paused":"yes"}`, e.as("user"), "not valid JSON")
	e.problem(http.StatusForbidden, "PATCH", "/api/v1/dags?dag_id_pattern=~", `{"is_paused":true}`, e.as("viewer"), "needs the User role")
	for id, paused := range pausedOf(e) {
		if paused {
			t.Errorf("a refused PATCH paused %s", id)
		}
	}
}

// DELETE /dags/{dag_id} removes the DAG's runs (the DAG, whose file stays, stays listed).
func TestDeleteDag(t *testing.T) {
	e := newEnv(t, nil)
	seedRun(t, e.app.Store, "", "pipe", "r1", day(1), tasks.StateSuccess, 1, "extract")
	seedRun(t, e.app.Store, "", "naps", "n1", day(1), tasks.StateSuccess, 1, "nap")
	e.problem(http.StatusForbidden, "DELETE", "/api/v1/dags/pipe", "", e.as("user"), "needs the Op role")
	e.want(http.StatusNoContent, "DELETE", "/api/v1/dags/pipe", "", e.as("op"))
	if l := get[runList](e, "/api/v1/dags/pipe/dagRuns"); l.Total != 0 {
		t.Errorf("pipe's runs after DELETE: %v", runIDs(l))
	}
	if l := get[runList](e, "/api/v1/dags/naps/dagRuns"); l.Total != 1 {
		t.Errorf("deleting pipe took naps' runs too: %v", runIDs(l))
	}
	e.want(http.StatusOK, "GET", "/api/v1/dags/pipe", "", e.as("viewer"))
	e.problem(http.StatusNotFound, "DELETE", "/api/v1/dags/nope", "", e.as("op"), `"nope"`)
	// A scheduler holds runs in memory: deleting under it is refused, and says why.
	e.startScheduler()
	e.problem(http.StatusConflict, "DELETE", "/api/v1/dags/naps", "", e.as("op"), "stop it first")
}

// GET /dags/{dag_id}/tasks/{task_id} is one task of GET .../tasks; /dagWarnings is empty.
func TestGetTaskAndDagWarnings(t *testing.T) {
	e := newEnv(t, nil)
	type task struct {
		TaskID          string   `json:"task_id"`
		UpstreamTaskIDs []string `json:"upstream_task_ids"`
		Module          string   `json:"module"`
	}
	got := jsonOf[task](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe/tasks/transform", "", e.as("viewer")))
	if got.TaskID != "transform" || !reflect.DeepEqual(got.UpstreamTaskIDs, []string{"extract"}) || !strings.HasSuffix(got.Module, "/modules/xcom_write.wasm") {
		t.Errorf("task transform: %+v", got)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/pipe/tasks/nope", "", e.as("viewer"), `no task "nope"`)
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/nope/tasks/extract", "", e.as("viewer"), `"nope"`)

	w := e.want(http.StatusOK, "GET", "/api/v1/dagWarnings", "", e.as("viewer"))
	if string(w.body) != "{\"dag_warnings\":[],\"total_entries\":0}\n" {
		t.Errorf("dagWarnings: %s", w.body)
	}
	e.problem(http.StatusBadRequest, "GET", "/api/v1/dagWarnings?limit=x", "", e.as("viewer"), "limit must be")
}

// Each DAG's answers carry a file_token; GET /dagSources/{file_token} answers that DAG's file
// (text, or {"content"} for Accept: application/json). A token not signed here is a 404.
func TestDagSourceByFileToken(t *testing.T) {
	e := newEnv(t, nil)
	d := jsonOf[struct {
		FileToken string `json:"file_token"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/dags/pipe", "", e.as("viewer")))
	if d.FileToken == "" || strings.Contains(d.FileToken, "pipe") || strings.Contains(d.FileToken, "/") {
		t.Fatalf("pipe's file_token %q: want an opaque token", d.FileToken)
	}
	text := e.want(http.StatusOK, "GET", "/api/v1/dagSources/"+d.FileToken, "", e.as("viewer"))
	if !strings.HasPrefix(string(text.body), "dag_id: pipe") {
		t.Errorf("dagSources answered %q, want pipe.yaml", text.body)
	}
	req := e.as("viewer")
	asJSON := func(r *http.Request) { req(r); r.Header.Set("Accept", "application/json") }
	j := jsonOf[struct {
		Content string `json:"content"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/dagSources/"+d.FileToken, "", asJSON))
	if j.Content != string(text.body) {
		t.Errorf("the JSON content differs from the text: %q", j.Content)
	}
	// Another DAG's id with pipe's signature, a path, a bare id: none is a token.
	payload, sig, _ := strings.Cut(d.FileToken, ".")
	for _, bad := range []string{"cXVpZXQ." + sig, "pipe", payload, "Li4vLi4vZXRjL3Bhc3N3ZA." + sig} {
		e.problem(http.StatusNotFound, "GET", "/api/v1/dagSources/"+bad, "", e.as("viewer"), "is not one this server gave")
	}
}
