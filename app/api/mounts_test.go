package api_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An Op writes DAG files; a mount is how a task sees host folders. Issue 24: `/:/host:ro`
// saved through the editor handed a task api.secret and /etc/shadow, in a log a Viewer reads.
func TestOpCannotMountOutsideTheDagsFolder(t *testing.T) {
	e := newEnv(t, nil)
	dags := filepath.Join(e.home, "dags")
	dag := func(mount string) string {
		return "dag_id: grab\nschedule: null\ntasks:\n  - id: cat\n    module: ../modules/echo.wasm\n    mounts: [\"" + mount + "\"]\n"
	}
	for _, c := range []struct{ mount, says string }{
		{"/:/host:ro", "host folder / is outside the folders mounts may use"},
		{"/tmp:/tmp", "host folder /tmp is outside the folders mounts may use"},
		{e.home + ":/home:ro", "is outside the folders mounts may use"},
		{"../..:/up:ro", `host folder "../.." has a ".." element`},
		{"data/../../../:/up", `has a ".." element`},
	} {
		content := dag(c.mount)
		r := e.call("PUT", "/api/v1/dagFiles/etl/grab.yaml", body(map[string]string{"content": content, "base_sha256": ""}), e.as("op"))
		p := jsonOf[detailed](t, r)
		if r.status != http.StatusUnprocessableEntity || len(p.Problems) != 1 || p.Problems[0].Line != 6 || p.Problems[0].Column != 15 ||
			!strings.Contains(p.Problems[0].Message, c.says) || !strings.Contains(p.Problems[0].Message, "core.allowed_mount_folders") {
			t.Errorf("PUT with mount %q: %d %s; want 422 at 6:15 saying %q and how to fix it", c.mount, r.status, r.body, c.says)
		}
		if _, err := os.Stat(filepath.Join(dags, "etl", "grab.yaml")); !os.IsNotExist(err) {
			t.Fatalf("PUT with mount %q: the file was written (%v)", c.mount, err)
		}
		check := jsonOf[dagFileCheck](t, e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"path": "etl/grab.yaml", "content": content}), e.as("op")))
		if check.Valid || len(check.Problems) != 1 || check.Problems[0].Line != 6 || !strings.Contains(check.Problems[0].Message, c.says) {
			t.Errorf("validate with mount %q: %+v", c.mount, check)
		}
	}
	// Inside the DAG file's folder is what mounts are for.
	if r := e.call("PUT", "/api/v1/dagFiles/etl/grab.yaml", body(map[string]string{"content": dag("data:/data:ro"), "base_sha256": ""}), e.as("op")); r.status != http.StatusCreated {
		t.Errorf("PUT with a mount inside the folder: %d %s", r.status, r.body)
	}
}

