package scheduler

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/wasmflow/wasmflow/tasks"
)

// DagSyncer keeps the metastore in step with the DAG folders: new and changed files are parsed
// and recorded, a file's import error is recorded and cleared once fixed, and a DAG whose file
// is gone is marked inactive with its history kept. It also holds the parsed DAGs for the
// scheduler.
type DagSyncer struct {
	Store   DagStore
	Folders []string // the DAGs folder, then the examples folder when examples are loaded
	Log     *slog.Logger
	Clock   func() time.Time

	mu     sync.Mutex
	dags   map[string]*tasks.DAG
	hashes map[string]string // dag_id -> source hash last written to the store
	errors map[string]string // file -> import error last written
}

// SyncReport says what one sync changed.
type SyncReport struct {
	Files       int      `json:"files"`
	Dags        int      `json:"dags"`
	Updated     []string `json:"updated"`     // dag_ids written (new or changed)
	Deactivated []string `json:"deactivated"` // dag_ids whose file is gone
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
	if s.hashes == nil {
		s.hashes, s.errors = map[string]string{}, map[string]string{}
	}
	now := time.Now
	if s.Clock != nil {
		now = s.Clock
	}
	bag, err := CollectDags(s.Folders...)
	if err != nil {
		return SyncReport{}, err
	}
	rep := SyncReport{Files: len(bag.Files), Dags: len(bag.Dags), Errors: len(bag.Errors)}
	keep := make([]string, 0, len(bag.Dags))
	for id, d := range bag.Dags {
		keep = append(keep, id)
		if s.hashes[id] == d.SourceHash+d.Fileloc {
			continue
		}
		if err := s.Store.SyncDag(ctx, Record(d, now()), d.Source, d.IsPausedUponCreation); err != nil {
			return rep, fmt.Errorf("record DAG %s: %w", id, err)
		}
		s.hashes[id] = d.SourceHash + d.Fileloc
		rep.Updated = append(rep.Updated, id)
	}
	for file, msg := range bag.Errors {
		if s.errors[file] == msg {
			continue
		}
		if err := s.Store.SetImportError(ctx, file, msg); err != nil {
			return rep, fmt.Errorf("record import error of %s: %w", file, err)
		}
		s.errors[file] = msg
	}
	// Clear the import errors of files that now parse or are gone. Errors recorded by an
	// earlier process are found through the store, so a restart forgets nothing.
	stored, err := s.Store.ListImportErrors(ctx)
	if err != nil {
		return rep, fmt.Errorf("list import errors: %w", err)
	}
	for _, ie := range stored {
		if _, still := bag.Errors[ie.Filename]; still || !s.under(ie.Filename) {
			continue
		}
		if err := s.Store.ClearImportError(ctx, ie.Filename); err != nil {
			return rep, fmt.Errorf("clear import error of %s: %w", ie.Filename, err)
		}
		delete(s.errors, ie.Filename)
	}
	for _, folder := range s.Folders {
		gone, err := s.Store.DeactivateDags(ctx, folder, keep)
		if err != nil {
			return rep, fmt.Errorf("deactivate DAGs of removed files: %w", err)
		}
		for _, id := range gone {
			delete(s.hashes, id)
		}
		rep.Deactivated = append(rep.Deactivated, gone...)
	}
	s.dags = bag.Dags
	return rep, nil
}

// under reports whether path is inside one of the folders.
func (s *DagSyncer) under(path string) bool {
	for _, f := range s.Folders {
		if rel, err := filepath.Rel(f, path); err == nil && !strings.HasPrefix(rel, "..") {
			return true
		}
	}
	return false
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
		s.watchFolders(watcher)
	}
	sync()
	var events chan fsnotify.Event
	if watcher != nil {
		events = watcher.Events
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	// Editors write a file in several steps; wait for a quiet moment before parsing.
	const debounce = 100 * time.Millisecond
	var pending <-chan time.Time
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev := <-events:
			if ev.Has(fsnotify.Create) {
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					_ = watcher.Add(ev.Name)
				}
			}
			pending = time.After(debounce)
		case <-pending:
			pending = nil
			sync()
		case <-ticker.C:
			if watcher != nil {
				s.watchFolders(watcher) // folders created since the last tick
			}
			sync()
		}
	}
}

func (s *DagSyncer) watchFolders(w *fsnotify.Watcher) {
	for _, folder := range s.Folders {
		_ = filepath.WalkDir(folder, func(path string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				_ = w.Add(path)
			}
			return nil
		})
	}
}

// Record turns a parsed DAG into the metastore's Dag row.
func Record(d *tasks.DAG, parsedAt time.Time) Dag {
	return Dag{
		DagID: d.DagID, Description: d.Description, Fileloc: d.Fileloc, SourceHash: d.SourceHash,
		IsActive: true, IsPaused: d.IsPausedUponCreation, Schedule: d.Schedule.Raw, Timezone: d.Timezone.String(),
		Tags: d.Tags, Owners: d.Owner, Catchup: d.Catchup, MaxActiveRuns: d.MaxActiveRuns,
		MaxActiveTasks: d.MaxActiveTasks, LastParsedTime: parsedAt,
	}
}
