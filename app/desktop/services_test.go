package desktop

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/app"
)

// freePort returns a loopback address for cluster.bind whose port and the next one (the
// data channel's) are both free now.
func freePort(t *testing.T) string {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		p := l.Addr().(*net.TCPAddr).Port
		next, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+1)))
		l.Close()
		if err == nil {
			next.Close()
			return l.Addr().String()
		}
	}
	t.Fatal("no two free consecutive ports on 127.0.0.1")
	return ""
}

// newServices returns services on a fresh home with one DAG whose only task fails.
func newServices(t *testing.T, env map[string]string) *Services {
	t.Helper()
	home := t.TempDir()
	dags := filepath.Join(home, "dags")
	if err := os.MkdirAll(filepath.Join(dags, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", "exit.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dags, "modules", "exit.wasm"), b, 0o644)
	os.WriteFile(filepath.Join(dags, "fails.yaml"), []byte("dag_id: fails\nis_paused_upon_creation: false\ntasks:\n  - {id: boom, module: modules/exit.wasm, args: [\"3\"]}\n"), 0o644)
	vars := map[string]string{"WASMFLOW_HOME": home, "WASMFLOW__CORE__LOAD_EXAMPLES": "false", "WASMFLOW__CLUSTER__BIND": freePort(t)}
	for k, v := range env {
		vars[k] = v
	}
	s := &Services{Getenv: func(k string) string { return vars[k] }, Log: slog.New(slog.DiscardHandler)}
	t.Cleanup(func() { s.Stop() })
	return s
}

func TestServicesServeTheAPIAndNotifyFailedRuns(t *testing.T) {
	s := newServices(t, nil)
	failed := make(chan app.RunInfo, 1)
	s.OnRunFailed = func(r app.RunInfo) { failed <- r }

	// Before Start, and while restarting, the window's views get a 503 they retry.
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/dags", nil))
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("before start: %d", rec.Code)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if s.Info().JoinCommand == "" || !strings.Contains(s.Info().JoinCommand, "wasmflow worker --join") {
		t.Errorf("the app is no cluster server: %+v", s.Info())
	}
	// The views are the local Admin's, with no login.
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/auth/me", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"role":"Admin"`) {
		t.Fatalf("me: %d %s", rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/dags/fails/dagRuns", strings.NewReader(`{"dag_run_id":"r1"}`)))
	if rec.Code != 200 {
		t.Fatalf("trigger: %d %s", rec.Code, rec.Body)
	}
	select {
	case r := <-failed:
		if r.DagID != "fails" || r.DagRunID != "r1" {
			t.Errorf("notified of %s/%s", r.DagID, r.DagRunID)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no notification of the failed run")
	}
	// A second start on the same home (another window, or `wasmflow standalone`) is refused.
	other := &Services{Getenv: s.Getenv, Log: s.Log}
	var le *app.LockedError
	if err := other.Start(context.Background()); !errors.As(err, &le) {
		t.Errorf("second start: %v, want a LockedError", err)
	}
	if n, err := s.Running(context.Background()); err != nil || n != 0 {
		t.Errorf("running: %d, %v", n, err)
	}
}

// Picking another DAGs folder writes it to wasmflow.toml and restarts on it.
func TestSetDagsFolderRestartsOnIt(t *testing.T) {
	s := newServices(t, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "other dags")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "hello.yaml"), []byte("dag_id: hello\ntasks:\n  - {id: wait, sensor: 'true'}\n"), 0o644)
	if err := s.SetDagsFolder(context.Background(), dir); err != nil {
		t.Fatal(err)
	}
	if got := s.Info().DagsFolder; got != dir {
		t.Errorf("dags folder %q, want %q", got, dir)
	}
	b, _ := os.ReadFile(filepath.Join(s.Info().Home, "wasmflow.toml"))
	if !strings.Contains(string(b), "other dags") {
		t.Errorf("wasmflow.toml: %s", b)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/dags/hello", nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != 200 {
		t.Fatalf("the new folder's DAG: %d %s", rec.Code, body)
	}
}

// Without the cluster's ports the app still runs everything itself.
func TestServicesWithoutClusterPorts(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	s := newServices(t, map[string]string{"WASMFLOW__CLUSTER__BIND": busy.Addr().String()})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if info := s.Info(); info.JoinCommand != "" || !strings.Contains(info.NoCluster, "cluster.bind") {
		t.Errorf("info: %+v", info)
	}
	if !s.App().Scheduling() {
		t.Error("no scheduler runs")
	}
}

