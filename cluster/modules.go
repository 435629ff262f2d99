package cluster

import (
	"container/list"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Modules travel from the server to a worker by sha256: the server names the module of each
// try by its digest, a worker that lacks it answers "need module <sha256>", the server sends
// the bytes, and the worker keeps them only if they hash to that name.

// errModuleMismatch is a transfer whose bytes do not hash to the module's name.
var errModuleMismatch = errors.New("module bytes do not match their sha256")

func digest(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func validSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// moduleCache holds the modules a worker received: on disk under dir as <sha256>.wasm, and
// the most recently used in memory, up to maxBytes.
type moduleCache struct {
	dir      string
	maxBytes int

	mu    sync.Mutex
	bytes int
	lru   *list.List // of *cachedModule, most recent first
	bySHA map[string]*list.Element
}

type cachedModule struct {
	sha  string
	data []byte
}

func newModuleCache(dir string) (*moduleCache, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("module cache: %w", err)
	}
	return &moduleCache{dir: dir, maxBytes: 256 << 20, lru: list.New(), bySHA: map[string]*list.Element{}}, nil
}

func (c *moduleCache) path(sha string) string { return filepath.Join(c.dir, sha+".wasm") }

// has reports whether the module is cached, in memory or on disk.
func (c *moduleCache) has(sha string) bool {
	if !validSHA256(sha) {
		return false
	}
	c.mu.Lock()
	_, ok := c.bySHA[sha]
	c.mu.Unlock()
	if ok {
		return true
	}
	_, err := os.Stat(c.path(sha))
	return err == nil
}

// get returns the module's bytes. Those read back from disk are checked again: a file damaged
// on disk is removed, and the worker asks for the module anew.
func (c *moduleCache) get(sha string) ([]byte, error) {
	c.mu.Lock()
	if e, ok := c.bySHA[sha]; ok {
		c.lru.MoveToFront(e)
		data := e.Value.(*cachedModule).data
		c.mu.Unlock()
		return data, nil
	}
	c.mu.Unlock()
	data, err := os.ReadFile(c.path(sha))
	if err != nil {
		return nil, fmt.Errorf("read cached module %s: %w", sha[:12], err)
	}
	if digest(data) != sha {
		_ = os.Remove(c.path(sha))
		return nil, fmt.Errorf("cached module %s: %w; removed, it will be fetched again", sha[:12], errModuleMismatch)
	}
	c.remember(sha, data)
	return data, nil
}

// put checks data against sha and stores it.
func (c *moduleCache) put(sha string, data []byte) error {
	if !validSHA256(sha) {
		return fmt.Errorf("%q is not a sha256", sha)
	}
	if got := digest(data); got != sha {
		return fmt.Errorf("module %s: %w (got %s)", sha[:12], errModuleMismatch, got[:12])
	}
	tmp, err := os.CreateTemp(c.dir, sha+".*.tmp")
	if err != nil {
		return fmt.Errorf("cache module: %w", err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path(sha))
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("cache module: %w", err)
	}
	c.remember(sha, data)
	return nil
}

func (c *moduleCache) remember(sha string, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.bySHA[sha]; ok {
		return
	}
	c.bySHA[sha] = c.lru.PushFront(&cachedModule{sha: sha, data: data})
	c.bytes += len(data)
	for c.bytes > c.maxBytes && c.lru.Len() > 1 {
		e := c.lru.Back()
		m := e.Value.(*cachedModule)
		c.lru.Remove(e)
		delete(c.bySHA, m.sha)
		c.bytes -= len(m.data)
	}
}

// moduleIndex is the server's side: the sha256 of each module file, hashed again only when
// the file's size or modification time changes.
type moduleIndex struct {
	mu     sync.Mutex
	byPath map[string]moduleStamp
}

type moduleStamp struct {
	size  int64
	mtime time.Time
	sha   string
}

func newModuleIndex() *moduleIndex { return &moduleIndex{byPath: map[string]moduleStamp{}} }

// digest returns the sha256 of the module file at path.
func (x *moduleIndex) digest(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("read module: %w", err)
	}
	x.mu.Lock()
	st, ok := x.byPath[path]
	x.mu.Unlock()
	if ok && st.size == fi.Size() && st.mtime.Equal(fi.ModTime()) {
		return st.sha, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read module: %w", err)
	}
	sha := digest(data)
	x.mu.Lock()
	x.byPath[path] = moduleStamp{size: fi.Size(), mtime: fi.ModTime(), sha: sha}
	x.mu.Unlock()
	return sha, nil
}

// read returns the bytes of the module at path and their sha256, which differs from the
// one asked for if the file changed since.
func (x *moduleIndex) read(path string) ([]byte, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read module: %w", err)
	}
	sha := digest(data)
	if fi, err := os.Stat(path); err == nil {
		x.mu.Lock()
		x.byPath[path] = moduleStamp{size: fi.Size(), mtime: fi.ModTime(), sha: sha}
		x.mu.Unlock()
	}
	return data, sha, nil
}

// load returns the bytes of the module at path and their sha256, hashed again only when the
// file's size or modification time changed: the runner then finds its compiled module by the
// digest without hashing the bytes each try (~10 ms for the 19 MB script operator's module).
func (x *moduleIndex) load(path string) ([]byte, string, error) {
	before, err := os.Stat(path)
	if err != nil {
		return nil, "", fmt.Errorf("read module: %w", err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("read module: %w", err)
	}
	x.mu.Lock()
	st, ok := x.byPath[path]
	x.mu.Unlock()
	if ok && st.size == before.Size() && st.size == int64(len(data)) && st.mtime.Equal(before.ModTime()) {
		return data, st.sha, nil
	}
	sha := digest(data)
	if int64(len(data)) == before.Size() {
		x.mu.Lock()
		x.byPath[path] = moduleStamp{size: before.Size(), mtime: before.ModTime(), sha: sha}
		x.mu.Unlock()
	}
	return data, sha, nil
}
