package scheduler

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/operators"
)

// Workload is one try of a module task, rendered and ready for an executor: everything the
// node that runs it needs, and nothing it would have to look up.
type Workload struct {
	DagID       string
	RunID       string
	TaskID      string
	MapIndex    int // a mapped task instance's; -1 for the others
	TryNumber   int
	LogicalDate time.Time

	ModulePath string // the .wasm file on the scheduler's machine
	Args       []string
	Env        map[string]string // the task's env plus the WASMFLOW_* variables of SPEC.md §4
	Stdin      string
	Mounts     []Mount
	// MountRoots are the folders the mounts were checked against (the DAG's), for the worker
	// that runs the try to check them again against its own file system.
	MountRoots tasks.MountRoots
	// Secrets are the values the render took from Variables (and, later, connections): whoever
	// shows the rendered fields masks them for roles that may not read them. Not sent to workers.
	Secrets *tasks.Secrets `json:"-"`

	// Grants are the task's connections, allow_hosts and secrets (SPEC.md §8), by id.
	Grants tasks.Grants
	// Connections are the connections the grants name, read when the try starts with their
	// secrets decrypted (ResolveGrants). Never encoded with the workload: a worker gets them
	// in its submit request, over the sealed data channel.
	Connections map[string]tasks.Connection `json:"-"`

	MemoryLimit int64
	MountQuota  int64 // 0: the runtime's (core.mount_quota)
	Timeout     time.Duration
	Queue       string
	Pool        string
	PoolSlots   int
}

// Mount is a host folder granted to a try, with its host path resolved.
type Mount struct {
	Host     string
	Guest    string
	ReadOnly bool
	// Within is the allowed folder (one of the DAG's mount roots, resolved) that Host was
	// found inside by PrepareMounts; the runtime opens Host through it, so a folder swapped
	// for a link after the check cannot lead out. Empty until PrepareMounts ran.
	Within string `json:",omitempty"`
}

// Key names the task instance the workload is a try of.
func (w Workload) Key() TIKey { return TIKey{w.DagID, w.RunID, w.TaskID, w.MapIndex} }

// TryContext is what a try is rendered against: its run and try, and the lookups templates use.
type TryContext struct {
	RunID     string
	TryNumber int
	// MapIndex and Item are a mapped task instance's position and element of its expand list
	// (-1 and nil for any other task instance).
	MapIndex          int
	Item              any
	LogicalDate       time.Time
	DataIntervalStart time.Time
	DataIntervalEnd   time.Time
	Conf              map[string]any
	// TriggeringDatasetEvents are a dataset-triggered run's events by URI (nil in others).
	TriggeringDatasetEvents map[string][]map[string]any
	// Lookups; nil means "absent" (see tasks.Env.Defaults).
	XCom        func(taskID string, key ...string) any
	Var         func(name string, def ...any) any
	TaskState   func(taskID string) string
	DagRunState func(dagID string, logicalDate any) string
	Now         func() time.Time
	// State, Reason and LogURL are a callback's event (see CallbackRequest); empty for a task.
	State, Reason, LogURL string

	vars *varUse // set by record: what the render takes from Variables is masked
}

// Env builds the expression environment of task t in this try. file_exists answers through
// the task's mounts, by guest path, so a sensor sees exactly what its module would.
func (c TryContext) Env(d *tasks.DAG, t *tasks.Task) (tasks.Env, []Mount, error) {
	env := tasks.NewEnv(d, t.TaskID, c.RunID, c.TryNumber, c.LogicalDate, c.DataIntervalStart, c.DataIntervalEnd, c.Conf)
	env.XCom, env.Var, env.TaskState, env.DagRunState, env.Now = c.XCom, c.Var, c.TaskState, c.DagRunState, c.Now
	env.MapIndex, env.Item, env.TriggeringDatasetEvents = c.MapIndex, c.Item, c.TriggeringDatasetEvents
	env.State, env.Reason, env.LogURL = c.State, c.Reason, c.LogURL
	env = env.Defaults()
	mounts, err := renderMounts(d, t, env, c.vars)
	if err != nil {
		return env, nil, err
	}
	env.FileExists = func(guest string) bool { return statInMount(mounts, guest) == nil }
	return env, mounts, nil
}

