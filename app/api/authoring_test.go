package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/wasmflow/wasmflow/app/api"
)

// docs/api.md's Authoring section, added to this test package's copy of the route table.
func init() {
	for _, k := range []string{"POST /api/v1/dagFiles/validate", "GET /api/v1/dagFiles/{path...}",
		"PUT /api/v1/dagFiles/{path...}", "GET /api/v1/modules", "POST /api/v1/modules", "POST /api/v1/modules/examples/{name}"} {
		documented[k] = api.Op
	}
}

type fileProblem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

type draftTask struct {
	TaskID      string   `json:"task_id"`
	Upstream    []string `json:"upstream"`
	Kind        string   `json:"kind"`
	TriggerRule string   `json:"trigger_rule"`
	Line        int      `json:"line"`
}

type dagFileCheck struct {
	Valid    bool          `json:"valid"`
	DagID    *string       `json:"dag_id"`
	Problems []fileProblem `json:"problems"`
	Tasks    []draftTask   `json:"tasks"`
}

type dagFile struct {
	Path    string  `json:"path"`
	Content string  `json:"content"`
	SHA256  string  `json:"sha256"`
	DagID   *string `json:"dag_id"`
}

type moduleInfo struct {
	Path   string `json:"path"`
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Ref    string `json:"ref"`
}

// detailed is a problem with the fields the editor acts on.
type detailed struct {
	Status        int           `json:"status"`
	Detail        string        `json:"detail"`
	Problems      []fileProblem `json:"problems"`
	CurrentSHA256 *string       `json:"current_sha256"`
}

