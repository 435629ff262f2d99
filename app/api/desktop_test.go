package api_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/wasmflow/wasmflow/app/api"
)

// fakeDesktop records what the window's endpoints asked of the window.
type fakeDesktop struct {
	mu         sync.Mutex
	view       string
	live       bool
	folder     string
	failImport bool
	unsaved    bool
}

func (d *fakeDesktop) SetUnsaved(u bool) { d.unsaved = u }

func (d *fakeDesktop) Ready(view string, live bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.view, d.live = view, live
}

func (d *fakeDesktop) ImportModules(context.Context) (any, error) {
	if d.failImport {
		return nil, errors.New("x.wasm is not a WebAssembly module")
	}
	return []map[string]string{{"name": "x.wasm"}}, nil
}

func (d *fakeDesktop) PickDagsFolder(context.Context) (string, error) { return d.folder, nil }

func TestDesktopEndpoints(t *testing.T) {
	e := newEnv(t, nil)
	d := &fakeDesktop{}
	srv, err := api.New(e.app, api.Options{LocalAdmin: "desktop:me", Desktop: d})
	if err != nil {
		t.Fatal(err)
	}
	win := httptest.NewServer(srv.Handler())
	defer win.Close()
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, win.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	// The window's views are signed in as the local Admin without a login, and told they
	// run in the window.
	if st, body := call("GET", "/api/v1/auth/me", ""); st != 200 || !strings.Contains(body, `"desktop":true`) || !strings.Contains(body, `"role":"Admin"`) {
		t.Fatalf("me in the window: %d %s", st, body)
	}
	if st, body := call("POST", "/api/v1/desktop/ready", `{"view":"#/","live_events":true}`); st != 200 {
		t.Fatalf("ready: %d %s", st, body)
	}
	if d.view != "#/" || !d.live {
		t.Errorf("Ready got %q %v", d.view, d.live)
	}
	if st, body := call("POST", "/api/v1/desktop/ready", `not json`); st != 400 || !strings.Contains(body, "live_events") {
		t.Errorf("bad ready body: %d %s", st, body)
	}
	if st, body := call("POST", "/api/v1/desktop/unsaved", `{"unsaved":true}`); st != 200 || !d.unsaved {
		t.Errorf("unsaved: %d %s, recorded %v", st, body, d.unsaved)
	}
	if st, body := call("POST", "/api/v1/desktop/importModules", ""); st != 200 || !strings.Contains(body, `"modules":[{"name":"x.wasm"}]`) {
		t.Errorf("import: %d %s", st, body)
	}
	d.failImport = true
	if st, body := call("POST", "/api/v1/desktop/importModules", ""); st != 400 || !strings.Contains(body, "not a WebAssembly module") {
		t.Errorf("failed import: %d %s", st, body)
	}
	// Cancelled dialog: null; a folder picked: its path.
	if st, body := call("POST", "/api/v1/desktop/dagsFolder", ""); st != 200 || !strings.Contains(body, `"dags_folder":null`) {
		t.Errorf("cancelled folder dialog: %d %s", st, body)
	}
	d.folder = "/data/dags"
	if st, body := call("POST", "/api/v1/desktop/dagsFolder", ""); st != 200 || !strings.Contains(body, `"dags_folder":"/data/dags"`) {
		t.Errorf("folder dialog: %d %s", st, body)
	}

	// A server (no Desktop) has none of these, and its sessions are not the window's.
	e.want(404, "POST", "/api/v1/desktop/ready", `{"view":"#/"}`, e.as("admin"))
	if r := e.want(200, "GET", "/api/v1/auth/me", "", e.as("admin")); strings.Contains(string(r.body), "desktop") {
		t.Errorf("a server's me says desktop: %s", r.body)
	}
}