// RenderWorkload renders task t of DAG d for one try: its args, env, stdin and mounts.
// A template that fails (an XCom of the wrong type, a missing param's field) is an error that
// fails the try with that message; the Workload returned with it holds only the Secrets used.
func RenderWorkload(d *tasks.DAG, t *tasks.Task, c TryContext) (Workload, error) {
	if t.Module == "" {
		return Workload{}, fmt.Errorf("task %s has no module: it is evaluated by the scheduler, not run", t.TaskID)
	}
	vars := c.record()
	secrets := vars.secrets
	failed := Workload{Secrets: secrets} // the error may quote a value: who shows it masks them
	env, mounts, err := c.Env(d, t)
	if err != nil {
		return failed, err
	}
	w := Workload{
		DagID: d.DagID, RunID: c.RunID, TaskID: t.TaskID, MapIndex: c.MapIndex, TryNumber: c.TryNumber, LogicalDate: c.LogicalDate,
		ModulePath: t.Module, Mounts: mounts, MountRoots: d.MountRoots(), MemoryLimit: t.MemoryLimit, MountQuota: t.MountQuota,
		Timeout: t.ExecTimeout, Queue: t.Queue, Pool: t.Pool, PoolSlots: t.PoolSlots, Env: map[string]string{}, Secrets: secrets,
		Grants: t.Grants,
	}
	for i, a := range t.Args {
		s, err := vars.render(a, env)
		if err != nil {
			return failed, fmt.Errorf("render args[%d] %q: %w", i, a.Raw, err)
		}
		w.Args = append(w.Args, s)
	}
	for k, tpl := range t.Env {
		s, err := vars.render(tpl, env)
		if err != nil {
			return failed, fmt.Errorf("render env %s %q: %w", k, tpl.Raw, err)
		}
		w.Env[k] = s
	}
	if w.Stdin, err = vars.render(t.Stdin, env); err != nil {
		return failed, fmt.Errorf("render stdin: %w", err)
	}
	if t.Operator != nil {
		if err := renderOperator(&w, d, t.Operator, env); err != nil {
			return failed, err
		}
	}
	conf, err := json.Marshal(env.Conf)
	if err != nil {
		return failed, fmt.Errorf("encode conf as WASMFLOW_CONF: %w", err)
	}
	if c.MapIndex >= 0 {
		w.Env["WASMFLOW_MAP_INDEX"] = strconv.Itoa(c.MapIndex)
	}
	for k, v := range map[string]string{
		"WASMFLOW_DAG_ID": d.DagID, "WASMFLOW_TASK_ID": t.TaskID, "WASMFLOW_RUN_ID": c.RunID,
		"WASMFLOW_TRY_NUMBER": strconv.Itoa(c.TryNumber), "WASMFLOW_LOGICAL_DATE": c.LogicalDate.Format(time.RFC3339),
		"WASMFLOW_DS": env.DS, "WASMFLOW_CONF": string(conf),
	} {
		w.Env[k] = v
	}
	return w, nil
}

// renderOperator points an operator task's workload at the operator's module and gives it its
// rendered fields as JSON on stdin (docs/operators.md).
func renderOperator(w *Workload, d *tasks.DAG, call *tasks.OperatorCall, env tasks.Env) error {
	path, err := operators.ModulePath(call.Name)
	if err != nil {
		return err
	}
	in, err := tasks.RenderOperator(call, d.Fileloc, env)
	if err != nil {
		return fmt.Errorf("operator %s: %w", call.Name, err)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("operator %s: encode its input: %w", call.Name, err)
	}
	w.ModulePath, w.Stdin = path, string(b)
	return nil
}

// varUse records what a try's templates and expressions took from Variables, into secrets:
// every value var() answers from a Variable, and every text derived from one. Masking by the
// Variable's value alone misses what a template makes of it (toBase64, a field of fromJSON,
// upper, a slice), so each `{{ }}` part or expression that called var() adds what it produced
// too, or its error's text when it failed. The default a DAG file gives (var("x", "dflt")) is
// not a secret: whoever sees the render can read the file. A nil *varUse records nothing.
type varUse struct {
	secrets *tasks.Secrets
	calls   int // var() calls answered from a Variable so far
}

