//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// TestAdminPages adds, edits, finds and deletes on the variables, pools, connections and users
// pages (one shared list-and-dialog component, components/AdminList.tsx), checking each change
// through the API; a dialog shows the server's refusal and keeps what was typed.
func TestAdminPages(t *testing.T) {
	s := startServer(t)
	b := startBrowser(t)
	b.prefix = "admin-"
	dumpOnFailure(t, b, s)
	b.login(s)
	row := func(noun, attr, id string) string {
		return fmt.Sprintf(`[data-testid="%s-row"][%s=%q]`, noun, attr, id)
	}
	exists := func(sel string) string { return fmt.Sprintf(`!!document.querySelector(%q)`, sel) }
	gone := func(sel string) string { return fmt.Sprintf(`!document.querySelector(%q)`, sel) }

	// Variables: add, edit, search, delete.
	b.click(`[data-testid="nav-variables"]`)
	b.view("variables")
	b.click(`[data-testid="variable-add"]`)
	b.setInput(`[data-testid="variable-key"]`, "region")
	b.setInput(`[data-testid="variable-value"]`, "eu-west")
	b.click(`[data-testid="variable-save"]`)
	b.waitFor("the variable listed", exists(row("variable", "data-key", "region"))+` && `+gone(`[data-testid="variable-dialog"]`))
	b.click(row("variable", "data-key", "region") + ` [data-testid="variable-edit"]`)
	b.setInput(`[data-testid="variable-value"]`, "us-east")
	b.click(`[data-testid="variable-save"]`)
	b.waitFor("the new value shown", fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "").includes("us-east")`, row("variable", "data-key", "region")))
	var v struct{ Value string }
	s.apiGet(t, "/api/v1/variables/region", &v)
	if v.Value != "us-east" {
		t.Errorf("region is %q after the edit, want us-east", v.Value)
	}
	b.setInput(`[data-testid="variable-search"]`, "nomatch")
	b.waitFor("the search hides it, the empty row says so", gone(row("variable", "data-key", "region"))+` && `+exists(`[data-testid="variables-table"] td.empty`))
	b.setInput(`[data-testid="variable-search"]`, "REG")
	b.click(row("variable", "data-key", "region") + ` [data-testid="variable-delete"]`)
	b.waitFor("the variable deleted", gone(row("variable", "data-key", "region")))

	// Pools: the server's refusal shows in the dialog; add, edit, delete; default_pool cannot be deleted.
	b.click(`[data-testid="nav-pools"]`)
	b.view("pools")
	if !eval[bool](b, exists(row("pool", "data-pool", "default_pool")+` [data-testid="pool-edit"]`)+` && `+gone(row("pool", "data-pool", "default_pool")+` [data-testid="pool-delete"]`)) {
		t.Error("default_pool should have Edit and no Delete")
	}
	b.click(`[data-testid="pool-add"]`)
	b.setInput(`[data-testid="pool-name"]`, "default_pool")
	b.setInput(`[data-testid="pool-slots"]`, "4")
	b.click(`[data-testid="pool-save"]`)
	b.waitFor("the server's refusal in the dialog", `(document.querySelector('[data-testid="pool-error"]')?.textContent ?? "").includes("default_pool") && !!document.querySelector('[data-testid="pool-dialog"]')`)
	b.setInput(`[data-testid="pool-name"]`, "db")
	b.click(`[data-testid="pool-save"]`)
	b.waitFor("the pool listed", exists(row("pool", "data-pool", "db")))
	b.click(row("pool", "data-pool", "db") + ` [data-testid="pool-edit"]`)
	b.waitFor("the dialog has the pool's slots", `document.querySelector('[data-testid="pool-name"]').value === "db" && document.querySelector('[data-testid="pool-slots"]').value === "4"`)
	b.setInput(`[data-testid="pool-slots"]`, "7")
	b.click(`[data-testid="pool-save"]`)
	b.waitFor("7 slots", fmt.Sprintf(`document.querySelector(%q)?.children[1].textContent === "7"`, row("pool", "data-pool", "db")))
	b.click(row("pool", "data-pool", "db") + ` [data-testid="pool-delete"]`)
	b.waitFor("the pool deleted", gone(row("pool", "data-pool", "db")))

	// Connections: the server's refusal in the dialog, add, test from the row, edit, delete.
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer api.Close()
	u, _ := url.Parse(api.URL)
	b.click(`[data-testid="nav-connections"]`)
	b.view("connections")
	b.click(`[data-testid="connection-add"]`)
	b.setInput(`[data-testid="connection-id"]`, "local_api")
	b.setInput(`[data-testid="connection-type"]`, "http")
	b.setInput(`[data-testid="connection-host"]`, u.Hostname())
	b.setInput(`[data-testid="connection-port"]`, "eighty")
	b.click(`[data-testid="connection-save"]`)
	b.waitFor("the port refused", `(document.querySelector('[data-testid="connection-error"]')?.textContent ?? "").includes("is not a number")`)
	b.setInput(`[data-testid="connection-port"]`, u.Port())
	b.click(`[data-testid="connection-save"]`)
	b.waitFor("the connection listed", exists(row("connection", "data-id", "local_api")))
	b.click(row("connection", "data-id", "local_api") + ` [data-testid="connection-test"]`)
	b.waitFor("the test passed", exists(row("connection", "data-id", "local_api")+` [data-testid="connection-test-result"][data-status="true"]`))
	b.click(row("connection", "data-id", "local_api") + ` [data-testid="connection-edit"]`)
	b.setInput(`[data-testid="connection-description"]`, "the loopback API")
	b.click(`[data-testid="connection-save"]`)
	b.waitFor("the description shown", fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "").includes("the loopback API")`, row("connection", "data-id", "local_api")))
	b.screenshot("connections")
	b.click(row("connection", "data-id", "local_api") + ` [data-testid="connection-delete"]`)
	b.waitFor("the connection deleted", gone(row("connection", "data-id", "local_api")))

	// Users: add one, delete it.
	b.click(`[data-testid="nav-users"]`)
	b.view("users")
	b.click(`[data-testid="user-add"]`)
	b.setInput(`[data-testid="user-username"]`, "ops1")
	b.setInput(`[data-testid="user-password"]`, "a-long-passphrase-42")
	b.pick(`[data-testid="user-role"]`, "Op")
	b.click(`[data-testid="user-save"]`)
	b.waitFor("the user listed as Op", fmt.Sprintf(`document.querySelector(%q)?.textContent === "Op"`, row("user", "data-username", "ops1")+` [data-testid="user-role-cell"]`))
	b.click(row("user", "data-username", "ops1") + ` [data-testid="user-delete"]`)
	b.waitFor("the user deleted", gone(row("user", "data-username", "ops1")))
	b.checkNoAuthPrompts()
}
