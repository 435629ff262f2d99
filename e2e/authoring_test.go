//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// authoredCycle is the DAG the test types into the editor: three tasks whose upstream links
// make a cycle (extract <- load <- transform <- extract). The parser reports a cycle at the line
// of the task that comes first in the file.
const authoredCycle = `dag_id: e2e_authored
description: Typed into the browser test's editor
schedule: null
is_paused_upon_creation: false
tasks:
  - id: extract
    module: modules/echo.wasm
    args: ["extract"]
    upstream: [load]    # closes the cycle; the form removes it
  - id: transform
    module: modules/sum.wasm
    args: ["20", "22"]
    upstream: [extract]
  - id: load
    module: modules/echo.wasm
    args: ["loaded=yes"]
    upstream: [transform]
`

// editorJS is the authoring editor's CodeMirror view (YamlEditor puts it on its element).
const editorJS = `document.querySelector('[data-testid="author-editor"]').cmView`

// checkedJS is true once the problems shown are the server's answer for the editor's text as it
// is now (the list carries the text it was checked for), so no wait can pass on an older answer.
const checkedJS = `(() => {
	const ul = document.querySelector('[data-testid="author-problems"]')
	return !!ul && ul.dataset.validating === "false" && ul.checkedText === ` + editorJS + `.state.doc.toString()
})()`

