//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath is Debian's chromium; a test never downloads a browser.
const chromiumPath = "/usr/bin/chromium"

// waitTimeout bounds every wait on the page.
const waitTimeout = 20 * time.Second

// The DAGs the test writes into the home's dags folder; the modules are the repo's examples.
const flowDAG = `dag_id: e2e_flow
description: The browser test's pipeline; greet prints the conf it was triggered with
schedule: null
is_paused_upon_creation: false
params:
  greeting: default
tasks:
  - id: greet
    module: modules/echo.wasm
    args: ["greeting={{ params.greeting }}"]
  - id: add
    module: modules/sum.wasm
    args: ["20", "22"]
  - id: nap
    module: modules/sleep.wasm
    args: ["1"]
  - id: done
    module: modules/echo.wasm
    args: ["done"]
    upstream: [greet, add, nap]
`

const failDAG = `dag_id: e2e_fail
description: The browser test's failing task
schedule: null
is_paused_upon_creation: false
tasks:
  - id: boom
    module: modules/exit.wasm
    args: ["1"]
    retries: 0
`

var binary struct {
	once sync.Once
	path string
	out  []byte
	err  error
}

// buildBinary builds wasmflow once per test process.
func buildBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "wasmflow-e2e-bin")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "wasmflow")
		cmd := exec.Command("go", "build", "-o", binary.path, ".")
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		binary.out, binary.err = cmd.CombinedOutput()
	})
	if binary.err != nil {
		t.Fatalf("go build: %v\n%s", binary.err, binary.out)
	}
	return binary.path
}

// server is a running `wasmflow standalone`.
type server struct {
	url      string
	home     string
	logPath  string
	password string
}

