package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestVariablesJSONImportExport(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	h.ok("variables", "set", "-j", "limits", `{"rows":100,"tables":["a","b"]}`)
	if v := h.ok("variables", "get", "limits"); v != "{\n  \"rows\": 100,\n  \"tables\": [\n    \"a\",\n    \"b\"\n  ]\n}\n" {
		t.Errorf("set -j stored %q", v)
	}
	h.fails(2, "-j: the value is not JSON", "variables", "set", "-j", "bad", "{rows")
	if got := h.ok("variables", "get", "-j", "limits"); !strings.Contains(got, "\"tables\": [\n    \"a\",") {
		t.Errorf("variables get -j prints the JSON indented:\n%s", got)
	}

	file := filepath.Join(t.TempDir(), "vars.json")
	os.WriteFile(file, []byte(`{"table": "orders", "n": 3, "api": {"value": "https://x", "description": "the API"}, "limits": "replaced"}`), 0o644)
	h.fails(1, "variable limits exists already", "variables", "import", file, "-a", "fail")
	if out := h.ok("variables", "import", file, "-a", "skip"); out != "3 of 4 variables successfully updated.\n" {
		t.Errorf("import -a skip: %q", out)
	}
	if v := h.ok("variables", "get", "limits"); strings.Contains(v, "replaced") {
		t.Errorf("-a skip replaced limits")
	}
	if out := h.ok("variables", "import", file); out != "4 of 4 variables successfully updated.\n" {
		t.Errorf("import: %q", out)
	}
	if v := h.ok("variables", "get", "n"); v != "3\n" {
		t.Errorf("a number imported as %q", v)
	}

	h.ok("variables", "set", "-j", "limits", `{"rows": 5}`)
	exported := filepath.Join(t.TempDir(), "out.json")
	if out := h.ok("variables", "export", exported); out != "4 variables successfully exported to "+exported+"\n" {
		t.Errorf("export: %q", out)
	}
	b, _ := os.ReadFile(exported)
	vars := decode[map[string]any](t, string(b))
	if vars["table"] != "orders" || vars["n"] != float64(3) || vars["limits"].(map[string]any)["rows"] != float64(5) ||
		vars["api"].(map[string]any)["description"] != "the API" || vars["api"].(map[string]any)["value"] != "https://x" {
		t.Errorf("exported %s", b)
	}
	// What export writes, import reads back the same on another home.
	other := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	other.ok("variables", "import", exported)
	if a, b := h.ok("variables", "export", "-"), other.ok("variables", "export", "-"); a != b {
		t.Errorf("export, import, export changed the variables:\n%s\n%s", a, b)
	}
}

func TestPoolsGetImportExport(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__LOAD_EXAMPLES", "false")
	file := filepath.Join(t.TempDir(), "pools.json")
	os.WriteFile(file, []byte(`{"api": {"slots": 2, "description": "the API allows 2 calls"}, "db": {"slots": 5}}`), 0o644)
	if out := h.ok("pools", "import", file); out != "Uploaded 2 pool(s)\n" {
		t.Errorf("import: %q", out)
	}
	p := decode[[]map[string]any](t, h.ok("pools", "get", "api", "-o", "json"))
	if len(p) != 1 || p[0]["slots"] != float64(2) || p[0]["description"] != "the API allows 2 calls" {
		t.Errorf("pools get api: %v", p)
	}
	if out := h.ok("pools", "get", "db"); !strings.Contains(out, "db    5") {
		t.Errorf("pools get db:\n%s", out)
	}
	h.fails(1, `pool "nope" not found`, "pools", "get", "nope")
	os.WriteFile(file, []byte(`{"x": {"slots": 1}, "y": {"description": "no slots"}}`), 0o644)
	h.fails(1, `pool y in `+file+`: give "slots"`, "pools", "import", file)
	h.fails(1, `pool "x" not found`, "pools", "get", "x") // nothing imported from a file with a bad pool

	out := filepath.Join(t.TempDir(), "out.json")
	if msg := h.ok("pools", "export", out); msg != "Exported 3 pools to "+out+"\n" {
		t.Errorf("export: %q", msg)
	}
	b, _ := os.ReadFile(out)
	pools := decode[map[string]map[string]any](t, string(b))
	if pools["api"]["slots"] != float64(2) || pools["db"]["slots"] != float64(5) || pools["default_pool"] == nil {
		t.Errorf("exported %s", b)
	}
}
