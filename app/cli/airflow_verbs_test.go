package cli

import (
	"strings"
	"testing"
)

// TestAirflowVerbsHaveExamples: the Airflow verbs and flags added for issue 20 exist under
// Airflow's names, and each says in --help how it is called.
func TestAirflowVerbsHaveExamples(t *testing.T) {
	root := newRoot(IO{})
	for path, flags := range map[string][]string{
		"dags backfill":       {"reset-dagruns", "rerun-failed-tasks", "task-regex", "dry-run", "conf", "yes"},
		"dags trigger":        {"run-id"},
		"dags delete":         {"yes"},
		"dags details":        {"output"},
		"dags next-execution": {"num-executions"},
		"dags report":         {"output"},
		"dags list-runs":      {"dag-id", "start-date", "end-date", "state", "no-backfill"},
		"tasks state":         nil,
		"tasks render":        nil,
		"tasks failed-deps":   nil,
		"variables set":       {"json"},
		"variables import":    {"action-on-existing-key"},
		"variables export":    nil,
		"pools get":           {"output"},
		"pools import":        nil,
		"pools export":        nil,
		"config get-value":    nil,
		"db migrate":          nil,
		"users add-role":      {"username", "role"},
		"users remove-role":   {"username", "role"},
		"users export":        nil,
		"users import":        nil,
		"roles list":          {"output"},
		"info":                {"output"},
	} {
		cmd, rest, err := root.Find(strings.Fields(path))
		if err != nil || len(rest) > 0 || cmd.CommandPath() != "wasmflow "+path {
			t.Errorf("wasmflow %s: not a command (%v)", path, err)
			continue
		}
		if !strings.Contains(cmd.Example, "wasmflow "+path) {
			t.Errorf("wasmflow %s --help has no example of it: %q", path, cmd.Example)
		}
		for _, f := range flags {
			if cmd.Flags().Lookup(f) == nil {
				t.Errorf("wasmflow %s has no --%s", path, f)
			}
		}
	}
	for short, path := range map[string]string{"r": "dags trigger", "n": "dags backfill", "t": "dags backfill", "c": "dags backfill", "j": "variables set"} {
		cmd, _, _ := root.Find(strings.Fields(path))
		if cmd.Flags().ShorthandLookup(short) == nil {
			t.Errorf("wasmflow %s has no -%s", path, short)
		}
	}
}
