package cli

import (
	"runtime"
	"runtime/debug"
	"sync"
)

// firstGCAt is how much memory a command may hold before the garbage collector first runs.
const firstGCAt = 32 << 20

// deferFirstGC holds the garbage collector back until the process holds limit bytes, then
// gives it back its settings (GOGC, GOMEMLIMIT); restore does the same when the command ends
// first. A command that opens the home and exits within milliseconds (dags test of a small
// DAG) allocates a few MB: with the default 4 MB first target, a collection started near
// its end and took a core of the two for as long as the rest of the command. A long command
// (a big DAG, a task's memory on the Go heap) is collected as usual once it reaches limit.
func deferFirstGC(limit int64) (restore func()) {
	memLimit := debug.SetMemoryLimit(-1) // reads it
	percent := debug.SetGCPercent(-1)
	if percent < 0 || memLimit < limit {
		debug.SetGCPercent(percent) // GOGC=off or a lower GOMEMLIMIT: the user's choice stands
		return func() {}
	}
	debug.SetMemoryLimit(limit)
	var once sync.Once
	restore = func() {
		once.Do(func() {
			debug.SetGCPercent(percent)
			debug.SetMemoryLimit(memLimit)
		})
	}
	// The first collection, forced by the limit, finds this unreachable and runs restore.
	sentinel := new([64]byte) // not a tiny allocation: those may never be finalized
	runtime.SetFinalizer(sentinel, func(*[64]byte) { restore() })
	return restore
}
