package tasks

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// groupDAG is a DAG file with the groups list and tasks given, its modules the test's no-op.
func groupDAG(groups, tasks string) []byte {
	return []byte("dag_id: g\ndefault_args:\n  retries: 1\n  queue: dag_q\n  pool: dag_pool\n" +
		"groups:\n" + groups + "tasks:\n" + tasks)
}

func TestTaskGroups(t *testing.T) {
	const noop = "    module: testdata/modules/noop.wasm\n"
	cases := []struct {
		name           string
		groups, tasks  string
		wantIDs        []string            // task ids, in file order
		wantUp         map[string][]string // upstream of some tasks
		wantPath       map[string][]string // group path of some tasks
		wantGroupIDs   []string            // full group ids, in file order
		wantRetries    map[string]int
		wantQueue      map[string]string
		wantPool       map[string]string
		wantGroupTasks map[string][]string
	}{
		{
			name:     "prefix: a task's id starts with its group's",
			groups:   "  - {id: extract, tooltip: Pull the sources}\n",
			tasks:    "  - id: fetch\n    group: extract\n" + noop + "  - id: load\n    upstream: [extract.fetch]\n" + noop,
			wantIDs:  []string{"extract.fetch", "load"},
			wantUp:   map[string][]string{"load": {"extract.fetch"}},
			wantPath: map[string][]string{"extract.fetch": {"extract"}, "load": nil},
		},
		{
			name:   "nested group as an upstream means all its tasks, nested ones included",
			groups: "  - id: outer\n  - id: inner\n    parent_group: outer\n",
			tasks: "  - id: a\n    group: outer\n" + noop +
				"  - id: b\n    group: inner\n" + noop +
				"  - id: c\n    group: inner\n    upstream: [outer.inner.b]\n" + noop +
				"  - id: after_inner\n    upstream: [outer.inner]\n" + noop +
				"  - id: after_outer\n    upstream: [outer, after_inner]\n" + noop,
			wantIDs:      []string{"outer.a", "outer.inner.b", "outer.inner.c", "after_inner", "after_outer"},
			wantGroupIDs: []string{"outer", "outer.inner"},
			wantUp: map[string][]string{
				"after_inner": {"outer.inner.b", "outer.inner.c"},
				"after_outer": {"outer.a", "outer.inner.b", "outer.inner.c", "after_inner"},
			},
			wantPath:       map[string][]string{"outer.inner.c": {"outer", "outer.inner"}, "outer.a": {"outer"}},
			wantGroupTasks: map[string][]string{"outer": {"outer.a", "outer.inner.b", "outer.inner.c"}, "outer.inner": {"outer.inner.b", "outer.inner.c"}},
		},
		{
			name:   "prefix_group_id false: ids as written, also for child groups",
			groups: "  - {id: outer, prefix_group_id: false}\n  - {id: inner, parent_group: outer}\n",
			tasks: "  - id: a\n    group: outer\n" + noop + "  - id: b\n    group: inner\n" + noop +
				"  - id: z\n    upstream: [inner, a]\n" + noop,
			wantIDs:      []string{"a", "inner.b", "z"},
			wantGroupIDs: []string{"outer", "inner"},
			wantUp:       map[string][]string{"z": {"inner.b", "a"}},
			wantPath:     map[string][]string{"inner.b": {"outer", "inner"}},
		},
		{
			name:    "a group named by its full id in group: and parent_group:",
			groups:  "  - id: outer\n  - {id: inner, parent_group: outer}\n",
			tasks:   "  - id: b\n    group: outer.inner\n" + noop,
			wantIDs: []string{"outer.inner.b"},
		},
		{
			name: "default_args: the task's own, then the closest group's, then the outer group's, then the DAG's",
			groups: "  - id: outer\n    default_args: {retries: 5, queue: outer_q}\n" +
				"  - id: inner\n    parent_group: outer\n    default_args: {retries: 7}\n",
			tasks: "  - id: own\n    group: inner\n    retries: 9\n" + noop +
				"  - id: in_inner\n    group: inner\n" + noop +
				"  - id: in_outer\n    group: outer\n" + noop +
				"  - id: top\n" + noop,
			wantRetries: map[string]int{"outer.inner.own": 9, "outer.inner.in_inner": 7, "outer.in_outer": 5, "top": 1},
			wantQueue:   map[string]string{"outer.inner.own": "outer_q", "outer.inner.in_inner": "outer_q", "outer.in_outer": "outer_q", "top": "dag_q"},
			wantPool:    map[string]string{"outer.inner.own": "dag_pool", "top": "dag_pool"},
		},
		{
			name:   "an upstream named both itself and through its group is one link",
			groups: "  - id: e\n",
			tasks:  "  - id: x\n    group: e\n" + noop + "  - id: y\n    group: e\n" + noop + "  - id: z\n    upstream: [e.x, e]\n" + noop,
			wantUp: map[string][]string{"z": {"e.x", "e.y"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := Parse(filepath.Join(".", "g.yaml"), groupDAG(c.groups, c.tasks))
			if err != nil {
				t.Fatal(err)
			}
			if c.wantIDs != nil {
				var ids []string
				for _, task := range d.Tasks {
					ids = append(ids, task.TaskID)
				}
				if !reflect.DeepEqual(ids, c.wantIDs) {
					t.Errorf("task ids = %q, want %q", ids, c.wantIDs)
				}
			}
			if c.wantGroupIDs != nil {
				var ids []string
				for _, g := range d.Groups {
					ids = append(ids, g.GroupID)
				}
				if !reflect.DeepEqual(ids, c.wantGroupIDs) {
					t.Errorf("group ids = %q, want %q", ids, c.wantGroupIDs)
				}
			}
			task := func(id string) *Task {
				t.Helper()
				if d.Task(id) == nil {
					t.Fatalf("no task %q", id)
				}
				return d.Task(id)
			}
			for id, want := range c.wantUp {
				if got := task(id).Upstream; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: upstream = %q, want %q", id, got, want)
				}
			}
			for id, want := range c.wantPath {
				if got := task(id).GroupPath; !reflect.DeepEqual(got, want) {
					t.Errorf("%s: group path = %q, want %q", id, got, want)
				}
			}
			for id, want := range c.wantRetries {
				if got := task(id).Retries; got != want {
					t.Errorf("%s: retries = %d, want %d", id, got, want)
				}
			}
			for id, want := range c.wantQueue {
				if got := task(id).Queue; got != want {
					t.Errorf("%s: queue = %q, want %q", id, got, want)
				}
			}
			for id, want := range c.wantPool {
				if got := task(id).Pool; got != want {
					t.Errorf("%s: pool = %q, want %q", id, got, want)
				}
			}
			for id, want := range c.wantGroupTasks {
				if got := d.GroupTasks(id); !reflect.DeepEqual(got, want) {
					t.Errorf("GroupTasks(%s) = %q, want %q", id, got, want)
				}
			}
		})
	}
}

