package app

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// fileWrites serializes saves, so that two saves from one base cannot both pass the check of
// the file's current hash. One per process: saves are rare, and it also covers two Apps on
// one home.
var fileWrites sync.Mutex

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
