package api_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// from sends requests to e's server from the loopback address ip (127.0.0.2, ...), as a
// client on another machine would: the server sees ip as the connection's address.
func (e *env) from(ip string) func(method, path, body string, a auth) resp {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}}
	e.t.Cleanup(client.CloseIdleConnections)
	return func(method, path, body string, a auth) resp {
		e.t.Helper()
		req, err := http.NewRequest(method, e.ts.URL+path, strings.NewReader(body))
		if err != nil {
			e.t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		if a != nil {
			a(req)
		}
		res, err := client.Do(req)
		if err != nil {
			e.t.Fatalf("%s %s from %s: %v", method, path, ip, err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return resp{status: res.StatusCode, header: res.Header, body: b}
	}
}

// TestStrangerCannotLockOutAdmin: a stranger's wrong passwords for admin, by the session login
// and by basic auth, lock out the stranger's address (429, also with the right password, and
// whatever X-Forwarded-For it sends) but not the admin logging in from another address, by
// either way; a bearer token is never throttled.
func TestStrangerCannotLockOutAdmin(t *testing.T) {
	e := newEnv(t, nil)
	stranger, admin := e.from("127.0.0.2"), e.from("127.0.0.3")
	right := `{"username":"admin","password":"` + passwordOf("admin") + `"}`
	for i := range 5 { // both ways count for the same pair
		if i%2 == 0 {
			checkProblem(t, "a wrong password", stranger("POST", "/api/v1/auth/login", `{"username":"admin","password":"guess"}`, nil), http.StatusUnauthorized)
		} else {
			checkProblem(t, "a wrong basic password", stranger("GET", "/api/v1/dags", "", basic("admin", "guess")), http.StatusUnauthorized)
		}
	}
	spoofed := func(r *http.Request) {
		r.SetBasicAuth("admin", passwordOf("admin"))
		r.Header.Set("X-Forwarded-For", "203.0.113.9") // not believed: api.trust_forwarded_for is off
	}
	for _, r := range []resp{
		stranger("POST", "/api/v1/auth/login", right, nil),
		stranger("GET", "/api/v1/dags", "", basic("admin", passwordOf("admin"))),
		stranger("GET", "/api/v1/dags", "", spoofed),
	} {
		checkProblem(t, "the stranger's address after 5 failures", r, http.StatusTooManyRequests, "too many failed logins", "from this address")
		if r.header.Get("Retry-After") == "" {
			t.Error("a 429 without Retry-After")
		}
	}
	if r := admin("POST", "/api/v1/auth/login", right, nil); r.status != http.StatusOK {
		t.Errorf("the admin's session login from another address: %d %s", r.status, r.body)
	}
	if r := admin("GET", "/api/v1/dags", "", basic("admin", passwordOf("admin"))); r.status != http.StatusOK {
		t.Errorf("the admin's basic auth from another address: %d %s", r.status, r.body)
	}
	if r := stranger("GET", "/api/v1/dags", "", e.as("admin")); r.status != http.StatusOK {
		t.Errorf("a bearer token from the locked-out address: %d %s", r.status, r.body)
	}

	// Behind a proxy that sets it (api.trust_forwarded_for), X-Forwarded-For's last address is
	// the client: the proxy's own address is not locked for everyone behind it.
	e.app.Config.API.TrustForwardedFor = true
	via := func(client string, pass string) auth {
		return func(r *http.Request) {
			r.SetBasicAuth("viewer", pass)
			r.Header.Set("X-Forwarded-For", "198.51.100.1, "+client)
		}
	}
	for range 5 {
		checkProblem(t, "a wrong password through the proxy", stranger("GET", "/api/v1/dags", "", via("203.0.113.9", "guess")), http.StatusUnauthorized)
	}
	checkProblem(t, "the locked client through the proxy", stranger("GET", "/api/v1/dags", "", via("203.0.113.9", passwordOf("viewer"))), http.StatusTooManyRequests)
	if r := stranger("GET", "/api/v1/dags", "", via("203.0.113.10", passwordOf("viewer"))); r.status != http.StatusOK {
		t.Errorf("another client behind the same proxy: %d %s", r.status, r.body)
	}
}
