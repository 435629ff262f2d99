package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/wasmflow/wasmflow/tasks"
)

// DagSyncer keeps the metastore in step with the DAG folders, as Airflow's DAG processor:
// new and changed files are parsed and recorded; a file that stops parsing gets an import error
// while its DAG stays active on its last good version (a typo must not stop a production DAG);
// a DAG whose file is gone, or that no folder defines any more, is marked inactive with its
// history kept. It compares against the metastore on every sync, so changes made by another
// process (a CLI run, `db reset`) are repaired too. It also holds the parsed DAGs for the
// scheduler.
type DagSyncer struct {
	Store   DagStore
	Folders []string // the DAGs folder, then the examples folder when examples are loaded
	Log     *slog.Logger
	Clock   func() time.Time
	// PausedAtCreation is core.dags_are_paused_at_creation: whether a new DAG starts paused
	// when its file does not say (is_paused_upon_creation).
	PausedAtCreation bool
	// Connections returns the defined conn_ids; a DAG granting another one gets an import
	// error. nil: conn_ids are not checked.
	Connections func(ctx context.Context) (map[string]bool, error)
	// Parse is what every file is parsed with: the folders mounts may use (Folders and
	// core.allowed_mount_folders).
	Parse tasks.ParseOptions

	mu          sync.Mutex
	dags        map[string]*tasks.DAG
	watchWarned map[string]bool
}

// SyncReport says what one sync changed.
type SyncReport struct {
	Files       int      `json:"files"`
	Dags        int      `json:"dags"`
	Updated     []string `json:"updated"`     // dag_ids written (new or changed)
	Deactivated []string `json:"deactivated"` // dag_ids no file defines any more
	Errors      int      `json:"import_errors"`
}

// Dags returns the DAGs of the last sync, by dag_id. The map must not be changed.
func (s *DagSyncer) Dags() map[string]*tasks.DAG {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dags
}

// Dag returns one DAG of the last sync, or nil.
func (s *DagSyncer) Dag(id string) *tasks.DAG {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dags[id]
}

// SyncOnce rescans the folders and brings the metastore up to date.
func (s *DagSyncer) SyncOnce(ctx context.Context) (SyncReport, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now
	if s.Clock != nil {
		now = s.Clock
	}
	stored, err := s.Store.ListDags(ctx, DagFilter{})
	if err != nil {
		return SyncReport{}, fmt.Errorf("list recorded DAGs: %w", err)
	}
	recorded := make(map[string]Dag, len(stored))
	prefer := map[string]string{}
	for _, d := range stored {
		recorded[d.DagID] = d
		if d.IsActive {
			prefer[d.DagID] = d.Fileloc
		}
	}
	opts := s.Parse
	if s.Connections != nil {
		ids, err := s.Connections(ctx)
		if err != nil {
			return SyncReport{}, err
		}
		opts.ConnectionExists = func(id string) bool { return ids[id] }
	}
	bag, err := CollectDags(opts, prefer, s.Folders...)
	if err != nil {
		return SyncReport{}, err
	}
	rep := SyncReport{Files: len(bag.Files), Dags: len(bag.Dags), Errors: len(bag.Errors)}
	dags := make(map[string]*tasks.DAG, len(bag.Dags))
	keep := make([]string, 0, len(bag.Dags))
	for id, d := range bag.Dags {
		dags[id] = d
		keep = append(keep, id)
		if rec, ok := recorded[id]; ok && rec.IsActive && rec.SourceHash == d.SourceHash && rec.Fileloc == d.Fileloc {
			continue
		}
		paused := s.PausedAtCreation
		if d.IsPausedUponCreation != nil {
			paused = *d.IsPausedUponCreation
		}
		if err := s.Store.SyncDag(ctx, Record(d, now()), d.Source, paused); err != nil {
			return rep, fmt.Errorf("record DAG %s: %w", id, err)
		}
		rep.Updated = append(rep.Updated, id)
	}
	// A DAG whose file is still there but does not parse now keeps its last good version.
	for _, rec := range stored {
		if _, broken := bag.Errors[rec.Fileloc]; !broken || !rec.IsActive || dags[rec.DagID] != nil {
			continue
		}
		keep = append(keep, rec.DagID)
		if last := s.lastGood(ctx, rec); last != nil {
			dags[rec.DagID] = last
		}
	}
	if err := s.syncImportErrors(ctx, bag.Errors); err != nil {
		return rep, err
	}
	gone, err := s.Store.DeactivateDags(ctx, "", keep)
	if err != nil {
		return rep, fmt.Errorf("deactivate DAGs of removed files: %w", err)
	}
	rep.Deactivated = gone
	sort.Strings(rep.Updated)
	s.dags = dags
	return rep, nil
}

