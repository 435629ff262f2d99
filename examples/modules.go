package examples

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// modulesDir is where the example DAGs' modules are, in the embedded files.
const modulesDir = "dags/modules"

// ModuleNames lists the example DAGs' task modules (echo.wasm, sum.wasm, ...), sorted: the DAG
// editor offers them to copy into a DAGs folder, so a new DAG can start from a real module.
func ModuleNames() []string {
	entries, _ := fs.ReadDir(dags, modulesDir)
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".wasm") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out
}

// Module is the bytes of the example module name (one of ModuleNames).
func Module(name string) ([]byte, error) {
	if name != path.Base(name) || !strings.HasSuffix(name, ".wasm") {
		return nil, fmt.Errorf("%q is not an example module's name (%s)", name, strings.Join(ModuleNames(), ", "))
	}
	b, err := dags.ReadFile(path.Join(modulesDir, name))
	if err != nil {
		return nil, fmt.Errorf("no example module %q: the examples have %s", name, strings.Join(ModuleNames(), ", "))
	}
	return b, nil
}
