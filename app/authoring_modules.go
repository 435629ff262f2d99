package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"unicode"

	"github.com/wasmflow/wasmflow/examples"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
)

// ModuleInfo is a task module in the DAGs folder.
type ModuleInfo struct {
	Path   string `json:"path"` // relative to the DAGs folder
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Ref    string `json:"ref"` // what a DAG file's module: says for it, relative to that file's folder
}

// ListModules lists every .wasm file in the DAGs folder (hidden folders skipped, at most
// maxModuleDepth folders deep and maxModules files), by path. relativeTo, a DAG file's path,
// makes each module's Ref relative to that file's folder; "" to the DAGs folder.
func (a *App) ListModules(ctx context.Context, relativeTo string) ([]ModuleInfo, error) {
	from := "."
	if relativeTo != "" {
		if err := checkPath(relativeTo, true); err != nil {
			return nil, err
		}
		from = path.Dir(relativeTo)
	}
	root, err := a.dagsRoot()
	if err != nil {
		return nil, err
	}
	out := []ModuleInfo{}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == root {
				return err
			}
			return nil // an unreadable folder or file: list the others
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if strings.Count(rel, "/") >= maxModuleDepth {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.EqualFold(path.Ext(rel), ".wasm") || (!d.Type().IsRegular() && staysInside(root, p) != nil) {
			return nil
		}
		m, err := moduleInfo(p, rel, from)
		if err != nil {
			return nil // a dangling link or a file removed meanwhile
		}
		out = append(out, m)
		if len(out) == maxModules {
			return fs.SkipAll
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list modules in %s: %w", root, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func moduleInfo(abs, rel, from string) (ModuleInfo, error) {
	f, err := os.Open(abs)
	if err != nil {
		return ModuleInfo{}, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.Mode().IsRegular() {
		return ModuleInfo{}, fmt.Errorf("%s is not a file", rel)
	}
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return ModuleInfo{}, err
	}
	ref, err := filepath.Rel(filepath.FromSlash(from), filepath.FromSlash(rel))
	if err != nil {
		ref = rel
	}
	return ModuleInfo{Path: rel, Name: path.Base(rel), SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Ref: filepath.ToSlash(ref)}, nil
}

// ImportModule stores a task module in the DAGs folder under modules/, where any DAG file can
// refer to it, after checking that it can run as a task (runtime.CheckModule). Its path is
// short and readable, modules/<name>, unless a different module holds that name: then it is
// modules/<name>-<first 8 hex digits of its sha256>.wasm, so an import never changes what a
// DAG already runs. created is false when the same bytes were stored under that name already.
// The Ref of the answer is relative to the DAGs folder.
func (a *App) ImportModule(ctx context.Context, who Actor, name string, wasm []byte) (m ModuleInfo, created bool, err error) {
	if len(wasm) > MaxModuleBytes {
		return m, false, marked(ErrTooLarge, "module %s is %d MiB; modules of up to %d MiB can be imported", name, len(wasm)>>20, MaxModuleBytes>>20)
	}
	base, err := moduleName(name)
	if err != nil {
		return m, false, err
	}
	if err := checkModule(ctx, base, wasm); err != nil {
		return m, false, err
	}
	sum := digest(wasm)
	fileWrites.Lock()
	defer fileWrites.Unlock()
	stem := strings.TrimSuffix(base, ".wasm")
	for _, rel := range []string{
		path.Join(ModulesFolder, base),
		path.Join(ModulesFolder, stem+"-"+sum[:8]+".wasm"),
		path.Join(ModulesFolder, sum, base), // only if both are taken by other bytes
	} {
		abs, err := a.resolve(rel, false)
		if err != nil {
			return m, false, err
		}
		m = ModuleInfo{Path: rel, Name: path.Base(rel), SHA256: sum, Size: int64(len(wasm)), Ref: rel}
		cur, err := os.ReadFile(abs)
		if err == nil && digest(cur) == sum {
			return m, false, nil
		}
		if err == nil || !errors.Is(err, fs.ErrNotExist) {
			continue // another module's name (or unreadable): never replace it
		}
		if err := os.MkdirAll(filepath.Dir(abs), 0o755); err != nil {
			return m, false, fmt.Errorf("create the folder of module %s: %w", rel, err)
		}
		if err := writeAtomic(abs, wasm, 0o644, true); err != nil {
			return m, false, fmt.Errorf("write module %s: %w", rel, err)
		}
		a.audit(ctx, who, "module.upload", scheduler.AuditEvent{Extra: rel})
		return m, true, nil
	}
	return m, false, fmt.Errorf("module %s: modules/%s and the names after it are taken by other modules; rename the file and import it again", base, base)
}

// moduleName makes a module's file name safe: its base name, with characters other than
// letters, digits, '.', '_' and '-' replaced, not hidden, ending in .wasm.
func moduleName(name string) (string, error) {
	base := name[strings.LastIndexAny(name, `/\`)+1:]
	base = strings.Map(func(r rune) rune {
		if r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-", r)) {
			return r
		}
		return '_'
	}, base)
	base = strings.TrimLeft(base, ".")
	if len(base) > 200 {
		base = base[len(base)-200:]
	}
	if !strings.HasSuffix(strings.ToLower(base), ".wasm") || len(base) == len(".wasm") {
		return "", marked(ErrInvalid, "module name %q does not end in .wasm: name it after the file, like transform.wasm", name)
	}
	return base, nil
}

// checkModule refuses bytes that cannot run as a task, with runtime.CheckModule's reason: not
// a core WebAssembly module, one that does not compile, without `_start`, or with imports other
// than WASI preview1 and the wasmflow host module. An upload is refused now rather than its
// first try failing later.
func checkModule(ctx context.Context, name string, wasm []byte) error {
	const fix = "import the .wasm file your build wrote, e.g. GOOS=wasip1 GOARCH=wasm go build -o task.wasm"
	if err := runtime.CheckModule(ctx, wasm); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return marked(ErrInvalid, "%s cannot run as a task: %v; %s", name, err, fix)
	}
	return nil
}

// digest is a file's sha256 as the API shows it: a module's is the runtime's digest of it.
func digest(b []byte) string { return runtime.Digest(b) }

// ExampleModules are the example DAGs' modules, which ImportExampleModule copies into the DAGs
// folder: a home with no module of its own can start a DAG from one.
func (a *App) ExampleModules() []string { return examples.ModuleNames() }

// ImportExampleModule copies the example module name into the DAGs folder, as ImportModule
// stores an upload.
func (a *App) ImportExampleModule(ctx context.Context, who Actor, name string) (ModuleInfo, bool, error) {
	wasm, err := examples.Module(name)
	if err != nil {
		return ModuleInfo{}, false, marked(scheduler.ErrNotFound, "%v", err)
	}
	return a.ImportModule(ctx, who, name, wasm)
}