func body(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

const newDag = `dag_id: fresh
schedule: null
tasks:
  - {id: first, module: ../modules/echo.wasm, args: [hi]}
  - {id: second, module: ../modules/echo.wasm, upstream: [first]}
`

// upload posts module bytes as the views do.
func (e *env) upload(query, contentType string, wasm []byte, a auth) resp {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.ts.URL+"/api/v1/modules"+query, bytes.NewReader(wasm))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if a != nil {
		a(req)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		e.t.Fatalf("upload: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: b}
}

func noopWasm(t *testing.T) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "runtime", "testdata", "noop_c", "noop.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Every authoring route needs Op: no credentials 401, Viewer and User 403, Op and Admin served.
func TestAuthoringRoles(t *testing.T) {
	e := newEnv(t, nil)
	wasm := noopWasm(t)
	for _, c := range []struct {
		method, path, body string
		ok                 int
	}{
		{"POST", "/api/v1/dagFiles/validate", body(map[string]string{"content": newDag}), http.StatusOK},
		{"GET", "/api/v1/dagFiles/pipe.yaml", "", http.StatusOK},
		{"PUT", "/api/v1/dagFiles/etl/by_NAME.yaml", "", 0},
		{"GET", "/api/v1/modules", "", http.StatusOK},
	} {
		e.problem(http.StatusUnauthorized, c.method, c.path, c.body, nil)
		for _, u := range []string{"viewer", "user"} {
			e.problem(http.StatusForbidden, c.method, c.path, c.body, e.as(u), "needs the Op role")
		}
		for _, u := range []string{"op", "admin"} {
			path, b, want := c.path, c.body, c.ok
			if c.method == "PUT" { // a file of each's own, created
				path = strings.Replace(path, "NAME", u, 1)
				b, want = body(map[string]string{"content": strings.Replace(newDag, "fresh", "by_"+u, 1), "base_sha256": ""}), http.StatusCreated
			}
			e.want(want, c.method, path, b, e.as(u))
		}
	}
	checkProblem(t, "upload without credentials", e.upload("?name=noop.wasm", "application/wasm", wasm, nil), http.StatusUnauthorized)
	for _, u := range []string{"viewer", "user"} {
		checkProblem(t, "upload by "+u, e.upload("?name=noop.wasm", "application/wasm", wasm, e.as(u)), http.StatusForbidden, "needs the Op role")
	}
	if r := e.upload("?name=noop.wasm", "application/wasm", wasm, e.as("op")); r.status != http.StatusCreated {
		t.Errorf("upload by op: %d %s", r.status, r.body)
	}
	if r := e.upload("?name=noop.wasm", "application/wasm", wasm, e.as("admin")); r.status != http.StatusOK {
		t.Errorf("upload by admin of what op stored: %d %s", r.status, r.body)
	}
	// A session must send its CSRF token on a save, as on every change.
	s := e.login("op", passwordOf("op"))
	save := body(map[string]string{"content": strings.Replace(newDag, "fresh", "by_session", 1)})
	e.problem(http.StatusForbidden, "PUT", "/api/v1/dagFiles/etl/by_session.yaml", save, s.with(""), "X-CSRF-Token")
	e.want(http.StatusCreated, "PUT", "/api/v1/dagFiles/etl/by_session.yaml", save, s.auth())
}

func TestValidateDagFile(t *testing.T) {
	e := newEnv(t, nil)
	validate := func(path, content string) dagFileCheck {
		t.Helper()
		return jsonOf[dagFileCheck](t, e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"path": path, "content": content}), e.as("op")))
	}
	// Module paths resolve from the file's folder, as the scheduler resolves them.
	ok := validate("etl/fresh.yaml", newDag)
	wantTasks := []draftTask{{"first", []string{}, "module", "all_success", 4}, {"second", []string{"first"}, "module", "all_success", 5}}
	if !ok.Valid || ok.DagID == nil || *ok.DagID != "fresh" || len(ok.Problems) != 0 || !reflect.DeepEqual(ok.Tasks, wantTasks) {
		t.Errorf("a valid file in etl/: %+v", ok)
	}
	top := validate("", newDag) // new_dag.yaml, at the top: ../modules is outside
	if top.Valid || len(top.Problems) != 2 || top.Problems[0].Line != 4 || !strings.Contains(top.Problems[0].Message, `module "../modules/echo.wasm" does not exist`) {
		t.Errorf("the same file at the top of the folder: %+v", top)
	}

	// A cycle: the problem is at the task that starts it, and the tasks are still drawn.
	cycle := validate("loop.yaml", `dag_id: loop
tasks:
  - id: a
    module: modules/echo.wasm
    upstream: [c]
  - {id: b, module: modules/echo.wasm, upstream: [a]}
  - id: c
    branch: '["a"]'
    upstream: [b]
`)
	if cycle.Valid || cycle.DagID == nil || *cycle.DagID != "loop" || len(cycle.Problems) == 0 {
		t.Fatalf("a cycle: %+v", cycle)
	}
	found := false
	for _, p := range cycle.Problems {
		if strings.Contains(p.Message, "cycle: a → c → b → a") || strings.Contains(p.Message, "cycle") {
			found = true
			if p.Line != 3 {
				t.Errorf("the cycle is reported at line %d, want 3 (task a): %+v", p.Line, p)
			}
		}
	}
	if !found {
		t.Errorf("no cycle problem: %+v", cycle.Problems)
	}
	wantLoose := []draftTask{{"a", []string{"c"}, "module", "all_success", 3}, {"b", []string{"a"}, "module", "all_success", 6}, {"c", []string{"b"}, "branch", "all_success", 7}}
	if !reflect.DeepEqual(cycle.Tasks, wantLoose) {
		t.Errorf("the loose tasks of a cycle:\n%+v, want\n%+v", cycle.Tasks, wantLoose)
	}

	// A dag_id another file defines; the same file keeps its own.
	taken := validate("copy.yaml", strings.Replace(baseDags["quiet.yaml"], "dag_id: quiet", "dag_id: pipe", 1))
	if taken.Valid || len(taken.Problems) != 1 || taken.Problems[0].Line != 1 || taken.Problems[0].Column != 9 ||
		!strings.Contains(taken.Problems[0].Message, `dag_id "pipe" is already defined in pipe.yaml`) {
		t.Errorf("a dag_id taken: %+v", taken)
	}
	if own := validate("pipe.yaml", baseDags["pipe.yaml"]); !own.Valid {
		t.Errorf("pipe.yaml as it is: %+v", own)
	}
	// Syntax errors while typing: the lines above still draw.
	typing := validate("t.yaml", "dag_id: t\ntasks:\n  - {id: a, module: modules/echo.wasm}\n  - {id: b, upstream: [a\n")
	if typing.Valid || len(typing.Problems) == 0 || !strings.HasPrefix(typing.Problems[0].Message, "YAML syntax") || len(typing.Tasks) != 1 || typing.Tasks[0].TaskID != "a" {
		t.Errorf("a half-typed line: %+v", typing)
	}
	if empty := validate("e.yaml", ""); empty.Valid || empty.DagID != nil || len(empty.Tasks) != 0 || len(empty.Problems) != 1 {
		t.Errorf("an empty file: %+v", empty)
	}

	e.problem(http.StatusBadRequest, "POST", "/api/v1/dagFiles/validate", `{"path":"../x.yaml","content":""}`, e.as("op"),
		`path "../x.yaml" leaves the DAGs folder: use a path inside it, like etl/x.yaml`)
	e.problem(http.StatusBadRequest, "POST", "/api/v1/dagFiles/validate", `{"path":"x.json","content":""}`, e.as("op"), "DAG files end in .yaml or .yml")
	e.problem(http.StatusBadRequest, "POST", "/api/v1/dagFiles/validate", `{"path":"x.yaml"}`, e.as("op"), `send {"path"`)
	e.problem(http.StatusBadRequest, "POST", "/api/v1/dagFiles/validate", `{"content":"","dag":"x"}`, e.as("op"), "unknown field")
}

