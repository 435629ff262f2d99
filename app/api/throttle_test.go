package api

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestThrottleBoundedUnderDistinctNames: 100,000 distinct names failing within a minute leave
// the throttle at its cap, holding the newest names, in a few MB; once the window passes, it
// forgets them all.
func TestThrottleBoundedUnderDistinctNames(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	before := liveHeap()
	const names = 100_000
	for i := range names {
		th.fail(fmt.Sprintf("stranger-%06d", i), now.Add(time.Duration(i)*time.Microsecond))
		if n := th.size(); n > throttleNames {
			t.Fatalf("after %d names the throttle holds %d, over its cap %d", i+1, n, throttleNames)
		}
	}
	if n := th.size(); n != throttleNames {
		t.Fatalf("the throttle holds %d names, want its cap %d", n, throttleNames)
	}
	// 10,000 short names: well under 8 MB (without the cap, all 100,000 stayed).
	if grown := int64(liveHeap()) - int64(before); grown > 8<<20 {
		t.Errorf("the throttle's live heap grew by %d KiB, want under 8 MiB", grown>>10)
	}
	last := now.Add(names * time.Microsecond)
	if _, ok := th.names[fmt.Sprintf("stranger-%06d", names-1)]; !ok {
		t.Error("the newest name was evicted")
	}
	if _, ok := th.names["stranger-000000"]; ok {
		t.Error("the oldest name was kept")
	}
	// A name failing maxFails times is locked even while strangers churn the others out.
	for i := range maxFails {
		th.fail("admin", last.Add(time.Duration(i)*time.Millisecond))
	}
	if th.blocked("admin", last.Add(time.Second)) <= 0 {
		t.Error("admin is not locked after 5 failures")
	}
	// A minute after the last failure nothing is locked, and nothing is remembered.
	if d := th.blocked("admin", last.Add(failWindow+time.Second)); d != 0 {
		t.Errorf("admin still locked %v after the window", d)
	}
	if n := th.size(); n != 0 {
		t.Errorf("the throttle remembers %d names whose failures all left the window, want 0", n)
	}
}

// TestThrottleKeepsOnlyLastFailures: a name failing forever holds maxFails times, not one per
// failure.
func TestThrottleKeepsOnlyLastFailures(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	for i := range 1000 {
		th.fail("admin", now.Add(time.Duration(i)*time.Millisecond))
	}
	f := th.names["admin"].Value.(*failures)
	if len(f.at) != maxFails {
		t.Errorf("admin's failures hold %d times, want %d", len(f.at), maxFails)
	}
	if d := th.blocked("admin", now.Add(time.Second)); d <= 0 || d > failWindow {
		t.Errorf("admin locked for %v, want up to a minute", d)
	}
	th.succeed("admin")
	if th.size() != 0 {
		t.Error("a successful login did not forget the name")
	}
}

func TestLogName(t *testing.T) {
	for in, want := range map[string]string{
		"admin":                        "admin",
		string(make([]byte, 64)):       string(make([]byte, 64)),
		"ü" + string(make([]byte, 64)): "ü" + string(make([]byte, 62)) + "…(66 bytes)", // not cut inside ü
	} {
		if got := logName(in); got != want {
			t.Errorf("logName(%q) = %q, want %q", in, got, want)
		}
	}
}
