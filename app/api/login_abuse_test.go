package api_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// heapAfterGC is the live heap once garbage is collected: what a flood leaves behind.
func heapAfterGC() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestHugeUserNamesAreRefusedCheaply: a stranger sending failed logins with multi-megabyte user
// names, by the session login and by basic auth, is refused before any lookup, hashing or
// throttle bookkeeping; nothing of it stays in memory and the log grows by a line per attempt.
func TestHugeUserNamesAreRefusedCheaply(t *testing.T) {
	e := newEnv(t, nil)
	const attempts = 12
	// 4 MiB names fit the login's JSON only before the fix (the body is capped now); basic
	// auth's header must fit net/http's 1 MiB header limit, so its names are 700 KiB.
	bigJSON := strings.Repeat("a", 4<<20)
	bigBasic := strings.Repeat("b", 700<<10)
	logBefore := len(e.logs.String())
	before := heapAfterGC()
	for i := range attempts {
		name := fmt.Sprintf("%d%s", i, bigJSON) // distinct names: each would be a throttle entry
		r := e.call("POST", "/api/v1/auth/login", `{"username":"`+name+`","password":"x"}`, nil)
		checkProblem(t, "login with a 4 MiB name", r, http.StatusBadRequest, "larger than")
		r = e.call("GET", "/api/v1/dags", "", basic(fmt.Sprintf("%d%s", i, bigBasic), "x"))
		checkProblem(t, "basic auth with a 700 KiB name", r, http.StatusBadRequest, "user name", "255 bytes")
	}
	grown := int64(heapAfterGC()) - int64(before)
	// Before the fix each name stayed in the throttle: 12 × (4 MiB + 700 KiB) ≈ 56 MiB.
	if grown > 8<<20 {
		t.Errorf("the live heap grew by %d MiB after %d failed logins with huge names, want under 8 MiB", grown>>20, 2*attempts)
	}
	if n := e.srv.ThrottledNames(); n != 0 {
		t.Errorf("the throttle remembers %d names after logins refused as malformed, want 0", n)
	}
	if logged := len(e.logs.String()) - logBefore; logged > 2*attempts*400 {
		t.Errorf("the log grew by %d bytes for %d refused logins, want at most 400 a line", logged, 2*attempts)
	}
}

// TestLongCredentialsRefusedWithReason: a name just over 255 bytes (or a password over 4 KiB)
// is a 400 saying what the bound is; the log names it truncated, with its length.
func TestLongCredentialsRefusedWithReason(t *testing.T) {
	e := newEnv(t, nil)
	long := strings.Repeat("n", 256)
	e.problem(http.StatusBadRequest, "POST", "/api/v1/auth/login", `{"username":"`+long+`","password":"x"}`, nil,
		"user name is 256 bytes long", "at most 255")
	e.problem(http.StatusBadRequest, "POST", "/api/v1/auth/login", `{"username":"admin","password":"`+strings.Repeat("p", 4097)+`"}`, nil,
		"password is 4097 bytes long", "at most 4096")
	e.problem(http.StatusBadRequest, "GET", "/api/v1/auth/me", "", basic(long, "x"), "user name is 256 bytes long")
	logs := e.logs.String()
	if strings.Contains(logs, long[:65]) {
		t.Errorf("the log holds more than 64 bytes of the refused name:\n%s", logs)
	}
	if !strings.Contains(logs, "…(256 bytes)") {
		t.Errorf("the log does not say how long the refused name was:\n%s", logs)
	}
	// A name of 255 bytes is merely wrong, and counts as a failed login.
	e.problem(http.StatusUnauthorized, "POST", "/api/v1/auth/login", `{"username":"`+long[:255]+`","password":"x"}`, nil, "wrong user name or password")
	// No account can have a name the login refuses.
	e.problem(http.StatusBadRequest, "POST", "/api/v1/users", `{"username":"`+long+`","password":"Pa55-word-long","role":"Viewer"}`, e.as("admin"),
		"256 bytes long", "at most 255")
	e.login("admin", passwordOf("admin"))
}

// TestThrottleForgetsOldestNames: a stream of distinct user names cannot grow the throttle past
// its cap; the names failed last are the ones it keeps, so a guessed name is still locked.
func TestThrottleForgetsOldestNames(t *testing.T) {
	e := newEnv(t, nil)
	const limit = 8
	e.srv.SetThrottleCap(limit)
	for i := range 3 * limit {
		e.problem(http.StatusUnauthorized, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":"stranger%d","password":"x"}`, i), nil)
		if n := e.srv.ThrottledNames(); n > limit {
			t.Fatalf("after %d distinct names the throttle remembers %d, want at most %d", i+1, n, limit)
		}
	}
	if n := e.srv.ThrottledNames(); n != limit {
		t.Errorf("the throttle remembers %d names, want its cap %d", n, limit)
	}
	for i := 1; i <= 5; i++ {
		e.problem(http.StatusUnauthorized, "POST", "/api/v1/auth/login", fmt.Sprintf(`{"username":"user","password":"guess%d"}`, i), nil)
	}
	e.problem(http.StatusTooManyRequests, "POST", "/api/v1/auth/login", `{"username":"user","password":"`+passwordOf("user")+`"}`, nil, "too many failed logins")
}

// TestThrottleBoundedUnderSprayedAddresses: behind a proxy (api.trust_forwarded_for), a
// stranger can claim any client address; failed logins from ever new addresses, by basic
// auth and by the login form alike, still leave the throttle at its cap.
func TestThrottleBoundedUnderSprayedAddresses(t *testing.T) {
	e := newEnv(t, nil)
	e.app.Config.API.TrustForwardedFor = true
	const limit = 8
	e.srv.SetThrottleCap(limit)
	for i := range 3 * limit {
		from := func(r *http.Request) { r.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i)) }
		if i%2 == 0 {
			e.problem(http.StatusUnauthorized, "POST", "/api/v1/auth/login", `{"username":"admin","password":"x"}`, from)
		} else {
			e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", func(r *http.Request) { from(r); r.SetBasicAuth(fmt.Sprint("s", i), "x") })
		}
		if n := e.srv.ThrottledNames(); n > limit {
			t.Fatalf("after %d addresses the throttle remembers %d pairs, want at most %d", i+1, n, limit)
		}
	}
	if n := e.srv.ThrottledNames(); n != limit {
		t.Errorf("the throttle remembers %d pairs, want its cap %d", n, limit)
	}
}