func TestDagFileReadAndSave(t *testing.T) {
	e := newEnv(t, nil)
	dags := filepath.Join(e.home, "dags")
	pipe := jsonOf[dagFile](t, e.want(http.StatusOK, "GET", "/api/v1/dagFiles/pipe.yaml", "", e.as("op")))
	if pipe.Path != "pipe.yaml" || pipe.Content != baseDags["pipe.yaml"] || pipe.SHA256 != sha([]byte(baseDags["pipe.yaml"])) || pipe.DagID == nil || *pipe.DagID != "pipe" {
		t.Errorf("GET pipe.yaml: %+v", pipe)
	}
	if broken := jsonOf[dagFile](t, e.want(http.StatusOK, "GET", "/api/v1/dagFiles/broken.yaml", "", e.as("op"))); broken.DagID == nil || *broken.DagID != "broken" {
		t.Errorf("a file that does not parse still says its dag_id: %+v", broken)
	}
	e.problem(http.StatusNotFound, "GET", "/api/v1/dagFiles/etl/none.yaml", "", e.as("op"), `DAG file "etl/none.yaml" not found`)
	for path, words := range map[string]string{
		"/api/v1/dagFiles/..%2Fwasmflow.db.yaml":  "leaves the DAGs folder",
		"/api/v1/dagFiles/modules/echo.wasm":      "is not a DAG file",
		"/api/v1/dagFiles/.secret/x.yaml":         "hidden segment",
		"/api/v1/dagFiles/etl%5Cx.yaml":           "backslash",
		"/api/v1/dagFiles/%2Fetc%2Fx.yaml":        "",
		"/api/v1/dagFiles/etl/..%2F..%2Fx.yaml":   "leaves the DAGs folder",
		"/api/v1/dagFiles/modules.yaml/..%2F.yml": "",
	} {
		r := e.call("GET", path, "", e.as("op"))
		if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), words) {
			t.Errorf("GET %s: %d %s, want 400 saying %q", path, r.status, r.body, words)
		}
	}

	// Create: 201, the DAG is listed at once with its file_path, and the save is audited.
	save := func(path, content, base string) resp {
		return e.call("PUT", "/api/v1/dagFiles/"+path, body(map[string]string{"content": content, "base_sha256": base}), e.as("op"))
	}
	r := save("etl/fresh.yaml", newDag, "")
	created := jsonOf[map[string]string](t, r)
	if r.status != http.StatusCreated || created["path"] != "etl/fresh.yaml" || created["dag_id"] != "fresh" || created["sha256"] != sha([]byte(newDag)) {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if b, _ := os.ReadFile(filepath.Join(dags, "etl", "fresh.yaml")); string(b) != newDag {
		t.Errorf("the file on disk: %q", b)
	}
	list := get[dagList](e, "/api/v1/dags")
	if !reflect.DeepEqual(ids(list.Dags), []string{"flaky", "fresh", "naps", "pipe", "quiet"}) {
		t.Errorf("after the save, /dags lists %v", ids(list.Dags))
	}
	fresh := get[map[string]any](e, "/api/v1/dags/fresh")
	if fresh["file_path"] != "etl/fresh.yaml" || fresh["fileloc"] != filepath.Join(dags, "etl", "fresh.yaml") {
		t.Errorf("GET /dags/fresh: file_path %v, fileloc %v", fresh["file_path"], fresh["fileloc"])
	}
	if p := get[map[string]any](e, "/api/v1/dags/pipe"); p["file_path"] != "pipe.yaml" {
		t.Errorf("pipe's file_path: %v", p["file_path"])
	}
	events := get[struct {
		EventLogs []struct {
			Event, Owner, Extra string
			DagID               string `json:"dag_id"`
		} `json:"event_logs"`
	}](e, "/api/v1/eventLogs")
	if ev := events.EventLogs[0]; ev.Event != "dag_file.save" || ev.Owner != "op" || ev.DagID != "fresh" || ev.Extra != "etl/fresh.yaml" {
		t.Errorf("the audit log's newest event: %+v", ev)
	}

	// Create over an existing file: 409 with its sha256, the file untouched.
	r = save("pipe.yaml", strings.Replace(baseDags["pipe.yaml"], "extract, transform, load", "replaced", 1), "")
	conflict := jsonOf[detailed](t, r)
	checkProblem(t, "create over pipe.yaml", r, http.StatusConflict, `DAG file "pipe.yaml" already exists`)
	if conflict.CurrentSHA256 == nil || *conflict.CurrentSHA256 != pipe.SHA256 {
		t.Errorf("create over pipe.yaml: current_sha256 %v, want %s", conflict.CurrentSHA256, pipe.SHA256)
	}
	if b, _ := os.ReadFile(filepath.Join(dags, "pipe.yaml")); string(b) != baseDags["pipe.yaml"] {
		t.Errorf("pipe.yaml changed by a refused create: %q", b)
	}

	// Changed on disk after it was read: the old base gets 409 with the current sha256, which
	// then overwrites.
	opened := jsonOf[dagFile](t, e.want(http.StatusOK, "GET", "/api/v1/dagFiles/etl/fresh.yaml", "", e.as("op")))
	onDisk := strings.Replace(newDag, "args: [hi]", "args: [edited by hand]", 1)
	writeFile(t, filepath.Join(dags, "etl", "fresh.yaml"), onDisk)
	mine := strings.Replace(newDag, "args: [hi]", "args: [edited in the editor]", 1)
	r = save("etl/fresh.yaml", mine, opened.SHA256)
	stale := jsonOf[detailed](t, r)
	checkProblem(t, "save over a change on disk", r, http.StatusConflict, "changed on disk since you opened it")
	if stale.CurrentSHA256 == nil || *stale.CurrentSHA256 != sha([]byte(onDisk)) {
		t.Fatalf("current_sha256 %v, want the sha256 of what is on disk", stale.CurrentSHA256)
	}
	if b, _ := os.ReadFile(filepath.Join(dags, "etl", "fresh.yaml")); string(b) != onDisk {
		t.Errorf("a refused save changed the file: %q", b)
	}
	r = save("etl/fresh.yaml", mine, strings.ToUpper(*stale.CurrentSHA256))
	if r.status != http.StatusOK || jsonOf[map[string]string](t, r)["sha256"] != sha([]byte(mine)) {
		t.Errorf("overwrite with the current sha256: %d %s", r.status, r.body)
	}
	if b, _ := os.ReadFile(filepath.Join(dags, "etl", "fresh.yaml")); string(b) != mine {
		t.Errorf("after the overwrite: %q", b)
	}

	// Invalid: 422 with the problems, nothing written.
	r = save("etl/fresh.yaml", strings.Replace(mine, "upstream: [first]", "upstream: [second]", 1), sha([]byte(mine)))
	invalid := jsonOf[detailed](t, r)
	checkProblem(t, "an invalid save", r, http.StatusUnprocessableEntity, `DAG file "etl/fresh.yaml" was not saved: line 5`, "fix the problems listed")
	if len(invalid.Problems) != 1 || invalid.Problems[0].Line != 5 || !strings.Contains(invalid.Problems[0].Message, "lists itself as upstream") {
		t.Errorf("422 problems: %+v", invalid.Problems)
	}
	if b, _ := os.ReadFile(filepath.Join(dags, "etl", "fresh.yaml")); string(b) != mine {
		t.Errorf("an invalid save changed the file: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dags, "etl", "other.yaml")); err == nil {
		t.Error("an invalid create wrote a file")
	}

	// Deleted since it was opened: 409 with current_sha256 "", and a create brings it back.
	if err := os.Remove(filepath.Join(dags, "etl", "fresh.yaml")); err != nil {
		t.Fatal(err)
	}
	r = save("etl/fresh.yaml", mine, sha([]byte(mine)))
	gone := jsonOf[detailed](t, r)
	checkProblem(t, "save of a deleted file", r, http.StatusConflict, "was deleted since you opened it")
	if gone.CurrentSHA256 == nil || *gone.CurrentSHA256 != "" {
		t.Errorf("deleted: current_sha256 %v, want \"\"", gone.CurrentSHA256)
	}
	e.want(http.StatusCreated, "PUT", "/api/v1/dagFiles/etl/fresh.yaml", body(map[string]string{"content": mine}), e.as("op"))

	e.problem(http.StatusBadRequest, "PUT", "/api/v1/dagFiles/x.yaml", body(map[string]string{"content": newDag, "base_sha256": "abc"}), e.as("op"), `base_sha256 "abc" is not a sha256`)
	e.problem(http.StatusBadRequest, "PUT", "/api/v1/dagFiles/x.yaml", `{"base_sha256":""}`, e.as("op"), `send {"content"`)
	e.problem(http.StatusBadRequest, "PUT", "/api/v1/dagFiles/..%2Fx.yaml", body(map[string]string{"content": newDag}), e.as("op"), "leaves the DAGs folder")
	if _, err := os.Stat(filepath.Join(e.home, "x.yaml")); err == nil {
		t.Error("a save wrote outside the DAGs folder")
	}
}

// Two saves from one base at once: exactly one 200, one 409.
func TestConcurrentSavesFromOneBase(t *testing.T) {
	e := newEnv(t, nil)
	base := sha([]byte(baseDags["quiet.yaml"]))
	codes := make([]int, 2)
	var wg sync.WaitGroup
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			content := strings.Replace(baseDags["quiet.yaml"], "paused at creation", "edit "+string(rune('A'+i)), 1)
			codes[i] = e.call("PUT", "/api/v1/dagFiles/quiet.yaml", body(map[string]string{"content": content, "base_sha256": base}), e.as("op")).status
		}()
	}
	wg.Wait()
	if !(codes[0] == http.StatusOK && codes[1] == http.StatusConflict) && !(codes[0] == http.StatusConflict && codes[1] == http.StatusOK) {
		t.Errorf("two saves from one base answered %v, want one 200 and one 409", codes)
	}
}

