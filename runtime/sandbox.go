package runtime

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"
)

// xcomGuestPath is where the module finds its own empty, writable XCom directory.
const xcomGuestPath = "/xcom"

// readOnlyFS is wazero's ReadFS, but opening a file for writing fails with EROFS ("read-only
// file system") rather than ENOSYS, which Go guests print as "not implemented on wasip1" and
// would send a task's author looking in the wrong place.
type readOnlyFS struct{ experimentalsys.FS }

func (r readOnlyFS) OpenFile(path string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	f, errno := r.FS.OpenFile(path, flag, perm)
	if errno == experimentalsys.ENOSYS {
		errno = experimentalsys.EROFS
	}
	return f, errno
}

// fsConfig grants the declared mounts and /xcom, nothing else, each through a rootFS so that no
// link leads out of its folder. What the try writes into /xcom is charged to xcom, what it
// writes into its writable mounts to rw. Close the folders with closeFS when the try ends.
func fsConfig(mounts []Mount, xcomDir string, xcom, rw *writeQuota) (cfg wazero.FSConfig, closeFS func(), err error) {
	var roots []*rootFS
	closeFS = func() {
		for _, r := range roots {
			_ = r.close()
		}
	}
	open := func(dir, within, guest string) (*rootFS, error) {
		r, err := openRootFS(dir, within)
		if err != nil {
			return nil, fmt.Errorf("mount %s: %w", guest, err)
		}
		roots = append(roots, r)
		return r, nil
	}
	cfg = wazero.NewFSConfig()
	for _, m := range mounts {
		root, err := open(m.HostPath, m.Within, m.GuestPath)
		if err != nil {
			closeFS()
			return nil, nil, err
		}
		var fsys experimentalsys.FS = root
		if m.ReadOnly {
			fsys = readOnlyFS{&sysfs.ReadFS{FS: fsys}}
		} else {
			fsys = quotaFS{fsys, rw}
		}
		cfg = cfg.(sysfs.FSConfig).WithSysFSMount(fsys, m.GuestPath)
	}
	root, err := open(xcomDir, "", xcomGuestPath)
	if err != nil {
		closeFS()
		return nil, nil, err
	}
	return cfg.(sysfs.FSConfig).WithSysFSMount(quotaFS{root, xcom}, xcomGuestPath), closeFS, nil
}

// checkMounts reports every problem with the mounts at once.
func checkMounts(mounts []Mount) error {
	var errs []error
	seen := map[string]bool{}
	for _, m := range mounts {
		g := m.GuestPath
		switch {
		case !strings.HasPrefix(g, "/") || path.Clean(g) != g:
			errs = append(errs, fmt.Errorf("mount %s: guest path must be absolute and clean", g))
		case g == xcomGuestPath || strings.HasPrefix(g, xcomGuestPath+"/"):
			errs = append(errs, fmt.Errorf("mount %s: %s is reserved for the task's XComs", g, xcomGuestPath))
		case seen[g]:
			errs = append(errs, fmt.Errorf("mount %s: guest path mounted twice", g))
		}
		seen[g] = true
		if fi, err := os.Stat(m.HostPath); err != nil {
			errs = append(errs, fmt.Errorf("mount %s: %w", g, err))
		} else if !fi.IsDir() {
			errs = append(errs, fmt.Errorf("mount %s: host path %s is not a directory", g, m.HostPath))
		}
	}
	return errors.Join(errs...)
}
