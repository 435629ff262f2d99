package api

import "github.com/wasmflow/wasmflow/tasks"

// taskGroupJSON is a task group as the DAG's details and the grid answer it. Airflow's REST API
// has no task groups; these fields follow its TaskGroup (group_id, tooltip, prefix_group_id,
// parent_group) so that the graph and the grid can draw the boxes and fold the rows.
type taskGroupJSON struct {
	GroupID       string  `json:"group_id"`
	Label         string  `json:"label"`
	Tooltip       string  `json:"tooltip"`
	PrefixGroupID bool    `json:"prefix_group_id"`
	ParentGroupID *string `json:"parent_group_id"` // null at the top
	// TaskIDs are every task inside the group, its nested groups' included, in file order:
	// what an upstream naming the group waits for.
	TaskIDs []string `json:"task_ids"`
}

func taskGroupsOf(d *tasks.DAG) []taskGroupJSON {
	out := make([]taskGroupJSON, 0, len(d.Groups))
	for _, g := range d.Groups {
		j := taskGroupJSON{GroupID: g.GroupID, Label: g.Label, Tooltip: g.Tooltip, PrefixGroupID: g.PrefixGroupID,
			TaskIDs: append([]string{}, d.GroupTasks(g.GroupID)...)}
		if g.Parent != "" {
			parent := g.Parent
			j.ParentGroupID = &parent
		}
		out = append(out, j)
	}
	return out
}

// taskGroupFields are a task's place among the groups, added to Airflow's Task: label is the id
// as written in the file (task_id without its group's prefix), task_group the innermost
// group's id (null outside any), group_path every group's id from the outermost in.
type taskGroupFields struct {
	Label     string   `json:"label"`
	TaskGroup *string  `json:"task_group"`
	GroupPath []string `json:"group_path"`
}

func groupFieldsOf(t *tasks.Task) taskGroupFields {
	f := taskGroupFields{Label: t.Label, GroupPath: append([]string{}, t.GroupPath...)}
	if f.Label == "" {
		f.Label = t.TaskID
	}
	if g := t.TaskGroup(); g != "" {
		f.TaskGroup = &g
	}
	return f
}