// LoadDag makes one DAG ready to run in this process (`dags test`) and returns it, parsing
// only its own file when it can: when the metastore has the DAG active at a DAG file in the
// folders and that file still defines it with the bytes recorded (the same source hash), a
// full sync would keep it exactly so (the recorded file wins a contested dag_id), and the
// other files are work a run of this DAG does not need. Otherwise (a DAG not recorded yet, its
// file changed, moved, gone or broken now) it syncs every folder, as SyncOnce. The fast way
// leaves the other files' import errors and DAGs as the last sync recorded them.
func (s *DagSyncer) LoadDag(ctx context.Context, dagID string) (*tasks.DAG, error) {
	if d, err := s.loadCurrent(ctx, dagID); err != nil || d != nil {
		return d, err
	}
	if _, err := s.SyncOnce(ctx); err != nil {
		return nil, err
	}
	return s.Dag(dagID), nil
}

// loadCurrent parses the recorded file of dagID and keeps the DAG if it is unchanged; nil,
// nil means a full sync is needed.
func (s *DagSyncer) loadCurrent(ctx context.Context, dagID string) (*tasks.DAG, error) {
	rec, err := s.Store.GetDag(ctx, dagID)
	if err != nil || !rec.IsActive || !s.inFolders(rec.Fileloc) {
		return nil, nil // unknown here: the sync says why (not found, import error)
	}
	opts := s.Parse
	if s.Connections != nil {
		ids, err := s.Connections(ctx)
		if err != nil {
			return nil, err
		}
		opts.ConnectionExists = func(id string) bool { return ids[id] }
	}
	d, err := parseFile(rec.Fileloc, opts)
	if err != nil || d.DagID != dagID || d.SourceHash != rec.SourceHash || d.Fileloc != rec.Fileloc {
		return nil, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dags := make(map[string]*tasks.DAG, len(s.dags)+1) // a new map: Dags' callers may hold the old one
	for id, old := range s.dags {
		dags[id] = old
	}
	dags[dagID] = d
	s.dags = dags
	return d, nil
}

// inFolders reports whether path is a DAG file that a sync of the folders would find.
func (s *DagSyncer) inFolders(path string) bool {
	if !IsDagFile(path) {
		return false
	}
	for _, folder := range s.Folders {
		abs, err := filepath.Abs(folder)
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(abs, path)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			continue
		}
		if !hiddenFolder(rel) {
			return true
		}
	}
	return false
}

// hiddenFolder reports whether rel, a file's path inside a DAG folder, lies in a hidden
// folder, which FindDagFiles skips.
func hiddenFolder(rel string) bool {
	parts := strings.Split(filepath.Dir(rel), string(filepath.Separator))
	for _, p := range parts {
		if p != "." && strings.HasPrefix(p, ".") {
			return true
		}
	}
	return false
}

// lastGood returns the DAG as it last parsed: from memory, or else from the source the
// metastore recorded, parsed again (after a restart).
func (s *DagSyncer) lastGood(ctx context.Context, rec Dag) *tasks.DAG {
	if d := s.dags[rec.DagID]; d != nil && d.Fileloc == rec.Fileloc {
		return d
	}
	src, err := s.Store.DagSource(ctx, rec.DagID)
	if err != nil {
		return nil
	}
	d, err := tasks.ParseWith(rec.Fileloc, src, s.Parse)
	if err != nil {
		return nil
	}
	return d
}

// syncImportErrors makes the recorded import errors exactly the current ones.
func (s *DagSyncer) syncImportErrors(ctx context.Context, current map[string]string) error {
	stored, err := s.Store.ListImportErrors(ctx)
	if err != nil {
		return fmt.Errorf("list import errors: %w", err)
	}
	have := make(map[string]string, len(stored))
	for _, ie := range stored {
		have[ie.Filename] = ie.Message
		if _, still := current[ie.Filename]; !still {
			if err := s.Store.ClearImportError(ctx, ie.Filename); err != nil {
				return fmt.Errorf("clear import error of %s: %w", ie.Filename, err)
			}
		}
	}
	for file, msg := range current {
		if have[file] == msg {
			continue
		}
		if err := s.Store.SetImportError(ctx, file, msg); err != nil {
			return fmt.Errorf("record import error of %s: %w", file, err)
		}
	}
	return nil
}

