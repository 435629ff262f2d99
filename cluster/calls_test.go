package cluster

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// hostioModule builds the runtime's granted-I/O fixture.
func hostioModule(t *testing.T) string {
	t.Helper()
	module := filepath.Join(t.TempDir(), "hostio.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-o", module, "../runtime/testdata/hostio")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("build runtime/testdata/hostio: %v\n%s", err, out.Bytes())
	}
	return module
}

// TestCallsFromWorker: the record of a try's granted-I/O calls comes back from a worker with
// its result. The try has no grants, so its one HTTP call is refused, and recorded as such.
func TestCallsFromWorker(t *testing.T) {
	module := hostioModule(t)
	s := startServer(t, serverOpts{})
	startWorker(t, "w1", s.Node().Address(), workerOpts{})
	waitWorkers(t, s, 1)

	w := workload("io", "run1", "fetch", 1, module, "get", "http://127.0.0.1:9/items?key=k")
	s.Submit(w, nil)
	eventually(t, 60*time.Second, func() bool { return len(s.res.of(keyOf(w))) > 0 }, "no result")
	r := s.res.of(keyOf(w))[0]
	if r.Hostname != "w1" || r.State != tasks.StateFailed || r.Reason != "exit_code 3" {
		t.Fatalf("result = %s on %s: %q", r.State, r.Hostname, r.Reason)
	}
	if len(r.Calls) != 1 {
		t.Fatalf("calls = %+v, want the one refused call", r.Calls)
	}
	c := r.Calls[0]
	if c.Kind != "http" || c.Target != "127.0.0.1:9" || c.Op != "GET /items" || !c.Refused ||
		!strings.Contains(c.Error, `host 127.0.0.1 is not granted: add "127.0.0.1:9" to allow_hosts`) || c.Duration <= 0 {
		t.Errorf("call = %+v", c)
	}
}

// TestConnectionsToWorker: a try's resolved connection reaches the worker that runs it
// in its submit request (over the sealed data channel: the token is nowhere in clear on the
// wire), and the worker's host adds its token to the call.
func TestConnectionsToWorker(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer tok-789" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, "items")
	}))
	defer api.Close()
	module := hostioModule(t)
	var wr wire
	s := startServer(t, serverOpts{wire: &wr})
	startWorker(t, "w1", s.Node().Address(), workerOpts{wire: &wr})
	waitWorkers(t, s, 1)

	w := workload("io", "run1", "fetch", 1, module, "get", "conn://api/v1/items")
	port := api.Listener.Addr().(*net.TCPAddr).Port
	w.Grants = tasks.Grants{Connections: []string{"api"}}
	w.Connections = map[string]tasks.Connection{"api": {ConnID: "api", ConnType: "http", Host: "127.0.0.1", Port: port, Extra: `{"token": "tok-789"}`}}
	s.Submit(w, nil)
	eventually(t, 60*time.Second, func() bool { return len(s.res.of(keyOf(w))) > 0 }, "no result")
	r := s.res.of(keyOf(w))[0]
	if r.Hostname != "w1" || r.State != tasks.StateSuccess || len(r.Calls) != 1 || r.Calls[0].Status != 200 || r.Calls[0].Target != "api" {
		t.Fatalf("result = %s on %s: %q, calls %+v", r.State, r.Hostname, r.Reason, r.Calls)
	}
	log, _ := os.ReadFile(LogPath(s.logs, keyOf(w), 1))
	if !strings.Contains(string(log), "status=200 body=items") {
		t.Errorf("log:\n%s", log)
	}
	if captured := wr.bytes(); !bytes.Contains(captured, []byte(pathTries)) || inClear(captured, []byte("tok-789")) {
		t.Errorf("the connection's token crossed the wire in clear, or the tap saw no try (%d bytes)", len(captured))
	}
}
