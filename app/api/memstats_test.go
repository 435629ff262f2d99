package api_test

import "runtime"

// allocated is how many bytes f allocated (TotalAlloc), for tests that an attacker's input
// costs the server little.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
