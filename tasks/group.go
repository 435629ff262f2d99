package tasks

import (
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// TaskGroup is Airflow's TaskGroup: a named box of tasks (and of other groups) that the graph
// view draws as one node, that default_args can be set on, and that a task can name as an
// upstream to wait for all of its tasks.
type TaskGroup struct {
	// GroupID is the group's full id, as Airflow computes it: the parent's id, a dot and
	// Label when the parent prefixes its children (prefix_group_id), else Label alone.
	GroupID string
	Label   string // the id as written in the groups list
	Tooltip string
	// PrefixGroupID says whether the ids of this group's tasks and child groups start with
	// GroupID and a dot (Airflow's prefix_group_id, default true).
	PrefixGroupID bool
	Parent        string // the parent group's GroupID; "" for a group at the top
	Pos           Pos    // where the group starts in the file

	defaults map[string]field // its default_args, by task key
}

// childID is the id of a task or group written as label inside g (Airflow's child_id).
func (g *TaskGroup) childID(label string) string {
	if g == nil || !g.PrefixGroupID {
		return label
	}
	return g.GroupID + "." + label
}

// Group returns the group with the given full id, or nil.
func (d *DAG) Group(id string) *TaskGroup { return d.groupByID[id] }

// GroupTasks returns the ids of every task inside the group id, its nested groups included,
// in file order.
func (d *DAG) GroupTasks(id string) []string {
	var out []string
	for _, t := range d.Tasks {
		if contains(t.GroupPath, id) {
			out = append(out, t.TaskID)
		}
	}
	return out
}

// groupKeys are every key a group in `groups:` may use.
var groupKeys = keySet("id", "tooltip", "default_args", "prefix_group_id", "parent_group")

// groups reads the DAG's `groups:` list: one flat list, each group naming its parent_group, as
// Airflow's TaskGroup(group_id, parent_group=...) does, so a nested group reads as its own
// entry rather than as YAML indented under another.
func (p *dagParser) groups(f field) {
	items, ok := p.w.list(f)
	if !ok {
		return
	}
	d := p.dag
	p.groupByLabel = map[string]*TaskGroup{}
	parentPos := map[*TaskGroup]field{}
	for _, it := range items {
		if p.w.broken(it.node) {
			continue
		}
		fields, ok := p.w.mapping(it.node, "a group")
		if !ok {
			continue
		}
		g := &TaskGroup{Pos: posOf(it.node), PrefixGroupID: true}
		if len(fields) > 0 {
			g.Pos = fields[0].pos
		}
		byKey := map[string]field{}
		for _, gf := range fields {
			if !groupKeys[gf.key] {
				p.ps.add(gf.pos, "unknown group key %q%s", gf.key, suggest(gf.key, groupKeys))
				continue
			}
			byKey[gf.key] = gf
		}
		idField, ok := byKey["id"]
		if !ok {
			p.ps.add(g.Pos, "a group needs an id (e.g. - id: extract)")
			continue
		}
		label, ok := p.w.str(idField)
		if !ok {
			continue
		}
		p.checkID(idField.value, "group id", label)
		g.Label = label
		if first, dup := p.groupByLabel[label]; dup {
			p.ps.add(valuePos(idField.value), "group id %q is used twice (first at line %d); group ids must be unique in a DAG", label, first.Pos.Line)
			continue
		}
		p.groupByLabel[label] = g
		if gf, ok := byKey["tooltip"]; ok && !isNull(p.w.resolve(gf.value)) {
			g.Tooltip, _ = p.w.str(gf)
		}
		if gf, ok := byKey["prefix_group_id"]; ok {
			g.PrefixGroupID, _ = p.w.boolean(gf)
		}
		if gf, ok := byKey["parent_group"]; ok && !isNull(p.w.resolve(gf.value)) {
			parentPos[g] = gf
		}
		if gf, ok := byKey["default_args"]; ok && !isNull(p.w.resolve(gf.value)) {
			g.defaults = p.groupDefaults(gf, label)
		}
		d.Groups = append(d.Groups, g)
	}
	p.nestGroups(parentPos)
}

// groupDefaults reads a group's default_args and reports their problems once, here; the
// tasks that inherit them do not repeat those.
func (p *dagParser) groupDefaults(f field, label string) map[string]field {
	fs, ok := p.w.mapping(f.value, "group "+label+": default_args")
	if !ok {
		return nil
	}
	prefix := "group " + label + ": default_args: "
	out := map[string]field{}
	for _, df := range fs {
		switch {
		case df.key == "id" || df.key == "upstream" || df.key == "operator" || df.key == "group":
			p.ps.add(df.pos, "%s%q cannot have a default; set it on each task", prefix, df.key)
		case !taskKeys[df.key]:
			p.ps.add(df.pos, "%sunknown task key %q%s", prefix, df.key, suggest(df.key, taskKeys))
		default:
			out[df.key] = df
		}
	}
	if len(out) == 0 {
		return nil
	}
	p.checkDefaultValues(out, prefix)
	p.skipRange(f.pos, lastPos(f.value))
	return out
}

// nestGroups ties each group to its parent_group and computes full group ids, refusing an
// unknown parent and a group that is its own ancestor.
func (p *dagParser) nestGroups(parentPos map[*TaskGroup]field) {
	d := p.dag
	parent := map[*TaskGroup]*TaskGroup{}
	for _, g := range d.Groups {
		f, ok := parentPos[g]
		if !ok {
			continue
		}
		name, ok := p.w.str(f)
		if !ok {
			continue
		}
		pg := p.lookupGroup(name)
		if pg == nil {
			p.ps.add(valuePos(f.value), "group %q: parent_group %q is not a group of this DAG%s", g.Label, name, suggest(name, p.groupLabels()))
			continue
		}
		parent[g] = pg
	}
	// Walk each group's chain of parents; a chain that comes back to its start is a loop.
	for _, g := range d.Groups {
		chain := []string{g.Label}
		for cur := parent[g]; cur != nil; cur = parent[cur] {
			chain = append(chain, cur.Label)
			if cur == g {
				p.ps.add(g.Pos, "groups nest in a loop: %s; a group cannot be inside itself (fix parent_group)", strings.Join(chain, " is inside "))
				for _, member := range d.Groups {
					if parent[member] == g {
						delete(parent, member)
					}
				}
				delete(parent, g)
				break
			}
			if len(chain) > len(d.Groups)+1 {
				break // g's chain enters a loop that does not pass through g: reported there
			}
		}
	}
	d.groupByID = map[string]*TaskGroup{}
	var fullID func(g *TaskGroup, depth int) string
	fullID = func(g *TaskGroup, depth int) string {
		pg := parent[g]
		if pg == nil || depth > len(d.Groups) {
			return g.Label
		}
		pid := fullID(pg, depth+1)
		if !pg.PrefixGroupID {
			return g.Label
		}
		return pid + "." + g.Label
	}
	for _, g := range d.Groups {
		g.GroupID = fullID(g, 0)
		if pg := parent[g]; pg != nil {
			g.Parent = fullID(pg, 0)
		}
		if other, dup := d.groupByID[g.GroupID]; dup {
			p.ps.add(g.Pos, "group %q has the full id %q, as the group at line %d; rename one", g.Label, g.GroupID, other.Pos.Line)
			continue
		}
		if len(g.GroupID) > MaxIDLength {
			p.ps.add(g.Pos, "group id %q is %d characters long with its parents' prefix; at most %d are allowed", g.GroupID, len(g.GroupID), MaxIDLength)
		}
		d.groupByID[g.GroupID] = g
	}
}

// lookupGroup finds a group by its id as written in the groups list, or by its full id.
func (p *dagParser) lookupGroup(name string) *TaskGroup {
	if g := p.groupByLabel[name]; g != nil {
		return g
	}
	for _, g := range p.dag.Groups {
		if g.GroupID == name && name != "" {
			return g
		}
	}
	return nil
}

func (p *dagParser) groupLabels() map[string]bool {
	m := make(map[string]bool, len(p.groupByLabel))
	for l := range p.groupByLabel {
		m[l] = true
	}
	return m
}

// taskGroup reads a task's `group:`: the group it is in, and the path of groups from the
// outermost to it.
func (p *dagParser) taskGroup(tf taskFields, label string) (*TaskGroup, []string) {
	f, ok := tf.own["group"]
	if !ok || isNull(p.w.resolve(f.value)) {
		return nil, nil
	}
	f.key = label + f.key
	name, ok := p.w.str(f)
	if !ok {
		return nil, nil
	}
	g := p.lookupGroup(name)
	if g == nil {
		hint := suggest(name, p.groupLabels())
		if len(p.dag.Groups) == 0 {
			hint = " (declare it under groups:, e.g. groups: [{id: " + name + "}])"
		}
		p.ps.add(valuePos(f.value), "%sgroup %q is not a group of this DAG%s", label, name, hint)
		return nil, nil
	}
	var path []string
	for cur := g; cur != nil; cur = p.dag.groupByID[cur.Parent] {
		path = append([]string{cur.GroupID}, path...)
		if cur.Parent == "" || len(path) > len(p.dag.Groups) {
			break
		}
	}
	return g, path
}

// groupDefaultsOf merges the default_args a task in the group path inherits: the DAG's, then
// each group's from the outermost in, so the closest group wins; the task's own settings win
// over all of them.
func (p *dagParser) groupDefaultsOf(path []string) map[string]field {
	if len(path) == 0 {
		return p.defaults
	}
	out := make(map[string]field, len(p.defaults))
	for k, f := range p.defaults {
		out[k] = f
	}
	for _, id := range path {
		for k, f := range p.dag.groupByID[id].defaults {
			out[k] = f
		}
	}
	return out
}

// groupUpstream expands an upstream that names a group into all of that group's tasks. It
// answers ok=false when u is no group.
func (p *dagParser) groupUpstream(t *Task, u string, at Pos) (ids []string, ok bool) {
	d := p.dag
	g := d.groupByID[u]
	if g == nil {
		return nil, false
	}
	if contains(t.GroupPath, u) {
		p.ps.add(at, "task %q is inside group %q and cannot have it as upstream: it would wait for itself (a cycle)", t.TaskID, u)
		return nil, true
	}
	ids = d.GroupTasks(u)
	if len(ids) == 0 {
		p.ps.add(at, "task %q: upstream group %q has no tasks; add tasks to it (group: %s) or remove it from upstream", t.TaskID, u, g.Label)
	}
	return ids, true
}

// checkGroupsAgainstTasks refuses a group whose full id is also a task id: an upstream naming
// it would be ambiguous, and Airflow refuses it too.
func (p *dagParser) checkGroupsAgainstTasks() {
	for _, g := range p.dag.Groups {
		if t := p.dag.byID[g.GroupID]; t != nil && p.dag.groupByID[g.GroupID] == g {
			p.ps.add(g.Pos, "group id %q is also the id of a task (line %d); rename one: an upstream naming it would be ambiguous", g.GroupID, t.Pos.Line)
		}
	}
}

// fullIDHint suggests the full id when an upstream inside a group names a task by its id as
// written: upstream ids are always full ids, as in Airflow.
func (p *dagParser) fullIDHint(t *Task, u string) string {
	for i := len(t.GroupPath) - 1; i >= 0; i-- {
		g := p.dag.groupByID[t.GroupPath[i]]
		if full := g.childID(u); full != u && (p.dag.byID[full] != nil || p.dag.groupByID[full] != nil) {
			return " (upstream ids are full ids: write \"" + full + "\")"
		}
	}
	return ""
}

// upstreamNames are the ids an upstream may name: tasks and groups, for suggestions.
func upstreamNames(d *DAG) map[string]bool {
	m := taskIDs(d)
	for id := range d.groupByID {
		m[id] = true
	}
	return m
}

// lastPos is where the last token of a node's text starts: a problem inside the node is
// placed at or before it.
func lastPos(n ast.Node) Pos {
	last := posOf(n)
	ast.Walk(posVisitor{&last}, n)
	return last
}

type posVisitor struct{ last *Pos }

func (v posVisitor) Visit(n ast.Node) ast.Visitor {
	if p := posOf(n); v.last.before(p) {
		*v.last = p
	}
	return v
}

// throughGroups names the groups a cycle's links came through, when an upstream naming a
// group made them: the author wrote the group, not the task ids the cycle lists.
func throughGroups(cycle []string, via map[[2]string]string) string {
	var groups []string
	for i := 0; i+1 < len(cycle); i++ {
		if g := via[[2]string{cycle[i], cycle[i+1]}]; g != "" && !contains(groups, g) {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return ""
	}
	return " (through upstream group " + strings.Join(groups, ", ") + ")"
}
