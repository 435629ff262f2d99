// Package examples ships wasmflow's example DAGs inside the binary, as Airflow ships its
// example DAGs in its package. They are loaded when core.load_examples is true (the default).
package examples

import (
	"bytes"
	"embed"
	"fmt"
	"hash/crc32"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
)

//go:embed dags
var dags embed.FS

// Unpack writes the example DAGs and their modules under dir (e.g. $WASMFLOW_HOME/cache/examples)
// and returns the folder to scan. Files already there with the same bytes are left alone, so
// their modification times and the metastore's source hashes stay put; stale files are removed.
//
// Every command that opens the home calls it, so a home already unpacked by this build is
// recognised from a stamp (dir/.unpacked: which build's files they are, and the size and
// modification time of each file as written) without reading the files back: only when the
// build differs (another wasmflow), or a file was changed, removed or added, are they compared.
func Unpack(dir string) (string, error) {
	root := filepath.Join(dir, "dags")
	if unpackedCurrent(dir, root) {
		return root, nil
	}
	if err := unpack(dir, root); err != nil {
		return "", err
	}
	writeStamp(dir, root) // best effort: without it, the next Unpack compares the files again
	return root, nil
}

// readFile reads an unpacked file to compare it; tests count the calls.
var readFile = os.ReadFile

// unpack writes what differs from the shipped files and removes stale ones.
func unpack(dir, root string) error {
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
		if old, err := readFile(target); err == nil && bytes.Equal(old, data) {
			return nil
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return fmt.Errorf("unpack example DAGs into %s: %w", dir, err)
	}
	// Remove DAGs and modules an older wasmflow unpacked and this one no longer ships. Other
	// files are the user's (data dropped into data/ for the sensor example) and stay.
	_ = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !want[path] && shipped(path) {
			os.Remove(path)
		}
		return nil
	})
	return nil
}

func shipped(path string) bool {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml", ".wasm", ".c":
		return true
	}
	return false
}

// stampName is the stamp's file in dir, beside the dags folder it describes.
const stampName = ".unpacked"

var (
	digestOnce sync.Once
	digest     string
)

// shippedDigest identifies this build's shipped files without reading them (reading 300 KB
// of them costs what comparing them with the unpacked copies does): by the executable that
// holds them, its path, size and modification time, which an upgrade changes. Only when the
// executable cannot be found are the files themselves hashed.
func shippedDigest() string {
	digestOnce.Do(func() {
		if exe, err := os.Executable(); err == nil {
			if info, err := os.Stat(exe); err == nil {
				digest = fmt.Sprintf("exe:%s %d %d", exe, info.Size(), info.ModTime().UnixNano())
				return
			}
		}
		h := crc32.New(crc32.MakeTable(crc32.Castagnoli))
		_ = fs.WalkDir(dags, "dags", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := dags.ReadFile(path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s\x00%d\x00", path, len(data))
			h.Write(data)
			return nil
		})
		digest = fmt.Sprintf("crc32c:%08x", h.Sum32())
	})
	return digest
}

// listing is what the stamp records of the unpacked files: by path under root, size and
// modification time. A shipped file is in it; so is any other file of a shipped kind found
// (which the next unpack removes), so its appearance is a change too.
func listing(root string) (map[string]string, error) {
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		if _, err := dags.Open("dags/" + filepath.ToSlash(rel)); err != nil && !shipped(path) {
			return nil // the user's own file (data for the sensor example)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		out[filepath.ToSlash(rel)] = fmt.Sprintf("%d %d", info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return out, err
}

// writeStamp records the files just unpacked.
func writeStamp(dir, root string) {
	files, err := listing(root)
	if err != nil {
		return
	}
	var b strings.Builder
	b.WriteString(shippedDigest() + "\n")
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		fmt.Fprintf(&b, "%s\t%s\n", rel, files[rel])
	}
	tmp, err := os.CreateTemp(dir, stampName+".*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(b.String())
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), filepath.Join(dir, stampName)) != nil {
		os.Remove(tmp.Name())
	}
}

// unpackedCurrent reports whether the stamp is this build's and every file is as it recorded.
func unpackedCurrent(dir, root string) bool {
	stamp, err := os.ReadFile(filepath.Join(dir, stampName))
	if err != nil {
		return false
	}
	head, body, ok := strings.Cut(string(stamp), "\n")
	if !ok || head != shippedDigest() {
		return false
	}
	files, err := listing(root)
	if err != nil {
		return false
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		rel, stat, ok := strings.Cut(line, "\t")
		if !ok || files[rel] != stat {
			return false
		}
		n++
	}
	return n == len(files)
}
