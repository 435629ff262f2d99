package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// DAG authoring: reading, validating and saving DAG files in the DAGs folder, and listing and
// importing task modules, for the editor of the web views and the desktop window. Every path
// is relative to the DAGs folder, '/'-separated, and checked to stay inside it.

const (
	// DefaultDagFilePath is where a DAG being written is validated when no path is given yet.
	DefaultDagFilePath = "new_dag.yaml"
	// MaxModuleBytes caps an imported module.
	MaxModuleBytes = 64 << 20
	// ModulesFolder is where imported modules are stored, under the DAGs folder.
	ModulesFolder = "modules"

	maxModuleDepth = 8    // folders below the DAGs folder the module list looks into
	maxModules     = 1000 // modules listed at most
)

// ErrInvalid marks a request refused for what it asks (a path outside the DAGs folder, bytes
// that are not a module): the caller's to fix, unlike a disk that fails.
var ErrInvalid = errors.New("invalid request")

// ErrTooLarge marks a module over MaxModuleBytes.
var ErrTooLarge = errors.New("too large")

// markedError is a message of its own that errors.Is still matches against a sentinel.
type markedError struct {
	msg  string
	mark error
}

func (e *markedError) Error() string { return e.msg }
func (e *markedError) Unwrap() error { return e.mark }

func marked(mark error, format string, args ...any) error {
	return &markedError{msg: fmt.Sprintf(format, args...), mark: mark}
}

// fileWrites serializes saves, so that two saves from one base cannot both pass the check of
// the file's current hash. One per process: saves are rare, and it also covers two Apps on
// one home.
var fileWrites sync.Mutex

// FileProblem is one thing wrong with a DAG file being written, at its line and column
// (1-based; 0 when it concerns the whole file).
type FileProblem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// DraftTask is a task as the editor's graph preview draws it.
type DraftTask struct {
	TaskID      string   `json:"task_id"`
	Upstream    []string `json:"upstream"`
	Kind        string   `json:"kind"` // module, sensor or branch
	TriggerRule string   `json:"trigger_rule"`
	Line        int      `json:"line"`
}

// DagFileCheck is what validating a DAG file found. Tasks are filled even when the file does
// not parse, from a loose reading of it, so that a preview keeps drawing while it is written.
type DagFileCheck struct {
	Valid    bool          `json:"valid"`
	DagID    *string       `json:"dag_id"`
	Problems []FileProblem `json:"problems"`
	Tasks    []DraftTask   `json:"tasks"`
}

// DagFile is a DAG file's text, to edit it.
type DagFile struct {
	Path    string  `json:"path"`
	Content string  `json:"content"`
	SHA256  string  `json:"sha256"` // of the bytes on disk: the base_sha256 of a later save
	DagID   *string `json:"dag_id"`
}

// SavedDagFile is a DAG file just saved.
type SavedDagFile struct {
	Path    string `json:"path"`
	SHA256  string `json:"sha256"`
	DagID   string `json:"dag_id"`
	Created bool   `json:"-"`
}

// ModuleInfo is a task module in the DAGs folder.
type ModuleInfo struct {
	Path   string `json:"path"` // relative to the DAGs folder
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Ref    string `json:"ref"` // what a DAG file's module: says for it, relative to that file's folder
}

// InvalidDagFileError refuses to save a DAG file that does not validate; nothing is written.
type InvalidDagFileError struct {
	Path     string
	Problems []FileProblem
}

func (e *InvalidDagFileError) Error() string {
	p, more := e.Problems[0], ""
	if n := len(e.Problems) - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more)", n)
	}
	return fmt.Sprintf("DAG file %q was not saved: line %d: %s%s; fix the problems listed and save again", e.Path, p.Line, p.Message, more)
}

func (e *InvalidDagFileError) Unwrap() error { return ErrInvalid }

// StaleFileError refuses a save made from a version of the file that is not the one on disk.
// CurrentSHA256 is the file's hash now ("" when it is gone): saving again with it as the base
// overwrites.
type StaleFileError struct {
	Path          string
	CurrentSHA256 string
	msg           string
}

func (e *StaleFileError) Error() string { return e.msg }
func (e *StaleFileError) Unwrap() error { return ErrConflict }

