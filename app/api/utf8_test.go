package api_test

import (
	"net/http"
	"strings"
	"testing"
)

// Invalid UTF-8 in a Variable or a run's conf is refused with 400 naming the field, not
// stored with U+FFFD in place of the bad bytes (what encoding/json does on its own), and
// nothing is stored.
func TestInvalidUTF8Refused(t *testing.T) {
	e := newEnv(t, nil)
	bad := "caf\xe9" // Latin-1, not UTF-8
	e.problem(http.StatusBadRequest, "POST", "/api/v1/variables", `{"key":"k","value":"`+bad+`"}`, e.as("op"),
		"value is not valid UTF-8", "0xe9")
	e.problem(http.StatusBadRequest, "POST", "/api/v1/variables", `{"key":"`+bad+`","value":"v"}`, e.as("op"),
		"key is not valid UTF-8")
	e.want(http.StatusNotFound, "GET", "/api/v1/variables/k", "", e.as("op"))
	e.want(http.StatusOK, "POST", "/api/v1/variables", `{"key":"k","value":"café"}`, e.as("op"))
	e.problem(http.StatusBadRequest, "PATCH", "/api/v1/variables/k", `{"key":"k","value":"`+bad+`"}`, e.as("op"),
		"value is not valid UTF-8")
	if v := jsonOf[map[string]any](t, e.want(http.StatusOK, "GET", "/api/v1/variables/k", "", e.as("op"))); v["value"] != "café" {
		t.Errorf("the variable's value is %q after a refused change, want café", v["value"])
	}

	for _, c := range []struct{ conf, field string }{
		{`{"name":"` + bad + `"}`, "conf.name is not valid UTF-8"},
		{`{"rows":[1,{"x":"` + bad + `"}]}`, "conf.rows[1].x is not valid UTF-8"},
		{`{"` + bad + `":1}`, "a key in conf is not valid UTF-8"},
	} {
		body := `{"dag_run_id":"bad_conf","conf":` + c.conf + `}`
		e.problem(http.StatusBadRequest, "POST", "/api/v1/dags/pipe/dagRuns", body, e.as("user"), c.field)
	}
	e.want(http.StatusNotFound, "GET", "/api/v1/dags/pipe/dagRuns/bad_conf", "", e.as("user"))
	if r := e.trigger("pipe", "good_conf", `{"name":"café"}`); !strings.Contains(r.DagRunID, "good_conf") {
		t.Errorf("a UTF-8 conf: run %+v", r)
	}
}
