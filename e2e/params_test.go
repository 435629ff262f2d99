//go:build e2e

package e2e

import (
	"fmt"
	"reflect"
	"testing"
)

// paramsDAG has typed params: the trigger dialog is a form built from their schemas.
const paramsDAG = `dag_id: e2e_params
description: The browser test's typed params; show prints them
schedule: null
is_paused_upon_creation: false
params:
  n: {type: integer, minimum: 1, maximum: 10, default: 3, title: How many, description: Between 1 and 10}
  mode: {enum: [fast, slow], default: fast, description: How to run}
  tag: {type: string, pattern: "^[a-z]+$", default: abc}
  dry: {type: boolean, default: false}
  cfg: {type: object, default: {retries: 1}}
tasks:
  - id: show
    module: modules/echo.wasm
    args: ["n={{ params.n }} mode={{ params.mode }} tag={{ params.tag }} dry={{ params.dry }}"]
`

// TestTriggerParamsForm: the trigger dialog of a DAG with typed params is a form from their
// schemas; bad values are refused by the server with each reason at its field, and fixed
// values make a run whose conf is what the form shows.
func TestTriggerParamsForm(t *testing.T) {
	s := startServer(t)
	b := startBrowser(t)
	dumpOnFailure(t, b, s)
	b.login(s)
	b.click(`[data-testid="dag-row"][data-dag-id="e2e_params"] [data-testid="dag-link"]`)
	b.view("dag-grid")
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	field := func(name string) string {
		return fmt.Sprintf(`document.querySelector('[data-testid="trigger-param"][data-param=%q]')`, name)
	}
	b.waitFor("the form's fields", field("cfg"))

	// Each schema has its input: a number with its bounds, a select, a pattern, a checkbox, JSON.
	kinds := eval[map[string]any](b, fmt.Sprintf(`({
		n: [%[1]s.type, %[1]s.min, %[1]s.max, %[1]s.value],
		mode: [%[2]s.tagName, [...%[2]s.options].map(o => o.textContent).join(",")],
		tag: [%[3]s.pattern, %[3]s.value],
		dry: [%[4]s.type, %[4]s.checked],
		cfg: [%[5]s.tagName, JSON.parse(%[5]s.value).retries],
		label: document.querySelector('[data-testid="param-field"][data-param="n"]').textContent,
	})`, field("n"), field("mode"), field("tag"), field("dry"), field("cfg")))
	want := map[string]any{
		"n": []any{"number", "1", "10", "3"}, "mode": []any{"SELECT", "fast,slow"}, "tag": []any{"^[a-z]+$", "abc"},
		"dry": []any{"checkbox", false}, "cfg": []any{"TEXTAREA", 1.0}, "label": "How many n" + "Between 1 and 10",
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("the form's fields:\n got %v\nwant %v", kinds, want)
	}

	// Bad values: the server refuses, and says why at each field.
	b.setInput(`[data-testid="trigger-param"][data-param="n"]`, "0")
	b.setInput(`[data-testid="trigger-param"][data-param="tag"]`, "ABC")
	b.click(`[data-testid="trigger-submit"]`)
	errAt := func(name string) string {
		return fmt.Sprintf(`document.querySelector('[data-testid="param-error"][data-param=%q]')?.textContent`, name)
	}
	b.waitFor("errors at n and tag", errAt("n")+` && `+errAt("tag"))
	if got := eval[string](b, errAt("n")); got != "minimum: got 0, want 1" {
		t.Errorf("n's error = %q", got)
	}
	if got := eval[string](b, errAt("tag")); got != "'ABC' does not match pattern '^[a-z]+$'" {
		t.Errorf("tag's error = %q", got)
	}
	if eval[bool](b, errAt("mode")+` !== undefined`) {
		t.Error("mode, which is fine, shows an error")
	}
	b.screenshot("params-refused")

	// Fixed: the run has the form's conf.
	b.setInput(`[data-testid="trigger-param"][data-param="n"]`, "7")
	b.setInput(`[data-testid="trigger-param"][data-param="tag"]`, "ok")
	eval[bool](b, field("mode")+`.value = "1", `+field("mode")+`.dispatchEvent(new Event('change', {bubbles: true})), true`)
	b.click(`[data-testid="trigger-param"][data-param="dry"]`)
	b.screenshot("params-fixed")
	b.click(`[data-testid="trigger-submit"]`)
	b.waitFor("the dialog closes", `!document.querySelector('[data-testid="trigger-dialog"]')`)
	b.waitFor("the new run is selected", `document.querySelector('[data-testid="grid-selected-run"]')?.dataset.runId`)
	runID := eval[string](b, `document.querySelector('[data-testid="grid-selected-run"]').dataset.runId`)
	var run struct {
		Conf map[string]any `json:"conf"`
	}
	s.apiGet(t, "/api/v1/dags/e2e_params/dagRuns/"+runID, &run)
	wantConf := map[string]any{"n": 7.0, "mode": "slow", "tag": "ok", "dry": true, "cfg": map[string]any{"retries": 1.0}}
	if !reflect.DeepEqual(run.Conf, wantConf) {
		t.Errorf("the run's conf = %v, want %v", run.Conf, wantConf)
	}
}