// ValidateDagFile validates content as the DAG file at rel (DefaultDagFilePath when ""), with
// the scheduler's own parser, so module paths resolve from that file's folder as they will
// when it runs. A dag_id another file defines already is a problem too.
func (a *App) ValidateDagFile(ctx context.Context, rel string, content []byte) (DagFileCheck, error) {
	if rel == "" {
		rel = DefaultDagFilePath
	}
	abs, err := a.resolve(rel, true)
	if err != nil {
		return DagFileCheck{}, err
	}
	return a.check(ctx, abs, content), nil
}

// ReadDagFile returns the DAG file at rel.
func (a *App) ReadDagFile(ctx context.Context, rel string) (DagFile, error) {
	abs, err := a.resolve(rel, true)
	if err != nil {
		return DagFile{}, err
	}
	if st, err := os.Stat(abs); err == nil && !st.Mode().IsRegular() {
		return DagFile{}, marked(ErrInvalid, "path %q is a folder, not a DAG file: give a file's path, like %s", rel, path.Join(rel, "my_dag.yaml"))
	}
	data, err := os.ReadFile(abs)
	if errors.Is(err, fs.ErrNotExist) {
		return DagFile{}, marked(scheduler.ErrNotFound, "DAG file %q not found in the DAGs folder: check the path (a DAG's file_path says where its file is), or save it to create it", rel)
	}
	if err != nil {
		return DagFile{}, fmt.Errorf("read DAG file %s: %w", rel, err)
	}
	return DagFile{Path: rel, Content: string(data), SHA256: digest(data), DagID: a.check(ctx, abs, data).DagID}, nil
}

// SaveDagFile writes content to the DAG file at rel once it validates, then syncs the DAG
// folder so the DAG shows at once. baseSHA256 is the hash of the version the change was made
// from, "" to create the file: a file that exists or changed since is a *StaleFileError, and
// a file that does not validate an *InvalidDagFileError. The write is atomic: readers see the
// old file or the new one, never part of it, and a create never replaces a file.
func (a *App) SaveDagFile(ctx context.Context, who Actor, rel string, content []byte, baseSHA256 string) (SavedDagFile, error) {
	abs, err := a.resolve(rel, true)
	if err != nil {
		return SavedDagFile{}, err
	}
	base := strings.ToLower(baseSHA256)
	if _, err := hex.DecodeString(base); err != nil || (base != "" && len(base) != 64) {
		return SavedDagFile{}, marked(ErrInvalid, "base_sha256 %q is not a sha256: send the sha256 the file was read with, or \"\" to create a new file", baseSHA256)
	}
	check := a.check(ctx, abs, content)
	if !check.Valid {
		return SavedDagFile{}, &InvalidDagFileError{Path: rel, Problems: check.Problems}
	}
	created, err := saveDagFile(abs, rel, content, base)
	if err != nil {
		return SavedDagFile{}, err
	}
	a.audit(ctx, who, "dag_file.save", scheduler.AuditEvent{DagID: *check.DagID, Extra: rel})
	if rep, err := a.SyncDags(ctx); err != nil {
		// The file is saved; the watcher or the next periodic sync picks it up.
		a.Log.Error("sync DAG folder after a save", "dag_id", *check.DagID, "path", rel, "err", err)
	} else {
		a.announce(rep)
	}
	return SavedDagFile{Path: rel, SHA256: digest(content), DagID: *check.DagID, Created: created}, nil
}

// saveDagFile writes the file if base is still its hash ("" = it must not exist).
func saveDagFile(abs, rel string, content []byte, base string) (created bool, err error) {
	fileWrites.Lock()
	defer fileWrites.Unlock()
	mode := fs.FileMode(0o644)
	cur, err := os.ReadFile(abs)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return false, fmt.Errorf("read DAG file %s: %w", rel, err)
	case base == "" && exists:
		return false, existsError(rel, cur)
	case base != "" && !exists:
		return false, &StaleFileError{Path: rel, msg: fmt.Sprintf("DAG file %q was deleted since you opened it: save it with base_sha256 \"\" to create it again", rel)}
	case base != "" && digest(cur) != base:
		now := digest(cur)
		return false, &StaleFileError{Path: rel, CurrentSHA256: now, msg: fmt.Sprintf("DAG file %q changed on disk since you opened it (its sha256 is now %s): reload it, or save again with base_sha256 %s to overwrite it", rel, now, now)}
	}
	if exists {
		if st, err := os.Stat(abs); err == nil {
			mode = st.Mode().Perm()
		}
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return false, fmt.Errorf("create the folder of %s: %w", rel, err)
	}
	err = writeAtomic(abs, content, mode, !exists)
	if errors.Is(err, fs.ErrExist) { // created by another writer since the check
		cur, _ := os.ReadFile(abs)
		return false, existsError(rel, cur)
	}
	if err != nil {
		return false, fmt.Errorf("write DAG file %s: %w", rel, err)
	}
	return !exists, nil
}

