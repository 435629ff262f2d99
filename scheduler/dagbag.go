package scheduler

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"

	"github.com/wasmflow/wasmflow/tasks"
)

// DagBag is the result of parsing DAG folders, as Airflow's DagBag: the DAGs that parsed and,
// for every file that did not, why. A bad file never stops the others.
type DagBag struct {
	Dags   map[string]*tasks.DAG // by dag_id
	Errors map[string]string     // by file path: every problem, one per line
	Files  []string              // every DAG file found, sorted
}

// IsDagFile reports whether a path is a DAG file by its name: *.yaml or *.yml, not hidden.
func IsDagFile(path string) bool {
	base := filepath.Base(path)
	if strings.HasPrefix(base, ".") {
		return false
	}
	ext := strings.ToLower(filepath.Ext(base))
	return ext == ".yaml" || ext == ".yml"
}

// FindDagFiles lists the DAG files under the folders, recursively, skipping hidden folders.
// A folder that does not exist holds no DAGs; that is not an error.
func FindDagFiles(folders ...string) ([]string, error) {
	var files []string
	for _, folder := range folders {
		err := filepath.WalkDir(folder, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				if os.IsNotExist(err) && path == folder {
					return filepath.SkipDir
				}
				return err
			}
			if d.IsDir() && path != folder && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && IsDagFile(path) {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("scan DAG folder %s: %w", folder, err)
		}
	}
	sort.Strings(files)
	return files, nil
}

// parseFile parses one DAG file; tests count the files a sync reads through it.
var parseFile = tasks.ParseFileWith

// parsed is one file's outcome.
type parsed struct {
	path string
	dag  *tasks.DAG
	err  error
}

// ParseFiles parses files concurrently with opts and gathers them into a DagBag. When two
// files define the same dag_id, the one in prefer (the file the metastore has it at) keeps it,
// else the first in path order; the other gets an import error naming both.
func ParseFiles(files []string, prefer map[string]string, opts tasks.ParseOptions) *DagBag {
	out := make([]parsed, len(files))
	var wg sync.WaitGroup
	next := make(chan int)
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				d, err := parseFile(files[i], opts)
				out[i] = parsed{path: files[i], dag: d, err: err}
			}
		}()
	}
	for i := range files {
		next <- i
	}
	close(next)
	wg.Wait()

	// The preferred file of a contested dag_id goes first, so it wins.
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].dag != nil && prefer[out[i].dag.DagID] == out[i].path && !(out[j].dag != nil && prefer[out[j].dag.DagID] == out[j].path)
	})
	bag := &DagBag{Dags: map[string]*tasks.DAG{}, Errors: map[string]string{}, Files: files}
	for _, p := range out {
		switch {
		case p.err != nil:
			bag.Errors[p.path] = p.err.Error()
		case bag.Dags[p.dag.DagID] != nil:
			bag.Errors[p.path] = (&tasks.ValidationError{File: p.path, Problems: []tasks.Problem{{File: p.path,
				Line: p.dag.DagIDPos.Line, Column: p.dag.DagIDPos.Column,
				Message: fmt.Sprintf("dag_id %q is already defined in %s; dag_ids must be unique across the DAG folders (rename one)", p.dag.DagID, bag.Dags[p.dag.DagID].Fileloc)}}}).Error()
		default:
			bag.Dags[p.dag.DagID] = p.dag
		}
	}
	return bag
}

// CollectDags finds and parses every DAG file under the folders.
func CollectDags(opts tasks.ParseOptions, prefer map[string]string, folders ...string) (*DagBag, error) {
	files, err := FindDagFiles(folders...)
	if err != nil {
		return nil, err
	}
	return ParseFiles(files, prefer, opts), nil
}