// record makes c's var() lookups count into a new varUse, which it returns.
func (c *TryContext) record() *varUse {
	u := &varUse{secrets: &tasks.Secrets{}}
	c.vars = u
	if lookup := c.Var; lookup != nil {
		c.Var = func(name string, def ...any) any {
			v := lookup(name, def...)
			if len(def) == 0 || def[0] != v {
				u.calls++
				if s, ok := v.(string); ok {
					u.secrets.Add(s)
				}
			}
			return v
		}
	}
	return u
}

// render renders t, each of its parts that called var() adding its text to the secrets.
func (u *varUse) render(t *tasks.Template, env tasks.Env) (string, error) {
	if u == nil {
		return t.Render(env)
	}
	seen := u.calls
	s, err := t.RenderWith(env, func(part string) {
		if u.calls > seen {
			u.secrets.Add(part)
		}
		seen = u.calls
	})
	if err != nil && u.calls > seen { // the part that failed read a Variable: its error may quote it
		u.secrets.Add(err.Error())
	}
	return s, err
}

// eval evaluates x; when it called var(), its value (as a template would insert it) and its
// error's text are secrets. A condition's true or false is not: the task's state tells it.
func (u *varUse) eval(x *tasks.Expr, env tasks.Env) (any, error) {
	seen := u.calls
	v, err := x.Eval(env)
	if u.calls > seen {
		if err != nil {
			u.secrets.Add(err.Error())
		} else if _, isBool := v.(bool); !isBool {
			u.secrets.Add(tasks.Stringify(v))
			if list, ok := v.([]any); ok { // a branch's task ids, which its errors quote one by one
				for _, item := range list {
					u.secrets.Add(tasks.Stringify(item))
				}
			}
		}
	}
	return v, err
}

// evalBool is tasks.Expr.EvalBool through eval.
func (u *varUse) evalBool(x *tasks.Expr, env tasks.Env) (bool, error) {
	v, err := u.eval(x, env)
	if err != nil {
		return false, err
	}
	b, ok := v.(bool)
	if !ok {
		return false, fmt.Errorf("evaluate %q: got %T, want true or false", x.Source, v)
	}
	return b, nil
}

// count is how many var() calls a Variable answered so far; 0 for a nil *varUse.
func (u *varUse) count() int {
	if u == nil {
		return 0
	}
	return u.calls
}

// mask is secrets.Mask; a nil *varUse masks nothing.
func (u *varUse) mask(text string) string {
	if u == nil {
		return text
	}
	return u.secrets.Mask(text)
}

// renderMounts renders each mount's host path, resolves it against the DAG file's folder and
// checks it leads into the DAG's mount roots (a param or XCom may hold "../../etc"). A missing
// host folder is created, so a sensor can wait for files to appear in it, but only once it is
// known to be inside.
func renderMounts(d *tasks.DAG, t *tasks.Task, env tasks.Env, vars *varUse) ([]Mount, error) {
	out := make([]Mount, 0, len(t.Mounts))
	derived := false // a host path took something from a Variable
	for _, m := range t.Mounts {
		seen := vars.count()
		host, err := vars.render(m.Host, env)
		derived = derived || vars.count() > seen
		if err != nil {
			return nil, fmt.Errorf("render mount %s: %w", m.Host.Raw, err)
		}
		if !filepath.IsAbs(host) {
			host = filepath.Join(filepath.Dir(d.Fileloc), host)
		}
		out = append(out, Mount{Host: host, Guest: m.Guest, ReadOnly: m.ReadOnly})
	}
	if err := PrepareMounts(d.MountRoots(), out); err != nil {
		if derived { // it quotes the host path and where its links lead, which the parts alone do not cover
			vars.secrets.Add(err.Error())
		}
		return nil, err
	}
	return out, nil
}

