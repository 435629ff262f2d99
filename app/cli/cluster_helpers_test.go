package cli

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Helpers for the tests that run a cluster of real processes (the built binary) on loopback:
// a `wasmflow server` and `wasmflow worker`s, each with its own WASMFLOW_HOME, driven and
// inspected through the CLI's JSON output.

// clusterPort returns a port P on 127.0.0.1 free for gossip (TCP and UDP) with P+1 free for
// the data channel (TCP). It is picked below Linux's ephemeral range (32768+), where the
// kernel does not hand out ports to other tests' outgoing connections or ":0" listeners.
func clusterPort(t *testing.T) int {
	t.Helper()
	for range 200 {
		p := 20000 + rand.IntN(12000)
		if portsFree(p) {
			return p
		}
	}
	t.Fatal("no free pair of ports found for a cluster node")
	return 0
}

// apiPort returns a free TCP port (the server's api.listen, so it never takes 8080).
func apiPort(t *testing.T) int {
	t.Helper()
	for range 200 {
		p := 20000 + rand.IntN(12000)
		if ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p)); err == nil {
			ln.Close()
			return p
		}
	}
	t.Fatal("no free port found for the API")
	return 0
}

var takenPorts sync.Map // ports handed out in this test binary, never handed out twice

func portsFree(p int) bool {
	if _, dup := takenPorts.Load(p); dup {
		return false
	}
	if _, dup := takenPorts.Load(p + 1); dup {
		return false
	}
	addr := func(p int) string { return "127.0.0.1:" + strconv.Itoa(p) }
	t1, err := net.Listen("tcp", addr(p))
	if err != nil {
		return false
	}
	defer t1.Close()
	u, err := net.ListenPacket("udp", addr(p))
	if err != nil {
		return false
	}
	defer u.Close()
	t2, err := net.Listen("tcp", addr(p+1))
	if err != nil {
		return false
	}
	defer t2.Close()
	takenPorts.Store(p, true)
	takenPorts.Store(p+1, true)
	return true
}

// proc is one wasmflow process started by a test; its stdout and stderr go to one file.
type proc struct {
	t       *testing.T
	name    string
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // after done
}

// processEnv is the test process's environment without any WASMFLOW setting (a developer's
// own must not leak into the cluster under test), plus env.
func processEnv(env map[string]string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WASMFLOW") {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// startProc starts the binary with args; logs go to dir/<name>.log. The process is killed
// when the test ends, and its log printed if the test failed.
func startProc(t *testing.T, bin, name, dir string, env map[string]string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, logPath: filepath.Join(dir, name+".log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(f, "--- %s %s\n", name, strings.Join(args, " "))
	p.cmd = exec.Command(bin, args...)
	p.cmd.Env = processEnv(env)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.done
		if t.Failed() {
			t.Logf("output of %s:\n%s", name, p.output())
		}
	})
	return p
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// waitOutput waits until the process printed something matching re, and returns the match.
func (p *proc) waitOutput(re string, timeout time.Duration) []string {
	p.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(timeout)
	for {
		if m := rx.FindStringSubmatch(p.output()); m != nil {
			return m
		}
		select {
		case <-p.done:
			if m := rx.FindStringSubmatch(p.output()); m != nil {
				return m
			}
			p.t.Fatalf("%s exited (%v) without printing %q:\n%s", p.name, p.err, re, p.output())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s did not print %q within %s:\n%s", p.name, re, timeout, p.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill9 kills the process with SIGKILL, as a crash or a power cut would, and reaps it.
func (p *proc) kill9() {
	p.t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		p.t.Fatalf("kill -9 %s: %v", p.name, err)
	}
	<-p.done
}

// signal sends sig to the process.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %s to %s: %v", sig, p.name, err)
	}
}

// exitCode waits for the process to end by itself and returns its exit code.
func (p *proc) exitCode(timeout time.Duration) int {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.t.Fatalf("%s still runs after %s:\n%s", p.name, timeout, p.output())
	}
	return p.cmd.ProcessState.ExitCode()
}

// procCluster is a server's home with the DAGs of a test, and the processes started on it.
type procCluster struct {
	t      *testing.T
	bin    string
	h      *home // the server's home, for CLI commands run in this test process
	port   int   // the server's gossip port
	api    int
	secret string
	server *proc
}

