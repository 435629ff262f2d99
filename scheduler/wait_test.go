package scheduler_test

import (
	"testing"
	"time"
)

// eventually reports whether cond holds within d, checking it every 10 ms: the scheduler
// tests' one way to wait for a state they can only read (the metastore, the loop), not be
// told of. A wait on an event (a channel, rig.wait) is better where there is one.
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return cond()
		}
		<-tick.C
	}
	return true
}

// waitFor waits up to 20 s for cond, failing the test if it never holds.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !eventually(20*time.Second, cond) {
		t.Fatalf("waited 20s for %s", what)
	}
}
