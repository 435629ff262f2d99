//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/goccy/go-yaml"
)

// authoredOps is what the operator test types before using the form: one module task, whose
// comment and args must survive the form's edits of the tasks added after it.
const authoredOps = `dag_id: e2e_operators
description: Built-in operators picked in the editor's task form
schedule: null
is_paused_upon_creation: false
tasks:
  - id: hello   # a module task, untouched by the form
    module: modules/echo.wasm
    args: ["hello"]
`

// TestAuthorOperators builds an http -> script pipeline in the editor's task form, from the
// operators GET /operators lists: a connection made on the Connections page is picked for
// http_conn_id, a hand edit of the YAML shows in the form and an unknown field typed by hand
// is the server's problem at its line; the file saved has the fields, the DAG imports without
// errors, runs green against a loopback API, and the script's return_value XCom is on its
// task instance page.
func TestAuthorOperators(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls = append(calls, r.Method+" "+r.URL.RequestURI())
		mu.Unlock()
		if r.URL.Path != "/orders" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"items": [{"id": 1}, {"id": 2}, {"id": 3}], "day": %q}`, r.URL.Query().Get("day"))
	}))
	defer api.Close()
	_, port, _ := net.SplitHostPort(api.Listener.Addr().String())

	s := startServer(t)
	b := startBrowser(t)
	b.prefix = "operators-"
	dumpOnFailure(t, b, s)
	dagFile := filepath.Join(s.home, "dags", "e2e_operators.yaml")
	b.login(s)

	// The connection the http task will call, made on the Connections page.
	b.click(`[data-testid="nav-connections"]`)
	b.view("connections")
	b.click(`[data-testid="connection-add"]`)
	b.setInput(`[data-testid="connection-id"]`, "orders_api")
	b.setInput(`[data-testid="connection-type"]`, "http")
	b.setInput(`[data-testid="connection-host"]`, "127.0.0.1")
	b.setInput(`[data-testid="connection-port"]`, port)
	b.click(`[data-testid="connection-save"]`)
	b.waitFor("the connection listed", `!!document.querySelector('[data-testid="connection-row"][data-id="orders_api"]')`)

	b.click(`[data-testid="nav-dags"]`)
	b.view("dags")
	b.click(`[data-testid="new-dag-button"]`)
	b.view("author")
	b.typeInEditor(authoredOps)
	b.click(`[data-testid="author-tab-tasks"]`)

	// Add a task and make it operator: http, its fields from the form.
	b.click(`[data-testid="author-add-task"]`)
	b.waitFor("the new task's form", `document.querySelector('[data-testid="author-task-form"]')?.dataset.taskId === "task_2"`)
	b.setInput(`[data-testid="author-task-id"]`, "fetch")
	b.pick(`[data-testid="author-task-kind"]`, "operator")
	// the operators offered are the server's (GET /operators), none hard-coded in the page
	var ops struct {
		Operators []struct{ Name string } `json:"operators"`
	}
	s.apiGet(t, "/api/v1/operators", &ops)
	names := []string{""} // the "pick an operator" placeholder
	for _, o := range ops.Operators {
		names = append(names, o.Name)
	}
	if len(names) < 4 {
		t.Fatalf("GET /operators lists %q", names)
	}
	b.waitFor("the operators offered", fmt.Sprintf(`[...document.querySelectorAll('[data-testid="author-task-operator"] option')].map(o => o.value).join() === %q`, strings.Join(names, ",")))
	b.pick(`[data-testid="author-task-operator"]`, "http")
	b.waitFor("http's fields", `[...document.querySelectorAll('[data-testid="author-op-field"]')].map(f => f.dataset.field).join() ===
		"http_conn_id,url,endpoint,method,data,headers,response_check,response_filter"`)
	// each with its doc as help, the right input, required ones marked (script's code below)
	if got := eval[string](b, opField("endpoint")+`.querySelector('[data-testid="author-op-help"]').textContent`); !strings.Contains(got, "the path (and query) on the connection") {
		t.Errorf("endpoint's help is %q, want the operator table's doc", got)
	}
	if got := eval[string](b, opField("data")+`.querySelector('[data-testid="author-op-input"]').tagName`); got != "TEXTAREA" {
		t.Errorf("data's input is a %s, want a TEXTAREA", got)
	}
	methods := eval[string](b, `[...`+opField("method")+`.querySelectorAll('option')].map(o => o.value).join()`)
	if methods != ",GET,POST,PUT,PATCH,DELETE,HEAD" {
		t.Errorf("method offers %q, want the default and the API's values", methods)
	}
	conns := eval[string](b, `[...`+opField("http_conn_id")+`.querySelectorAll('option')].map(o => o.value).join()`)
	if conns != ",orders_api" {
		t.Errorf("http_conn_id offers %q, want none and the connection made", conns)
	}
	b.waitFor("a problem: neither http_conn_id nor url", checkedJS+` && [...document.querySelectorAll('[data-testid="author-task-problem"]')].some(p => /needs one of http_conn_id or url/.test(p.textContent))`)

	// A literal url needs its host in allow_hosts: the parser's problem shows at the url field,
	// and the form offers the grant, which clears it. (Then back to the connection.)
	b.setInput(opInput("url"), "http://127.0.0.1:"+port+"/orders")
	b.waitFor("the url's problem at its field", checkedJS+` && !!`+opField("url")+`.querySelector('[data-testid="author-op-field-problem"]')`)
	b.click(`[data-testid="author-grant-host"]`)
	b.waitFor("the host granted", editorJS+`.state.doc.toString().includes('allow_hosts: [127.0.0.1:`+port+`]') && `+checkedJS+` && !document.querySelector('[data-testid="author-op-field-problem"]') && !document.querySelector('[data-testid="author-grant-host"]')`)
	b.click(`[data-testid="author-op-list-remove"]`)
	b.setInput(opInput("url"), "")
	b.waitFor("url and allow_hosts gone", `!/url:|allow_hosts:/.test(`+editorJS+`.state.doc.toString())`)

	b.pick(opInput("http_conn_id"), "orders_api")
	b.setInput(opInput("endpoint"), "/orders")
	b.pick(opInput("method"), "GET")
	b.click(`[data-testid="author-upstream"][data-upstream-id="hello"]`)
	b.waitFor("the http task in the YAML", editorJS+`.state.doc.toString().includes("  - id: fetch\n    operator: http\n    http_conn_id: orders_api\n    endpoint: /orders\n    method: GET\n    upstream: [hello]\n")`)
	b.screenshot("http")

	// A hand edit of the YAML shows in the form (the round trip).
	b.replaceInEditor("endpoint: /orders\n", "endpoint: /orders?day={{ ds }}\n")
	b.waitFor("the form shows the hand edit", q(opInput("endpoint"))+`.value === "/orders?day={{ ds }}"`)
	// An unknown field typed by hand stays in the YAML and is the server's problem at its line.
	b.replaceInEditor("    method: GET\n", "    method: GET\n    methd: PUT\n")
	text := eval[string](b, editorJS+`.state.doc.toString()`)
	line := lineOf(t, text, "    methd: PUT")
	b.waitFor("the unknown field's problem in the form", fmt.Sprintf(`%s && [...document.querySelectorAll('[data-testid="author-task-problem"]')].some(p => p.textContent.startsWith("line %d:") && p.textContent.includes("methd"))`, checkedJS, line))
	b.setInput(opInput("endpoint"), "/orders?day={{ ds }}&n=3")
	b.waitFor("a form edit keeps the hand-typed field", editorJS+`.state.doc.toString().includes("    methd: PUT\n") && `+editorJS+`.state.doc.toString().includes("endpoint: /orders?day={{ ds }}&n=3")`)
	b.screenshot("unknown-field")
	b.replaceInEditor("    methd: PUT\n", "")

	// Save: the file has the fields as the form wrote them, the first task as typed.
	b.waitFor("valid and Save enabled", checkedJS+` && document.querySelector('[data-testid="author-problems"]').dataset.count === "0" && !document.querySelector('[data-testid="author-save"]').disabled`)
	b.click(`[data-testid="author-save"]`)
	b.waitFor("saved", `!!document.querySelector('[data-testid="author-saved"]')`)
	type task struct {
		ID         string   `yaml:"id"`
		Operator   string   `yaml:"operator"`
		Module     string   `yaml:"module"`
		HTTPConnID string   `yaml:"http_conn_id"`
		Endpoint   string   `yaml:"endpoint"`
		Method     string   `yaml:"method"`
		Language   string   `yaml:"language"`
		Code       string   `yaml:"code"`
		Upstream   []string `yaml:"upstream"`
	}
	readTasks := func() (string, map[string]task) {
		t.Helper()
		raw, err := os.ReadFile(dagFile)
		if err != nil {
			t.Fatal(err)
		}
		var f struct{ Tasks []task }
		if err := yaml.Unmarshal(raw, &f); err != nil {
			t.Fatalf("the saved file does not parse: %v\n%s", err, raw)
		}
		m := map[string]task{}
		for _, x := range f.Tasks {
			m[x.ID] = x
		}
		return string(raw), m
	}
	raw, tasks := readTasks()
	want := task{ID: "fetch", Operator: "http", HTTPConnID: "orders_api", Endpoint: "/orders?day={{ ds }}&n=3", Method: "GET", Upstream: []string{"hello"}}
	if got := tasks["fetch"]; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("fetch on disk is %+v, want %+v:\n%s", got, want, raw)
	}
	if !strings.Contains(raw, "  - id: hello   # a module task, untouched by the form\n    module: modules/echo.wasm\n    args: [\"hello\"]\n") {
		t.Errorf("the form's edits changed the hello task:\n%s", raw)
	}
	// The DAG imports without errors.
	b.click(`[data-testid="nav-dags"]`)
	b.view("dags")
	b.waitFor("e2e_operators listed", `!!document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_operators"]')`)
	var ie struct {
		ImportErrors []struct {
			Filename   string `json:"filename"`
			StackTrace string `json:"stack_trace"`
		} `json:"import_errors"`
	}
	s.apiGet(t, "/api/v1/importErrors", &ie)
	for _, e := range ie.ImportErrors {
		if strings.HasSuffix(e.Filename, "e2e_operators.yaml") {
			t.Errorf("import error: %s", e.StackTrace)
		}
	}

	// Then operator: script: its code typed into the form, downstream of fetch.
	b.click(`[data-testid="dag-row"][data-dag-id="e2e_operators"] [data-testid="dag-link"]`)
	b.view("dag-grid")
	b.click(`[data-testid="edit-dag-button"]`)
	b.view("author")
	b.waitFor("the file opened", `document.querySelector('[data-testid="author-page"]')?.dataset.path === "e2e_operators.yaml"`)
	b.click(`[data-testid="author-tab-tasks"]`)
	b.click(`[data-testid="author-task-item"][data-task-id="fetch"]`)
	b.waitFor("fetch's form from the file", q(opInput("http_conn_id"))+`.value === "orders_api" && `+q(opInput("method"))+`.value === "GET"`)
	b.click(`[data-testid="author-add-task"]`)
	b.waitFor("the new task's form", `document.querySelector('[data-testid="author-task-form"]')?.dataset.taskId === "task_3"`)
	b.setInput(`[data-testid="author-task-id"]`, "shape")
	b.pick(`[data-testid="author-task-kind"]`, "operator")
	b.pick(`[data-testid="author-task-operator"]`, "script")
	b.waitFor("script's fields, both required, language set", `[...document.querySelectorAll('[data-testid="author-op-field"]')].map(f => f.dataset.field + ":" + f.dataset.required).join() === "language:true,code:true" &&
		`+q(opInput("language"))+`.value === "javascript"`)
	code := "const o = JSON.parse(xcom(\"fetch\"));\nlog(\"got\", o.items.length, \"orders for\", o.day);\nreturn {n: o.items.length, day: o.day};\n"
	b.setInput(opInput("code"), code)
	b.click(`[data-testid="author-upstream"][data-upstream-id="fetch"]`)
	b.waitFor("the script task in the YAML", editorJS+`.state.doc.toString().includes("    code: |\n      const o = JSON.parse(xcom(\"fetch\"));\n")`)
	b.waitFor("valid and Save enabled", checkedJS+` && document.querySelector('[data-testid="author-problems"]').dataset.count === "0" && !document.querySelector('[data-testid="author-save"]').disabled`)
	b.screenshot("script")
	b.click(`[data-testid="author-save"]`)
	b.waitFor("saved", `!!document.querySelector('[data-testid="author-saved"]')`)
	raw, tasks = readTasks()
	if got := tasks["shape"]; got.Operator != "script" || got.Language != "javascript" || got.Code != code || fmt.Sprint(got.Upstream) != "[fetch]" {
		t.Errorf("shape on disk is %+v:\n%s", got, raw)
	}

	// Trigger: the run succeeds, and the script's return_value is on its task instance page.
	b.click(`[data-testid="author-dag-link"]`)
	b.view("dag-grid")
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	b.click(`[data-testid="trigger-submit"]`)
	b.waitFor("the new run is selected", `document.querySelector('[data-testid="grid-selected-run"]')?.dataset.runId`)
	runID := eval[string](b, `document.querySelector('[data-testid="grid-selected-run"]').dataset.runId`)
	// The first try of each operator compiles its module (16 and 21 MB) in this fresh home:
	// seconds each on an idle machine, longer on a busy one; later tries load it from the cache.
	b.waitForWithin(3*time.Minute, "the run succeeds", fmt.Sprintf(`(() => {
		const c = [...document.querySelectorAll('[data-testid="grid-cell"]')].filter(c => c.dataset.runId === %q)
		return c.length === 3 && c.every(x => x.dataset.state === "success") &&
			document.querySelector('[data-testid="grid-run"][data-run-id=%q]')?.dataset.state === "success"
	})()`, runID, runID))
	b.click(fmt.Sprintf(`[data-testid="grid-cell"][data-run-id=%q][data-task-id="shape"]`, runID))
	b.click(`[data-testid="ti-panel"] [data-testid="ti-panel-details"]`) // the cell opens the grid's panel
	b.view("task-instance")
	b.waitFor("shape succeeded", `document.querySelector('[data-testid="task-instance"]')?.dataset.state === "success"`)
	xcom := `document.querySelector('[data-testid="ti-xcoms"] [data-testid="xcom-row"][data-key="return_value"]')`
	b.waitFor("the return_value XCom", `!!`+xcom)
	got := eval[string](b, xcom+`.querySelector('pre').textContent`)
	if !strings.Contains(strings.ReplaceAll(got, " ", ""), `"n":3`) || !strings.Contains(got, `"day"`) {
		t.Errorf("shape's return_value is %q, want {n: 3, day: ...}", got)
	}
	b.screenshot("xcom")
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 1 || !strings.HasPrefix(calls[0], "GET /orders?day=") || !strings.HasSuffix(calls[0], "&n=3") {
		t.Errorf("the API was called %q, want one GET /orders?day=<ds>&n=3", calls)
	}
	b.checkNoAuthPrompts()
}