// tinyModule is a WebAssembly module with one function of type () -> () exported as export,
// after imports ("module.name") of the same type: the modules a compiler would not write.
func tinyModule(export string, imports ...string) []byte {
	vec := func(items ...[]byte) []byte { return append([]byte{byte(len(items))}, bytes.Join(items, nil)...) }
	name := func(s string) []byte { return append([]byte{byte(len(s))}, s...) }
	section := func(id byte, payload []byte) []byte { return append([]byte{id, byte(len(payload))}, payload...) }
	var ims [][]byte
	for _, im := range imports {
		mn, fn, _ := strings.Cut(im, ".")
		ims = append(ims, bytes.Join([][]byte{name(mn), name(fn), {0x00, 0x00}}, nil))
	}
	out := []byte("\x00asm\x01\x00\x00\x00")
	out = append(out, section(1, vec([]byte{0x60, 0x00, 0x00}))...) // type 0: () -> ()
	if len(ims) > 0 {
		out = append(out, section(2, vec(ims...))...)
	}
	out = append(out, section(3, vec([]byte{0x00}))...)                               // func: type 0
	out = append(out, section(7, vec(append(name(export), 0x00, byte(len(ims)))))...) // export it
	return append(out, section(10, vec([]byte{0x02, 0x00, 0x0b}))...)                 // no locals, end
}

