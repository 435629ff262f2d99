package cluster

import (
	"context"
	"testing"
	"time"
)

// TestObserveAsTheServerSees: `wasmflow cluster members` (Observe, a newcomer to the cluster)
// lists the workers as the server sees them: one that crashed dead, one that stopped left, the
// others alive. memberlist itself tells a newcomer only of the alive.
func TestObserveAsTheServerSees(t *testing.T) {
	s := startServer(t, serverOpts{})
	crashed := startWorker(t, "crashed", s.Node().Address(), workerOpts{})
	stopped := startWorker(t, "stopped", s.Node().Address(), workerOpts{})
	alive := startWorker(t, "alive", s.Node().Address(), workerOpts{})
	waitWorkers(t, s, 3)

	crashed.Close() // no leave: the others find it dead
	if err := stopped.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"server": StateAlive, "alive": StateAlive, "crashed": StateDead, "stopped": StateLeft}
	states := func(ms []Member) map[string]string {
		out := map[string]string{}
		for _, m := range ms {
			out[m.Name] = m.State
		}
		return out
	}
	same := func(got map[string]string) bool {
		if len(got) != len(want) {
			return false
		}
		for name, st := range want {
			if got[name] != st {
				return false
			}
		}
		return true
	}
	eventually(t, 10*time.Second, func() bool { return same(states(s.Members())) }, "the server sees %v, want %v", states(s.Members()), want)

	ms, err := Observe(context.Background(), ObserveConfig{Seeds: []string{s.Node().Address()}, Secret: testSecret, Log: testLog(t)})
	if err != nil {
		t.Fatal(err)
	}
	if got := states(ms); !same(got) {
		t.Errorf("Observe lists %v, want %v", got, want)
	}
	for _, m := range ms {
		if m.Name == "crashed" && m.Since.IsZero() {
			t.Errorf("the dead worker's since is not set: %+v", m)
		}
	}
	// Through a worker as the seed too: it finds the server and asks it.
	if ms, err = Observe(context.Background(), ObserveConfig{Seeds: []string{alive.Node().Address()}, Secret: testSecret}); err != nil || !same(states(ms)) {
		t.Errorf("Observe through the alive worker: %v %v, want %v", states(ms), err, want)
	}
}
