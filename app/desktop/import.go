package desktop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmflow/wasmflow/app"
)

// ImportFiles imports the .wasm files picked in the native dialog into the DAGs folder,
// as an upload through the API is (the same App.ImportModule). It stops at
// the first file that cannot be imported, naming it; those before it stay imported.
func (s *Services) ImportFiles(ctx context.Context, paths []string) ([]app.ModuleInfo, error) {
	a := s.App()
	if a == nil {
		return nil, errors.New("wasmflow is not running")
	}
	var out []app.ModuleInfo
	for _, p := range paths {
		wasm, err := readModule(p)
		if err != nil {
			return out, err
		}
		m, _, err := a.ImportModule(ctx, app.Actor(localUser()), filepath.Base(p), wasm)
		if err != nil {
			return out, fmt.Errorf("import %s: %w", p, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// importedMessage tells where imported modules went and how a DAG file names them.
func importedMessage(mods []app.ModuleInfo) string {
	if len(mods) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("Stored in the DAGs folder's modules folder. A DAG file in the DAGs folder's top level names them as:\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "\n  %s → module: %s", m.Name, m.Path)
	}
	return b.String()
}

// readModule reads a regular file of at most app.MaxModuleBytes (a FIFO or a device named
// x.wasm would block or never end).
func readModule(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	wasm, err := io.ReadAll(io.LimitReader(f, app.MaxModuleBytes+1))
	if err != nil {
		return nil, err
	}
	if len(wasm) > app.MaxModuleBytes {
		return nil, fmt.Errorf("%s is larger than %d MiB, the most a module may be", path, app.MaxModuleBytes>>20)
	}
	return wasm, nil
}
