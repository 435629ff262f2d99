package app

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// DAG authoring: reading, validating and saving DAG files in the DAGs folder, and listing and
// importing task modules, for the editor of the web views and the desktop window. Every path
// is relative to the DAGs folder, '/'-separated, and checked to stay inside it.
// Here: validating and saving DAG files. Beside: the atomic write (authoring_write.go), the
// editor's loose sketch of a broken file (authoring_sketch.go), modules (authoring_modules.go)
// and the path rules (authoring_paths.go).

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
