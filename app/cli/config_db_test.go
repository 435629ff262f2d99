package cli

import (
	"strings"
	"testing"
)

func TestConfigGetValue(t *testing.T) {
	h := newHome(t, "WASMFLOW__CORE__PARALLELISM", "7")
	if v := h.ok("config", "get-value", "core", "parallelism"); v != "7\n" {
		t.Errorf("get-value core parallelism = %q", v)
	}
	if v := h.ok("config", "get-value", "core", "dags_folder"); !strings.HasPrefix(v, h.dir) {
		t.Errorf("get-value core dags_folder = %q, want under the home %s", v, h.dir)
	}
	h.fails(1, "the option [core/nope] is not found in config; [core] has dags_folder", "config", "get-value", "core", "nope")
	h.fails(1, `the option [core/dags_foldr] is not found in config (did you mean "dags_folder"?)`, "config", "get-value", "core", "dags_foldr")
	h.fails(1, `there is no section "nope"`, "config", "get-value", "nope", "x")
	h.fails(2, "missing KEY", "config", "get-value", "core")
}

func TestDbMigrateSaysWhatItDid(t *testing.T) {
	h := newHome(t)
	out := h.ok("db", "migrate")
	if !strings.Contains(out, "Metastore ready at ") || !strings.Contains(out, "Created the schema (migrations 1 to ") {
		t.Errorf("first db migrate:\n%s", out)
	}
	if out := h.ok("db", "migrate"); !strings.Contains(out, "Already at this version's schema: nothing to migrate") {
		t.Errorf("second db migrate:\n%s", out)
	}
	if out := h.ok("db", "check"); !strings.Contains(out, "Metastore OK") {
		t.Errorf("db check after migrate:\n%s", out)
	}
}

func TestInfo(t *testing.T) {
	h := newHome(t)
	code, _, errs := h.run("", "info", "-o", "json")
	if code != 0 {
		t.Fatalf("info before the metastore exists: exit %d %s", code, errs)
	}
	if out := h.ok("db", "migrate"); !strings.Contains(out, "Created the schema") {
		t.Errorf("info created the metastore: db migrate says\n%s", out)
	}
	info := decode[map[string]map[string]string](t, h.ok("info", "-o", "json"))
	wf, paths := info["wasmflow info"], info["Paths info"]
	if wf["metastore_dialect"] != "sqlite" || wf["metastore_schema_version"] == "" || wf["metastore_schema_version"] == "0" || !strings.Contains(wf["executor"], "LocalExecutor") {
		t.Errorf("wasmflow info = %v", wf)
	}
	if paths["wasmflow_home"] != h.dir || !strings.HasPrefix(paths["dags_folder"], h.dir) || info["System info"]["go_version"] == "" || info["Tools info"]["wazero"] == "" {
		t.Errorf("info = %v", info)
	}
	table := h.ok("info")
	for _, want := range []string{"wasmflow info\n", "\nSystem info\n", "\nTools info\n", "\nPaths info\n", "metastore_schema_version"} {
		if !strings.Contains(table, want) {
			t.Errorf("info table misses %q:\n%s", want, table)
		}
	}
}