// PrepareMounts checks that every mount's host folder leads into roots, replaces it with the
// path it resolves to (so the runtime opens what was checked, not a link), and creates the
// folders that are missing. Nothing is created unless every mount is inside. It runs where the
// folders are: on the scheduler when a try is rendered, and again on the worker that runs it,
// whose links may differ.
func PrepareMounts(roots tasks.MountRoots, mounts []Mount) error {
	for i, m := range mounts {
		real, within, err := roots.ResolveWithin(m.Host)
		if err != nil {
			return fmt.Errorf("mount %s:%s: %w", m.Host, m.Guest, err)
		}
		mounts[i].Host, mounts[i].Within = real, within
	}
	for _, m := range mounts {
		if err := mkdirWithin(m.Within, m.Host); err != nil {
			return fmt.Errorf("mount %s:%s: %w", m.Host, m.Guest, err)
		}
	}
	return nil
}

// mkdirWithin creates the folder dir, and its missing parents, through the folder within it
// was checked to be inside: a link swapped in meanwhile fails it rather than create outside.
func mkdirWithin(within, dir string) error {
	rel, err := filepath.Rel(within, dir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(within, 0o755); err != nil { // an allowed folder not made yet
		return err
	}
	root, err := os.OpenRoot(within)
	if err != nil {
		return err
	}
	defer root.Close()
	return root.MkdirAll(rel, 0o755)
}

// HostPath maps a guest path to the host path behind it through the mounts; ok is false for a
// path outside every mount. ".." cannot climb out of a mount.
func HostPath(mounts []Mount, guest string) (string, bool) {
	dir, rest, ok := mountOf(mounts, guest)
	return filepath.Join(dir, rest), ok
}

// mountOf finds the mount of a guest path: its host folder, and the path below it ("." for
// the folder itself).
func mountOf(mounts []Mount, guest string) (dir, rest string, ok bool) {
	guest = filepath.Clean("/" + guest)
	for _, m := range mounts {
		if guest == m.Guest {
			return m.Host, ".", true
		}
		if rest, ok := strings.CutPrefix(guest, m.Guest+"/"); ok {
			return m.Host, rest, true
		}
	}
	return "", "", false
}

// statInMount stats a guest path as the task's module would see it: through the mount's folder
// opened as an os.Root, so a link the host put in it that leads out (absolute, or out through
// ..) is missing, as it is to the module (runtime/rootfs.go). A file_exists sensor must not
// tell a DAG's author what exists outside the folders it may mount.
func statInMount(mounts []Mount, guest string) error {
	dir, rest, ok := mountOf(mounts, guest)
	if !ok {
		return os.ErrNotExist
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return err
	}
	defer root.Close()
	_, err = root.Stat(rest)
	return err
}

// LogPath is where the log of one try is written: logs/<dag>/<run>/<task>/<try>.log, and for
// a mapped task instance logs/<dag>/<run>/<task>/map_index=<i>/<try>.log (Airflow's layout).
func LogPath(logsFolder string, key TIKey, try int) string {
	dir := filepath.Join(logsFolder, PathElem(key.DagID), PathElem(key.RunID), PathElem(key.TaskID))
	if key.MapIndex >= 0 {
		dir = filepath.Join(dir, fmt.Sprintf("map_index=%d", key.MapIndex))
	}
	return filepath.Join(dir, fmt.Sprintf("%d.log", try))
}

// A try's log holds whatever its module printed, secrets too: the logs folder, its folders and
// files are its owner's only (Airflow's served logs are not world-readable either).
const (
	LogFolderMode os.FileMode = 0o700
	LogFileMode   os.FileMode = 0o600
)

// OpenLog opens a try's log for appending (a sensor's pokes are one try, each adds to it),
// creating it and its folders owner-only.
func OpenLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), LogFolderMode); err != nil {
		return nil, err
	}
	return os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, LogFileMode)
}

// PathElem keeps an id usable as a path element; dag and task ids are already restricted to
// [A-Za-z0-9_.-], run ids to Airflow's characters, but an old row may hold anything.
func PathElem(s string) string {
	if s == "." || s == ".." || s == "" {
		return "_" + s
	}
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r == 0 {
			return '_'
		}
		return r
	}, s)
}

// appendLog adds a line to a try's log, for what the scheduler does itself: expression
// sensors and branches, run_if, sensor timeouts, lost tries.
func appendLog(logsFolder string, key TIKey, try int, line string) {
	if logsFolder == "" || try < 1 {
		return
	}
	f, err := OpenLog(LogPath(logsFolder, key, try))
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "[wasmflow] %s %s\n", time.Now().UTC().Format(time.RFC3339), line)
}
