package runtime

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// ReturnValueKey is the XCom key of a task's result (Airflow's XCOM_RETURN_KEY).
const ReturnValueKey = "return_value"

// maxXComKeyLen bounds a key: it is a file name in /xcom and a column in the metastore.
const maxXComKeyLen = 250

// checkXComKey says what is wrong with a key pushed through wasmflow.xcom_push, if anything.
// Files the module writes into /xcom need no check: the file system already made them names.
func checkXComKey(key string) error {
	switch {
	case key == "" || key == "." || key == "..":
		return fmt.Errorf("xcom key %q is not a file name", key)
	case strings.ContainsAny(key, "/\x00"):
		return fmt.Errorf("xcom key %q contains '/' or NUL", key)
	case len(key) > maxXComKeyLen:
		return fmt.Errorf("xcom key %.20q... is %d bytes, over %d", key, len(key), maxXComKeyLen)
	}
	return nil
}

// xcomTooBig is the failure reason for a value over the limit.
func xcomTooBig(key string, size int64, limit int) string {
	return fmt.Sprintf("%s: %q is %d bytes, over the limit of %d bytes", ReasonXCom, key, size, limit)
}

// collectXComs reads every regular file the module left in dir. It returns what it could read,
// a failure reason (empty if none) naming the first XCom over a limit, and whether dir is as
// the try got it (empty, mode 0700) and can serve another try. The module has exited, so
// nothing changes under it while it reads. The files are read through the folder opened as an
// os.Root, as the module wrote them: the module cannot make links (rootFS refuses), and were
// one there, it would not lead the host out.
func collectXComs(dir string, maxBytes, maxCount int, log *tryLog) (xcoms map[string][]byte, reason string, pristine bool) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Sprintf("%s: read %s: %v", ReasonXCom, xcomGuestPath, err), false
	}
	defer root.Close()
	d, err := root.Open(".")
	if err != nil {
		return nil, fmt.Sprintf("%s: read %s: %v", ReasonXCom, xcomGuestPath, err), false
	}
	defer d.Close()
	fi, err := d.Stat()
	if err != nil {
		return nil, fmt.Sprintf("%s: read %s: %v", ReasonXCom, xcomGuestPath, err), false
	}
	entries, err := d.ReadDir(-1)
	if err != nil {
		return nil, fmt.Sprintf("%s: read %s: %v", ReasonXCom, xcomGuestPath, err), false
	}
	pristine = len(entries) == 0 && fi.Mode() == fs.ModeDir|0o700
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	xcoms = make(map[string][]byte, len(entries))
	fail := func(r string) {
		if reason == "" {
			reason = r
		}
	}
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() {
			log.note("ignoring %s/%s: only regular files are XComs", xcomGuestPath, name)
			continue
		}
		if len(xcoms) == maxCount {
			fail(fmt.Sprintf("%s: more than %d XComs in %s", ReasonXCom, maxCount, xcomGuestPath))
			break
		}
		v, size, err := readCapped(root, name, maxBytes)
		switch {
		case err != nil:
			fail(fmt.Sprintf("%s: read %s/%s: %v", ReasonXCom, xcomGuestPath, name, err))
		case size > int64(maxBytes):
			fail(xcomTooBig(name, size, maxBytes))
		default:
			xcoms[name] = v
		}
	}
	return xcoms, reason, pristine
}

// xcomDirs hands out empty directories for /xcom. Making and removing one costs two syscalls
// that are a third of a C module's whole try, so a directory a try left empty and untouched is
// kept for the next one.
//
// They are made in one folder of the Runner's own, wasmflow-runner-*, which the Runner holds
// locked (flock) while it lives and removes whole when it closes. A process that dies without
// closing its Runner (kill -9, a crash, power loss) leaves its folder unlocked: the next Runner
// made with the same base removes it at start (sweep), while the folders of live Runners,
// locked, are left alone.
type xcomDirs struct {
	base string // where the Runner's folder is made; "" is os.TempDir()
	max  int    // how many idle ones to keep

	mu     sync.Mutex
	folder *runnerFolder // made on first use
	idle   []string
	closed bool
}

// runnerFolderPrefix names a Runner's folder of /xcom directories in the base.
const runnerFolderPrefix = "wasmflow-runner-"

// runnerFolder is a Runner's folder and the open descriptor that holds its lock.
type runnerFolder struct {
	path string
	lock *os.File
}

func (p *xcomDirs) get() (string, error) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return "", ErrClosed
	}
	if n := len(p.idle); n > 0 {
		dir := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return dir, nil
	}
	if p.folder == nil {
		f, err := makeRunnerFolder(p.base)
		if err != nil {
			p.mu.Unlock()
			return "", err
		}
		p.folder = f
	}
	parent := p.folder.path
	p.mu.Unlock()
	return os.MkdirTemp(parent, "xcom-")
}

// put takes dir back: kept when pristine, else removed.
func (p *xcomDirs) put(dir string, pristine bool) {
	if pristine {
		p.mu.Lock()
		if !p.closed && len(p.idle) < p.max {
			p.idle = append(p.idle, dir)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	os.RemoveAll(dir)
}

// close removes the Runner's folder with every directory in it, idle or not: a try still
// running when its Runner closes ends with ErrClosed and wants its /xcom no more.
func (p *xcomDirs) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	p.idle = nil
	if f := p.folder; f != nil {
		os.RemoveAll(f.path)
		f.lock.Close() // releases the lock
		p.folder = nil
	}
}

// makeRunnerFolder makes a locked folder for a Runner's /xcom directories in base. A sweep by
// another process may remove it between its making and its locking; it is then made again.
func makeRunnerFolder(base string) (*runnerFolder, error) {
	for range 3 {
		dir, err := os.MkdirTemp(base, runnerFolderPrefix)
		if err != nil {
			return nil, err
		}
		f, err := os.Open(dir)
		if err != nil {
			continue // swept already
		}
		if !lockFolder(f) {
			f.Close() // a sweep holds it and will remove it
			continue
		}
		if fi, err := os.Stat(dir); err == nil && sameFile(f, fi) {
			return &runnerFolder{path: dir, lock: f}, nil
		}
		f.Close() // swept between the making and the locking
	}
	return nil, fmt.Errorf("make a folder for /xcom in %s: removed as soon as made, 3 times (another process sweeping it?)", base)
}

func sameFile(f *os.File, fi fs.FileInfo) bool {
	ffi, err := f.Stat()
	return err == nil && os.SameFile(ffi, fi)
}

// sweepRunnerFolders removes the Runner folders in base that no live Runner holds: what
// processes that died without closing theirs left. It reports what it removed.
func sweepRunnerFolders(base string) (removed []string) {
	if !folderLocks {
		return nil
	}
	if base == "" {
		base = os.TempDir()
	}
	dirs, _ := filepath.Glob(filepath.Join(base, runnerFolderPrefix+"*"))
	for _, dir := range dirs {
		f, err := os.Open(dir)
		if err != nil {
			continue
		}
		if lockFolder(f) { // nobody holds it: its Runner is gone
			if os.RemoveAll(dir) == nil {
				removed = append(removed, dir)
			}
		}
		f.Close()
	}
	return removed
}

// readCapped reads at most max bytes of a file in root and returns its size.
func readCapped(root *os.Root, name string, max int) ([]byte, int64, error) {
	f, err := root.Open(name)
	if err != nil {
		return nil, 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	if fi.Size() > int64(max) {
		return nil, fi.Size(), nil
	}
	b, err := io.ReadAll(io.LimitReader(f, int64(max)+1))
	if err != nil {
		return nil, 0, err
	}
	return b, int64(len(b)), nil
}