func TestModules(t *testing.T) {
	e := newEnv(t, nil)
	wasm := noopWasm(t)
	sum := sha(wasm)
	r := e.upload("?name=noop.wasm", "application/wasm", wasm, e.as("op"))
	first := jsonOf[moduleInfo](t, r)
	want := moduleInfo{Path: "modules/noop.wasm", Name: "noop.wasm", SHA256: sum, Size: int64(len(wasm)), Ref: "modules/noop.wasm"}
	if r.status != http.StatusCreated || first != want {
		t.Fatalf("upload: %d %+v, want 201 %+v", r.status, first, want)
	}
	if b, _ := os.ReadFile(filepath.Join(e.home, "dags", "modules", "noop.wasm")); !bytes.Equal(b, wasm) {
		t.Error("the stored module differs from the upload")
	}
	r = e.upload("?name=noop.wasm", "application/octet-stream", wasm, e.as("op"))
	if again := jsonOf[moduleInfo](t, r); r.status != http.StatusOK || again != want {
		t.Errorf("the same upload again: %d %+v, want 200 and the same module", r.status, again)
	}
	// The name is reduced to a safe base name.
	r = e.upload("?name=..%2F..%2Fbuild%2Fmy%20task.wasm", "", wasm, e.as("op"))
	if m := jsonOf[moduleInfo](t, r); r.status != http.StatusCreated || m.Path != "modules/my_task.wasm" {
		t.Errorf("a name with folders and a space: %d %+v", r.status, m)
	}
	// Another module under a name that is taken gets the name and the start of its sha256: what
	// a DAG already runs never changes.
	other := tinyModule("_start")
	r = e.upload("?name=noop.wasm", "application/wasm", other, e.as("op"))
	if m := jsonOf[moduleInfo](t, r); r.status != http.StatusCreated || m.Path != "modules/noop-"+sha(other)[:8]+".wasm" || m.Name != "noop-"+sha(other)[:8]+".wasm" {
		t.Errorf("another noop.wasm: %d %+v, want modules/noop-<sha8>.wasm", r.status, m)
	}
	if b, _ := os.ReadFile(filepath.Join(e.home, "dags", "modules", "noop.wasm")); !bytes.Equal(b, wasm) {
		t.Error("importing another noop.wasm replaced the first")
	}

	for _, c := range []struct {
		query, ct string
		wasm      []byte
		words     string
	}{
		{"?name=x.wasm", "application/wasm", []byte("MZ\x90\x00 not wasm at all"), "does not start with \\0asm"},
		{"?name=x.wasm", "application/wasm", wasm[:len(wasm)-20], "does not compile"},
		{"?name=lib.wasm", "application/wasm", tinyModule("_initialize"), "lib.wasm cannot run as a task: no _start export"},
		{"?name=p2.wasm", "application/wasm", tinyModule("_start", "wasi_snapshot_preview2.fd_write"),
			"imports the host does not provide: wasi_snapshot_preview2.fd_write"},
		{"?name=env.wasm", "application/wasm", tinyModule("_start", "env.now"), "imports the host does not provide: env.now"},
		{"?name=x.wasm", "multipart/form-data; boundary=x", wasm, "send the module's raw bytes"},
		{"", "application/wasm", wasm, "give the module's file name"},
		{"?name=x.txt", "application/wasm", wasm, `module name "x.txt" does not end in .wasm`},
	} {
		checkProblem(t, "upload "+c.query+" "+c.ct, e.upload(c.query, c.ct, c.wasm, e.as("op")), http.StatusBadRequest, c.words)
	}

	// Over 64 MiB: 413, whether the size is announced or only read.
	big := make([]byte, 64<<20+1)
	copy(big, wasm)
	checkProblem(t, "a 64 MiB + 1 upload", e.upload("?name=big.wasm", "application/wasm", big, e.as("op")), http.StatusRequestEntityTooLarge, "larger than 64 MiB")
	req, _ := http.NewRequest("POST", e.ts.URL+"/api/v1/modules?name=big.wasm", io.MultiReader(bytes.NewReader(big))) // no Content-Length
	e.as("op")(req)
	if res, err := e.ts.Client().Do(req); err != nil {
		t.Logf("a streamed 64 MiB + 1 upload: the connection failed before an answer: %v", err)
	} else {
		if res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("a streamed 64 MiB + 1 upload: %d, want 413", res.StatusCode)
		}
		res.Body.Close()
	}

	// The list: every module, by path, with refs from a DAG file's folder.
	type modules struct {
		Modules []moduleInfo `json:"modules"`
	}
	echo, _ := os.ReadFile(filepath.Join(e.home, "dags", "modules", "echo.wasm"))
	if err := os.Mkdir(filepath.Join(e.home, "dags", ".hidden"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(e.home, "dags", ".hidden", "skip.wasm"), "x")
	writeFile(t, filepath.Join(e.home, "dags", "modules", ".skip.wasm"), "x")
	l := jsonOf[modules](t, e.want(http.StatusOK, "GET", "/api/v1/modules?relative_to=etl/daily/x.yaml", "", e.as("op")))
	var paths []string
	for _, m := range l.Modules {
		paths = append(paths, m.Path)
	}
	wantPaths := []string{"modules/echo.wasm", "modules/flaky.wasm", "modules/my_task.wasm", "modules/noop-" + sha(other)[:8] + ".wasm", "modules/noop.wasm", "modules/sleep.wasm", "modules/xcom_write.wasm"}
	if !reflect.DeepEqual(paths, wantPaths) {
		t.Fatalf("modules %v, want %v", paths, wantPaths)
	}
	if m := l.Modules[4]; m.Ref != "../../modules/noop.wasm" || m.SHA256 != sum || m.Size != int64(len(wasm)) || m.Name != "noop.wasm" {
		t.Errorf("noop.wasm relative to etl/daily/x.yaml: %+v", m)
	}
	if m := l.Modules[0]; m.Ref != "../../modules/echo.wasm" || m.SHA256 != sha(echo) || m.Size != int64(len(echo)) {
		t.Errorf("echo.wasm relative to etl/daily/x.yaml: %+v", m)
	}
	if top := jsonOf[modules](t, e.want(http.StatusOK, "GET", "/api/v1/modules", "", e.as("op"))); top.Modules[1].Ref != top.Modules[1].Path {
		t.Errorf("without relative_to the ref is the path: %+v", top.Modules[1])
	}
	// A ref is what a DAG file there writes: it validates.
	dag := "dag_id: uses_noop\ntasks:\n  - {id: t, module: " + l.Modules[4].Ref + "}\n"
	if c := jsonOf[dagFileCheck](t, e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"path": "etl/daily/x.yaml", "content": dag}), e.as("op"))); !c.Valid {
		t.Errorf("a DAG using the ref: %+v", c.Problems)
	}
	e.problem(http.StatusBadRequest, "GET", "/api/v1/modules?relative_to=../x.yaml", "", e.as("op"), "leaves the DAGs folder")

	events := get[struct {
		EventLogs []struct{ Event, Owner, Extra string } `json:"event_logs"`
	}](e, "/api/v1/eventLogs")
	if ev := events.EventLogs[0]; ev.Event != "module.upload" || ev.Owner != "op" || ev.Extra != "modules/noop-"+sha(other)[:8]+".wasm" {
		t.Errorf("the audit log's newest event: %+v", ev)
	}
}

