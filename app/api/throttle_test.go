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
// the throttle at its cap, holding the newest pairs, in a few MB; once their lockouts and a
// window have passed, it forgets them all.
func TestThrottleBoundedUnderDistinctNames(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	before := liveHeap()
	const names = 100_000
	for i := range names {
		th.fail("192.0.2.1", fmt.Sprintf("stranger-%06d", i), now.Add(time.Duration(i)*time.Microsecond))
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
	if _, ok := th.pairs[throttleKey{"192.0.2.1", fmt.Sprintf("stranger-%06d", names-1)}]; !ok {
		t.Error("the newest name was evicted")
	}
	if _, ok := th.pairs[throttleKey{"192.0.2.1", "stranger-000000"}]; ok {
		t.Error("the oldest name was kept")
	}
	// A pair failing maxFails times is locked even while strangers churn the others out.
	for i := range maxFails {
		th.fail("192.0.2.1", "admin", last.Add(time.Duration(i)*time.Millisecond))
	}
	if th.blocked("192.0.2.1", "admin", last.Add(time.Second)) <= 0 {
		t.Error("admin is not locked after 5 failures")
	}
	// A window after the lockout nothing is locked, and nothing is remembered.
	later := last.Add(failWindow + failWindow + time.Second)
	if d := th.blocked("192.0.2.1", "admin", later); d != 0 {
		t.Errorf("admin still locked %v after the window", d)
	}
	if n := th.size(); n != 0 {
		t.Errorf("the throttle remembers %d names whose failures all left the window, want 0", n)
	}
}

// TestThrottleBacksOff: five failures in a row lock a (client, user) pair for a minute, each
// failure after that doubles it, up to an hour; other clients and other users are not locked;
// a success forgets the pair.
func TestThrottleBacksOff(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	for i := 1; i < maxFails; i++ {
		th.fail("192.0.2.1", "admin", now)
		if d := th.blocked("192.0.2.1", "admin", now); d != 0 {
			t.Fatalf("locked for %v after %d failures, want not before %d", d, i, maxFails)
		}
	}
	want := failWindow
	for i := range 12 {
		th.fail("192.0.2.1", "admin", now)
		if d := th.blocked("192.0.2.1", "admin", now); d != want {
			t.Errorf("after %d failures in a row: locked for %v, want %v", maxFails+i, d, want)
		}
		if d := th.blocked("198.51.100.7", "admin", now); d != 0 {
			t.Fatalf("another client is locked out of admin for %v by the first one's failures", d)
		}
		if d := th.blocked("192.0.2.1", "viewer", now); d != 0 {
			t.Fatalf("the client is locked out of another user for %v", d)
		}
		now = now.Add(want) // the lockout over, the next guess fails too
		want = min(2*want, maxLockout)
	}
	if d := th.blocked("192.0.2.1", "admin", now.Add(-time.Second)); d != time.Second {
		t.Errorf("locked for %v a second before the lockout ends, want 1s", d)
	}
	th.succeed("192.0.2.1", "admin")
	if th.size() != 0 {
		t.Error("a successful login did not forget the pair")
	}
}

// TestThrottleKeepsOneEntryPerPair: a pair failing forever holds one small entry, not one per
// failure.
func TestThrottleKeepsOneEntryPerPair(t *testing.T) {
	th := newThrottle()
	now := time.Now()
	for i := range 1000 {
		th.fail("192.0.2.1", "admin", now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := th.size(); n != 1 {
		t.Errorf("the throttle holds %d entries for one pair, want 1", n)
	}
	if d := th.blocked("192.0.2.1", "admin", now.Add(time.Second)); d <= 0 || d > maxLockout {
		t.Errorf("admin locked for %v, want up to %v", d, maxLockout)
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
