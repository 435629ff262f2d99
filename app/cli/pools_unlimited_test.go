package cli

import "testing"

// TestPoolWithoutLimit: slots -1 is Airflow's pool without a limit, by `pools set` (after --,
// so -1 is not read as a flag) and by `pools import`; less than -1 is refused.
func TestPoolWithoutLimit(t *testing.T) {
	h := newHome(t)
	h.ok("pools", "set", "--", "free", "-1", "no limit")
	h.fails(2, "-1 for no limit", "pools", "set", "--", "neg", "-2")
	h.run(`{"open": {"slots": -1}}`, "pools", "import", "-")
	pools := decode[[]map[string]any](t, h.ok("pools", "list", "-o", "json"))
	got := map[string]any{}
	for _, p := range pools {
		got[p["name"].(string)] = p["slots"]
	}
	if got["free"] != float64(-1) || got["open"] != float64(-1) || got["neg"] != nil {
		t.Errorf("pools: %v", pools)
	}
}
