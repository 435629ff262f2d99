package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/app/api"
)

func TestLogout(t *testing.T) {
	e := newEnv(t, nil)
	s := e.login("user", passwordOf("user"))
	r := e.want(http.StatusNoContent, "POST", "/api/v1/auth/logout", "", s.auth())
	cleared := false
	for _, c := range r.cookies() {
		if c.Name == "wasmflow_session" && c.Value == "" && c.MaxAge < 0 {
			cleared = true
		}
	}
	if !cleared {
		t.Errorf("logout did not clear the cookie: %v", r.header["Set-Cookie"])
	}
	// A browser that honours it sends no cookie any more: 401.
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/auth/me", "", nil, "authentication required")
}

func TestPasswordsNeverLoggedOrReturned(t *testing.T) {
	e := newEnv(t, nil)
	newPassword := "n3w-Us3r-Pa55word!"
	wrong := "Wr0ng-Guess-4711"
	// A failed login (both ways), a successful one (both ways), a user created through the API.
	e.problem(http.StatusUnauthorized, "POST", "/api/v1/auth/login", `{"username":"admin","password":"`+wrong+`"}`, nil, "wrong user name or password")
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/auth/me", "", basic("op", wrong))
	e.problem(http.StatusUnauthorized, "POST", "/api/v1/auth/login", `{"username":"ghost","password":"`+wrong+`"}`, nil, "wrong user name or password")
	s := e.login("admin", passwordOf("admin"))
	e.want(http.StatusOK, "GET", "/api/v1/auth/me", "", basic("op", passwordOf("op")))
	created := e.want(http.StatusOK, "POST", "/api/v1/users",
		`{"username":"newbie","password":"`+newPassword+`","role":"user","email":"n@example.com","first_name":"New","last_name":"Bie"}`, s.auth())
	// A body the server refuses must not echo the password either.
	e.problem(http.StatusBadRequest, "POST", "/api/v1/auth/login", `{"username":"admin","password":"`+wrong+`","remember":true}`, nil)
	e.problem(http.StatusConflict, "POST", "/api/v1/users", `{"username":"admin","password":"`+newPassword+`","role":"Admin"}`, s.auth(), "already exists")
	e.problem(http.StatusBadRequest, "POST", "/api/v1/users", `{"username":"x","password":"`+newPassword+`","role":"Boss"}`, s.auth(), "not one of")
	e.login("newbie", newPassword)

	var secrets []string
	for _, u := range append(users, struct{ name, role string }{"newbie", "User"}) {
		stored, err := e.app.Store.GetUser(context.Background(), u.name)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(stored.PasswordHash, "$2") {
			t.Fatalf("%s's stored hash %q is not bcrypt", u.name, stored.PasswordHash)
		}
		secrets = append(secrets, stored.PasswordHash, stored.PasswordHash[7:29]) // the hash, and its salt alone
		if u.name != "newbie" {
			secrets = append(secrets, passwordOf(u.name))
		}
	}
	secrets = append(secrets, newPassword, wrong)
	bodies := map[string][]byte{"POST /users": created.body}
	for _, p := range []string{"/api/v1/users", "/api/v1/users/newbie", "/api/v1/users/admin", "/api/v1/auth/me", "/api/v1/eventLogs"} {
		bodies["GET "+p] = e.want(http.StatusOK, "GET", p, "", s.auth()).body
	}
	if u := jsonOf[map[string]any](t, created); u["username"] != "newbie" || u["email"] != "n@example.com" {
		t.Errorf("POST /users answered %v", u)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "failed login") || !strings.Contains(logs, "ghost") {
		t.Errorf("the failed logins were not logged (so this test would not see a password in them):\n%s", logs)
	}
	events := string(bodies["GET /api/v1/eventLogs"])
	if !strings.Contains(events, "user.create") || !strings.Contains(events, "user.login") {
		t.Errorf("eventLogs misses the user creation or the login: %s", events)
	}
	for _, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the log contains the secret %q:\n%s", secret, logs)
		}
		for what, b := range bodies {
			if strings.Contains(string(b), secret) || strings.Contains(string(b), strings.ReplaceAll(secret, "/", `\/`)) {
				t.Errorf("%s contains the secret %q: %s", what, secret, b)
			}
		}
		for _, k := range []string{"password", "password_hash", "hash"} {
			for what, b := range bodies {
				if strings.Contains(string(b), `"`+k+`"`) {
					t.Errorf("%s has a %q field: %s", what, k, b)
				}
			}
		}
	}
}

func TestLoginThrottling(t *testing.T) {
	e := newEnv(t, nil)
	for i := 1; i <= 5; i++ {
		e.problem(http.StatusUnauthorized, "POST", "/api/v1/auth/login", `{"username":"user","password":"guess`+strconv.Itoa(i)+`"}`, nil, "wrong user name or password")
	}
	retry := func(r resp) {
		t.Helper()
		checkProblem(t, "locked out", r, http.StatusTooManyRequests, "too many failed logins")
		n, err := strconv.Atoi(r.header.Get("Retry-After"))
		if err != nil || n < 1 || n > 61 {
			t.Errorf("Retry-After %q, want 1 to 61 seconds", r.header.Get("Retry-After"))
		}
	}
	// The 6th attempt within the minute, wrong or right, by login or basic auth: 429.
	retry(e.call("POST", "/api/v1/auth/login", `{"username":"user","password":"guess6"}`, nil))
	retry(e.call("POST", "/api/v1/auth/login", `{"username":"user","password":"`+passwordOf("user")+`"}`, nil))
	retry(e.call("GET", "/api/v1/dags", "", basic("user", passwordOf("user"))))
	// Only that name is locked: others log in, and the user's token still works (it proves a
	// password given earlier, not a guess).
	e.login("op", passwordOf("op"))
	e.want(http.StatusOK, "GET", "/api/v1/dags", "", e.as("user"))
	// Basic auth counts as login attempts too.
	for i := 1; i <= 5; i++ {
		e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", basic("viewer", "guess"+strconv.Itoa(i)))
	}
	retry(e.call("GET", "/api/v1/dags", "", basic("viewer", passwordOf("viewer"))))
	retry(e.call("POST", "/api/v1/auth/login", `{"username":"viewer","password":"`+passwordOf("viewer")+`"}`, nil))
}

