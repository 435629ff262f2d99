package cluster

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestLostWorker: a worker that dies (its node closed abruptly, no goodbye) has every try it
// ran reported failed as lost within 10 s, with memberlist's settings as shipped.
func TestLostWorker(t *testing.T) {
	s := startServer(t, serverOpts{})
	victim := startWorker(t, "victim", s.Node().Address(), workerOpts{slots: 3})
	survivor := startWorker(t, "survivor", s.Node().Address(), workerOpts{slots: 3})
	waitWorkers(t, s, 2)
	var ws []scheduler.Workload
	for i := range 6 {
		w := workload("lost", "r", fmt.Sprintf("t%d", i), 1, sleepWasm, "30")
		ws = append(ws, w)
		s.Submit(w, nil)
	}
	eventually(t, 10*time.Second, func() bool { return victim.runningCount() == 3 && survivor.runningCount() == 3 },
		"tries not running: victim %d, survivor %d", victim.runningCount(), survivor.runningCount())

	died := time.Now()
	victim.Close()
	eventually(t, 10*time.Second, func() bool { return s.res.count() == 3 }, "%d of the victim's 3 tries reported lost", s.res.count())
	t.Logf("death to lost results: %s", time.Since(died))
	for _, r := range s.res.results() {
		if r.State != tasks.StateFailed || r.Reason != "lost: worker victim died" || r.Hostname != "victim" {
			t.Errorf("%s: %s %q on %s", r.Key.TaskID, r.State, r.Reason, r.Hostname)
		}
		// Its log says so too: `tasks logs` of a lost try is not left empty.
		if b, err := os.ReadFile(LogPath(s.logs, r.Key, 1)); err != nil || !strings.Contains(string(b), "[wasmflow] lost: worker victim died") {
			t.Errorf("log of lost try %s: %q %v", r.Key.TaskID, b, err)
		}
	}
	var gone Member
	for _, m := range s.Members() {
		if m.Name == "victim" {
			gone = m
		}
	}
	if gone.State != StateDead {
		t.Errorf("victim is %q in members, want dead", gone.State)
	}
	// A retry of a lost try runs on the survivor once it has room.
	for _, w := range ws {
		if survivor.runningCount() < 3 {
			break
		}
		s.Kill(keyOf(w), 1)
	}
	retry := workload("lost", "r", "t0", 2, noopWasm)
	s.Submit(retry, nil)
	eventually(t, 10*time.Second, func() bool {
		for _, r := range s.res.of(keyOf(retry)) {
			if r.TryNumber == 2 && r.State == tasks.StateSuccess && r.Hostname == "survivor" {
				return true
			}
		}
		return false
	}, "the retry did not run on the survivor: %+v", s.res.of(keyOf(retry)))
}

// TestStaleResult: a result for a try already reported lost (the worker was only cut off) is
// still passed to the scheduler once, which refuses it by try number; a result resent because
// its acknowledgement was lost is not passed on twice.
func TestStaleResult(t *testing.T) {
	s := startServer(t, serverOpts{})
	w := startWorker(t, "w1", s.Node().Address(), workerOpts{})
	waitWorkers(t, s, 1)
	try := workload("stale", "r", "a", 1, sleepWasm, "0.5")
	s.Submit(try, nil)
	eventually(t, 10*time.Second, func() bool { return w.runningCount() == 1 }, "not running")
	waitStarted(t, s, try) // else the server, not sure w1 took it, would send it again
	// The server believes w1 died (a partition); the try is reported lost.
	s.onEvent(MemberEvent{Kind: EventLeave, Member: Member{Name: "w1", Role: RoleWorker, State: StateDead}})
	eventually(t, 5*time.Second, func() bool { return s.res.count() == 1 }, "no lost result")
	// The worker finishes and sends its result: delivered, once.
	eventually(t, 10*time.Second, func() bool { return s.res.count() == 2 }, "the late result was not passed on")
	rs := s.res.of(keyOf(try))
	if rs[0].Reason != "lost: worker w1 died" || rs[1].State != tasks.StateSuccess || rs[1].TryNumber != 1 {
		t.Fatalf("results: %+v", rs)
	}
	// The same result sent again (its acknowledgement lost): acknowledged, not delivered.
	s.mu.Lock()
	var id string
	for k := range s.delivered {
		id = k
	}
	s.mu.Unlock()
	ch := newChannel("w1", testSecret, testLog(t))
	if err := ch.call(context.Background(), s.Node().DataAddress(), pathResults, resultMessage{ID: id, Worker: "w1", Result: rs[1]}, nil); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // a second delivery would be synchronous with the call; this is margin
	if n := len(s.res.of(keyOf(try))); n != 2 {
		t.Fatalf("%d results after a resend, want 2", n)
	}
	if w.held() != 0 {
		t.Fatalf("the worker still holds %d results", w.held())
	}
}