// A DAG file dropped into the DAGs folder gets an import error at the mount's line.
func TestMountOutsideIsAnImportError(t *testing.T) {
	e := newEnv(t, map[string]string{"grab.yaml": "dag_id: grab\ntasks:\n  - id: cat\n    module: modules/echo.wasm\n    mounts:\n      - data:/data\n      - /etc:/etc:ro\n      - ../:/home\n"})
	l := jsonOf[struct {
		ImportErrors []struct {
			Filename   string `json:"filename"`
			StackTrace string `json:"stack_trace"`
		} `json:"import_errors"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/importErrors", "", e.as("viewer")))
	var trace string
	for _, ie := range l.ImportErrors {
		if strings.HasSuffix(ie.Filename, "grab.yaml") {
			trace = ie.StackTrace
		}
	}
	for _, want := range []string{"grab.yaml:7:9: task \"cat\": mounts: host folder /etc is outside", `grab.yaml:8:9: task "cat": mounts: host folder "../" has a ".." element`} {
		if !strings.Contains(trace, want) {
			t.Errorf("import error of grab.yaml: %q, want it to contain %q", trace, want)
		}
	}
	if strings.Contains(trace, ":6:") {
		t.Errorf("data:/data is inside the folder, yet: %q", trace)
	}
}

// A templated host folder is checked once rendered, before anything is created: a run's conf
// is written by any User, and a link in the DAGs folder may point anywhere.
func TestRenderedMountOutsideFailsTheTry(t *testing.T) {
	outside := t.TempDir()
	e := newEnv(t, map[string]string{"inbox.yaml": `dag_id: inbox
schedule: null
is_paused_upon_creation: false
params: {dir: inbox}
tasks:
  - {id: read, module: modules/echo.wasm, args: [hi], mounts: ["{{ params.dir }}:/in"]}
  - {id: look, sensor: 'file_exists("/in/ready")', poke_interval: 1s, mounts: ["{{ params.dir }}:/in:ro"]}
`})
	dags := filepath.Join(e.home, "dags")
	if err := os.Symlink(outside, filepath.Join(dags, "link")); err != nil {
		t.Fatal(err)
	}
	e.startScheduler()
	escaped := filepath.Join(filepath.Dir(e.home), "escaped")
	for _, c := range []struct{ run, conf, says, notCreated string }{
		{"up", `{"dir": "../../escaped/x"}`, "host folder " + filepath.Join(dags, "../../escaped/x") + " is outside the folders mounts may use", escaped},
		{"abs", `{"dir": "` + escaped + `"}`, "is outside the folders mounts may use", escaped},
		{"linked", `{"dir": "link/sub"}`, "(it leads to " + filepath.Join(outside, "sub") + " through a symbolic link)", filepath.Join(outside, "sub")},
	} {
		e.trigger("inbox", c.run, c.conf)
		if run := e.waitRun("inbox", c.run); run.State != "failed" {
			t.Errorf("run %s: %s, want failed", c.run, run.State)
		}
		// A module task and an expression sensor (which would otherwise never see its file).
		for _, task := range []string{"read", "look"} {
			ti := e.tis("inbox", c.run)[task]
			if stateOf(ti) != "failed" || !strings.Contains(ti.Reason, c.says) || !strings.Contains(ti.Reason, "core.allowed_mount_folders") {
				t.Errorf("run %s, %s: %s, reason %q; want failed saying %q and how to fix it", c.run, task, stateOf(ti), ti.Reason, c.says)
			}
			log := e.want(http.StatusOK, "GET", "/api/v1/dags/inbox/dagRuns/"+c.run+"/taskInstances/"+task+"/logs/1", "", e.as("viewer"))
			if !strings.Contains(string(log.body), c.says) {
				t.Errorf("run %s, %s: the log %q does not say why", c.run, task, log.body)
			}
		}
		if _, err := os.Lstat(c.notCreated); !os.IsNotExist(err) {
			t.Errorf("run %s: %s was created outside the DAGs folder (%v)", c.run, c.notCreated, err)
		}
	}
	// The default stays inside, and its folder is made for the try.
	if err := os.MkdirAll(filepath.Join(dags, "inbox"), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dags, "inbox", "ready"), "")
	e.trigger("inbox", "fine", "")
	if run := e.waitRun("inbox", "fine"); run.State != "success" {
		t.Errorf("run fine: %s (%s)", run.State, e.tis("inbox", "fine")["read"].Reason)
	}
}

// An Admin lists a folder outside the DAGs folder; DAGs may then mount it by its absolute path.
func TestAdminListedMountFolder(t *testing.T) {
	shared := t.TempDir()
	if err := os.WriteFile(filepath.Join(shared, "hello.txt"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	dags := filepath.Join(home, "dags")
	if err := os.MkdirAll(filepath.Join(dags, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", "file_exists.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dags, "modules", "file_exists.wasm"), string(b))
	writeFile(t, filepath.Join(home, "wasmflow.toml"), "[core]\nallowed_mount_folders = \""+shared+"\"\n")
	content := "dag_id: shared\nschedule: null\nis_paused_upon_creation: false\ntasks:\n" +
		"  - {id: look, module: modules/file_exists.wasm, args: [/shared/hello.txt], mounts: [\"" + shared + ":/shared:ro\"]}\n"
	writeFile(t, filepath.Join(dags, "shared.yaml"), content)
	e := openEnv(t, home)

	check := jsonOf[dagFileCheck](t, e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"path": "shared.yaml", "content": content}), e.as("op")))
	if !check.Valid {
		t.Fatalf("a mount of the listed folder: %+v", check)
	}
	e.startScheduler()
	e.trigger("shared", "r1", "")
	if run := e.waitRun("shared", "r1"); run.State != "success" {
		t.Errorf("run: %s (%s)", run.State, e.tis("shared", "r1")["look"].Reason)
	}
	log := e.want(http.StatusOK, "GET", "/api/v1/dags/shared/dagRuns/r1/taskInstances/look/logs/1", "", e.as("viewer"))
	if !strings.Contains(string(log.body), "/shared/hello.txt found") {
		t.Errorf("the task did not see the listed folder: %q", log.body)
	}
	// A folder beside it is still refused.
	other := "dag_id: other\ntasks:\n  - {id: a, module: modules/file_exists.wasm, mounts: [\"" + filepath.Dir(shared) + ":/d\"]}\n"
	if c := jsonOf[dagFileCheck](t, e.want(http.StatusOK, "POST", "/api/v1/dagFiles/validate", body(map[string]string{"path": "other.yaml", "content": other}), e.as("op"))); c.Valid || len(c.Problems) != 1 || !strings.Contains(c.Problems[0].Message, "outside") {
		t.Errorf("the listed folder's parent: %+v", c)
	}
}

// A core.dags_folder that holds the home (~ with the home ~/.wasmflow) does not open the home
// to mounts: a DAG file mounting its folder "." is an import error, one that renders its way
// there fails its try, and no task reads api.secret; a data folder beside the home still mounts.
func TestDagsFolderHoldingTheHome(t *testing.T) {
	root := t.TempDir()
	home := filepath.Join(root, ".wasmflow")
	if err := os.MkdirAll(filepath.Join(root, "modules"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join("..", "..", "examples", "dags", "modules", "file_exists.wasm"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(root, "modules", "file_exists.wasm"), string(b))
	writeFile(t, filepath.Join(home, "wasmflow.toml"), "[core]\ndags_folder = \""+root+"\"\n")
	dag := func(id, mount, path string) string {
		return "dag_id: " + id + "\nschedule: null\nis_paused_upon_creation: false\nparams: {dir: .}\ntasks:\n" +
			"  - {id: look, module: modules/file_exists.wasm, args: [" + path + "], mounts: [\"" + mount + "\"]}\n"
	}
	writeFile(t, filepath.Join(root, "grab.yaml"), dag("grab", ".:/host:ro", "/host/.wasmflow/api.secret"))
	writeFile(t, filepath.Join(root, "rendered.yaml"), dag("rendered", "{{ params.dir }}:/host:ro", "/host/.wasmflow/api.secret"))
	writeFile(t, filepath.Join(root, "inside.yaml"), dag("inside", ".wasmflow/logs:/logs:ro", "/logs"))
	writeFile(t, filepath.Join(root, "data", "hello.txt"), "hi")
	writeFile(t, filepath.Join(root, "fine.yaml"), dag("fine", "data:/data:ro", "/data/hello.txt"))
	e := openEnv(t, home)

	l := jsonOf[struct {
		ImportErrors []struct {
			Filename   string `json:"filename"`
			StackTrace string `json:"stack_trace"`
		} `json:"import_errors"`
	}](t, e.want(http.StatusOK, "GET", "/api/v1/importErrors", "", e.as("viewer")))
	traces := map[string]string{}
	for _, ie := range l.ImportErrors {
		traces[filepath.Base(ie.Filename)] = ie.StackTrace
	}
	for file, want := range map[string]string{
		"grab.yaml":   "mounts: host folder " + root + " holds " + home + ", the wasmflow home",
		"inside.yaml": "mounts: host folder " + filepath.Join(home, "logs") + " is inside " + home + ", the wasmflow home",
	} {
		if !strings.Contains(traces[file], want) || !strings.Contains(traces[file], "core.allowed_mount_folders") {
			t.Errorf("import error of %s: %q, want %q and how to fix it", file, traces[file], want)
		}
	}
	for _, file := range []string{"rendered.yaml", "fine.yaml"} {
		if traces[file] != "" {
			t.Errorf("%s has an import error: %s", file, traces[file])
		}
	}

	e.startScheduler()
	e.trigger("rendered", "r1", "")
	if run := e.waitRun("rendered", "r1"); run.State != "failed" {
		t.Errorf("a run mounting the home through a template: %s, want failed", run.State)
	}
	if ti := e.tis("rendered", "r1")["look"]; !strings.Contains(ti.Reason, "the wasmflow home") {
		t.Errorf("its try: %s, reason %q; want it refused as reaching the home", stateOf(ti), ti.Reason)
	}
	log := e.want(http.StatusOK, "GET", "/api/v1/dags/rendered/dagRuns/r1/taskInstances/look/logs/1", "", e.as("viewer"))
	if strings.Contains(string(log.body), "api.secret found") {
		t.Errorf("the task read api.secret: %q", log.body)
	}
	e.trigger("fine", "r1", "")
	if run := e.waitRun("fine", "r1"); run.State != "success" {
		t.Errorf("a mount of a data folder beside the home: %s (%s)", run.State, e.tis("fine", "r1")["look"].Reason)
	}
}
