package runtime

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/sys"
)

// rootFS is a mount's host folder as the guest sees it, opened as an os.Root rather than by
// path (wazero's DirFS): the host folder may hold symbolic links that its owner put there,
// absolute or relative, and DirFS follows them wherever they lead, for reads and for writes.
// An os.Root resolves every name one element at a time from the folder's descriptor, without
// following a link the kernel did not check (openat with O_NOFOLLOW, then the link's target
// resolved the same way), so a name can only ever reach the folder and what is below it,
// whatever changes under it meanwhile. A link whose target stays inside the folder (relative,
// not through ..) works as on the host; one that leads out, absolute links and a chain that
// leaves at any step are as if they did not exist (ENOENT), for every operation that would
// follow them. The link itself is listed, can be lstat-ed, read with readlink, renamed and
// removed: all of that stays inside the folder.
type rootFS struct {
	experimentalsys.UnimplementedFS
	root *os.Root
}

// openRootFS opens dir for one try, through within when set (dir must lead there without
// leaving it); close it when the try ends.
func openRootFS(dir, within string) (*rootFS, error) {
	if within == "" {
		root, err := os.OpenRoot(dir)
		if err != nil {
			return nil, err
		}
		return &rootFS{root: root}, nil
	}
	rel, err := filepath.Rel(within, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("host path %s is not inside %s", dir, within)
	}
	outer, err := os.OpenRoot(within)
	if err != nil {
		return nil, err
	}
	defer outer.Close()
	root, err := outer.OpenRoot(rel)
	if isEscape(err) {
		return nil, fmt.Errorf("host path %s leads out of %s through a symbolic link (changed since the mount was checked?)", dir, within)
	} else if err != nil {
		return nil, err
	}
	return &rootFS{root: root}, nil
}

func (r *rootFS) String() string { return r.root.Name() }

func (r *rootFS) close() error { return r.root.Close() }

// name turns wazero's path, relative to the mount, into a name in the root.
func rootName(p string) string {
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return "."
	}
	return p
}

// rootErrno is err as the guest sees it. An os.Root refuses a name that would leave it with an
// error of its own ("path escapes from parent"), not a system one: the guest gets ENOENT, as
// if the link led nowhere, which is what it may know of the host.
func rootErrno(err error) experimentalsys.Errno {
	if err == nil {
		return 0
	}
	if isEscape(err) {
		return experimentalsys.ENOENT
	}
	return experimentalsys.UnwrapOSError(err)
}

// isEscape reports whether err is os.Root's refusal of a name that leads out of it. The
// standard library does not export that error; its text is the only mark it has, and
// TestMountLinks fails if that changes.
func isEscape(err error) bool {
	var pe *os.PathError
	var le *os.LinkError
	switch {
	case errors.As(err, &pe):
		err = pe.Err
	case errors.As(err, &le):
		err = le.Err
	}
	return err != nil && err.Error() == "path escapes from parent"
}

func (r *rootFS) OpenFile(p string, flag experimentalsys.Oflag, perm fs.FileMode) (experimentalsys.File, experimentalsys.Errno) {
	name := rootName(p)
	if flag&experimentalsys.O_NOFOLLOW != 0 {
		// The guest asked for the name itself, not what it points to: os.Root always follows
		// (inside), so refuse a link here as the kernel would. Racing this check can only
		// reach what the name may reach anyway: the open below stays inside the root.
		if fi, err := r.root.Lstat(name); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			return nil, experimentalsys.ELOOP
		}
	}
	if flag&experimentalsys.O_DIRECTORY != 0 && flag&(experimentalsys.O_WRONLY|experimentalsys.O_RDWR) != 0 {
		return nil, experimentalsys.EISDIR
	}
	f, err := r.root.OpenFile(name, osOpenFlag(flag), perm)
	if err != nil {
		return nil, rootErrno(err)
	}
	file := &rootFile{seeker: seeker[int64]{f}, file: f, root: r.root, name: name, append: flag&experimentalsys.O_APPEND != 0}
	if flag&experimentalsys.O_DIRECTORY != 0 {
		if dir, errno := file.IsDir(); errno != 0 || !dir {
			_ = f.Close()
			return nil, cmpErrno(errno, experimentalsys.ENOTDIR)
		}
	}
	return file, 0
}

// cmpErrno is errno, or fallback when errno is success.
func cmpErrno(errno, fallback experimentalsys.Errno) experimentalsys.Errno {
	if errno != 0 {
		return errno
	}
	return fallback
}