func TestTaskGroupFields(t *testing.T) {
	d, err := Parse(filepath.Join(".", "g.yaml"), groupDAG(
		"  - id: outer\n    tooltip: Everything\n  - {id: inner, parent_group: outer, prefix_group_id: false, default_args: {retry_delay: 1m}}\n",
		"  - id: b\n    group: inner\n    module: testdata/modules/noop.wasm\n"))
	if err != nil {
		t.Fatal(err)
	}
	outer, inner := d.Group("outer"), d.Group("outer.inner")
	if outer == nil || inner == nil {
		t.Fatalf("groups = %v, want outer and outer.inner", d.Groups)
	}
	want := TaskGroup{GroupID: "outer.inner", Label: "inner", PrefixGroupID: false, Parent: "outer", Pos: Pos{Line: 9, Column: 6}}
	got := *inner
	got.defaults = nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("inner = %+v, want %+v", got, want)
	}
	if outer.Tooltip != "Everything" || !outer.PrefixGroupID || outer.Parent != "" {
		t.Errorf("outer = %+v", outer)
	}
	b := d.Task("b") // inner does not prefix its tasks
	if b == nil || b.Label != "b" || b.TaskGroup() != "outer.inner" || b.RetryDelay != time.Minute {
		t.Errorf("task b = %+v", b)
	}
}