// startServer starts `wasmflow standalone` over a DAGs folder with the flow and fail DAGs, and
// the extra DAG files given (name: YAML) for a test of its own.
func startServer(t *testing.T, extraDags ...map[string]string) *server {
	t.Helper()
	bin := buildBinary(t)
	home := t.TempDir()
	dags := filepath.Join(home, "dags")
	if err := os.MkdirAll(filepath.Join(dags, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"echo.wasm", "sum.wasm", "exit.wasm", "sleep.wasm"} {
		b, err := os.ReadFile(filepath.Join("..", "examples", "dags", "modules", m))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dags, "modules", m), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{"e2e_flow.yaml": flowDAG, "e2e_fail.yaml": failDAG, "e2e_mapped.yaml": mappedDAG, "e2e_params.yaml": paramsDAG}
	for _, extra := range extraDags {
		for name, src := range extra {
			files[name] = src
		}
	}
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dags, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	s := &server{home: home, logPath: filepath.Join(home, "standalone.log")}
	logFile, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "standalone")
	cmd.Env = append(os.Environ(),
		"WASMFLOW_HOME="+home,
		"WASMFLOW__API__LISTEN=127.0.0.1:0",
		"WASMFLOW__CORE__LOAD_EXAMPLES=false",
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
	})

	urlRe := regexp.MustCompile(`UI and API: (http://\S+)`)
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if m := urlRe.FindStringSubmatch(line); m != nil && !sent {
				found <- strings.TrimSuffix(m[1], "/")
				sent = true
			}
		}
	}()
	select {
	case s.url = <-found:
	case <-time.After(30 * time.Second):
		b, _ := os.ReadFile(s.logPath)
		t.Fatalf("wasmflow standalone printed no URL in 30 s; its log:\n%s", b)
	}

	deadline := time.Now().Add(15 * time.Second)
	for {
		b, err := os.ReadFile(filepath.Join(home, "standalone_admin_password.txt"))
		if err == nil && len(bytes.TrimSpace(b)) > 0 {
			s.password = string(bytes.TrimSpace(b))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no admin password file: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return s
}

// apiGet reads a JSON answer of the API as admin, from outside the browser.
func (s *server) apiGet(t *testing.T, path string, v any) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	body, _ := json.Marshal(map[string]string{"username": "admin", "password": s.password})
	resp, err := c.Post(s.url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %s", resp.Status)
	}
	resp, err = c.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", path, resp.Status, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

func artifactsDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("WASMFLOW_E2E_ARTIFACTS")
	if dir == "" {
		dir = "artifacts"
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowserFlow is a user's way through the UI: log in, trigger a DAG with a conf and watch
// it turn green live, its graph and gantt, a task's log, clearing a failed task, pausing a DAG.
func TestBrowserFlow(t *testing.T) {
	start := time.Now()
	s := startServer(t)
	b := startBrowser(t)
	dumpOnFailure(t, b, s)
	t.Logf("server %s, home %s; artifacts in %s", s.url, s.home, b.artifacts)

	b.login(s)
	b.waitFor("both DAGs listed", `document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_flow"]') && document.querySelector('[data-testid="dag-row"][data-dag-id="e2e_fail"]')`)
	if user := eval[string](b, `document.querySelector('[data-testid="current-user"]').textContent`); !strings.Contains(user, "admin") {
		t.Errorf("current user shows %q, want admin", user)
	}
	b.screenshot("dags")

	// Open the DAG's grid; mark the page so that a reload would show.
	b.click(`[data-testid="dag-row"][data-dag-id="e2e_flow"] [data-testid="dag-link"]`)
	b.view("dag-grid")
	eval[bool](b, `(window.__e2eNoReload = true)`)

	// Trigger it with a conf written as raw JSON: back in the form, the param's field shows it.
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	b.do("trigger dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-dialog"]`)))
	b.click(`[data-testid="trigger-raw-toggle"]`)
	b.setInput(`[data-testid="trigger-conf"]`, `{"greeting": "hello-from-the-browser"}`)
	b.click(`[data-testid="trigger-raw-toggle"]`)
	b.waitFor("the param field follows the conf", `document.querySelector('[data-testid="trigger-param"][data-param="greeting"]')?.value === "hello-from-the-browser"`)
	b.screenshot("trigger")
	b.click(`[data-testid="trigger-submit"]`)
	b.do("the dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="trigger-dialog"]`)))
	b.waitFor("the new run is selected", `document.querySelector('[data-testid="grid-selected-run"]')?.dataset.runId`)
	runID := eval[string](b, `document.querySelector('[data-testid="grid-selected-run"]').dataset.runId`)
	t.Logf("triggered run %s", runID)

	// Its four tasks turn green in the grid, live: nap sleeps a second, so the grid shows the run
	// under way first.
	cells := fmt.Sprintf(`[...document.querySelectorAll('[data-testid="grid-cell"]')].filter(c => c.dataset.runId === %q)`, runID)
	b.waitFor("nap running in the grid", fmt.Sprintf(`document.querySelector('[data-testid="grid-cell"][data-task-id="nap"][data-run-id=%q]')?.dataset.state === "running"`, runID))
	b.screenshot("grid-running")
	b.waitFor("all four tasks succeed in the grid", fmt.Sprintf(`(() => { const c = %s; return c.length === 4 && c.every(x => x.dataset.state === "success") })()`, cells))
	b.waitFor("the run is a success", fmt.Sprintf(`document.querySelector('[data-testid="grid-run"][data-run-id=%q]')?.dataset.state === "success"`, runID))
	if !eval[bool](b, `window.__e2eNoReload === true`) {
		t.Fatal("the page reloaded while the run went on; the grid must update live")
	}
	b.screenshot("grid")

	// The API agrees, and has the conf.
	var run struct {
		State string         `json:"state"`
		Conf  map[string]any `json:"conf"`
	}
	s.apiGet(t, "/api/v1/dags/e2e_flow/dagRuns/"+runID, &run)
	if run.State != "success" || run.Conf["greeting"] != "hello-from-the-browser" {
		t.Errorf("the API has the run as %+v, want success with the conf", run)
	}

	// Graph: four green nodes; a click shows the node's details.
	b.click(`[data-testid="tab-graph"]`)
	b.view("dag-graph")
	b.waitFor("four green nodes", `(() => { const n = [...document.querySelectorAll('[data-testid="graph-node"]')]; return n.length === 4 && n.every(x => x.dataset.state === "success") })()`)
	b.click(`[data-testid="graph-node"][data-task-id="done"]`)
	b.waitFor("the node's details", `document.querySelector('[data-testid="graph-node-details"]')?.dataset.taskId === "done"`)
	b.screenshot("graph")

	// Gantt: a bar per task.
	b.click(`[data-testid="tab-gantt"]`)
	b.view("dag-gantt")
	b.waitFor("four bars", `document.querySelectorAll('[data-testid="gantt-bar"]').length === 4`)
	if crit := eval[string](b, `document.querySelector('[data-testid="gantt-bar"][data-task-id="nap"]').dataset.critical`); crit != "true" {
		t.Errorf("nap, the longest way to done, is not on the gantt's critical path (data-critical=%q)", crit)
	}
	b.screenshot("gantt")

	// A task's log has the module's output, with the conf rendered into it.
	b.click(`[data-testid="tab-grid"]`)
	b.view("dag-grid")
	b.click(fmt.Sprintf(`[data-testid="grid-cell"][data-task-id="greet"][data-run-id=%q]`, runID))
	b.click(`[data-testid="ti-panel"] [data-testid="ti-panel-details"]`) // the cell opens the grid's panel
	b.view("task-instance")
	b.waitFor("the task instance is a success", `document.querySelector('[data-testid="task-instance"]')?.dataset.state === "success"`)
	b.waitFor("the log has the output", `(document.querySelector('[data-testid="log-pane"]')?.textContent || "").includes("greeting=hello-from-the-browser")`)
	b.screenshot("task-log")

	// A failed task: trigger, see it fail, clear it, see it run again.
	b.do("open e2e_fail", chromedp.Navigate(s.url+"/#/dags/e2e_fail/grid"))
	b.view("dag-grid")
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	b.do("trigger dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-submit"]`)))
	b.click(`[data-testid="trigger-submit"]`)
	b.waitFor("the new run is selected", `document.querySelector('[data-testid="grid-selected-run"]')?.dataset.runId`)
	failRun := eval[string](b, `document.querySelector('[data-testid="grid-selected-run"]').dataset.runId`)
	boom := fmt.Sprintf(`[data-testid="grid-cell"][data-task-id="boom"][data-run-id=%q]`, failRun)
	b.waitFor("boom fails", fmt.Sprintf(`document.querySelector(%q)?.dataset.state === "failed"`, boom))
	if try := eval[string](b, fmt.Sprintf(`document.querySelector(%q).dataset.try`, boom)); try != "1" {
		t.Errorf("boom failed on try %q, want 1", try)
	}
	b.screenshot("grid-failed")
	b.click(boom)
	b.click(`[data-testid="ti-panel"] [data-testid="ti-panel-details"]`)
	b.view("task-instance")
	b.waitFor("the log has the module's error", `(document.querySelector('[data-testid="log-pane"]')?.textContent || "").includes("exiting with code 1")`)
	b.click(`[data-testid="clear-button"]`)
	b.waitFor("the dry run lists boom", `document.querySelector('[data-testid="clear-preview"]')?.dataset.count === "1" && document.querySelector('[data-testid="clear-preview-item"]')?.dataset.taskId === "boom"`)
	b.screenshot("clear-dialog")
	b.click(`[data-testid="clear-confirm"]`)
	b.do("the clear dialog closes", chromedp.WaitNotPresent(chromedp.CSS(`[data-testid="clear-dialog"]`)))
	b.waitFor("a second try that fails again", `document.querySelector('[data-testid="ti-try"][data-try="2"]')?.dataset.state === "failed" && document.querySelector('[data-testid="task-instance"]')?.dataset.state === "failed"`)
	b.waitFor("the log pane shows try 2", `document.querySelector('[data-testid="log-pane"]')?.dataset.try === "2" && (document.querySelector('[data-testid="log-pane"]').textContent || "").includes("exiting with code 1")`)
	b.screenshot("task-cleared")
	var ti struct {
		State     string `json:"state"`
		TryNumber int    `json:"try_number"`
	}
	s.apiGet(t, "/api/v1/dags/e2e_fail/dagRuns/"+failRun+"/taskInstances/boom", &ti)
	if ti.State != "failed" || ti.TryNumber != 2 {
		t.Errorf("the API has boom as %+v, want failed on try 2", ti)
	}

	// Pause a DAG from the list.
	b.click(`[data-testid="nav-dags"]`)
	b.view("dags")
	row := `[data-testid="dag-row"][data-dag-id="e2e_flow"]`
	b.waitFor("e2e_flow is active", fmt.Sprintf(`document.querySelector(%q)?.dataset.paused === "false"`, row))
	b.click(row + ` [data-testid="pause-toggle"]`)
	b.waitFor("e2e_flow shows paused", fmt.Sprintf(`document.querySelector(%q)?.dataset.paused === "true" && document.querySelector(%q)?.dataset.paused === "true"`, row, row+` [data-testid="pause-toggle"]`))
	b.screenshot("dags-paused")
	var dag struct {
		IsPaused bool `json:"is_paused"`
	}
	s.apiGet(t, "/api/v1/dags/e2e_flow", &dag)
	if !dag.IsPaused {
		t.Error("the API has e2e_flow not paused after the toggle")
	}
	b.do("reload", chromedp.Reload())
	b.view("dags")
	b.waitFor("e2e_flow still paused after a reload", fmt.Sprintf(`document.querySelector(%q)?.dataset.paused === "true"`, row))

	b.checkNoAuthPrompts()
	t.Logf("%d screenshots in %s; the flow took %s", b.shots, b.artifacts, time.Since(start).Round(time.Millisecond))
}