// Stopping while a task runs leaves nothing running: the try is stopped after the grace
// period and recorded, and the task runs again at the next start without using a retry.
func TestStopLeavesNothingRunning(t *testing.T) {
	s := newServices(t, nil)
	s.Grace = 200 * time.Millisecond
	dags := filepath.Join(s.Getenv("WASMFLOW_HOME"), "dags")
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", "sleep.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dags, "modules", "sleep.wasm"), b, 0o644)
	os.WriteFile(filepath.Join(dags, "long.yaml"), []byte("dag_id: long\nis_paused_upon_creation: false\ntasks:\n  - {id: nap, module: modules/sleep.wasm, args: [\"{{ try_number == 1 ? '60' : '0.01' }}\"]}\n"), 0o644)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	call := func(method, path, body string) string {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(method, path, strings.NewReader(body)))
		return rec.Body.String()
	}
	call("POST", "/api/v1/dags/long/dagRuns", `{"dag_run_id":"r1"}`)
	state := func() string {
		tis, err := s.App().Store.ListTaskInstances(context.Background(), "long", "r1")
		if err != nil || len(tis) != 1 {
			return ""
		}
		return string(tis[0].State)
	}
	deadline := time.Now().Add(20 * time.Second)
	for state() != "running" {
		if time.Now().After(deadline) {
			t.Fatalf("nap never ran: %q", state())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for st := state(); st != "success"; st = state() {
		if st == "failed" || time.Now().After(deadline) {
			t.Fatalf("after the restart nap is %q; want success", st)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tis, _ := s.App().Store.ListTaskInstances(context.Background(), "long", "r1")
	if tis[0].TryNumber != 2 || tis[0].MaxTries != 2 {
		t.Errorf("try %d of %d; want the interrupted try not to use a retry", tis[0].TryNumber, tis[0].MaxTries)
	}
}

// The window's no-login API answers only the window's web view, never a TCP peer.
func TestServicesAnswerOnlyTheWebView(t *testing.T) {
	s := newServices(t, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest("GET", "/api/v1/auth/me", nil)
	req.RemoteAddr = "127.0.0.1:50123"
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "only its own window") {
		t.Errorf("a TCP peer got %d %s", rec.Code, rec.Body)
	}
}

// A DAGs folder the scheduler cannot run on is refused, or undone: the app keeps running
// on the folder it had.
func TestSetDagsFolderRefusesOrUndoes(t *testing.T) {
	s := newServices(t, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	before := s.Info().DagsFolder
	file := filepath.Join(t.TempDir(), "not-a-folder")
	os.WriteFile(file, nil, 0o644)
	if err := s.SetDagsFolder(context.Background(), file); err == nil || !strings.Contains(err.Error(), "not a folder") {
		t.Errorf("a file as DAGs folder: %v", err)
	}
	if s.Info().DagsFolder != before || s.App() == nil {
		t.Fatalf("after a refused switch: %+v", s.Info())
	}
	// The environment decides the folder: the choice would not hold, so it is refused.
	getenv := s.Getenv
	s.Getenv = func(k string) string {
		if k == "WASMFLOW__CORE__DAGS_FOLDER" {
			return before
		}
		return getenv(k)
	}
	if err := s.SetDagsFolder(context.Background(), t.TempDir()); err == nil || !strings.Contains(err.Error(), "WASMFLOW__CORE__DAGS_FOLDER") {
		t.Errorf("with the folder set in the environment: %v", err)
	}
	if s.Info().DagsFolder != before || s.App() == nil {
		t.Fatalf("after a refused switch: %+v", s.Info())
	}
}

// Close stops for good: a restart racing the quit cannot bring the scheduler back.
func TestCloseWinsOverARestart(t *testing.T) {
	s := newServices(t, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Restart(context.Background()) }()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	<-done // whichever ran first, nothing runs now
	if s.App() != nil {
		t.Fatal("the scheduler runs after Close")
	}
	if err := s.Start(context.Background()); err == nil || !strings.Contains(err.Error(), "quitting") {
		t.Errorf("start after Close: %v", err)
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/dags", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "quitting") {
		t.Errorf("after Close: %d %s", rec.Code, rec.Body)
	}
}

func TestImportFiles(t *testing.T) {
	s := newServices(t, nil)
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	noop, err := filepath.Abs(filepath.Join("..", "..", "runtime", "testdata", "noop_c", "noop.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	mods, err := s.ImportFiles(context.Background(), []string{noop})
	if err != nil || len(mods) != 1 || !strings.HasPrefix(mods[0].Path, "modules/") || mods[0].Name != "noop.wasm" {
		t.Fatalf("import: %+v, %v", mods, err)
	}
	if _, err := os.Stat(filepath.Join(s.Info().DagsFolder, mods[0].Path)); err != nil {
		t.Errorf("not stored: %v", err)
	}
	if msg := importedMessage(mods); !strings.Contains(msg, "module: "+mods[0].Path) {
		t.Errorf("message: %s", msg)
	}
	text := filepath.Join(t.TempDir(), "notes.wasm")
	os.WriteFile(text, []byte("hello"), 0o644)
	if _, err := s.ImportFiles(context.Background(), []string{text}); err == nil || !strings.Contains(err.Error(), "notes.wasm") {
		t.Errorf("a text file: %v", err)
	}
	if _, err := s.ImportFiles(context.Background(), []string{t.TempDir()}); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder: %v", err)
	}
}

// TestClusterOnLoopbackUnlessSet: with cluster.bind unset, the app's cluster listens on
// 127.0.0.1:7946 (or, that port being taken, says it could not bind there), never on every
// interface; the join command says only this machine's workers can join.
func TestClusterOnLoopbackUnlessSet(t *testing.T) {
	s := newServices(t, map[string]string{"WASMFLOW__CLUSTER__BIND": ""})
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	info := s.Info()
	if info.JoinCommand == "" { // 7946 is taken on this machine: the error names the address
		if !strings.Contains(info.NoCluster, "127.0.0.1:7946") {
			t.Fatalf("without the cluster: %q, want it to name 127.0.0.1:7946", info.NoCluster)
		}
		return
	}
	if !strings.Contains(info.JoinCommand, "--join 127.0.0.1:7946 ") {
		t.Errorf("join command %q, want the cluster on 127.0.0.1:7946", info.JoinCommand)
	}
	if !strings.Contains(info.JoinNote, "cluster.bind") || !strings.Contains(info.JoinNote, "other machines") {
		t.Errorf("join note %q, want it to say workers on other machines need cluster.bind", info.JoinNote)
	}
}
