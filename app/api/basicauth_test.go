package api_test

import (
	"net/http"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TestBasicAuthCostsWhatATokenCosts: a client sending basic auth with every request pays the
// password check (bcrypt) once, not per request; a user deleted is refused at once, and one
// made again under the same name opens with the new password only, not the old one cached.
func TestBasicAuthCostsWhatATokenCosts(t *testing.T) {
	e := newEnv(t, nil)
	const old, renewed = "Old-pa55word-1", "New-pa55word-2"
	e.want(http.StatusOK, "POST", "/api/v1/users", `{"username":"carol","password":"`+old+`","role":"Viewer"}`, e.as("admin"))
	e.want(http.StatusOK, "GET", "/api/v1/dags", "", basic("carol", old)) // checked, and remembered

	// What one password check costs here (bcrypt at its default cost, as users are made).
	hash, _ := bcrypt.GenerateFromPassword([]byte(old), bcrypt.DefaultCost)
	start := time.Now()
	bcrypt.CompareHashAndPassword(hash, []byte(old))
	check := time.Since(start)
	const requests = 20
	start = time.Now()
	for range requests {
		e.want(http.StatusOK, "GET", "/api/v1/dags", "", basic("carol", old))
	}
	if took := time.Since(start); took > 3*check {
		t.Errorf("%d requests with basic auth took %s, want less than three password checks (%s each): each one paid for its own", requests, took, check)
	}
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", basic("carol", old+"x"), "wrong user name or password")

	e.want(http.StatusNoContent, "DELETE", "/api/v1/users/carol", "", e.as("admin"))
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", basic("carol", old), "wrong user name or password")
	e.want(http.StatusOK, "POST", "/api/v1/users", `{"username":"carol","password":"`+renewed+`","role":"Viewer"}`, e.as("admin"))
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", basic("carol", old), "wrong user name or password")
	e.want(http.StatusOK, "GET", "/api/v1/dags", "", basic("carol", renewed))
}
