package cli

import (
	"testing"
	"time"
)

// eventually reports whether cond holds within d, checking it every 50 ms: the CLI tests' one
// way to wait for what a server or standalone process does on its own time (a run, a try).
func eventually(d time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(d)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			return cond()
		}
		<-tick.C
	}
	return true
}

// waitFor waits up to timeout for cond, failing the test if it never holds.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	if !eventually(timeout, cond) {
		t.Fatalf("timed out after %v waiting for %s", timeout, what)
	}
}
