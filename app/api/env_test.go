package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/api"
	"github.com/wasmflow/wasmflow/app/config"
)

// The DAG files every test home starts with: pipe runs at once when triggered (unpaused),
// quiet is paused at creation, flaky needs its retry, naps runs long enough to be followed,
// and broken.yaml is an import error.
var baseDags = map[string]string{
	"pipe.yaml": `dag_id: pipe
description: extract, transform, load
schedule: null
tags: [etl, demo]
is_paused_upon_creation: false
params: {word: hello}
tasks:
  - {id: extract, module: modules/echo.wasm, args: ["{{ params.word }}"]}
  - {id: transform, module: modules/xcom_write.wasm, args: ["return_value=42", "note=fine"], upstream: [extract]}
  - {id: load, module: modules/echo.wasm, args: ["got {{ xcom(\"transform\") }}"], upstream: [transform]}
`,
	"quiet.yaml": `dag_id: quiet
description: paused at creation
schedule: "@daily"
start_date: 2024-01-01
catchup: false
tags: [demo]
tasks:
  - {id: only, module: modules/echo.wasm, args: ["quiet"]}
`,
	"flaky.yaml": `dag_id: flaky
schedule: null
is_paused_upon_creation: false
tasks:
  - {id: flaky, module: modules/flaky.wasm, args: ["2"], retries: 1, retry_delay: 100ms}
`,
	"naps.yaml": `dag_id: naps
schedule: null
is_paused_upon_creation: false
tasks:
  - {id: nap, module: modules/sleep.wasm, args: ["1.5"]}
`,
	"broken.yaml": `dag_id: broken
tasks:
  - {id: a, module: modules/echo.wasm, upstream: [nowhere]}
`,
}

var baseModules = []string{"echo", "xcom_write", "flaky", "sleep"}

// users are one per role; each one's password is its name + "-pw-S3cret".
var users = []struct{ name, role string }{{"viewer", "Viewer"}, {"user", "User"}, {"op", "Op"}, {"admin", "Admin"}}

func passwordOf(name string) string { return name + "-pw-S3cret" }