// newCluster prepares a server home with the given modules of examples/dags/modules and DAG
// files (name → YAML), and initializes its metastore.
func newCluster(t *testing.T, modules []string, dags map[string]string) *procCluster {
	t.Helper()
	c := &procCluster{t: t, bin: buildBinary(t), port: clusterPort(t), api: apiPort(t)}
	c.h = newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false",
		"WASMFLOW__CLUSTER__BIND", c.addr(), "WASMFLOW__API__LISTEN", "127.0.0.1:"+strconv.Itoa(c.api))
	dir := filepath.Join(c.h.dir, "dags")
	if err := os.MkdirAll(filepath.Join(dir, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, m := range modules {
		b, err := os.ReadFile(exampleModule(m))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "modules", m+".wasm"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, yaml := range dags {
		if err := os.WriteFile(filepath.Join(dir, name+".yaml"), []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c.h.ok("db", "init")
	return c
}

func exampleModule(name string) string {
	return filepath.Join("..", "..", "examples", "dags", "modules", name+".wasm")
}

// addr is the server's cluster address, what workers --join.
func (c *procCluster) addr() string { return "127.0.0.1:" + strconv.Itoa(c.port) }

// startServer starts `wasmflow server --no-local` (workers run every task) on the home and
// waits until it printed its join command, whose secret it keeps.
func (c *procCluster) startServer() *proc {
	c.t.Helper()
	env := map[string]string{"WASMFLOW_HOME": c.h.dir}
	for k, v := range c.h.env {
		env[k] = v
	}
	c.server = startProc(c.t, c.bin, "server", c.h.dir, env, "server", "--no-local")
	m := c.server.waitOutput(`wasmflow worker --join (\S+) --secret (\S+)`, 30*time.Second)
	if m[1] != c.addr() {
		c.t.Fatalf("the server's join command names %s, want %s", m[1], c.addr())
	}
	if c.secret != "" && m[2] != c.secret {
		c.t.Fatalf("the restarted server's secret changed: %s, was %s", m[2], c.secret)
	}
	c.secret = m[2]
	return c.server
}

// startWorker starts `wasmflow worker` joining the server, with its own home and ports, and
// waits until it joined. extra are more flags (--queues, --slots).
func (c *procCluster) startWorker(name string, extra ...string) *proc {
	c.t.Helper()
	w := c.spawnWorker(name, c.secret, extra...)
	w.waitOutput(`wasmflow worker `+regexp.QuoteMeta(name)+` joined the cluster`, 30*time.Second)
	return w
}

// spawnWorker starts a worker without waiting for it to join, on a port of its own unless
// extra has --bind.
func (c *procCluster) spawnWorker(name, secret string, extra ...string) *proc {
	c.t.Helper()
	home := filepath.Join(c.h.dir, "workers", name)
	if err := os.MkdirAll(home, 0o755); err != nil {
		c.t.Fatal(err)
	}
	args := []string{"worker", "--join", c.addr(), "--secret", secret, "--name", name}
	if !slices.Contains(extra, "--bind") {
		args = append(args, "--bind", "127.0.0.1:"+strconv.Itoa(clusterPort(c.t)))
	}
	args = append(args, extra...)
	return startProc(c.t, c.bin, name, c.h.dir, map[string]string{"WASMFLOW_HOME": home}, args...)
}

// workerHome is where a worker keeps its cache.
func (c *procCluster) workerHome(name string) string { return filepath.Join(c.h.dir, "workers", name) }

// clusterTI is a task instance as `tasks states-for-dag-run -o json` prints it.
type clusterTI struct {
	TaskID    string  `json:"task_id"`
	State     *string `json:"state"`
	TryNumber int     `json:"try_number"`
	Hostname  string  `json:"hostname"`
	Queue     string  `json:"queue"`
	Reason    string  `json:"reason"`
}

func (ti clusterTI) state() string {
	if ti.State == nil {
		return "none"
	}
	return *ti.State
}

// tis lists a run's task instances by task id.
func (c *procCluster) tis(dag, run string) map[string]clusterTI {
	c.t.Helper()
	var rows []clusterTI
	out := c.h.ok("tasks", "states-for-dag-run", dag, run, "-o", "json")
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		c.t.Fatalf("states-for-dag-run: %v\n%s", err, out)
	}
	m := make(map[string]clusterTI, len(rows))
	for _, r := range rows {
		m[r.TaskID] = r
	}
	return m
}

// trigger creates a manual run with this run id.
func (c *procCluster) trigger(dag, run string) {
	c.t.Helper()
	var got []struct {
		RunID string `json:"dag_run_id"`
	}
	out := c.h.ok("dags", "trigger", dag, "--run-id", run, "-o", "json")
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || got[0].RunID != run {
		c.t.Fatalf("dags trigger: %v\n%s", err, out)
	}
}

// runState is a run's state as `dags state` prints it.
func (c *procCluster) runState(dag, run string) string {
	c.t.Helper()
	return strings.TrimSpace(c.h.ok("dags", "state", dag, run))
}

// waitFor polls cond (every 100 ms) until it holds, failing the test after timeout with what
// describe says then.
func (c *procCluster) waitFor(timeout time.Duration, cond func() bool, describe func() string) {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("after %s: %s", timeout, describe())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitRunEnd waits until the run is success or failed and returns which.
func (c *procCluster) waitRunEnd(dag, run string, timeout time.Duration) string {
	c.t.Helper()
	var state string
	c.waitFor(timeout, func() bool {
		state = c.runState(dag, run)
		return state == "success" || state == "failed"
	}, func() string {
		return fmt.Sprintf("run %s of %s is still %s: %s", run, dag, state, summarize(c.tis(dag, run)))
	})
	return state
}

// summarize counts task instances by state and host, for failure messages.
func summarize(tis map[string]clusterTI) string {
	n := map[string]int{}
	for _, ti := range tis {
		n[ti.state()+"@"+ti.Hostname]++
	}
	return fmt.Sprint(n)
}

// member is a node as `cluster members -o json` prints it.
type member struct {
	Name   string   `json:"name"`
	Role   string   `json:"role"`
	State  string   `json:"state"`
	Queues []string `json:"queues"`
	Slots  int      `json:"slots"`
}

func (c *procCluster) members() map[string]member {
	c.t.Helper()
	var ms []member
	out := c.h.ok("cluster", "members", "-o", "json")
	if err := json.Unmarshal([]byte(out), &ms); err != nil {
		c.t.Fatalf("cluster members: %v\n%s", err, out)
	}
	m := map[string]member{}
	for _, x := range ms {
		m[x.Name] = x
	}
	return m
}