// osOpenFlag is flag for os.OpenFile. O_APPEND is left out: rootFile appends itself, so that
// SetAppend needs no reopening by name. O_DIRECTORY and O_NOFOLLOW are checked by OpenFile.
func osOpenFlag(flag experimentalsys.Oflag) int {
	var f int
	switch flag & (experimentalsys.O_RDONLY | experimentalsys.O_RDWR | experimentalsys.O_WRONLY) {
	case experimentalsys.O_RDWR:
		f = os.O_RDWR
	case experimentalsys.O_WRONLY:
		f = os.O_WRONLY
	default:
		f = os.O_RDONLY
	}
	if flag&experimentalsys.O_CREAT != 0 {
		f |= os.O_CREATE
	}
	if flag&experimentalsys.O_EXCL != 0 {
		f |= os.O_EXCL
	}
	if flag&experimentalsys.O_TRUNC != 0 {
		f |= os.O_TRUNC
	}
	if flag&(experimentalsys.O_SYNC|experimentalsys.O_DSYNC|experimentalsys.O_RSYNC) != 0 {
		f |= os.O_SYNC
	}
	return f
}

func (r *rootFS) Lstat(p string) (sys.Stat_t, experimentalsys.Errno) {
	fi, err := r.root.Lstat(rootName(p))
	if err != nil {
		return sys.Stat_t{}, rootErrno(err)
	}
	return sys.NewStat_t(fi), 0
}

func (r *rootFS) Stat(p string) (sys.Stat_t, experimentalsys.Errno) {
	fi, err := r.root.Stat(rootName(p))
	if err != nil {
		return sys.Stat_t{}, rootErrno(err)
	}
	return sys.NewStat_t(fi), 0
}

func (r *rootFS) Mkdir(p string, perm fs.FileMode) experimentalsys.Errno {
	errno := rootErrno(r.root.Mkdir(rootName(p), perm))
	if errno == experimentalsys.ENOTDIR {
		errno = experimentalsys.ENOENT // as wazero's DirFS: a parent that is a file
	}
	return errno
}

func (r *rootFS) Chmod(p string, perm fs.FileMode) experimentalsys.Errno {
	return rootErrno(r.root.Chmod(rootName(p), perm))
}

// Rename renames inside the root: a link is moved as a link, and renaming onto a name whose
// parent is a link out fails like any name that leads out.
func (r *rootFS) Rename(from, to string) experimentalsys.Errno {
	from, to = rootName(from), rootName(to)
	if from == to {
		return 0
	}
	return rootErrno(r.root.Rename(from, to))
}

// Rmdir removes an empty directory, never a file (os.Root's Remove takes both).
func (r *rootFS) Rmdir(p string) experimentalsys.Errno {
	name := rootName(p)
	fi, err := r.root.Lstat(name)
	if err != nil {
		return rootErrno(err)
	}
	if !fi.IsDir() {
		return experimentalsys.ENOTDIR
	}
	return rootErrno(r.root.Remove(name))
}

// Unlink removes a file or a link (not what it points to), never a directory.
func (r *rootFS) Unlink(p string) experimentalsys.Errno {
	name := rootName(p)
	fi, err := r.root.Lstat(name)
	if err != nil {
		return rootErrno(err)
	}
	if fi.IsDir() {
		return experimentalsys.EISDIR
	}
	return rootErrno(r.root.Remove(name))
}

func (r *rootFS) Link(oldName, newName string) experimentalsys.Errno {
	return rootErrno(r.root.Link(rootName(oldName), rootName(newName)))
}

// Symlink is refused: a guest-made link would be followed by whatever reads the folder next
// on the host (a person, another program, the runtime collecting /xcom), where no root holds.
func (r *rootFS) Symlink(_, _ string) experimentalsys.Errno { return experimentalsys.EPERM }

func (r *rootFS) Readlink(p string) (string, experimentalsys.Errno) {
	dst, err := r.root.Readlink(rootName(p))
	if err != nil {
		return "", rootErrno(err)
	}
	return dst, 0
}

func (r *rootFS) Utimens(p string, atim, mtim int64) experimentalsys.Errno {
	return rootErrno(r.root.Chtimes(rootName(p), utime(atim), utime(mtim)))
}

// utime is a wazero timestamp as os.Chtimes takes it: the zero time leaves it unchanged.
func utime(ns int64) time.Time {
	if ns == experimentalsys.UTIME_OMIT {
		return time.Time{}
	}
	return time.Unix(0, ns)
}

// rootFile is a file or directory opened through a rootFS.
type rootFile struct {
	seeker[int64]
	file   *os.File
	root   *os.Root // and name: how it was opened, for Utimens
	name   string
	append bool // writes go to the end (O_APPEND, or fd_fdstat_set_flags)
	closed bool
	dir    *bool // cached: what the descriptor is does not change
}

