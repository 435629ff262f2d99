package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// These tests run a cluster of real processes on loopback: the built binary as `wasmflow
// server --no-local` (so workers run every task) and `wasmflow worker`s, each worker with its
// own home, and check what a user sees through the CLI's JSON output.

// spreadDAG is 300 default-queue tasks, 10 of queue "etl" and one of queue "rare".
func spreadDAG() string {
	var b strings.Builder
	b.WriteString("dag_id: spread\nis_paused_upon_creation: false\nmax_active_tasks: 64\ntasks:\n")
	for i := range 300 {
		fmt.Fprintf(&b, "  - {id: t%03d, module: modules/sleep.wasm, args: [\"0.02\"]}\n", i)
	}
	for i := range 10 {
		fmt.Fprintf(&b, "  - {id: etl%d, module: modules/echo.wasm, args: [\"etl %d\"], queue: etl}\n", i, i)
	}
	b.WriteString("  - {id: rare, module: modules/sum.wasm, args: [\"2\", \"40\"], queue: rare}\n")
	return b.String()
}

// TestClusterSpreadRoutingLateJoin: a server and three workers run a DAG of 300 tasks, each
// worker a share; tasks of queue etl run only on the worker serving it; a task of a queue no
// worker serves waits queued, saying why; a worker with the wrong secret cannot join (clear
// error, non-zero exit) nor take that task; a worker that joins late for that queue gets the
// module by its sha256 and runs it, and the run succeeds.
func TestClusterSpreadRoutingLateJoin(t *testing.T) {
	start := time.Now()
	c := newCluster(t, []string{"sleep", "echo", "sum"}, map[string]string{"spread": spreadDAG()})
	c.startServer()
	c.startWorker("w1", "--slots", "4")
	c.startWorker("w2", "--slots", "4")
	c.startWorker("w3", "--slots", "4", "--queues", "default,etl")

	c.trigger("spread", "r1")
	// Everything but the rare task ends; the rare one waits, saying why.
	c.waitFor(90*time.Second, func() bool {
		tis := c.tis("spread", "r1")
		for id, ti := range tis {
			if id != "rare" && ti.state() != "success" {
				return false
			}
		}
		return true
	}, func() string { return "not every task ran: " + summarize(c.tis("spread", "r1")) })
	t.Logf("310 tasks through the cluster in %s (since the test began)", time.Since(start))

	tis := c.tis("spread", "r1")
	perHost := map[string]int{}
	for i := range 300 {
		ti := tis[fmt.Sprintf("t%03d", i)]
		if ti.TryNumber != 1 {
			t.Errorf("%s: try %d, want 1", ti.TaskID, ti.TryNumber)
		}
		perHost[ti.Hostname]++
	}
	t.Logf("tasks per worker: %v", perHost)
	for _, w := range []string{"w1", "w2", "w3"} {
		if perHost[w] < 20 {
			t.Errorf("worker %s ran %d of the 300 tasks: the load is not spread (%v)", w, perHost[w], perHost)
		}
	}
	if len(perHost) != 3 {
		t.Errorf("tasks ran on %v, want only w1, w2, w3", perHost)
	}
	for i := range 10 {
		if ti := tis[fmt.Sprintf("etl%d", i)]; ti.Hostname != "w3" || ti.Queue != "etl" {
			t.Errorf("%s (queue %q) ran on %q: only w3 serves queue etl", ti.TaskID, ti.Queue, ti.Hostname)
		}
	}
	rare := tis["rare"]
	// (Its hostname is the server's while queued: the scheduler records its own host when it
	// queues a try; a worker's replaces it once the try starts.)
	if rare.state() != "queued" || !strings.Contains(rare.Reason, `no live worker serves queue "rare"`) || strings.HasPrefix(rare.Hostname, "w") {
		t.Fatalf("the task of queue rare: %s on %q, reason %q; want queued saying no worker serves its queue", rare.state(), rare.Hostname, rare.Reason)
	}

	// A worker with another secret is refused at once, says why, and exits non-zero.
	intruder := c.spawnWorker("intruder", "not-the-secret", "--queues", "rare", "--slots", "1")
	if code := intruder.exitCode(20 * time.Second); code == 0 {
		t.Fatalf("a worker with the wrong secret exited 0:\n%s", intruder.output())
	}
	if out := intruder.output(); !strings.Contains(out, "wrong cluster secret") || !strings.Contains(out, c.addr()) || strings.Contains(out, "joined the cluster") {
		t.Errorf("the wrong-secret worker's output does not say why it could not join:\n%s", out)
	}
	ms := c.members()
	if _, ok := ms["intruder"]; ok {
		t.Errorf("the wrong-secret worker is a member: %+v", ms)
	}
	for _, w := range []string{"w1", "w2", "w3"} {
		if ms[w].State != "alive" || ms[w].Role != "worker" {
			t.Errorf("cluster members: %s is %+v, want an alive worker", w, ms[w])
		}
	}
	if got := c.tis("spread", "r1")["rare"]; got.state() != "queued" || got.Hostname == "intruder" || got.TryNumber != 1 {
		t.Fatalf("the rare task left queued with no worker for it: %+v", got)
	}

	// A worker for queue rare joins late, with an empty cache: it fetches sum.wasm by its
	// sha256 and runs the task.
	c.startWorker("late", "--queues", "rare", "--slots", "1")
	if state := c.waitRunEnd("spread", "r1", 30*time.Second); state != "success" {
		t.Fatalf("run ended %s: %s", state, summarize(c.tis("spread", "r1")))
	}
	rare = c.tis("spread", "r1")["rare"]
	if rare.state() != "success" || rare.Hostname != "late" || rare.TryNumber != 1 {
		t.Errorf("the rare task: %s on %q at try %d, want success on late at try 1", rare.state(), rare.Hostname, rare.TryNumber)
	}
	module, err := os.ReadFile(exampleModule("sum"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(module)
	sha := hex.EncodeToString(sum[:])
	cached, err := os.ReadFile(filepath.Join(c.workerHome("late"), "cache", "worker", "modules", sha+".wasm"))
	if err != nil {
		t.Fatalf("the late worker has no module named by the sha256 of sum.wasm: %v", err)
	}
	if got := sha256.Sum256(cached); hex.EncodeToString(got[:]) != sha {
		t.Errorf("the late worker's cached module does not hash to its name")
	}
	for _, w := range []string{"w1", "w2", "w3"} {
		if _, err := os.Stat(filepath.Join(c.workerHome(w), "cache", "worker", "modules", sha+".wasm")); err == nil {
			t.Errorf("worker %s was sent sum.wasm, though it serves no queue that runs it", w)
		}
	}
	if x := strings.TrimSpace(c.h.ok("tasks", "logs", "spread", "r1", "rare")); !strings.Contains(x, "42") {
		t.Errorf("the rare task's log, streamed from the late worker: %q", x)
	}
	t.Logf("total %s", time.Since(start))
}

// workerKillDAG: after a quick first task, tasks that sleep long on their first try (so they
// run when their worker is killed): r0-r2 with a retry (a retry sleeps briefly), n0-n1 without.
const workerKillDAG = `dag_id: worker_kill
is_paused_upon_creation: false
tasks:
  - {id: first, module: modules/echo.wasm, args: ["before the kill"]}
  - {id: r0, module: modules/sleep.wasm, args: ['{{ try_number == 1 ? "120" : "0.2" }}'], retries: 1, retry_delay: 0.1, upstream: [first]}
  - {id: r1, module: modules/sleep.wasm, args: ['{{ try_number == 1 ? "120" : "0.2" }}'], retries: 1, retry_delay: 0.1, upstream: [first]}
  - {id: r2, module: modules/sleep.wasm, args: ['{{ try_number == 1 ? "120" : "0.2" }}'], retries: 1, retry_delay: 0.1, upstream: [first]}
  - {id: n0, module: modules/sleep.wasm, args: ["120"], upstream: [first]}
  - {id: n1, module: modules/sleep.wasm, args: ["120"], upstream: [first]}
`

// TestClusterWorkerKill9: a worker killed with SIGKILL while it runs five tries. Within 10 s
// (default settings) every one of them leaves running: those with a retry are retried and
// succeed at try 2; those without fail at try 1 as lost. The task that finished on the dead
// worker before stays as it was, and the run ends. Twice: the worker stays dead (its retries
// run on the survivor), or it is restarted at once on the same address, as a service manager
// would, and is never seen dead.
func TestClusterWorkerKill9(t *testing.T) {
	t.Run("stays_dead", func(t *testing.T) { testWorkerKill9(t, false) })
	t.Run("restarted_in_place", func(t *testing.T) { testWorkerKill9(t, true) })
}

func testWorkerKill9(t *testing.T, restart bool) {
	c := newCluster(t, []string{"sleep", "echo"}, map[string]string{"worker_kill": workerKillDAG})
	c.startServer()
	bind := "127.0.0.1:" + strconv.Itoa(clusterPort(t))
	victim := c.startWorker("victim", "--slots", "8", "--bind", bind)
	c.trigger("worker_kill", "r1")
	sleepers := []string{"r0", "r1", "r2", "n0", "n1"}
	c.waitFor(30*time.Second, func() bool {
		tis := c.tis("worker_kill", "r1")
		for _, id := range sleepers {
			if tis[id].state() != "running" || tis[id].Hostname != "victim" {
				return false
			}
		}
		return true
	}, func() string {
		return "the sleepers do not all run on victim: " + summarize(c.tis("worker_kill", "r1"))
	})
	// A second worker joins only now, so every sleeper runs on the victim.
	c.startWorker("survivor", "--slots", "8")

	victim.kill9()
	killed := time.Now()
	verb, retriedOn := "died", []string{"survivor"}
	if restart {
		c.startWorker("victim", "--slots", "8", "--bind", bind)
		verb, retriedOn = "restarted", []string{"survivor", "victim"}
	}
	var handled time.Duration
	c.waitFor(30*time.Second, func() bool {
		tis := c.tis("worker_kill", "r1")
		for _, id := range sleepers {
			if ti := tis[id]; ti.TryNumber == 1 && (ti.state() == "running" || ti.state() == "queued") {
				return false
			}
		}
		handled = time.Since(killed)
		return true
	}, func() string {
		return "tries of the killed worker still running: " + summarize(c.tis("worker_kill", "r1"))
	})
	t.Logf("kill -9 of the worker to its tries failed as lost: %s", handled)
	if handled > 10*time.Second {
		t.Errorf("the dead worker's tries were failed %s after its death, want within 10 s", handled)
	}

	if state := c.waitRunEnd("worker_kill", "r1", 30*time.Second); state != "failed" {
		t.Errorf("run ended %s, want failed (n0 and n1 have no retries)", state)
	}
	tis := c.tis("worker_kill", "r1")
	if ti := tis["first"]; ti.state() != "success" || ti.TryNumber != 1 || ti.Hostname != "victim" {
		t.Errorf("first, done on the victim before it died: %s at try %d on %q", ti.state(), ti.TryNumber, ti.Hostname)
	}
	lost := "lost: worker victim " + verb
	for _, id := range []string{"r0", "r1", "r2"} {
		if ti := tis[id]; ti.state() != "success" || ti.TryNumber != 2 || !slices.Contains(retriedOn, ti.Hostname) {
			t.Errorf("%s: %s at try %d on %q (%s), want success at try 2 on one of %v", id, ti.state(), ti.TryNumber, ti.Hostname, ti.Reason, retriedOn)
		}
		// Its first try's log says how it ended.
		if log := c.h.ok("tasks", "logs", "worker_kill", "r1", id, "--try", "1"); !strings.Contains(log, lost) {
			t.Errorf("%s try 1 log does not say %q:\n%s", id, lost, log)
		}
	}
	for _, id := range []string{"n0", "n1"} {
		if ti := tis[id]; ti.state() != "failed" || ti.TryNumber != 1 || ti.Reason != lost {
			t.Errorf("%s: %s at try %d, reason %q; want failed at try 1, %s", id, ti.state(), ti.TryNumber, ti.Reason, lost)
		}
	}
	// `cluster members` lists the cluster as the server sees it: the victim dead, unless it
	// was restarted in place (gossip alone would not tell a newcomer of the dead).
	ms := c.members()
	if want := map[bool]string{false: "dead", true: "alive"}[restart]; ms["victim"].State != want {
		t.Errorf("cluster members shows the victim as %+v, want %s", ms["victim"], want)
	}
	if ms["survivor"].State != "alive" {
		t.Errorf("cluster members: survivor is %+v, want alive", ms["survivor"])
	}
}

// serverKillDAG: s0-s3 (short seconds) end while the server is down, l0-l1 (long) run across
// its restart, last needs them all.
func serverKillDAG(short, long float64) string {
	return fmt.Sprintf(`dag_id: server_kill
is_paused_upon_creation: false
default_args: {retries: 2, retry_delay: 0.1}
tasks:
  - {id: first, module: modules/echo.wasm, args: ["before the crash"]}
  - {id: s0, module: modules/sleep.wasm, args: ["%[1]g"], upstream: [first]}
  - {id: s1, module: modules/sleep.wasm, args: ["%[1]g"], upstream: [first]}
  - {id: s2, module: modules/sleep.wasm, args: ["%[1]g"], upstream: [first]}
  - {id: s3, module: modules/sleep.wasm, args: ["%[1]g"], upstream: [first]}
  - {id: l0, module: modules/sleep.wasm, args: ["%[2]g"], upstream: [first]}
  - {id: l1, module: modules/sleep.wasm, args: ["%[2]g"], upstream: [first]}
  - {id: last, module: modules/echo.wasm, args: ["after the restart"], upstream: [s0, s1, s2, s3, l0, l1]}
`, short, long)
}

// TestClusterServerKill9: the server is killed with SIGKILL while workers run six tries and
// restarted on the same home and ports. Nothing is lost: the tries that ended while it was
// down are recorded with their try number 1 (the workers held their results), the ones still
// running are adopted (they run past the 15 s the restarted scheduler waits for workers to
// report them), none is run again, and the run succeeds. Twice: back before the
// workers find the server dead (it answers at the same addresses under a lower incarnation),
// and back after they did (they join it again).
func TestClusterServerKill9(t *testing.T) {
	for _, tc := range []struct {
		name        string
		short, long float64       // sleeps, seconds
		down        time.Duration // from the kill to the restart
		seenDead    bool
	}{
		// The long tries outlast the restarted server's AdoptWithin (15 s): they are kept only
		// if their workers told it they still run them.
		{"back_before_seen_dead", 0.5, 19, 1200 * time.Millisecond, false},
		{"back_after_seen_dead", 1.5, 25, 7 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel() // mostly waiting for the adoption window: both at once
			testServerKill9(t, serverKillDAG(tc.short, tc.long), tc.down, tc.seenDead)
		})
	}
}

func testServerKill9(t *testing.T, dag string, down time.Duration, seenDead bool) {
	c := newCluster(t, []string{"sleep", "echo"}, map[string]string{"server_kill": dag})
	server := c.startServer()
	w1 := c.startWorker("w1", "--slots", "4")
	w2 := c.startWorker("w2", "--slots", "4")
	c.trigger("server_kill", "r1")
	sleepers := []string{"s0", "s1", "s2", "s3", "l0", "l1"}
	c.waitFor(30*time.Second, func() bool {
		tis := c.tis("server_kill", "r1")
		for _, id := range sleepers {
			if tis[id].state() != "running" {
				return false
			}
		}
		return true
	}, func() string { return "the sleepers do not all run: " + summarize(c.tis("server_kill", "r1")) })
	server.kill9()
	killed := time.Now()
	// The short tries end while no server runs: their workers hold the results.
	time.Sleep(down) // the thing under test: the server stays down this long (the table sets it)
	if tis := c.tis("server_kill", "r1"); tis["s0"].state() != "running" {
		t.Fatalf("s0 changed while no server ran: %+v", tis["s0"])
	}
	c.startServer()
	if state := c.waitRunEnd("server_kill", "r1", 60*time.Second); state != "success" {
		t.Fatalf("run ended %s: %s", state, summarize(c.tis("server_kill", "r1")))
	}
	t.Logf("kill -9 of the server to the end of the run: %s", time.Since(killed))
	t.Logf("the workers joined the server again (they had seen it dead): w1 %v, w2 %v",
		strings.Contains(w1.output(), "rejoined the cluster"), strings.Contains(w2.output(), "rejoined the cluster"))
	if seenDead {
		// The path this case is for: a worker had found the server dead and joined it again.
		// Each worker's failure detector runs on its own clock, and on a loaded machine one may
		// still see the server alive when it is back; one that rejoined exercises the path.
		if !strings.Contains(w1.output(), "rejoined the cluster") && !strings.Contains(w2.output(), "rejoined the cluster") {
			t.Errorf("no worker rejoined: none saw the server dead, so this case tests nothing new")
		}
	}
	if _, err := os.Stat(filepath.Join(c.h.dir, "logs", "server_kill", "r1", "s0", "1.log")); err != nil {
		t.Fatalf("the logs are not where this test looks for a second try's: %v", err)
	}
	tis := c.tis("server_kill", "r1")
	for _, id := range append([]string{"first", "last"}, sleepers...) {
		ti := tis[id]
		if ti.state() != "success" || ti.TryNumber != 1 || (ti.Hostname != "w1" && ti.Hostname != "w2") {
			t.Errorf("%s: %s at try %d on %q (%s); want success at try 1 on a worker", id, ti.state(), ti.TryNumber, ti.Hostname, ti.Reason)
		}
	}
	for _, id := range sleepers {
		// The output came with the held result (or was streamed): recorded once, for try 1.
		log := c.h.ok("tasks", "logs", "server_kill", "r1", id, "--try", "1")
		if strings.Count(log, "slept") != 1 {
			t.Errorf("%s try 1 log should say slept once:\n%s", id, log)
		}
		if _, err := os.Stat(filepath.Join(c.h.dir, "logs", "server_kill", "r1", id, "2.log")); err == nil {
			t.Errorf("%s has a second try's log: it was run again", id)
		}
	}
}

// TestClusterWorkerSIGTERMDrains: a worker sent SIGTERM while it runs a try takes no new
// ones, lets that one finish (recorded once, at try 1, on it), says so and exits 0; the
// task after it runs on another worker.
func TestClusterWorkerSIGTERMDrains(t *testing.T) {
	c := newCluster(t, []string{"sleep", "echo"}, map[string]string{"drain": `dag_id: drain
is_paused_upon_creation: false
tasks:
  - {id: slow, module: modules/sleep.wasm, args: ["2"]}
  - {id: after, module: modules/echo.wasm, args: ["after the drain"], upstream: [slow]}
`})
	c.startServer()
	w1 := c.startWorker("w1", "--slots", "2")
	c.trigger("drain", "r1")
	c.waitFor(30*time.Second, func() bool { return c.tis("drain", "r1")["slow"].state() == "running" },
		func() string { return "slow does not run: " + summarize(c.tis("drain", "r1")) })
	w1.signal(syscall.SIGTERM)
	c.startWorker("w2", "--slots", "2")
	if code := w1.exitCode(30 * time.Second); code != 0 {
		t.Errorf("the drained worker exited %d", code)
	}
	if out := w1.output(); !strings.Contains(out, "drained and left the cluster") {
		t.Errorf("the drained worker does not say it left:\n%s", out)
	}
	if state := c.waitRunEnd("drain", "r1", 30*time.Second); state != "success" {
		t.Fatalf("run ended %s: %s", state, summarize(c.tis("drain", "r1")))
	}
	tis := c.tis("drain", "r1")
	if ti := tis["slow"]; ti.TryNumber != 1 || ti.Hostname != "w1" {
		t.Errorf("slow: try %d on %q, want try 1 on w1, let finish by the drain", ti.TryNumber, ti.Hostname)
	}
	if ti := tis["after"]; ti.Hostname != "w2" {
		t.Errorf("after ran on %q, want w2: a draining worker takes no new tries", ti.Hostname)
	}
	// `cluster members` lists the drained worker as the server sees it: left.
	if ms := c.members(); ms["w1"].State != "left" || ms["w2"].State != "alive" {
		t.Errorf("cluster members: w1 %+v, w2 %+v; want w1 left, w2 alive", ms["w1"], ms["w2"])
	}
}