// Run syncs at once, then on every change in the folders (debounced) and every interval as a
// backstop for changes file watching misses (network file systems, editors that swap files).
// onSync, if not nil, is called after every sync. Run returns when ctx is done.
func (s *DagSyncer) Run(ctx context.Context, interval time.Duration, onSync func(SyncReport)) error {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	sync := func() {
		rep, err := s.SyncOnce(ctx)
		if err != nil {
			log.Error("sync DAG folder", "err", err)
			return
		}
		if len(rep.Updated)+len(rep.Deactivated) > 0 {
			log.Info("DAG folder synced", "dags", rep.Dags, "updated", rep.Updated, "deactivated", rep.Deactivated, "import_errors", rep.Errors)
		}
		if onSync != nil {
			onSync(rep)
		}
	}
	// Watch before the first sync, so a file written while it runs is not missed.
	watcher, err := fsnotify.NewWatcher()
	if err != nil {
		log.Warn("file watching unavailable; relying on the periodic rescan", "err", err, "interval", interval)
	} else {
		defer watcher.Close()
		s.watchFolders(watcher, log)
	}
	sync()
	var events chan fsnotify.Event
	if watcher != nil {
		events = watcher.Events
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	var watchErrs <-chan error
	if watcher != nil {
		watchErrs = watcher.Errors
	}
	// Editors write a file in several steps; wait for a quiet moment before parsing, but never
	// longer than maxWait while events keep coming.
	const debounce, maxWait = 100 * time.Millisecond, time.Second
	var pending <-chan time.Time
	var firstEvent time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events:
			isDir := false
			if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
				isDir = true
				if ev.Has(fsnotify.Create) {
					s.watch(watcher, ev.Name, log)
				}
			}
			// Only DAG files and folders matter; data written into a mounted folder does not.
			if !IsDagFile(ev.Name) && !isDir && !ev.Has(fsnotify.Remove) && !ev.Has(fsnotify.Rename) {
				continue
			}
			if pending == nil {
				firstEvent = time.Now()
			}
			if time.Since(firstEvent) >= maxWait {
				pending = time.After(0)
			} else {
				pending = time.After(debounce)
			}
		case err := <-watchErrs:
			// An overflow means events were lost: a full rescan catches up.
			log.Warn("file watching reported an error; rescanning", "err", err)
			pending = time.After(debounce)
		case <-pending:
			pending = nil
			sync()
		case <-ticker.C:
			if watcher != nil {
				s.watchFolders(watcher, log) // folders created since the last tick
			}
			sync()
		}
	}
}

func (s *DagSyncer) watchFolders(w *fsnotify.Watcher, log *slog.Logger) {
	for _, folder := range s.Folders {
		_ = filepath.WalkDir(folder, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				s.watch(w, path, log)
			}
			return nil
		})
	}
}

// watch adds one folder; a failure (the inotify watch limit) is logged once per folder and
// the periodic rescan covers it.
func (s *DagSyncer) watch(w *fsnotify.Watcher, dir string, log *slog.Logger) {
	if err := w.Add(dir); err != nil && !s.warned(dir) {
		log.Warn("cannot watch folder; changes there are seen at the next rescan", "folder", dir, "err", err)
	}
}

func (s *DagSyncer) warned(dir string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.watchWarned == nil {
		s.watchWarned = map[string]bool{}
	}
	seen := s.watchWarned[dir]
	s.watchWarned[dir] = true
	return seen
}

// Record turns a parsed DAG into the metastore's Dag row.
func Record(d *tasks.DAG, parsedAt time.Time) Dag {
	return Dag{
		DagID: d.DagID, Description: d.Description, Fileloc: d.Fileloc, SourceHash: d.SourceHash,
		IsActive: true, Schedule: d.Schedule.Raw, Timezone: d.Timezone.String(),
		Tags: d.Tags, Owners: d.Owner, Catchup: d.Catchup, MaxActiveRuns: d.MaxActiveRuns,
		MaxActiveTasks: d.MaxActiveTasks, LastParsedTime: parsedAt,
		ScheduleDatasets: d.Schedule.Datasets, Outlets: outletsOf(d),
	}
}

// outletsOf returns the outlets of each task of d that has some.
func outletsOf(d *tasks.DAG) map[string][]string {
	var out map[string][]string
	for _, t := range d.Tasks {
		if len(t.Outlets) > 0 {
			if out == nil {
				out = map[string][]string{}
			}
			out[t.TaskID] = t.Outlets
		}
	}
	return out
}