func (f *rootFile) Stat() (sys.Stat_t, experimentalsys.Errno) {
	if f.closed {
		return sys.Stat_t{}, experimentalsys.EBADF
	}
	fi, err := f.file.Stat()
	if err != nil {
		return sys.Stat_t{}, rootErrno(err)
	}
	dir := fi.IsDir()
	f.dir = &dir
	return sys.NewStat_t(fi), 0
}

func (f *rootFile) Dev() (uint64, experimentalsys.Errno) {
	st, errno := f.Stat()
	return st.Dev, errno
}

func (f *rootFile) Ino() (sys.Inode, experimentalsys.Errno) {
	st, errno := f.Stat()
	return st.Ino, errno
}

func (f *rootFile) IsDir() (bool, experimentalsys.Errno) {
	if f.dir == nil {
		if _, errno := f.Stat(); errno != 0 {
			return false, errno
		}
	}
	return *f.dir, 0
}

func (f *rootFile) IsAppend() bool { return f.append }

func (f *rootFile) SetAppend(enable bool) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	f.append = enable
	return 0
}

func (f *rootFile) Read(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.file.Read(buf)
	return n, f.errno(err)
}

func (f *rootFile) Pread(buf []byte, off int64) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.file.ReadAt(buf, off)
	return n, f.errno(err)
}

// seeker gives rootFile its Seek; seeking to 0 on a directory rewinds it (os.File then reads
// it again from the start). It is generic only so that go vet's stdmethods check, which wants
// every Seek(int64, int) to return error as io.Seeker's does, leaves it be: wazero's File
// returns its Errno instead. rootFile embeds seeker[int64].
type seeker[T ~int64] struct{ file *os.File }

func (s seeker[T]) Seek(offset T, whence int) (int64, experimentalsys.Errno) {
	n, err := s.file.Seek(int64(offset), whence)
	return n, experimentalsys.UnwrapOSError(err) // a closed file's ErrClosed is EBADF
}

func (f *rootFile) Readdir(n int) ([]experimentalsys.Dirent, experimentalsys.Errno) {
	// os.File.Readdir lstat-s each entry relative to the directory's descriptor (fstatat, no
	// link followed), so listing a link shows the link.
	fis, err := f.file.Readdir(n)
	if errno := f.errno(err); errno != 0 {
		return nil, errno
	}
	dirents := make([]experimentalsys.Dirent, 0, len(fis))
	for _, fi := range fis {
		dirents = append(dirents, experimentalsys.Dirent{Name: fi.Name(), Ino: sys.NewStat_t(fi).Ino, Type: fi.Mode().Type()})
	}
	return dirents, 0
}

func (f *rootFile) Write(buf []byte) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	if f.append {
		if _, err := f.file.Seek(0, io.SeekEnd); err != nil {
			return 0, f.errno(err)
		}
	}
	n, err := f.file.Write(buf)
	return n, f.errno(err)
}

func (f *rootFile) Pwrite(buf []byte, off int64) (int, experimentalsys.Errno) {
	if len(buf) == 0 {
		return 0, 0
	}
	n, err := f.file.WriteAt(buf, off)
	return n, f.errno(err)
}

func (f *rootFile) Truncate(size int64) experimentalsys.Errno {
	if size < 0 {
		return experimentalsys.EINVAL
	}
	return f.errno(f.file.Truncate(size))
}

func (f *rootFile) Sync() experimentalsys.Errno { return f.errno(f.file.Sync()) }

func (f *rootFile) Datasync() experimentalsys.Errno { return f.Sync() }

func (f *rootFile) Utimens(atim, mtim int64) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	// os.File has no futimens: set them by the name it was opened with, through the root (never
	// by the host path, which could lead anywhere), on whatever that name now is.
	return rootErrno(f.root.Chtimes(f.name, utime(atim), utime(mtim)))
}

func (f *rootFile) Close() experimentalsys.Errno {
	if f.closed {
		return 0
	}
	f.closed = true
	return experimentalsys.UnwrapOSError(f.file.Close())
}

// errno is err as the guest sees it: EBADF on a closed file, as wazero's files report.
func (f *rootFile) errno(err error) experimentalsys.Errno {
	if f.closed {
		return experimentalsys.EBADF
	}
	if errors.Is(err, io.EOF) {
		return 0
	}
	return experimentalsys.UnwrapOSError(err)
}

// rootFile is all of wazero's File, nothing left unimplemented.
var _ experimentalsys.File = (*rootFile)(nil)