// env is one home with a real App, a Server on an httptest server, a user of each role
// with a bearer token, and the log of both captured.
type env struct {
	t      testing.TB
	home   string
	app    *app.App
	srv    *api.Server
	ts     *httptest.Server
	logs   *syncBuffer
	tokens map[string]string // bearer token by user name
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newEnv builds a home with baseDags (plus extra files) and no scheduler yet.
func newEnv(t testing.TB, extra map[string]string) *env {
	t.Helper()
	home := t.TempDir()
	dags := filepath.Join(home, "dags")
	if err := os.MkdirAll(filepath.Join(dags, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, m := range baseModules {
		b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", m+".wasm"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dags, "modules", m+".wasm"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, src := range baseDags {
		writeFile(t, filepath.Join(dags, name), src)
	}
	for name, src := range extra {
		writeFile(t, filepath.Join(dags, name), src)
	}
	return openEnv(t, home)
}

func writeFile(t testing.TB, path, src string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

// openEnv opens the App on home, syncs its DAGs and serves the API.
func openEnv(t testing.TB, home string) *env {
	t.Helper()
	getenv := func(k string) string {
		switch k {
		case "WASMFLOW_HOME":
			return home
		case "WASMFLOW__CORE__LOAD_EXAMPLES":
			return "false"
		}
		return ""
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx := context.Background()
	ap, err := app.Open(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ap.Close() })
	if _, err := ap.SyncDags(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(ap, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	e := &env{t: t, home: home, app: ap, srv: srv, ts: ts, logs: logs, tokens: map[string]string{}}
	for _, u := range users {
		if _, err := ap.Store.GetUser(ctx, u.name); err == nil {
			// a home opened again (a restart): its users are there
		} else if _, _, err := ap.CreateUser(ctx, "test", app.NewUser{Username: u.name, Password: passwordOf(u.name), Role: u.role}); err != nil {
			t.Fatal(err)
		}
		tok, _, err := api.IssueToken(home, u.name, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[u.name] = tok
	}
	return e
}

// startScheduler runs the App's scheduler (Serve) until the test ends.
func (e *env) startScheduler() {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.app.Serve(ctx, nil) }()
	e.t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				e.t.Errorf("the scheduler stopped with %v", err)
			}
		case <-time.After(20 * time.Second):
			e.t.Errorf("the scheduler did not stop within 20 s of its context's end")
		}
	})
	waitUntil(e.t, 20*time.Second, "the scheduler runs", func() bool {
		select {
		case err := <-done:
			e.t.Fatalf("Serve returned before scheduling: %v", err)
		default:
		}
		return e.app.Scheduling()
	})
}

// waitUntil polls cond until it holds, failing the test after timeout.
func waitUntil(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// auth adds credentials to a request; nil adds none.
type auth func(*http.Request)

func bearer(tok string) auth {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func basic(user, pass string) auth { return func(r *http.Request) { r.SetBasicAuth(user, pass) } }

// as is a user's bearer token.
func (e *env) as(name string) auth { return bearer(e.tokens[name]) }

// session is a logged-in browser: its cookie and CSRF token.
type session struct {
	cookie *http.Cookie
	csrf   string
}

// auth sends the cookie and, unless csrf is "", the X-CSRF-Token header.
func (s session) with(csrf string) auth {
	return func(r *http.Request) {
		r.AddCookie(s.cookie)
		if csrf != "" {
			r.Header.Set("X-CSRF-Token", csrf)
		}
	}
}

// auth is the session as the views use it: cookie and the right CSRF token.
func (s session) auth() auth { return s.with(s.csrf) }

func (e *env) login(name, password string) session {
	e.t.Helper()
	r := e.want(http.StatusOK, "POST", "/api/v1/auth/login", `{"username":"`+name+`","password":"`+password+`"}`, nil)
	me := jsonOf[struct {
		Username  string `json:"username"`
		CSRFToken string `json:"csrf_token"`
	}](e.t, r)
	var c *http.Cookie
	for _, ck := range r.cookies() {
		if ck.Name == "wasmflow_session" {
			c = ck
		}
	}
	if c == nil || me.CSRFToken == "" || me.Username != name {
		e.t.Fatalf("login of %s: no session cookie or CSRF token: %v %s", name, r.header, r.body)
	}
	return session{cookie: c, csrf: me.CSRFToken}
}

// resp is an answer, read in full.
type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) cookies() []*http.Cookie {
	return (&http.Response{Header: r.header}).Cookies()
}

// call sends one request; body is raw JSON ("" for none).
func (e *env) call(method, path, body string, a auth) resp {
	e.t.Helper()
	var rb io.Reader
	if body != "" {
		rb = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rb)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if a != nil {
		a(req)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read the body: %v", method, path, err)
	}
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

// want sends a request that must answer status.
func (e *env) want(status int, method, path, body string, a auth) resp {
	e.t.Helper()
	r := e.call(method, path, body, a)
	if r.status != status {
		e.t.Fatalf("%s %s: status %d, want %d; body: %s", method, path, r.status, status, r.body)
	}
	return r
}

// problem checks an error answer: its status, Airflow's problem shape, and a detail that
// contains each of words.
func (e *env) problem(status int, method, path, body string, a auth, words ...string) {
	e.t.Helper()
	r := e.call(method, path, body, a)
	checkProblem(e.t, method+" "+path, r, status, words...)
}

func checkProblem(t testing.TB, what string, r resp, status int, words ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: status %d, want %d; body: %s", what, r.status, status, r.body)
		return
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("%s: Content-Type %q, want application/problem+json", what, ct)
	}
	var p struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Detail string `json:"detail"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil {
		t.Errorf("%s: the error is not JSON: %v: %s", what, err, r.body)
		return
	}
	if p.Status != status || p.Title != http.StatusText(status) || p.Detail == "" {
		t.Errorf("%s: problem %+v, want status %d, title %q and a detail", what, p, status, http.StatusText(status))
	}
	for _, w := range words {
		if !strings.Contains(p.Detail, w) {
			t.Errorf("%s: detail %q does not say %q", what, p.Detail, w)
		}
	}
}

func jsonOf[T any](t testing.TB, r resp) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("the answer is not the JSON expected: %v\n%s", err, r.body)
	}
	return v
}

// get answers a GET as the admin, decoded into T.
func get[T any](e *env, path string) T {
	e.t.Helper()
	return jsonOf[T](e.t, e.want(http.StatusOK, "GET", path, "", e.as("admin")))
}

// The REST shapes the tests read.
type dagRun struct {
	DagID           string         `json:"dag_id"`
	DagRunID        string         `json:"dag_run_id"`
	RunType         string         `json:"run_type"`
	State           string         `json:"state"`
	LogicalDate     time.Time      `json:"logical_date"`
	StartDate       *time.Time     `json:"start_date"`
	EndDate         *time.Time     `json:"end_date"`
	Conf            map[string]any `json:"conf"`
	ExternalTrigger bool           `json:"external_trigger"`
}

type taskInstance struct {
	DagID     string   `json:"dag_id"`
	DagRunID  string   `json:"dag_run_id"`
	TaskID    string   `json:"task_id"`
	State     *string  `json:"state"`
	TryNumber int      `json:"try_number"`
	MaxTries  int      `json:"max_tries"`
	Duration  *float64 `json:"duration"`
	ExitCode  *int     `json:"exit_code"`
	Hostname  string   `json:"hostname"`
	Pool      string   `json:"pool"`
	Reason    string   `json:"reason"`
}

func stateOf(ti taskInstance) string {
	if ti.State == nil {
		return "none"
	}
	return *ti.State
}

// trigger starts a run of dagID through the API as the admin.
func (e *env) trigger(dagID, runID, conf string) dagRun {
	e.t.Helper()
	body := `{"dag_run_id":"` + runID + `"`
	if conf != "" {
		body += `,"conf":` + conf
	}
	return jsonOf[dagRun](e.t, e.want(http.StatusOK, "POST", "/api/v1/dags/"+dagID+"/dagRuns", body+"}", e.as("user")))
}

// waitRun waits until a run ends and returns it.
func (e *env) waitRun(dagID, runID string) dagRun {
	e.t.Helper()
	var run dagRun
	waitUntil(e.t, 30*time.Second, "run "+runID+" of "+dagID+" ends", func() bool {
		run = get[dagRun](e, "/api/v1/dags/"+dagID+"/dagRuns/"+runID)
		return run.State == "success" || run.State == "failed"
	})
	return run
}

// tis answers a run's task instances by task id.
func (e *env) tis(dagID, runID string) map[string]taskInstance {
	e.t.Helper()
	list := get[struct {
		TaskInstances []taskInstance `json:"task_instances"`
	}](e, "/api/v1/dags/"+dagID+"/dagRuns/"+runID+"/taskInstances")
	out := map[string]taskInstance{}
	for _, ti := range list.TaskInstances {
		out[ti.TaskID] = ti
	}
	return out
}
