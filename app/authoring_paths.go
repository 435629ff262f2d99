package app

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/wasmflow/wasmflow/scheduler"
)

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
