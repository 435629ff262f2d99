//go:build e2e

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestUserEdit: an Admin changes a user's role and resets its password from the Users page, on
// a server that serves PATCH /users/{username}; on one that does not, rows have no Edit.
func TestUserEdit(t *testing.T) {
	s := startServer(t)
	b := startBrowser(t)
	b.prefix = "users-"
	dumpOnFailure(t, b, s)
	b.login(s)

	s.apiDo(t, "POST", "/api/v1/users", map[string]any{"username": "ana", "password": "first-passphrase-42", "role": "Viewer"}, nil)
	var spec struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	s.apiGet(t, "/api/v1/openapi.json", &spec)
	patchable := spec.Paths["/api/v1/users/{username}"]["patch"] != nil

	b.do("open the users", chromedp.Navigate(s.url+"/#/users"))
	b.view("users")
	row := `[data-testid="user-row"][data-username="ana"]`
	b.waitFor("ana listed", fmt.Sprintf(`!!document.querySelector(%q)`, row))
	if !patchable {
		b.screenshot("no-patch")
		if eval[bool](b, fmt.Sprintf(`!!document.querySelector(%q)`, row+` [data-testid="user-edit"]`)) {
			t.Error("this server has no PATCH /users/{username}, yet the rows have Edit")
		}
		t.Log("this server has no PATCH /users/{username}: the Edit button is left out, as it should be")
		return
	}
	b.click(row + ` [data-testid="user-edit"]`)
	b.pick(`[data-testid="user-role"]`, "Op")
	b.setInput(`[data-testid="user-new-password"]`, "second-passphrase-42")
	b.screenshot("edit")
	b.click(`[data-testid="user-save"]`)
	b.waitFor("ana listed as Op", fmt.Sprintf(`document.querySelector(%q)?.textContent === "Op"`, row+` [data-testid="user-role-cell"]`))

	// The new password logs in; the old one no longer does.
	login := func(pass string) int {
		body, _ := json.Marshal(map[string]string{"username": "ana", "password": pass})
		resp, err := (&http.Client{Timeout: 10 * time.Second}).Post(s.url+"/api/v1/auth/login", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := login("second-passphrase-42"); c != http.StatusOK {
		t.Errorf("the new password: %d", c)
	}
	if c := login("first-passphrase-42"); c == http.StatusOK {
		t.Error("the old password still logs in")
	}
}
