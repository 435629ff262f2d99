package operators

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
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
	digests.Lock()
	digests.byModule = nil // a test may have swapped the embedded modules
	digests.Unlock()
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
	sum, err := embeddedDigest(o.Module)
	if err != nil {
		return "", fmt.Errorf("operator %s: %w", name, err)
	}
	p, err := write(name, o.Module, sum)
	if err != nil {
		return "", fmt.Errorf("operator %s: write its module: %w", name, err)
	}
	if materialized.paths == nil {
		materialized.paths = map[string]string{}
	}
	materialized.paths[name] = p
	return p, nil
}

// write stores the embedded module under a name that holds its sha256 (hex), unless a file of
// that name and size is there already (another wasmflow process, or an earlier run; files
// appear whole, by rename, in an owner-only folder). Neither reading nor hashing the 20 MB of
// a module that is there: that was most of a `dags test`'s 110 ms.
func write(name, module, sum string) (string, error) {
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	p := filepath.Join(dir, fmt.Sprintf("%s-%s.wasm", name, sum[:16]))
	info, err := fs.Stat(embedded, "modules/"+module)
	if err != nil {
		return "", ErrNotBuilt
	}
	if have, err := os.Stat(p); err == nil && have.Mode().IsRegular() && have.Size() == info.Size() {
		return p, nil
	}
	wasm, err := fs.ReadFile(embedded, "modules/"+module)
	if err != nil {
		return "", ErrNotBuilt
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

var digests struct {
	sync.Mutex
	byModule map[string]string
}

// embeddedDigest is the sha256 (hex) of an embedded module: from the NAME.wasm.sha256 file
// `make operators` writes beside it, or, without one, hashed once per process.
func embeddedDigest(module string) (string, error) {
	digests.Lock()
	defer digests.Unlock()
	if d, ok := digests.byModule[module]; ok {
		return d, nil
	}
	var d string
	if line, err := fs.ReadFile(embedded, "modules/"+module+".sha256"); err == nil {
		if f := strings.Fields(string(line)); len(f) > 0 && len(f[0]) == 64 {
			d = f[0]
		}
	}
	if d == "" {
		wasm, err := fs.ReadFile(embedded, "modules/"+module)
		if err != nil {
			return "", ErrNotBuilt
		}
		sum := sha256.Sum256(wasm)
		d = hex.EncodeToString(sum[:])
	}
	if digests.byModule == nil {
		digests.byModule = map[string]string{}
	}
	digests.byModule[module] = d
	return d, nil
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
// binary's operator modules, which the task runtime keeps warm instances of
// (runtime.Config.Pooled): every operator's module reads its task from stdin alone (guest.Main)
// — neither argv, nor the environment, nor a mount, what a pooled instance cannot be given —
// and starting the Go runtime in the guest is most of a try of each (for http, 25 of 26 ms;
// for script, with goja, 35 of 40). None when the binary was built without its modules.
func PooledDigests() []string {
	materialized.Lock()
	dir := materialized.dir
	materialized.Unlock()
	var out []string
	seen := map[string]bool{}
	for _, o := range All() {
		if seen[o.Module] {
			continue // http and http_sensor share a module
		}
		seen[o.Module] = true
		if dir != "" {
			wasm, err := os.ReadFile(filepath.Join(dir, o.Module))
			if err != nil {
				continue
			}
			sum := sha256.Sum256(wasm)
			out = append(out, hex.EncodeToString(sum[:]))
			continue
		}
		if d, err := embeddedDigest(o.Module); err == nil {
			out = append(out, d)
		}
	}
	return out
}
