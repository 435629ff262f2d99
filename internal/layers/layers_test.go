package layers

import (
	"encoding/json"
	"io"
	"os/exec"
	"path"
	"strings"
	"testing"
)

const module = "github.com/wasmflow/wasmflow"

// allowed lists, for each package of the module (a pattern ending in /... covers a subtree),
// the packages of the module it may import outside test files. docs/ARCHITECTURE.md explains
// the layers; keep the two together. A package not listed may import nothing of the module.
var allowed = map[string][]string{
	"tasks/cron":      {},
	"tasks/sdk":       {},
	"tasks/scaffold":  {"tasks/sdk"},
	"tasks/operators": {},
	"tasks":           {"tasks/cron", "tasks/operators"},

	// Guest code, compiled to wasip1: the SDK only, never the host.
	"tasks/operators/guest":  {"tasks/sdk"},
	"tasks/operators/http":   {"tasks/sdk", "tasks/operators/guest"},
	"tasks/operators/sql":    {"tasks/sdk", "tasks/operators/guest"},
	"tasks/operators/script": {"tasks/sdk"},
	"examples/modules/...":   {"tasks/sdk"},

	"runtime":             {"tasks"},
	"scheduler/timetable": {"tasks", "tasks/cron"},
	"scheduler":           {"tasks", "tasks/operators", "scheduler/timetable"},
	"scheduler/metastore": {"tasks", "scheduler"},
	"cluster":             {"tasks", "tasks/operators", "runtime", "scheduler"},
	"app/config":          {"tasks"},
	"app":                 {"tasks", "tasks/operators", "runtime", "scheduler", "scheduler/timetable", "scheduler/metastore", "cluster", "app/config", "examples"},
	"app/api":             {"tasks", "tasks/operators", "scheduler", "scheduler/metastore", "app"},
	"app/desktop":         {"tasks", "cluster", "app", "app/config", "app/api"},
	"app/cli":             {"tasks", "tasks/operators", "tasks/scaffold", "scheduler", "cluster", "app", "app/config", "app/api", "frontend"},
	"":                    {"app/cli", "app/desktop", "app", "app/api", "app/config", "frontend"},

	// Test support: imported by tests only.
	"internal/dbtest":               {"internal/pgtest"},
	"internal/pgtest":               {},
	"tasks/operators/operatorstest": {"tasks/operators"},
	"scheduler/schedulertest":       {"tasks", "scheduler"},
}

// foreign lists third-party modules that belong to one layer: wazero to the runtime, the
// gossip to the cluster, the window to the desktop app. Any other package importing them is
// a layering error.
var foreign = map[string][]string{
	"github.com/tetratelabs/wazero":   {"runtime"},
	"github.com/hashicorp/memberlist": {"cluster"},
	"github.com/wailsapp/wails":       {"app/desktop", ""},
	"gorm.io/gorm":                    {"scheduler/metastore", "app"},
	// params are checked where they are parsed: a second validator elsewhere could disagree
	"github.com/santhosh-tekuri/jsonschema": {"tasks"},
}

type pkg struct {
	ImportPath string
	Imports    []string
}

// listPackages runs `go list` over the module with tags, as the build sees it.
func listPackages(t *testing.T, tags string) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-tags", tags, "-json=ImportPath,Imports", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found %d packages: run from the module", len(pkgs))
	}
	return pkgs
}

// rel is path inside the module ("" for its root), and whether it is inside at all.
func rel(importPath string) (string, bool) {
	if importPath == module {
		return "", true
	}
	r, ok := strings.CutPrefix(importPath, module+"/")
	return r, ok
}

// rule finds the entry of table for the package at r: its own, or a /... entry above it.
func rule[T any](table map[string]T, r string) (T, bool) {
	if v, ok := table[r]; ok {
		return v, true
	}
	for dir := r; dir != "." && dir != "" && dir != "/"; dir = path.Dir(dir) {
		if v, ok := table[dir+"/..."]; ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func TestImportRules(t *testing.T) {
	for _, tags := range []string{"", "desktop,bindings", "e2e"} {
		for _, p := range listPackages(t, tags) {
			self, _ := rel(p.ImportPath)
			may, listed := rule(allowed, self)
			for _, imp := range p.Imports {
				if r, inside := rel(imp); inside {
					if !contains(may, r) {
						t.Errorf("%s imports %s (tags %q): docs/ARCHITECTURE.md's layers allow it %v; move the code or change both the rule and the doc",
							show(self), show(r), tags, may)
					}
					continue
				}
				for mod, owners := range foreign {
					if (imp == mod || strings.HasPrefix(imp, mod+"/")) && !contains(owners, self) {
						t.Errorf("%s imports %s, which belongs to %v (docs/ARCHITECTURE.md)", show(self), imp, owners)
					}
				}
			}
			if !listed && len(p.Imports) > 0 && importsModule(p.Imports) {
				t.Errorf("package %s has no entry in the layering table: add it to docs/ARCHITECTURE.md and internal/layers", show(self))
			}
		}
	}
}

func importsModule(imports []string) bool {
	for _, imp := range imports {
		if _, ok := rel(imp); ok {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func show(r string) string {
	if r == "" {
		return "the root package (main)"
	}
	return r
}
