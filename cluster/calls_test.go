package cluster

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// TestCallsFromWorker: the record of a try's granted-I/O calls comes back from a worker with
// its result. The try has no grants, so its one HTTP call is refused, and recorded as such.
func TestCallsFromWorker(t *testing.T) {
	module := filepath.Join(t.TempDir(), "hostio.wasm")
	cmd := exec.Command("go", "build", "-trimpath", "-o", module, "../runtime/testdata/hostio")
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("build runtime/testdata/hostio: %v\n%s", err, out.Bytes())
	}
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
	if c.Kind != "http" || c.Target != "127.0.0.1:9" || c.Op != "GET" || !c.Refused ||
		!strings.Contains(c.Error, `host 127.0.0.1 is not granted: add "127.0.0.1:9" to allow_hosts`) || c.Duration <= 0 {
		t.Errorf("call = %+v", c)
	}
}