// TestResultsHeldWhileServerDown: a try that ends while the server is down has its result
// held by the worker and handed over once the server is back (on the same address); a try
// still running across the restart is counted in the worker's slots and can be adopted.
func TestResultsHeldWhileServerDown(t *testing.T) {
	logs := t.TempDir()
	s1 := startServer(t, serverOpts{logs: logs})
	addr := s1.Node().Address()
	w := startWorker(t, "w1", addr, workerOpts{})
	waitWorkers(t, s1, 1)
	// The old server's incarnation number runs ahead of the new one's, and the gossip about it
	// has died down: the worker must notice the new server by itself.
	for i := range 5 {
		s1.Node().UpdateMetaNow(func(m *Meta) { m.Used = i })
	}
	time.Sleep(1500 * time.Millisecond) // the condition under test: memberlist's gossip of the updates dies down (its retransmits end)
	shortSleep := workload("held", "r", "short", 1, sleepWasm, "0.3")
	long := workload("held", "r", "long", 1, sleepWasm, "20")
	s1.Submit(shortSleep, nil)
	s1.Submit(long, nil)
	eventually(t, 10*time.Second, func() bool { return w.runningCount() == 2 }, "not running")
	s1.Close() // the server dies
	eventually(t, 10*time.Second, func() bool { return w.held() == 1 }, "the worker does not hold the short try's result")

	s2 := startServer(t, serverOpts{logs: logs, bind: addr})
	eventually(t, 20*time.Second, func() bool { return len(s2.res.of(keyOf(shortSleep))) == 1 }, "the held result never reached the restarted server")
	r := s2.res.of(keyOf(shortSleep))[0]
	if r.State != tasks.StateSuccess || r.TryNumber != 1 {
		t.Fatalf("held result: %+v", r)
	}
	eventually(t, 5*time.Second, func() bool { return s2.Adopt(keyOf(long), 1) }, "the restarted server does not know the long try runs on w1")
	eventually(t, 5*time.Second, func() bool { return w.held() == 0 }, "results still held")
	if b, err := os.ReadFile(LogPath(logs, keyOf(shortSleep), 1)); err != nil || !strings.Contains(string(b), "slept") {
		t.Errorf("the short try's log, held with its result: %q %v", b, err)
	}
	s2.Kill(keyOf(long), 1)
	eventually(t, 10*time.Second, func() bool { return len(s2.res.of(keyOf(long))) == 1 }, "the adopted try was not killed")
	if r := s2.res.of(keyOf(long))[0]; r.Reason != "killed" {
		t.Errorf("adopted try killed: %+v", r)
	}
}

