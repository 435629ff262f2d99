// Package examples ships wasmflow's example DAGs inside the binary, as Airflow ships its
// example DAGs in its package. They are loaded when core.load_examples is true (the default).
package examples

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

//go:embed dags
var dags embed.FS

// Unpack writes the example DAGs and their modules under dir (e.g. $WASMFLOW_HOME/cache/examples)
// and returns the folder to scan. Files already there with the same bytes are left alone, so
// their modification times and the metastore's source hashes stay put; stale files are removed.
func Unpack(dir string) (string, error) {
	root := filepath.Join(dir, "dags")
	want := map[string]bool{}
	err := fs.WalkDir(dags, "dags", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, filepath.FromSlash(path))
		want[target] = true
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := dags.ReadFile(path)
		if err != nil {
			return err
		}
		if old, err := os.ReadFile(target); err == nil && bytes.Equal(old, data) {
			return nil
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return "", fmt.Errorf("unpack example DAGs into %s: %w", dir, err)
	}
	// Remove DAGs and modules an older wasmflow unpacked and this one no longer ships. Other
	// files are the user's (data dropped into data/ for the sensor example) and stay.
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !want[path] && shipped(path) {
			os.Remove(path)
		}
		return nil
	})
	return root, nil
}

func shipped(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".wasm", ".c":
		return true
	}
	return false
}
