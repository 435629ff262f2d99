package cli

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/app/api"
	"github.com/wasmflow/wasmflow/app/config"
)

const typedDag = `dag_id: typed
params:
  n: {type: integer, minimum: 1, maximum: 10, default: 3}
  mode: {enum: [fast, slow], default: fast}
  who: {type: string, minLength: 1}
tasks:
  - {id: say, module: modules/echo.wasm, args: ["{{ params.who }} n={{ params.n }} {{ params.mode }}"]}
`

// typedHome is a home whose one DAG has typed params.
func typedHome(t *testing.T) *home {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	dags := filepath.Join(h.dir, "dags")
	if err := os.MkdirAll(filepath.Join(dags, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", "echo.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dags, "modules", "echo.wasm"), b, 0o644)
	os.WriteFile(filepath.Join(dags, "typed.yaml"), []byte(typedDag), 0o644)
	return h
}

// TestParamsRefusedByCLI: trigger, tasks test and dags test refuse a conf that breaks the
// params with every reason, and a conf without a required param; a good one runs with the
// defaults filled in, typed.
func TestParamsRefusedByCLI(t *testing.T) {
	h := typedHome(t)
	bad := `{"n": 0, "mode": "medium", "who": "me"}`
	for _, args := range [][]string{
		{"dags", "trigger", "typed", "-c", bad},
		{"tasks", "test", "typed", "say", "-c", bad},
		{"dags", "test", "typed", "-c", bad},
	} {
		code, _, errs := h.run("", args...)
		if code != ExitError || !strings.Contains(errs, "/n: minimum: got 0, want 1") || !strings.Contains(errs, "/mode: value must be one of 'fast', 'slow'") {
			t.Errorf("wasmflow %s: exit %d, stderr %q, want both reasons", strings.Join(args, " "), code, errs)
		}
	}
	h.fails(ExitError, "/who: no value given and the param has no default", "dags", "trigger", "typed")
	if out := h.ok("dags", "list-runs", "-d", "typed"); strings.Contains(out, "manual__") {
		t.Errorf("a refused trigger made a run: %s", out)
	}
	if out := h.ok("tasks", "test", "typed", "say", "-c", `{"who": "me", "n": 7}`); !strings.Contains(out, "me n=7 fast") {
		t.Errorf("tasks test with a good conf printed %q, want the conf's n and mode's default", out)
	}
	h.ok("dags", "trigger", "typed", "-c", `{"who": "me"}`)
}

// TestParamsRefusedThroughServer: dags trigger --server gets the server's refusal, each reason.
func TestParamsRefusedThroughServer(t *testing.T) {
	srvHome := typedHome(t)
	srvHome.ok("users", "create", "-u", "bot", "-r", "User", "-p", "bot-pw-1234567")
	cfg, err := config.Load(func(k string) string {
		if k == "WASMFLOW_HOME" {
			return srvHome.dir
		}
		return srvHome.env[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	ap, err := app.Open(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ap.Close() })
	if _, err := ap.SyncDags(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(ap, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	tok, _, err := api.IssueToken(srvHome.dir, "bot", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ci := newHome(t)
	with := func(args ...string) []string { return append(args, "--server", ts.URL, "--token", tok) }
	code, _, errs := ci.run("", with("dags", "trigger", "typed", "-c", `{"n": 11, "who": ""}`)...)
	if code != ExitError || !strings.Contains(errs, "/n: maximum: got 11, want 10") || !strings.Contains(errs, "/who: minLength: got 0, want 1") {
		t.Errorf("remote trigger of a bad conf: exit %d, stderr %q, want both reasons", code, errs)
	}
	ci.ok(with("dags", "trigger", "typed", "-c", `{"who": "me"}`)...)
}
