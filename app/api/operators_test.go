package api_test

import (
	"net/http"
	"testing"

	"github.com/wasmflow/wasmflow/app/api"
)

// docs/api.md's Authoring section lists it, with the editor's role.
func init() { documented["GET /api/v1/operators"] = api.Op }

// The DAG editor learns the operators and their fields from the API (Op, as the editor).
func TestListOperators(t *testing.T) {
	e := newEnv(t, nil)
	type field struct {
		Name      string   `json:"name"`
		Type      string   `json:"type"`
		Required  bool     `json:"required"`
		Templated bool     `json:"templated"`
		Values    []string `json:"values"`
	}
	l := jsonOf[struct {
		Operators []struct {
			Name   string  `json:"name"`
			Fields []field `json:"fields"`
		} `json:"operators"`
		Total int `json:"total_entries"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/operators", "", e.as("op")))
	if l.Total != 5 || len(l.Operators) != 5 || l.Operators[0].Name != "http" || l.Operators[2].Name != "script" || l.Operators[3].Name != "sql" {
		t.Fatalf("operators = %+v", l)
	}
	if h := l.Operators[0].Fields; len(h) != 8 || h[0].Name != "http_conn_id" || h[0].Type != "conn_id" || h[6].Type != "condition" {
		t.Errorf("http's fields = %+v", h)
	}
	f := l.Operators[2].Fields
	if len(f) != 2 || f[0].Name != "language" || f[0].Type != "enum" || len(f[0].Values) != 1 || f[0].Values[0] != "javascript" ||
		f[1].Name != "code" || !f[1].Required || !f[1].Templated {
		t.Errorf("script's fields = %+v", f)
	}
	if r := e.call("GET", "/api/v1/operators", "", func(*http.Request) {}); r.status != http.StatusUnauthorized {
		t.Errorf("without a login: %d, want 401", r.status)
	}
	if r := e.call("GET", "/api/v1/operators", "", e.as("viewer")); r.status != http.StatusForbidden {
		t.Errorf("as a Viewer: %d, want 403 (the editor is Op's)", r.status)
	}
}