// The example DAGs' modules are offered and copied into the DAGs folder on demand, so a home
// with no module of its own can start a DAG from one.
func TestExampleModules(t *testing.T) {
	e := newEnv(t, nil)
	l := jsonOf[struct {
		Examples []string `json:"examples"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/modules", "", e.as("op")))
	if !slices.Contains(l.Examples, "echo.wasm") || !slices.Contains(l.Examples, "sleep.wasm") {
		t.Fatalf("examples offered: %v", l.Examples)
	}
	e.want(http.StatusForbidden, "POST", "/api/v1/modules/examples/sum.wasm", "", e.as("user"))
	r := e.want(http.StatusCreated, "POST", "/api/v1/modules/examples/sum.wasm", "", e.as("op"))
	if m := jsonOf[moduleInfo](t, r); m.Path != "modules/sum.wasm" || m.Ref != "modules/sum.wasm" {
		t.Errorf("the copied example: %+v", m)
	}
	if _, err := os.Stat(filepath.Join(e.home, "dags", "modules", "sum.wasm")); err != nil {
		t.Errorf("sum.wasm is not in the DAGs folder: %v", err)
	}
	e.want(http.StatusOK, "POST", "/api/v1/modules/examples/sum.wasm", "", e.as("op")) // there already
	e.problem(http.StatusNotFound, "POST", "/api/v1/modules/examples/nope.wasm", "", e.as("op"), "echo.wasm")
}
