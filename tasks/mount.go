package tasks

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MountRoots are the host folders a mount's host side may lead into: the DAGs folder, the
// examples folder when examples are loaded, and the folders an Admin lists in
// core.allowed_mount_folders. A DAG file is written by Ops through the API; without this a
// mount of "/" would hand its task every file of the host (the API's secret, /etc/shadow), and a
// writable one would let it write anywhere the process may.
type MountRoots struct {
	Allowed []string
	// Private are folders no mount may reach even through an allowed folder: WASMFLOW_HOME,
	// with api.secret, the users and the metastore, which a core.dags_folder of ~ would hold.
	// A mount may not be one, nor hold one, nor lead into one but through an allowed folder
	// inside it (the default DAGs folder, home/dags).
	Private []string
}

// Empty reports whether no folder is allowed.
func (r MountRoots) Empty() bool { return len(r.Allowed) == 0 }

// mountHint says how to grant a folder outside the allowed ones, at every refusal.
const mountHint = "put the folder under the DAGs folder (and mount it relative to this DAG file) or ask an Admin to add it to core.allowed_mount_folders"

// Resolve cleans the absolute path host and follows its symbolic links, so that neither ".."
// nor a linked folder can lead out, and returns the path it leads to when that is inside one of
// the roots. A host folder need not exist yet (a try creates it): the links of its nearest
// existing ancestor are followed. The error says where the path leads and how to fix it.
func (r MountRoots) Resolve(host string) (string, error) {
	real, _, err := r.ResolveWithin(host)
	return real, err
}

// ResolveWithin is Resolve, and also returns the root the path leads into, resolved too, for
// opening the path through it (os.OpenRoot) where a link could be swapped in after the check.
func (r MountRoots) ResolveWithin(host string) (real, root string, err error) {
	if !filepath.IsAbs(host) {
		return "", "", fmt.Errorf("host folder %s is not absolute", host)
	}
	real, err = realPath(host)
	if err != nil {
		return "", "", fmt.Errorf("host folder %s: %w", host, err)
	}
	where := ""
	if clean := filepath.Clean(host); clean != real {
		where = " (it leads to " + real + " through a symbolic link)"
	}
	for _, root := range r.Allowed {
		rr, err := realPath(root)
		if err != nil || !within(rr, real) {
			continue
		}
		if private, how, ok := r.private(real); ok {
			return "", "", fmt.Errorf("host folder %s%s %s %s, the wasmflow home (its secret, users and metastore), which no mount may reach: "+
				"mount a data folder of its own: %s", host, where, how, private, mountHint)
		}
		return real, rr, nil
	}
	if r.Empty() {
		return "", "", fmt.Errorf("host folder %s: no folder is allowed for mounts here: %s", host, mountHint)
	}
	return "", "", fmt.Errorf("host folder %s%s is outside the folders mounts may use (%s): %s",
		host, where, strings.Join(r.Allowed, string(os.PathListSeparator)), mountHint)
}

// private answers the private folder the resolved path real may not reach, and how it would:
// one it is or holds, or one it is inside while no allowed folder inside that one holds it.
func (r MountRoots) private(real string) (folder, how string, refused bool) {
	for _, p := range r.Private {
		rp, err := realPath(p)
		switch {
		case err != nil:
			return p, "may lead to", true // cannot tell where it is: refuse rather than guess
		case rp == real:
			return p, "is", true
		case within(real, rp):
			return p, "holds", true
		}
		if !within(rp, real) {
			continue
		}
		inside := false
		for _, root := range r.Allowed {
			if rr, err := realPath(root); err == nil && within(rp, rr) && rr != rp && within(rr, real) {
				inside = true
				break
			}
		}
		if !inside {
			return p, "is inside", true
		}
	}
	return "", "", false
}

// realPath is filepath.EvalSymlinks for a path that may not exist yet: the nearest ancestor that
// does (a dangling link counts, and is an error, since creating the folder would follow it)
// has its links followed and the missing rest is appended.
func realPath(p string) (string, error) {
	p = filepath.Clean(p)
	missing := ""
	for q := p; ; {
		if _, err := os.Lstat(q); err == nil {
			real, err := filepath.EvalSymlinks(q)
			if err != nil {
				return "", fmt.Errorf("resolve %s: %w", q, err)
			}
			return filepath.Join(real, missing), nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", err
		}
		parent := filepath.Dir(q)
		if parent == q {
			return p, nil
		}
		missing = filepath.Join(filepath.Base(q), missing)
		q = parent
	}
}

// within reports whether p is root or inside it; both are clean and absolute.
func within(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// hasDotDot reports whether a host path, with each template part replaced by a placeholder,
// has a ".." element. Only literal text is judged: a template's value is checked once rendered.
func hasDotDot(t *Template) bool {
	var b strings.Builder
	for _, p := range t.parts {
		if p.expr != nil {
			b.WriteByte(0)
			continue
		}
		b.WriteString(p.literal)
	}
	for _, elem := range strings.FieldsFunc(b.String(), func(r rune) bool { return r == '/' || r == filepath.Separator }) {
		if elem == ".." {
			return true
		}
	}
	return false
}

// checkMountHost reports, at parse time, a host folder that could lead outside the roots:
// any literal ".." element, and a static path (relative ones against the DAG file's folder)
// that resolves outside them.
func (p *dagParser) checkMountHost(pos Pos, label string, host *Template) bool {
	if hasDotDot(host) {
		p.ps.add(pos, "%smounts: host folder %q has a \"..\" element; a mount cannot climb out of the DAG file's folder: %s",
			label, host.Raw, mountHint)
		return false
	}
	if !host.IsStatic() {
		return true
	}
	path := host.Raw
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.dir, path)
	}
	if _, err := p.dag.mountRoots.Resolve(path); err != nil {
		p.ps.add(pos, "%smounts: %v", label, err)
		return false
	}
	return true
}