// waitForWithin is waitFor with its own bound, for waits longer than a page's.
func (b *browser) waitForWithin(d time.Duration, what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d+5*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(200*time.Millisecond), chromedp.WithPollingTimeout(d))); err != nil {
		b.t.Fatalf("waiting %s for %s (%s): %v", d, what, expr, err)
	}
}

// opField is the task form's element for an operator field (JavaScript); opInput is the CSS
// selector of its input, q the element a CSS selector finds (JavaScript).
func opField(name string) string {
	return fmt.Sprintf(`document.querySelector('[data-testid="author-op-field"][data-field=%q]')`, name)
}

func opInput(name string) string {
	return fmt.Sprintf(`[data-testid="author-op-input"][data-field=%q]`, name)
}

func q(sel string) string { return fmt.Sprintf(`document.querySelector(%q)`, sel) }

// pick chooses an option of a select the way a user does (a change event).
func (b *browser) pick(sel, value string) {
	b.t.Helper()
	el := q(sel)
	b.waitFor("the select "+sel+" offers "+value, fmt.Sprintf(`[...(%s?.options ?? [])].some(o => o.value === %q && !o.disabled) && !%s.disabled`, el, value, el))
	eval[bool](b, fmt.Sprintf(`(() => { const el = %s; el.value = %q; el.dispatchEvent(new Event('change', {bubbles: true})); return true })()`, el, value))
}

// replaceInEditor replaces the first occurrence of from in the editor's text by to, as typing
// would (one change of the CodeMirror view), and waits until the editor has it.
func (b *browser) replaceInEditor(from, to string) {
	b.t.Helper()
	ok := eval[bool](b, fmt.Sprintf(`(() => {
		const v = %s, at = v.state.doc.toString().indexOf(%q)
		if (at < 0) return false
		v.dispatch({changes: {from: at, to: at + %d, insert: %q}})
		return true
	})()`, editorJS, from, len([]rune(from)), to))
	if !ok {
		b.t.Fatalf("the editor has no %q", from)
	}
}
