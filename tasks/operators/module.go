package operators

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// embedded holds the modules `make operators` built into modules/; on a plain `go build` only
// its README.
//
//go:embed modules
var embeddedFS embed.FS

// embedded is embeddedFS; a test replaces it to see a binary built without the modules.
var embedded fs.FS = embeddedFS

// ErrNotBuilt says this binary was built without the operator modules.
var ErrNotBuilt = errors.New("this wasmflow was built without its operator modules: build it with `make build` (which runs `make operators` first), not a plain `go build`")

var materialized struct {
	sync.Mutex
	dir   string            // UseModuleDir's folder, if set
	paths map[string]string // operator name -> file written this process
}

// UseModuleDir makes ModulePath answer the modules in dir (named as Operator.Module) instead
// of the embedded ones: for tests, which build the modules themselves, and for a developer
// trying a module without rebuilding wasmflow. "" goes back to the embedded ones.
func UseModuleDir(dir string) {
	materialized.Lock()
	defer materialized.Unlock()
	materialized.dir = dir
	materialized.paths = nil
}

// ModulePath returns a file holding the module of operator name, which the executors read as
// they read any task's module (so its sha256 is recorded on the try, and a worker receives it
// like any module). The embedded bytes are written once per process, content-addressed, into
// the user's cache folder (owner-only).
func ModulePath(name string) (string, error) {
	o := Get(name)
	if o == nil {
		return "", fmt.Errorf("no built-in operator %q (there are: %s)", name, Names())
	}
	materialized.Lock()
	defer materialized.Unlock()
	if materialized.dir != "" {
		p := filepath.Join(materialized.dir, o.Module)
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("operator %s: %w", name, err)
		}
		return p, nil
	}
	if p, ok := materialized.paths[name]; ok {
		return p, nil
	}
	wasm, err := fs.ReadFile(embedded, "modules/"+o.Module)
	if err != nil {
		return "", fmt.Errorf("operator %s: %w", name, ErrNotBuilt)
	}
	p, err := write(name, wasm)
	if err != nil {
		return "", fmt.Errorf("operator %s: write its module: %w", name, err)
	}
	if materialized.paths == nil {
		materialized.paths = map[string]string{}
	}
	materialized.paths[name] = p
	return p, nil
}

// write stores wasm under a name that holds its sha256, unless a file with those very bytes
// is there already (another wasmflow process, or an earlier run).
func write(name string, wasm []byte) (string, error) {
	sum := sha256.Sum256(wasm)
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%s.wasm", name, hex.EncodeToString(sum[:8])))
	if have, err := os.ReadFile(p); err == nil && bytes.Equal(have, wasm) {
		return p, nil
	}
	tmp, err := os.CreateTemp(dir, name+"-*.tmp")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(wasm); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	return p, os.Rename(tmp.Name(), p)
}

// cacheDir is <user cache>/wasmflow/operators, or a private temporary folder where the user
// has no cache folder (no HOME).
func cacheDir() (string, error) {
	base, err := os.UserCacheDir()
	if err != nil {
		return os.MkdirTemp("", "wasmflow-operators-")
	}
	dir := filepath.Join(base, "wasmflow", "operators")
	return dir, os.MkdirAll(dir, 0o700)
}

// Built reports whether this binary can run operator name: its module is embedded (or in the
// UseModuleDir folder).
func Built(name string) bool {
	o := Get(name)
	if o == nil {
		return false
	}
	materialized.Lock()
	dir := materialized.dir
	materialized.Unlock()
	if dir != "" {
		_, err := os.Stat(filepath.Join(dir, o.Module))
		return err == nil
	}
	_, err := fs.Stat(embedded, "modules/"+o.Module)
	return err == nil
}

// PooledDigests are the sha256 digests (hex, as runtime.Digest computes them) of this
// binary's operator modules that the task runtime may keep warm instances of
// (runtime.Config.Pooled): the script operator's, which reads neither argv, nor the
// environment, nor a mount — what a pooled instance cannot be given — and whose instantiation
// and engine start are most of a try. None when the binary was built without its modules.
func PooledDigests() []string {
	p, err := ModulePath("script")
	if err != nil {
		return nil
	}
	wasm, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	sum := sha256.Sum256(wasm)
	return []string{hex.EncodeToString(sum[:])}
}