func existsError(rel string, cur []byte) error {
	return &StaleFileError{Path: rel, CurrentSHA256: digest(cur), msg: fmt.Sprintf("DAG file %q already exists: open it to change it, or save under another name", rel)}
}

// writeAtomic writes data to target through a temporary file in its folder, synced before it
// takes target's name, so a reader (the DAG folder watcher) never sees a partial file. With
// create, an existing target is never replaced: the error is then fs.ErrExist.
func writeAtomic(target string, data []byte, mode fs.FileMode, create bool) error {
	dir := filepath.Dir(target)
	// Hidden and not .yaml: the DAG folder sync ignores it.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	defer os.Remove(name) // gone already once linked over or renamed
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Chmod(mode)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if create {
		err = os.Link(name, target) // fails if target exists, unlike rename
		if err != nil && !errors.Is(err, fs.ErrExist) {
			err = claimAndRename(name, target) // a file system without hard links
		}
	} else {
		err = os.Rename(name, target)
	}
	if err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// claimAndRename creates target exclusively, then renames name over it: a create that never
// replaces a file where hard links are not supported. The empty file is briefly visible.
func claimAndRename(name, target string) error {
	f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	f.Close()
	return os.Rename(name, target)
}

// syncDir makes a rename in dir durable; where folders cannot be synced it is a no-op.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// announce tells the scheduler and the live views what a DAG folder sync changed (the
// scheduler's own sync loop, or a save from the editor): one event per DAG whose file changed,
// so a view of that DAG reloads it.
func (a *App) announce(rep scheduler.SyncReport) {
	if s := a.sched.Load(); s != nil {
		s.Wake()
	}
	for _, id := range append(append([]string{}, rep.Updated...), rep.Deactivated...) {
		a.Events.Publish(Event{Kind: "dag", DagID: id, Data: DagEvent{DagID: id}})
	}
}

// check validates content as the DAG file at abs.
func (a *App) check(ctx context.Context, abs string, content []byte) DagFileCheck {
	out := DagFileCheck{Problems: []FileProblem{}, Tasks: []DraftTask{}}
	opts := a.Dags.Parse // as the DAG folder sync will
	if ids, err := a.Store.ConnectionIDs(ctx); err == nil {
		opts.ConnectionExists = func(id string) bool { return ids[id] }
	}
	dag, err := tasks.ParseWith(abs, content, opts)
	var ve *tasks.ValidationError
	switch {
	case err == nil:
		out.DagID, out.Tasks = &dag.DagID, draftTasks(dag)
		if p, taken := a.dagIDTaken(ctx, dag); taken {
			out.Problems = append(out.Problems, p)
		}
	case errors.As(err, &ve):
		for _, p := range ve.Problems {
			out.Problems = append(out.Problems, FileProblem{Line: p.Line, Column: p.Column, Message: p.Message})
		}
		if !ve.OverBudget { // decoding a file the parser refused to read would cost what it spared
			out.DagID, out.Tasks = sketch(content)
		}
	default:
		out.Problems = append(out.Problems, FileProblem{Line: 1, Message: err.Error()})
	}
	out.Valid = len(out.Problems) == 0
	return out
}

func draftTasks(d *tasks.DAG) []DraftTask {
	out := make([]DraftTask, 0, len(d.Tasks))
	for _, t := range d.Tasks {
		out = append(out, DraftTask{TaskID: t.TaskID, Upstream: append([]string{}, t.Upstream...), Kind: string(t.Kind),
			TriggerRule: string(t.TriggerRule), Line: t.Pos.Line})
	}
	return out
}

// dagIDTaken reports a problem when another file defines d's dag_id already: the DAG folder
// sync would give this one an import error.
func (a *App) dagIDTaken(ctx context.Context, d *tasks.DAG) (FileProblem, bool) {
	rec, err := a.Store.GetDag(ctx, d.DagID)
	if err != nil || !rec.IsActive || rec.Fileloc == d.Fileloc {
		return FileProblem{}, false
	}
	where := filepath.Base(rec.Fileloc) + " (an example DAG; or set core.load_examples = false)"
	if rel := a.filePath(rec.Fileloc); rel != nil {
		where = *rel
	}
	return FileProblem{Line: d.DagIDPos.Line, Column: d.DagIDPos.Column,
		Message: fmt.Sprintf("dag_id %q is already defined in %s; dag_ids must be unique across the DAG folders: pick another one", d.DagID, where)}, true
}

// sketch reads a DAG file that does not validate as loosely as it can: its dag_id and its
// tasks' ids, upstream ids (those that name a task), kinds and lines. A YAML syntax error
// drops the lines from it on, so the part above still draws while a line is being typed.
func sketch(content []byte) (*string, []DraftTask) {
	text := bytes.TrimPrefix(content, []byte("\xef\xbb\xbf"))
	for range 3 {
		id, list, err := sketchText(text)
		var se *yaml.SyntaxError
		if err == nil || !errors.As(err, &se) || se.Token == nil || se.Token.Position == nil || se.Token.Position.Line <= 1 {
			return id, list
		}
		lines := bytes.SplitAfter(text, []byte("\n"))
		text = bytes.Join(lines[:min(se.Token.Position.Line-1, len(lines))], nil)
	}
	return nil, []DraftTask{}
}

func sketchText(text []byte) (*string, []DraftTask, error) {
	out := []DraftTask{}
	// The lines above a syntax error are a new file, which the parser never measured: goccy's
	// decoder costs what the budgets are there to spare (quadratic in the nesting depth,
	// exponential in aliases of aliases), so a cut that is over one draws nothing.
	if err := tasks.CheckBudget(text); err != nil {
		return nil, out, nil
	}
	var doc map[string]any
	if err := yaml.UnmarshalWithOptions(text, &doc, yaml.AllowDuplicateMapKey()); err != nil {
		return nil, out, err
	}
	file, err := parser.ParseBytes(text, 0)
	if err != nil {
		return nil, out, err
	}
	var dagID *string
	if s, ok := scalarText(doc["dag_id"]); ok {
		dagID = &s
	}
	rule := "all_success"
	if defaults, ok := doc["default_args"].(map[string]any); ok {
		if s, ok := scalarText(defaults["trigger_rule"]); ok {
			rule = s
		}
	}
	items, _ := doc["tasks"].([]any)
	seen := map[string]bool{}
	for i, it := range items {
		m, _ := it.(map[string]any)
		id, ok := scalarText(m["id"])
		if !ok || seen[id] {
			continue
		}
		seen[id] = true
		t := DraftTask{TaskID: id, Upstream: sketchUpstream(m["upstream"]), Kind: sketchKind(m), TriggerRule: rule, Line: itemLine(file, i)}
		if s, ok := scalarText(m["trigger_rule"]); ok {
			t.TriggerRule = s
		}
		out = append(out, t)
	}
	for i := range out {
		kept := []string{}
		for _, u := range out[i].Upstream {
			if seen[u] && u != out[i].TaskID && !slices.Contains(kept, u) {
				kept = append(kept, u)
			}
		}
		out[i].Upstream = kept
	}
	return dagID, out, nil
}

func sketchUpstream(v any) []string {
	if s, ok := scalarText(v); ok {
		return []string{s}
	}
	list, _ := v.([]any)
	var out []string
	for _, u := range list {
		if s, ok := scalarText(u); ok {
			out = append(out, s)
		}
	}
	return out
}

func sketchKind(m map[string]any) string {
	on := func(key string) bool { v, set := m[key]; return set && v != false && v != nil }
	switch {
	case on("branch"):
		return string(tasks.KindBranch)
	case on("sensor"):
		return string(tasks.KindSensor)
	}
	return string(tasks.KindModule)
}

// itemLine is the line of the i-th task in the file.
func itemLine(file *ast.File, i int) int {
	p, err := yaml.PathString(fmt.Sprintf("$.tasks[%d]", i))
	if err != nil {
		return 0
	}
	n, err := p.FilterFile(file)
	if err != nil || n == nil || n.GetToken() == nil || n.GetToken().Position == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

func scalarText(v any) (string, bool) {
	switch v.(type) {
	case string, int, int64, uint64, float64, bool:
		return fmt.Sprint(v), true
	}
	return "", false
}

// ListModules lists every .wasm file in the DAGs folder (hidden folders skipped, at most
// maxModuleDepth folders deep and maxModules files), by path. relativeTo, a DAG file's path,
// makes each module's Ref relative to that file's folder; "" to the DAGs folder.
func (a *App) ListModules(ctx context.Context, relativeTo string) ([]ModuleInfo, error) {
	from := "."
	if relativeTo != "" {
		if err := checkPath(relativeTo, true); err != nil {
			return nil, err
		}
		from = path.Dir(relativeTo)
	}
	root, err := a.dagsRoot()
	if err != nil {
		return nil, err
	}
	out := []ModuleInfo{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable folder or file: list the others
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if strings.Count(rel, "/") >= maxModuleDepth {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.EqualFold(path.Ext(rel), ".wasm") || (!d.Type().IsRegular() && staysInside(root, p) != nil) {
			return nil
		}
		m, err := moduleInfo(p, rel, from)
		if err != nil {
			return nil // a dangling link or a file removed meanwhile
		}
		out = append(out, m)
		if len(out) == maxModules {
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list modules in %s: %w", root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func moduleInfo(abs, rel, from string) (ModuleInfo, error) {
	f, err := os.Open(abs)
	if err != nil {
		return ModuleInfo{}, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return ModuleInfo{}, fmt.Errorf("%s is not a file", rel)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return ModuleInfo{}, err
	}
	ref, err := filepath.Rel(filepath.FromSlash(from), filepath.FromSlash(rel))
	if err != nil {
		ref = rel
	}
	return ModuleInfo{Path: rel, Name: path.Base(rel), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Ref: filepath.ToSlash(ref)}, nil
}

// ImportModule stores a task module in the DAGs folder at modules/<sha256>/<name>, where any
// DAG file can refer to it, after checking that it can run as a task (runtime.CheckModule).
// created is false when the same bytes were stored under that name already. The Ref of the
// answer is relative to the DAGs folder.
func (a *App) ImportModule(ctx context.Context, who Actor, name string, wasm []byte) (m ModuleInfo, created bool, err error) {
	if len(wasm) > MaxModuleBytes {
		return m, false, marked(ErrTooLarge, "module %s is %d MiB; modules of up to %d MiB can be imported", name, len(wasm)>>20, MaxModuleBytes>>20)
	}
	base, err := moduleName(name)
	if err != nil {
		return m, false, err
	}
	if err := checkModule(ctx, base, wasm); err != nil {
		return m, false, err
	}
	sum := digest(wasm)
	rel := path.Join(ModulesFolder, sum, base)
	abs, err := a.resolve(rel, false)
	if err != nil {
		return m, false, err
	}
	m = ModuleInfo{Path: rel, Name: base, SHA256: sum, Size: int64(len(wasm)), Ref: rel}
	fileWrites.Lock()
	defer fileWrites.Unlock()
	if cur, err := os.ReadFile(abs); err == nil && digest(cur) == sum {
		return m, false, nil
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
		return m, false, fmt.Errorf("create the folder of module %s: %w", rel, err)
	}
	// Replace, not create: a file there with other bytes is a damaged copy.
	if err := writeAtomic(abs, wasm, 0o644, false); err != nil {
		return m, false, fmt.Errorf("write module %s: %w", rel, err)
	}
	a.audit(ctx, who, "module.upload", scheduler.AuditEvent{Extra: rel})
	return m, true, nil
}

// moduleName makes a module's file name safe: its base name, with characters other than
// letters, digits, '.', '_' and '-' replaced, not hidden, ending in .wasm.
func moduleName(name string) (string, error) {
	base := name[strings.LastIndexAny(name, `/\`)+1:]
	base = strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-", r)) {
			return r
		}
		return '_'
	}, base)
	base = strings.TrimLeft(base, ".")
	if len(base) > 200 {
		base = base[len(base)-200:]
	}
	if !strings.HasSuffix(strings.ToLower(base), ".wasm") || len(base) == len(".wasm") {
		return "", marked(ErrInvalid, "module name %q does not end in .wasm: name it after the file, like transform.wasm", name)
	}
	return base, nil
}

// checkModule refuses bytes that cannot run as a task, with runtime.CheckModule's reason: not
// a core WebAssembly module, one that does not compile, without `_start`, or with imports other
// than WASI preview1 and the wasmflow host module. An upload is refused now rather than its
// first try failing later.
func checkModule(ctx context.Context, name string, wasm []byte) error {
	const fix = "import the .wasm file your build wrote, e.g. GOOS=wasip1 GOARCH=wasm go build -o task.wasm"
	if err := runtime.CheckModule(ctx, wasm); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return marked(ErrInvalid, "%s cannot run as a task: %v; %s", name, err, fix)
	}
	return nil
}

// dagsRoot is the DAGs folder, absolute, as the DAG files' Fileloc start.
func (a *App) dagsRoot() (string, error) {
	return filepath.Abs(a.Config.Core.DagsFolder)
}

// filePath is fileloc relative to the DAGs folder, nil when it is outside (an example DAG).
func (a *App) filePath(fileloc string) *string {
	root, err := a.dagsRoot()
	if err != nil {
		return nil
	}
	rel, err := filepath.Rel(root, fileloc)
	if err != nil {
		return nil
	}
	rel = filepath.ToSlash(rel)
	if checkPath(rel, true) != nil {
		return nil
	}
	return &rel
}

// resolve turns a path relative to the DAGs folder into an absolute one after checkPath, and
// refuses one that symbolic links lead outside the folder.
func (a *App) resolve(rel string, dagFile bool) (string, error) {
	if err := checkPath(rel, dagFile); err != nil {
		return "", err
	}
	root, err := a.dagsRoot()
	if err != nil {
		return "", err
	}
	abs := filepath.Join(root, filepath.FromSlash(rel))
	if err := staysInside(root, abs); err != nil {
		return "", marked(ErrInvalid, "path %q %v: wasmflow reads and writes only inside the DAGs folder; use a path whose folders are real folders there", rel, err)
	}
	return abs, nil
}

// checkPath refuses a path that could name something outside the DAGs folder or hidden from
// its sync: empty, absolute, with backslashes, '..', '.', empty or hidden segments. dagFile
// also asks for a DAG file's extension.
func checkPath(rel string, dagFile bool) error {
	example := "etl/" + path.Base(strings.ReplaceAll(rel, `\`, "/"))
	if !scheduler.IsDagFile(example) && dagFile {
		example = "etl/my_dag.yaml"
	}
	bad := func(why, fix string) error {
		return marked(ErrInvalid, "path %q %s: %s", rel, why, fix)
	}
	switch {
	case rel == "":
		return marked(ErrInvalid, "the path is empty: give the file's path inside the DAGs folder, like %s", example)
	case len(rel) > 1024:
		return bad("is longer than 1024 characters", "use a shorter one")
	case strings.ContainsRune(rel, '\\'):
		return bad("has a backslash", "separate folders with /, like "+example)
	case strings.HasPrefix(rel, "/") || filepath.IsAbs(rel) || filepath.VolumeName(filepath.FromSlash(rel)) != "":
		return bad("is absolute", "give it relative to the DAGs folder, like "+example)
	case strings.ContainsFunc(rel, unicode.IsControl):
		return bad("has a control character", "use a path of printable characters, like "+example)
	}
	for _, seg := range strings.Split(rel, "/") {
		switch {
		case seg == "..":
			return bad("leaves the DAGs folder", "use a path inside it, like "+example)
		case seg == "" || seg == ".":
			return bad("has an empty or '.' segment", "write it plainly, like "+example)
		case strings.HasPrefix(seg, "."):
			return bad("has a hidden segment "+seg, "the DAG folder sync skips hidden files and folders; drop the leading dot")
		}
	}
	if dagFile && !scheduler.IsDagFile(rel) {
		return bad("is not a DAG file", "DAG files end in .yaml or .yml, like "+example)
	}
	return nil
}

// staysInside checks that abs, followed through symbolic links, is inside root. The deepest
// part of abs that exists decides: the parts below it are created as plain folders.
func staysInside(root, abs string) error {
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return fmt.Errorf("cannot be checked: the DAGs folder %s: %w", root, err)
	}
	for p := abs; ; {
		real, err := filepath.EvalSymlinks(p)
		if err == nil {
			if real != realRoot && !strings.HasPrefix(real, realRoot+string(filepath.Separator)) {
				return fmt.Errorf("leads outside the DAGs folder through a symbolic link (%s is %s)", p, real)
			}
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("cannot be checked: %w", err)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return nil
		}
		p = parent
	}
}

// digest is a file's sha256 as the API shows it: a module's is the runtime's digest of it.
func digest(b []byte) string { return runtime.Digest(b) }
