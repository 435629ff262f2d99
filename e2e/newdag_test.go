//go:build e2e

package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// New DAG in a DAGs folder with no module of its own starts from a DAG that validates (a
// built-in script task), and the module picker offers the example modules, copying the one
// picked into the DAGs folder.
func TestNewDagOnFreshFolder(t *testing.T) {
	s := startServer(t)
	if err := os.RemoveAll(filepath.Join(s.home, "dags", "modules")); err != nil { // as a fresh home has none
		t.Fatal(err)
	}
	b := startBrowser(t)
	b.prefix = "newdag-"
	dumpOnFailure(t, b, s)
	b.login(s)

	b.click(`[data-testid="new-dag-button"]`)
	b.view("author")
	b.waitFor("the new DAG uses a built-in script and validates", editorJS+`.state.doc.toString().includes("operator: script") && `+
		checkedJS+` && document.querySelector('[data-testid="author-problems"]').dataset.count === "0"`)
	b.screenshot("template")

	b.click(`[data-testid="author-tab-tasks"]`)
	b.click(`[data-testid="author-task-item"][data-task-id="first_task"]`)
	b.pick(`[data-testid="author-task-kind"]`, "module")
	b.pick(`[data-testid="author-task-module"]`, "example:echo.wasm")
	b.waitFor("the task uses the copied example", editorJS+`.state.doc.toString().includes("module: modules/echo.wasm") && document.querySelector('[data-testid="author-task-module"]').value === "modules/echo.wasm"`)
	b.waitFor("still valid", checkedJS+` && document.querySelector('[data-testid="author-problems"]').dataset.count === "0"`)
	if _, err := os.Stat(filepath.Join(s.home, "dags", "modules", "echo.wasm")); err != nil {
		t.Errorf("the example module was not copied into the DAGs folder: %v", err)
	}
	b.screenshot("example-module")
}
