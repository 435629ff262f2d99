package api_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/app/api"
)

// TestLogoutRevokesTheSession: after a logout, a copy of the session cookie (taken before, by
// someone who saw it) is refused with 401, by this server and by one started anew on the same
// home; the user's other sessions, and a new login, still work.
func TestLogoutRevokesTheSession(t *testing.T) {
	e := newEnv(t, nil)
	s := e.login("user", passwordOf("user"))
	other := e.login("user", passwordOf("user")) // another browser of the same user
	copied := s.with("")                         // the cookie alone, as a thief has it
	e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", copied)
	e.want(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", s.auth())

	e.problem(http.StatusUnauthorized, "GET", "/api/v1/auth/me", "", copied, "logged out", "log in again")
	e.problem(http.StatusUnauthorized, "POST", "/api/v1/dags/pipe/dagRuns", `{"dag_run_id":"stolen"}`, s.auth(), "logged out")
	e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", other.with(""))

	restarted := openEnv(t, e.home)
	restarted.problem(http.StatusUnauthorized, "GET", "/api/v1/auth/me", "", copied, "logged out")
	restarted.want(http.StatusOK, "GET", "/api/v1/auth/me", "", other.with(""))
	again := restarted.login("user", passwordOf("user"))
	restarted.want(http.StatusOK, "GET", "/api/v1/auth/me", "", again.with(""))

	// A made-up cookie sent to logout is not recorded (logout needs no login): it stays a 204.
	e.want(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "wasmflow_session", Value: "forged.cookie"})
	})
	sum := sha256.Sum256([]byte("forged.cookie"))
	if revoked, err := e.app.Store.SessionRevoked(context.Background(), hex.EncodeToString(sum[:])); err != nil || revoked {
		t.Errorf("a made-up cookie was recorded as revoked (%v, %v)", revoked, err)
	}
}

// TestLogoutRevokesTheBearerToken: a script that logs out with its token ends that token (a
// copy of it gets 401, after a restart too); the user's other tokens still work.
func TestLogoutRevokesTheBearerToken(t *testing.T) {
	e := newEnv(t, nil)
	tok, _, err := api.IssueToken(e.home, "user", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", bearer(tok))
	e.want(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", bearer(tok))
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/auth/me", "", bearer(tok), "logged out", "wasmflow users token")
	e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", e.as("user"))
	openEnv(t, e.home).problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", bearer(tok), "logged out")
}
