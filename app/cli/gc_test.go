package cli

import (
	"runtime/debug"
	"testing"
)

// TestDeferFirstGC: a command holds the collector back until its limit, then gives GOGC and
// GOMEMLIMIT back as they were; GOGC=off stays off.
func TestDeferFirstGC(t *testing.T) {
	gcPercent := func() int { p := debug.SetGCPercent(-1); debug.SetGCPercent(p); return p }
	defer debug.SetGCPercent(debug.SetGCPercent(150))
	// A known limit, not the one this test process has: an in-process command of an earlier
	// test may have left its own 32 MiB (its finalizer not run yet), which made this flaky.
	const memLimit = 1 << 40
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(memLimit))

	restore := deferFirstGC(64 << 20)
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != -1 || l != 64<<20 {
		t.Errorf("during the command: GOGC %d, GOMEMLIMIT %d; want off until 64 MiB", p, l)
	}
	restore()
	restore() // the finalizer may call it too
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 150 || l != memLimit {
		t.Errorf("after the command: GOGC %d, GOMEMLIMIT %d; want 150 and %d back", p, l, memLimit)
	}

	debug.SetGCPercent(-1) // GOGC=off
	deferFirstGC(64 << 20)()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != -1 || l != memLimit {
		t.Errorf("with GOGC=off: GOGC %d, GOMEMLIMIT %d; want them untouched", p, l)
	}
}
