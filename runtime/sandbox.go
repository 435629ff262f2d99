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

// noSymlinkFS refuses to create symbolic links. wazero's DirFS refuses absolute targets but
// creates relative ones unresolved on the host, so a module with a writable mount could make
// "x -> ../../../../etc/passwd" there and then read the host's file through it (the host
// follows the link when the module opens it, and when the runtime collects /xcom).
type noSymlinkFS struct{ experimentalsys.FS }

func (noSymlinkFS) Symlink(_, _ string) experimentalsys.Errno { return experimentalsys.EPERM }

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

// fsConfig grants the declared mounts and /xcom, nothing else. What the try writes into /xcom
// is charged to xcom, what it writes into its writable mounts to rw.
func fsConfig(mounts []Mount, xcomDir string, xcom, rw *writeQuota) wazero.FSConfig {
	cfg := wazero.NewFSConfig()
	for _, m := range mounts {
		var fsys experimentalsys.FS = sysfs.DirFS(m.HostPath)
		if m.ReadOnly {
			fsys = readOnlyFS{&sysfs.ReadFS{FS: fsys}} // refuses symlinks too (EROFS)
		} else {
			fsys = quotaFS{noSymlinkFS{fsys}, rw}
		}
		cfg = cfg.(sysfs.FSConfig).WithSysFSMount(fsys, m.GuestPath)
	}
	return cfg.(sysfs.FSConfig).WithSysFSMount(quotaFS{noSymlinkFS{sysfs.DirFS(xcomDir)}, xcom}, xcomGuestPath)
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