// TestAuthorDAG writes a DAG in the browser's editor: a cycle is reported at its line and blocks
// saving, the task form fixes it and imports a module, Ctrl+S saves, a change on disk meanwhile
// is caught (409) and overwritten on request; the DAG then runs green and its graph is the one
// typed; leaving with unsaved changes asks first.
func TestAuthorDAG(t *testing.T) {
	start := time.Now()
	s := startServer(t)
	b := startBrowser(t)
	b.prefix = "author-"
	dumpOnFailure(t, b, s)
	t.Logf("server %s, home %s; artifacts in %s", s.url, s.home, b.artifacts)
	dagFile := filepath.Join(s.home, "dags", "e2e_authored.yaml")

	b.login(s)
	b.click(`[data-testid="new-dag-button"]`)
	b.view("author")
	b.waitFor("the template checked", checkedJS)

	// Type the cyclic DAG over the template.
	b.typeInEditor(authoredCycle)
	b.waitFor("the file name follows the dag_id", `document.querySelector('[data-testid="author-file-name"]').value === "e2e_authored.yaml"`)

	// The cycle: a problem at the first task's line, in the list and in the editor's gutter;
	// Save is disabled; the graph marks the three tasks and their links.
	cycleLine := lineOf(t, authoredCycle, "  - id: extract")
	b.waitFor(fmt.Sprintf("a cycle problem at line %d", cycleLine), fmt.Sprintf(`%s &&
		[...document.querySelectorAll('[data-testid="author-problem"]')].some(li => li.dataset.line === "%d" && /^line %d: .*cycle/.test(li.textContent))`,
		checkedJS, cycleLine, cycleLine))
	problems := eval[[]string](b, `[...document.querySelectorAll('[data-testid="author-problem"]')].map(li => li.textContent)`)
	t.Logf("problems: %q", problems)
	if n := eval[int](b, `document.querySelectorAll('[data-testid="author-editor"] .cm-lint-marker-error').length`); n == 0 {
		t.Error("no lint marker in the editor's gutter for the cycle")
	}
	if !eval[bool](b, `document.querySelector('[data-testid="author-save"]').disabled`) {
		t.Error("Save is enabled while the DAG has a cycle")
	}
	b.waitFor("the graph marks the cycle", `(() => {
		const n = [...document.querySelectorAll('[data-testid="author-node"]')]
		const e = [...document.querySelectorAll('[data-testid="author-edge"]')]
		return n.length === 3 && n.every(x => x.dataset.cycle === "true") && e.length === 3 && e.every(x => x.dataset.cycle === "true")
	})()`)
	b.screenshot("cycle")

	// Fix it in the task form: extract no longer waits for load.
	b.click(`[data-testid="author-tab-tasks"]`)
	b.click(`[data-testid="author-task-item"][data-task-id="extract"]`)
	b.waitFor("extract's form", `document.querySelector('[data-testid="author-task-form"]')?.dataset.taskId === "extract"`)
	b.click(`[data-testid="author-upstream"][data-upstream-id="load"]`)
	b.waitFor("the YAML loses the upstream link", `!`+editorJS+`.state.doc.toString().includes("upstream: [load]")`)

	// Import a module for load through the form: stored under its own short name (the DAGs folder
	// has none by that name yet), picked for the task.
	echo := filepath.Join("..", "examples", "dags", "modules", "xcom_write.wasm")
	echoAbs, err := filepath.Abs(echo)
	if err != nil {
		t.Fatal(err)
	}
	echoBytes, err := os.ReadFile(echo)
	if err != nil {
		t.Fatal(err)
	}
	imported := "modules/xcom_write.wasm"
	b.click(`[data-testid="author-task-item"][data-task-id="load"]`)
	b.waitFor("load's form", `document.querySelector('[data-testid="author-task-form"]')?.dataset.taskId === "load"`)
	b.do("import xcom_write.wasm", chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="author-module-file"]`), []string{echoAbs}))
	b.waitFor("the import is reported", `!!document.querySelector('[data-testid="author-import-note"]')`)
	b.waitFor("load uses the imported module", fmt.Sprintf(`%s.state.doc.toString().includes("module: %s") && document.querySelector('[data-testid="author-task-module"]').value === %q`, editorJS, imported, imported))
	if b, err := os.ReadFile(filepath.Join(s.home, "dags", filepath.FromSlash(imported))); err != nil || !bytes.Equal(b, echoBytes) {
		t.Errorf("the imported module is not in the DAGs folder: %v", err)
	}

	// Valid now: no problems, no cycle, Save enabled.
	b.waitFor("no problems and Save enabled", checkedJS+` && document.querySelector('[data-testid="author-problems"]').dataset.count === "0" &&
		!document.querySelector('[data-testid="author-save"]').disabled`)
	b.click(`[data-testid="author-tab-graph"]`)
	b.waitFor("the graph has no cycle", `document.querySelector('[data-testid="author-graph"]')?.dataset.cycle === "false" && document.querySelectorAll('[data-testid="author-edge"]').length === 2`)
	b.screenshot("fixed")

	// Ctrl+S saves: the file is on disk as the editor has it, and the address names it.
	b.saveWithKeys()
	b.waitFor("saved", `!!document.querySelector('[data-testid="author-saved"]')`)
	want := eval[string](b, editorJS+`.state.doc.toString()`)
	if got, err := os.ReadFile(dagFile); err != nil || string(got) != want {
		t.Fatalf("the file on disk (err %v) is\n%s\nthe editor has\n%s", err, got, want)
	}
	for _, keep := range []string{"description: Typed into the browser test's editor", `args: ["20", "22"]`, "upstream: [extract]"} {
		if !strings.Contains(want, keep) {
			t.Errorf("the saved file lost %q:\n%s", keep, want)
		}
	}
	if hash := eval[string](b, `location.hash`); hash != "#/author?file=e2e_authored.yaml" {
		t.Errorf("after saving the address is %q, want #/author?file=e2e_authored.yaml", hash)
	}
	b.screenshot("saved")

	// A change on disk since the file was opened: Save says so, Overwrite writes ours.
	if err := os.WriteFile(dagFile, append([]byte(want), "# changed on disk\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	b.click(`[data-testid="author-tab-tasks"]`)
	b.click(`[data-testid="author-task-item"][data-task-id="transform"]`)
	b.waitFor("transform's form", `document.querySelector('[data-testid="author-task-form"]')?.dataset.taskId === "transform"`)
	b.setInput(`[data-testid="author-task-retries"]`, "2")
	b.waitFor("retries in the YAML and Save enabled", editorJS+`.state.doc.toString().includes("    retries: 2\n") && `+checkedJS+` && !document.querySelector('[data-testid="author-save"]').disabled`)
	b.click(`[data-testid="author-save"]`)
	b.waitFor("the conflict banner", `(document.querySelector('[data-testid="author-conflict"]')?.textContent || "").includes("changed on disk since you opened it")`)
	b.screenshot("conflict")
	b.click(`[data-testid="author-overwrite"]`)
	b.waitFor("saved over the disk's change", `!!document.querySelector('[data-testid="author-saved"]') && !document.querySelector('[data-testid="author-conflict"]')`)
	want = eval[string](b, editorJS+`.state.doc.toString()`)
	if got, _ := os.ReadFile(dagFile); string(got) != want || strings.Contains(string(got), "changed on disk") {
		t.Fatalf("after Overwrite the file is\n%s\nwant\n%s", got, want)
	}

	// Leaving with unsaved changes asks first (the test accepts).
	b.setInput(`[data-testid="author-task-retries"]`, "3")
	b.waitFor("unsaved", editorJS+`.state.doc.toString().includes("    retries: 3\n")`)
	b.click(`[data-testid="nav-dags"]`)
	b.view("dags")
	b.mu.Lock()
	asked := slices.ContainsFunc(b.dialogs, func(m string) bool { return strings.Contains(m, "unsaved changes") })
	b.mu.Unlock()
	if !asked {
		t.Errorf("leaving the editor with unsaved changes did not ask; dialogs: %q", b.dialogs)
	}

	// The DAG is listed; trigger it and watch it succeed.
	row := `[data-testid="dag-row"][data-dag-id="e2e_authored"]`
	b.waitFor("e2e_authored listed", fmt.Sprintf(`!!document.querySelector(%q)`, row))
	b.click(row + ` [data-testid="dag-link"]`)
	b.view("dag-grid")
	b.click(`[data-testid="dag-page"] [data-testid="trigger-button"]`)
	b.do("trigger dialog", chromedp.WaitVisible(chromedp.CSS(`[data-testid="trigger-submit"]`)))
	b.click(`[data-testid="trigger-submit"]`)
	b.waitFor("the new run is selected", `document.querySelector('[data-testid="grid-selected-run"]')?.dataset.runId`)
	runID := eval[string](b, `document.querySelector('[data-testid="grid-selected-run"]').dataset.runId`)
	b.waitFor("the run succeeds", fmt.Sprintf(`(() => {
		const c = [...document.querySelectorAll('[data-testid="grid-cell"]')].filter(c => c.dataset.runId === %q)
		return c.length === 3 && c.every(x => x.dataset.state === "success") &&
			document.querySelector('[data-testid="grid-run"][data-run-id=%q]')?.dataset.state === "success"
	})()`, runID, runID))
	b.screenshot("grid")

	// Its graph is the DAG typed: three tasks, extract -> transform -> load.
	b.click(`[data-testid="tab-graph"]`)
	b.view("dag-graph")
	b.waitFor("three nodes", `document.querySelectorAll('[data-testid="graph-node"]').length === 3`)
	nodes := eval[[]string](b, `[...document.querySelectorAll('[data-testid="graph-node"]')].map(n => n.dataset.taskId).sort()`)
	edges := eval[[]string](b, `[...document.querySelectorAll('[data-testid="graph-edge"]')].map(e => e.dataset.from + " -> " + e.dataset.to).sort()`)
	if want := []string{"extract", "load", "transform"}; !slices.Equal(nodes, want) {
		t.Errorf("graph nodes %q, want %q", nodes, want)
	}
	if want := []string{"extract -> transform", "transform -> load"}; !slices.Equal(edges, want) {
		t.Errorf("graph edges %q, want %q", edges, want)
	}
	b.screenshot("graph")

	// Edit opens the file again, as it is on disk.
	b.click(`[data-testid="edit-dag-button"]`)
	b.view("author")
	b.waitFor("the file opened", `document.querySelector('[data-testid="author-page"]')?.dataset.path === "e2e_authored.yaml" && document.querySelector('[data-testid="author-page"]').dataset.new === "false"`)
	if got := eval[string](b, editorJS+`.state.doc.toString()`); got != want {
		t.Errorf("Edit opened\n%s\nthe file is\n%s", got, want)
	}

	b.checkNoAuthPrompts()
	t.Logf("%d screenshots in %s; the test took %s", b.shots, b.artifacts, time.Since(start).Round(time.Millisecond))
}

// typeInEditor selects everything in the authoring editor and types text over it the way an
// input method does (Input.insertText), then waits until the editor holds exactly that text.
func (b *browser) typeInEditor(text string) {
	b.t.Helper()
	b.do("wait for the editor", chromedp.WaitVisible(chromedp.CSS(`[data-testid="author-editor"] .cm-content`)))
	eval[bool](b, `(() => { const v = `+editorJS+`; v.focus(); v.dispatch({selection: {anchor: 0, head: v.state.doc.length}}); return true })()`)
	ctx, cancel := context.WithTimeout(b.ctx, waitTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		b.t.Fatalf("type into the editor: %v", err)
	}
	b.waitFor("the editor holds the typed text", fmt.Sprintf(`%s.state.doc.toString() === %q`, editorJS, text))
}

// saveWithKeys presses Ctrl+S in the editor.
func (b *browser) saveWithKeys() {
	b.t.Helper()
	eval[bool](b, `(`+editorJS+`.focus(), true)`)
	b.do("Ctrl+S", chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
}

// lineOf is the 1-based line of text that starts with prefix.
func lineOf(t *testing.T, text, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}
