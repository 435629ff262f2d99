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
// nothing changes under it while it reads.
func collectXComs(dir string, maxBytes, maxCount int, log *tryLog) (xcoms map[string][]byte, reason string, pristine bool) {
	d, err := os.Open(dir)
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
		v, size, err := readCapped(filepath.Join(dir, name), maxBytes)
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
type xcomDirs struct {
	base string // where they are made; "" is os.TempDir()
	max  int    // how many idle ones to keep

	mu   sync.Mutex
	idle []string
}

func (p *xcomDirs) get() (string, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		dir := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return dir, nil
	}
	p.mu.Unlock()
	return os.MkdirTemp(p.base, "wasmflow-xcom-")
}

// put takes dir back: kept when pristine, else removed.
func (p *xcomDirs) put(dir string, pristine bool) {
	if pristine {
		p.mu.Lock()
		if len(p.idle) < p.max {
			p.idle = append(p.idle, dir)
			p.mu.Unlock()
			return
		}
		p.mu.Unlock()
	}
	os.RemoveAll(dir)
}

// close removes the idle directories.
func (p *xcomDirs) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, dir := range p.idle {
		os.RemoveAll(dir)
	}
	p.idle = nil
}

// readCapped reads at most max bytes of a file and returns its size.
func readCapped(name string, max int) ([]byte, int64, error) {
	f, err := os.Open(name)
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
