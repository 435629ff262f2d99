package desktop

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/wasmflow/wasmflow/app"
)

// ImportFiles imports the .wasm files picked in the native dialog into the DAGs folder,
// content-addressed like an upload through the API (the same App.ImportModule). It stops at
// the first file that cannot be imported, naming it; those before it stay imported.
func (s *Services) ImportFiles(ctx context.Context, paths []string) ([]app.ModuleInfo, error) {
	a := s.App()
	if a == nil {
		return nil, errors.New("wasmflow is not running")
	}
	var out []app.ModuleInfo
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return out, err
		}
		if st.Size() > app.MaxModuleBytes {
			return out, fmt.Errorf("%s is %d MiB; modules of up to %d MiB can be imported", p, st.Size()>>20, app.MaxModuleBytes>>20)
		}
		wasm, err := os.ReadFile(p)
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
	b.WriteString("Stored in the DAGs folder by their sha256. A DAG file in the DAGs folder's top level names them as:\n")
	for _, m := range mods {
		fmt.Fprintf(&b, "\n  %s → module: %s", m.Name, m.Path)
	}
	return b.String()
}
