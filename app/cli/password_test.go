package cli

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsersCreateAsksForThePassword: without --password, `users create` asks twice, as
// Airflow's does, refuses a short password or two that differ, and the asked one logs in.
func TestUsersCreateAsksForThePassword(t *testing.T) {
	h := newHome(t)
	h.ok("db", "init")
	for _, c := range []struct{ stdin, says string }{
		{"short\nshort\n", "the password has 5 characters; a password has at least 8"},
		{"long-enough-1\nlong-enough-2\n", "the two passwords differ"},
		{"long-enough-1\n", "the input ended"},
	} {
		if code, _, errs := h.run(c.stdin, "users", "create", "-u", "ann", "-r", "Viewer"); code == ExitOK || !strings.Contains(errs, c.says) {
			t.Errorf("stdin %q: exit %d, %q (want %q)", c.stdin, code, errs, c.says)
		}
	}
	if out := h.ok("users", "list", "-o", "plain"); strings.Contains(out, "ann") {
		t.Fatalf("a refused password created the user:\n%s", out)
	}
	code, out, errs := h.run("long-enough-1\nlong-enough-1\n", "users", "create", "-u", "ann", "-r", "Viewer")
	if code != ExitOK || !strings.Contains(errs, "Password: ") || !strings.Contains(errs, "Repeat for confirmation: ") || !strings.Contains(out, "User ann created") {
		t.Fatalf("asked password: exit %d\nstdout %s\nstderr %s", code, out, errs)
	}
	h.fails(1, "at least 8", "users", "create", "-u", "bob", "-r", "Viewer", "-p", "1234567")
}

// TestBusyPortKeepsTheAdminPassword: a first start that cannot listen creates no admin, so
// the password shown once is shown by the start that works.
func TestBusyPortKeepsTheAdminPassword(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false", "WASMFLOW__API__LISTEN", ln.Addr().String())
	code, out, errs := h.run("", "webserver")
	if code == ExitOK || !strings.Contains(errs, "address already in use") {
		t.Fatalf("webserver on a busy port: exit %d, %s", code, errs)
	}
	if strings.Contains(out, "password") {
		t.Errorf("the failed start printed a password:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(h.dir, adminPasswordFile)); err == nil {
		t.Errorf("the failed start wrote %s", adminPasswordFile)
	}
	if users := h.ok("users", "list", "-o", "plain"); strings.Contains(users, "admin") {
		t.Errorf("the failed start created the admin:\n%s", users)
	}
}