func TestTokensExpiredTamperedOrOfDeletedUsers(t *testing.T) {
	e := newEnv(t, nil)
	expired, _, err := api.IssueToken(e.home, "admin", -time.Second)
	if err != nil {
		t.Fatal(err)
	}
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", bearer(expired), "invalid or expired")
	// Tampering: the payload names another user (the signature no longer matches), the
	// signature is changed, or the token is cut.
	tok := e.tokens["viewer"]
	body, sig, _ := strings.Cut(strings.TrimPrefix(tok, "wf1."), ".")
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	asAdmin := "wf1." + base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(payload), "viewer", "admin", 1))) + "." + sig
	flipped := []byte(sig)
	flipped[3] ^= 1
	for name, bad := range map[string]string{
		"payload edited":   asAdmin,
		"signature edited": "wf1." + body + "." + string(flipped),
		"no signature":     "wf1." + body,
		"empty":            "",
	} {
		r := e.call("GET", "/api/v1/users", "", bearer(bad))
		checkProblem(t, "token "+name, r, http.StatusUnauthorized)
	}
	// A session cookie is no bearer token, and a token no session cookie.
	s := e.login("admin", passwordOf("admin"))
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", bearer(s.cookie.Value))
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", func(r *http.Request) {
		r.AddCookie(&http.Cookie{Name: "wasmflow_session", Value: strings.TrimPrefix(e.tokens["admin"], "wf1.")})
	})

	// A deleted user loses access at once: token, session and basic auth.
	victim := e.login("op", passwordOf("op"))
	e.want(http.StatusOK, "GET", "/api/v1/pools", "", victim.auth())
	e.want(http.StatusOK, "GET", "/api/v1/pools", "", e.as("op"))
	e.want(http.StatusNoContent, "DELETE", "/api/v1/users/op", "", s.auth())
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/pools", "", e.as("op"), `user "op" no longer exists`)
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/pools", "", victim.auth(), `user "op" no longer exists`)
	e.problem(http.StatusUnauthorized, "POST", "/api/v1/variables", `{"key":"a","value":"b"}`, victim.auth())
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/pools", "", basic("op", passwordOf("op")), "wrong user name or password")
	e.want(http.StatusNotFound, "DELETE", "/api/v1/users/op", "", s.auth())
	e.problem(http.StatusBadRequest, "DELETE", "/api/v1/users/admin", "", s.auth(), "cannot delete yourself")
	// A new user given the name, even as Admin, is not the old one: the old token and
	// session stay refused, the new user's own work.
	e.want(http.StatusOK, "POST", "/api/v1/users", `{"username":"op","password":"new-op-password","role":"Admin"}`, s.auth())
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/users", "", e.as("op"), `issued to an earlier user "op"`)
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/users", "", victim.auth(), `issued to an earlier user "op"`)
	e.want(http.StatusOK, "GET", "/api/v1/users", "", e.login("op", "new-op-password").auth())
	fresh, _, err := api.IssueToken(e.home, "op", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	e.want(http.StatusOK, "GET", "/api/v1/users", "", bearer(fresh))
	// Tokens sealed before they carried their issue time still work for their user; sealed
	// values of another shape, even well signed, do not.
	key, err := os.ReadFile(filepath.Join(e.home, "api.secret"))
	if err != nil {
		t.Fatal(err)
	}
	exp := strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10)
	e.want(http.StatusOK, "GET", "/api/v1/dags", "", bearer(sealed(t, key, "token", "viewer", exp)))
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", bearer(sealed(t, key, "token", "viewer", exp, "1", "2")), "invalid or expired")
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", bearer(sealed(t, key, "token", "viewer")), "invalid or expired")
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", bearer(sealed(t, key, "token", "viewer", "1700000000")), "invalid or expired")
	e.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", bearer(sealed(t, key, "session", "viewer", exp)), "invalid or expired")
	// Deleting the signing key voids every token and session.
	if err := os.Remove(filepath.Join(e.home, "api.secret")); err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(e.app, api.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	e2 := *e
	e2.ts = ts
	e2.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", e.as("admin"))
	e2.problem(http.StatusUnauthorized, "GET", "/api/v1/dags", "", s.auth())
}

// sealed makes a value as the server signs sessions and tokens (auth.go: the fields and a
// nonce, base64url, then the HMAC-SHA256 of purpose and payload), to test what it accepts.
func sealed(t *testing.T, hexKey []byte, purpose string, fields ...string) string {
	t.Helper()
	key, err := hex.DecodeString(strings.TrimSpace(string(hexKey)))
	if err != nil {
		t.Fatal(err)
	}
	payload := base64.RawURLEncoding.EncodeToString([]byte(strings.Join(append(fields, "00112233"), "\n")))
	m := hmac.New(sha256.New, key)
	m.Write([]byte(purpose + "\n" + payload))
	return "wf1." + payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