// TestRestartOnSameAddresses: a server restarted on the same gossip and data addresses (as
// `wasmflow server` is, cluster.bind and the port after it) is told which tries its workers
// still run, so it can adopt them: the worker must greet the new process although it looks
// like the one it greeted before.
func TestRestartOnSameAddresses(t *testing.T) {
	logs := t.TempDir()
	s1 := startServer(t, serverOpts{logs: logs})
	addr, data := s1.Node().Address(), s1.Node().DataAddress()
	w := startWorker(t, "w1", addr, workerOpts{})
	waitWorkers(t, s1, 1)
	long := workload("same", "r", "long", 1, sleepWasm, "30")
	s1.Submit(long, nil)
	eventually(t, 10*time.Second, func() bool { return w.runningCount() == 1 }, "not running")
	s1.Close()
	s2 := startServer(t, serverOpts{logs: logs, bind: addr, dataBind: data})
	if s2.Node().DataAddress() != data {
		t.Fatalf("the new server's data channel is at %s, want %s", s2.Node().DataAddress(), data)
	}
	eventually(t, 10*time.Second, func() bool { return s2.Adopt(keyOf(long), 1) },
		"the server restarted on the same addresses does not know the long try runs on w1")
}

// TestWorkerRestartedInPlace: a worker that crashes and comes back at once on the same
// addresses (a service manager restarting it) is never seen dead; its tries from before are
// still failed as lost, as soon as the new process greets the server or takes a try.
func TestWorkerRestartedInPlace(t *testing.T) {
	s := startServer(t, serverOpts{})
	w := startWorker(t, "w1", s.Node().Address(), workerOpts{slots: 2})
	waitWorkers(t, s, 1)
	addr, data := w.Node().Address(), w.Node().DataAddress()
	a := workload("restart", "r", "a", 1, sleepWasm, "30")
	b := workload("restart", "r", "b", 1, sleepWasm, "30")
	s.Submit(a, nil)
	s.Submit(b, nil)
	eventually(t, 10*time.Second, func() bool { return w.runningCount() == 2 }, "not running")
	waitStarted(t, s, a, b) // else the server, not sure w1 took them, would send them again
	w.Close()
	restarted := time.Now()
	w2 := startWorker(t, "w1", s.Node().Address(), workerOpts{slots: 2, bind: addr, dataBind: data})
	if w2.Node().DataAddress() != data {
		t.Fatalf("the new process's data channel is at %s, want %s", w2.Node().DataAddress(), data)
	}
	eventually(t, 10*time.Second, func() bool { return s.res.count() == 2 }, "%d of the 2 tries of the old process reported", s.res.count())
	t.Logf("restart to lost results: %s", time.Since(restarted))
	for _, r := range s.res.results() {
		if r.State != tasks.StateFailed || r.Reason != "lost: worker w1 restarted" || r.TryNumber != 1 {
			t.Errorf("%s: %s %q", r.Key.TaskID, r.State, r.Reason)
		}
	}
	for _, m := range s.Members() {
		if m.Name == "w1" && m.State != StateAlive {
			t.Errorf("w1 is %s, want alive (it came back)", m.State)
		}
	}
	// A node that only bears the same name (misconfigured, at another address) greeting the
	// server does not fail the tries of the real w1.
	c := workload("restart", "r", "c", 1, sleepWasm, "30")
	s.Submit(c, nil)
	eventually(t, 10*time.Second, func() bool { return w2.runningCount() == 1 }, "c not running on the new w1")
	ch := newChannel("w1", testSecret, testLog(t))
	if err := ch.call(context.Background(), s.Node().DataAddress(), pathHello,
		helloMessage{Worker: "w1", Instance: "impostor", DataAddr: "127.0.0.1:1"}, &helloResponse{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // a lost result would be on its way
	if rs := s.res.of(keyOf(c)); len(rs) != 0 || w2.runningCount() != 1 {
		t.Fatalf("a hello from another address under w1's name ended w1's try: %+v", rs)
	}
	s.Kill(keyOf(c), 1)
	eventually(t, 10*time.Second, func() bool { return len(s.res.of(keyOf(c))) == 1 }, "c not killed")

	// The new process takes the retries.
	retry := workload("restart", "r", "a", 2, noopWasm)
	s.Submit(retry, nil)
	eventually(t, 10*time.Second, func() bool {
		rs := s.res.of(keyOf(retry))
		return len(rs) == 2 && rs[1].State == tasks.StateSuccess && rs[1].Hostname == "w1"
	}, "the retry did not run on the new w1: %+v", s.res.of(keyOf(retry)))
}
