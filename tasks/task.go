package tasks

import (
	"fmt"
	"os"
	pathpkg "path"
	"path/filepath"
	"strings"

	"github.com/goccy/go-yaml/ast"
	"github.com/wasmflow/wasmflow/tasks/operators"
)

func (p *dagParser) tasks(f field) {
	items, ok := p.w.list(f)
	if !ok {
		return
	}
	p.taskPos = map[string]Pos{}
	var upstreamPos = map[*Task][]Pos{}
	for _, it := range items {
		if p.w.broken(it.node) {
			continue
		}
		t, ups := p.task(it)
		if t == nil {
			continue
		}
		if first, dup := p.taskPos[t.TaskID]; dup {
			p.ps.add(t.Pos, "task id %q is used twice (first at line %d); task ids must be unique in a DAG", t.TaskID, first.Line)
			continue
		}
		p.taskPos[t.TaskID] = t.Pos
		p.dag.Tasks = append(p.dag.Tasks, t)
		p.dag.byID[t.TaskID] = t
		upstreamPos[t] = ups
	}
	p.checkGroupsAgainstTasks()
	p.link(upstreamPos)
}

// taskFields are a task's own fields and the default_args ones. label starts every message
// about them ("task \"a\": " or "default_args: ").
type taskFields struct {
	own      map[string]field
	defaults map[string]field
	label    string
}

// get returns a task's own field, or else the default_args one; its key carries the label so
// the walker's messages say which task they are about.
func (tf taskFields) get(key string) (field, bool) {
	f, ok := tf.own[key]
	if !ok {
		f, ok = tf.defaults[key]
	}
	f.key = tf.label + f.key
	return f, ok
}

func (p *dagParser) task(it item) (*Task, []Pos) {
	fields, ok := p.w.mapping(it.node, "a task")
	if !ok {
		return nil, nil
	}
	tf := taskFields{own: map[string]field{}}
	op := p.operatorOf(fields)
	for _, f := range fields {
		if !taskKeys[f.key] && !op.has(f.key) {
			p.ps.add(f.pos, "unknown task key %q%s", f.key, op.unknownHint(f.key))
			continue
		}
		tf.own[f.key] = f
	}
	t := &Task{Pos: posOf(it.node), TriggerRule: AllSuccess, Pool: DefaultPool, PoolSlots: 1,
		PriorityWeight: 1, WeightRule: "downstream", Queue: DefaultQueue, MemoryLimit: DefaultMemoryLimit,
		RetryDelay: DefaultRetryDelay, MaxRetryDelay: DefaultMaxRetryDelay, Env: map[string]*Template{}}
	if len(fields) > 0 {
		t.Pos = fields[0].pos
	}
	idField, ok := tf.own["id"]
	if !ok {
		p.ps.add(t.Pos, "a task needs an id (e.g. - id: extract)")
		return nil, nil
	}
	id, ok := p.w.str(idField)
	if !ok {
		return nil, nil
	}
	p.checkID(idField.value, "task id", id)
	g, path := p.taskGroup(tf, fmt.Sprintf("task %q: ", id))
	t.Label, t.TaskID, t.GroupPath = id, g.childID(id), path
	if g != nil && len(t.TaskID) > MaxIDLength && len(id) <= MaxIDLength {
		p.ps.add(valuePos(idField.value), "task id %q is %d characters long with its group's prefix; at most %d are allowed", t.TaskID, len(t.TaskID), MaxIDLength)
	}
	tf.defaults = p.groupDefaultsOf(path)
	label := fmt.Sprintf("task %q: ", t.TaskID)
	tf.label = label

	var ups []Pos
	if f, ok := tf.own["upstream"]; ok {
		t.Upstream, ups, _ = p.w.strings(f)
	}
	p.kind(t, tf, label)
	p.settings(t, tf, label)
	if op.spec != nil { // after settings: its fields may add to the grants
		p.operator(t, tf, op, label)
	}
	if f, ok := tf.own["expand"]; ok {
		p.expand(t, f, label)
	}
	p.taskCallbacks(t, tf, label)
	if f, ok := tf.get("owner"); ok {
		t.Owner, _ = p.w.str(f)
	}
	if f, ok := tf.own["doc_md"]; ok && !isNull(p.w.resolve(f.value)) {
		t.DocMD, _ = p.w.str(f)
	}
	return t, ups
}

// kind decides module / sensor / branch and reads the sensor settings.
func (p *dagParser) kind(t *Task, tf taskFields, label string) {
	moduleF, hasModule := tf.get("module")
	sensorF, hasSensor := tf.get("sensor")
	branchF, hasBranch := tf.get("branch")
	if opF, hasOp := tf.own["operator"]; hasOp {
		for _, other := range []struct {
			f   field
			has bool
		}{{moduleF, hasModule}, {sensorF, hasSensor}, {branchF, hasBranch}} {
			if other.has {
				p.ps.add(other.f.pos, "%sa task has exactly one of module, sensor, branch and operator: %s cannot go with operator (line %d)",
					label, strings.TrimPrefix(other.f.key, label), opF.pos.Line)
			}
		}
		t.Kind = KindModule
		return
	}
	// `sensor: false` and `branch: false` mean "not one".
	flag := func(f field) (isBool, value bool) {
		b, ok := p.w.resolve(f.value).(*ast.BoolNode)
		if !ok {
			return false, false
		}
		return true, b.Value
	}
	sensorBool, sensorOn := false, false
	if hasSensor {
		sensorBool, sensorOn = flag(sensorF)
		hasSensor = !sensorBool || sensorOn
	}
	branchBool, branchOn := false, false
	if hasBranch {
		branchBool, branchOn = flag(branchF)
		hasBranch = !branchBool || branchOn
	}
	if hasModule {
		if s, ok := p.w.str(moduleF); ok {
			t.Module = p.modulePath(moduleF, s, label)
		}
	}
	switch {
	case hasSensor && hasBranch:
		p.ps.add(sensorF.pos, "%sa task is either a sensor or a branch, not both", label)
	case hasModule && hasSensor && !sensorBool:
		p.ps.add(sensorF.pos, "%shas both module and a sensor expression: use `sensor: true` for a module sensor (exit 0 = met, exit 100 = not yet), or drop module", label)
	case hasModule && hasBranch && !branchBool:
		p.ps.add(branchF.pos, "%shas both module and a branch expression: use `branch: true` for a module branch (its return_value names the tasks to follow), or drop module", label)
	case !hasModule && hasSensor && sensorBool:
		p.ps.add(sensorF.pos, "%s`sensor: true` needs a module to poke; or write the condition as an expression, e.g. sensor: 'file_exists(\"/data/\" + ds)'", label)
	case !hasModule && hasBranch && branchBool:
		p.ps.add(branchF.pos, "%s`branch: true` needs a module that prints the ids to follow; or write an expression, e.g. branch: '[\"a\"]'", label)
	case !hasModule && !hasSensor && !hasBranch:
		p.ps.add(t.Pos, "%shas nothing to run: set module (a .wasm file), operator (a built-in one: %s), sensor (a condition) or branch (an expression)", label, operators.Names())
	}
	t.Kind = KindModule
	switch {
	case hasBranch:
		t.Kind = KindBranch
		if !branchBool {
			if s, ok := p.w.str(branchF); ok {
				t.Branch = compileExpr(p.ps, p.w.textPos(p.w.resolve(branchF.value)), label+"branch", s, exprAny)
				if t.Branch != nil && !t.Branch.canBeIDs() {
					p.ps.add(t.Branch.Pos, "%sbranch %q returns %s; it must return a task id or a list of them, e.g. '[\"a\", \"b\"]'", label, s, t.Branch.resultType())
					t.Branch = nil
				}
			}
		}
	case hasSensor:
		t.Kind = KindSensor
		t.Sensor = p.sensor(tf, label)
		if !sensorBool {
			if s, ok := p.w.str(sensorF); ok {
				t.Sensor.Condition = compileExpr(p.ps, p.w.textPos(p.w.resolve(sensorF.value)), label+"sensor", s, exprBool)
			}
		}
		if hasModule {
			t.Kind = KindModule
		}
	default:
		for key := range sensorKeys {
			if f, own := tf.own[key]; own {
				p.ps.add(f.pos, "%s%s only applies to sensors; add a sensor condition or remove it", label, key)
			}
		}
	}
}

func (p *dagParser) modulePath(f field, s, label string) string {
	if strings.TrimSpace(s) == "" {
		p.ps.add(posOf(f.value), "%smodule is empty: give the path of a .wasm file, relative to this DAG file", label)
		return ""
	}
	path := s
	if !filepath.IsAbs(path) {
		path = filepath.Join(p.dir, path)
	}
	st, err := os.Stat(path)
	switch {
	case err != nil:
		p.ps.add(valuePos(f.value), "%smodule %q does not exist (looked at %s); build it or fix the path, which is relative to this DAG file", label, s, path)
	case st.IsDir():
		p.ps.add(valuePos(f.value), "%smodule %q is a folder, not a .wasm file", label, s)
	case !st.Mode().IsRegular():
		// A device or a FIFO would be read without end by whoever runs the task (/dev/zero
		// until the process runs out of memory, a FIFO until someone writes to it).
		p.ps.add(valuePos(f.value), "%smodule %q is a %s, not a .wasm file: name a regular file", label, s, fileKind(st.Mode()))
	}
	return path
}

// fileKind names what a file that is not a regular one or a folder is, for people.
func fileKind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// mountQuota reads mount_quota: what one try may write into the task's writable mounts.
func (p *dagParser) mountQuota(t *Task, f field, label string) {
	s, ok := p.w.scalar(f.value)
	if !ok {
		return
	}
	n, err := ParseSize(s)
	switch {
	case err != nil:
		p.ps.add(valuePos(f.value), "%smount_quota: %v", label, err)
	case n < 1:
		p.ps.add(valuePos(f.value), "%smount_quota %s is not a size of at least one byte: leave it out to use core.mount_quota", label, s)
	default:
		t.MountQuota = n
	}
}

func (p *dagParser) mounts(t *Task, f field, label string) {
	specs, pos, ok := p.w.strings(f)
	if !ok {
		return
	}
	guests := map[string]bool{}
	for i, spec := range specs {
		m, err := parseMount(spec)
		if err != nil {
			p.ps.add(pos[i], "%smounts: %v", label, err)
			continue
		}
		if guests[m.guest] {
			p.ps.add(pos[i], "%smounts: guest path %s is mounted twice", label, m.guest)
			continue
		}
		guests[m.guest] = true
		host := compileTemplate(p.ps, pos[i], label+"mounts", m.host)
		if host == nil || !p.checkMountHost(pos[i], label, host) {
			continue
		}
		t.Mounts = append(t.Mounts, Mount{Host: host, Guest: m.guest, ReadOnly: m.readOnly})
	}
}

type mountSpec struct {
	host, guest string
	readOnly    bool
}

// parseMount reads "host:guest[:ro|:rw]".
func parseMount(spec string) (mountSpec, error) {
	var m mountSpec
	rest := spec
	if strings.HasSuffix(rest, ":ro") {
		m.readOnly, rest = true, strings.TrimSuffix(rest, ":ro")
	} else {
		rest = strings.TrimSuffix(rest, ":rw")
	}
	i := strings.LastIndex(rest, ":")
	if i <= 0 || i == len(rest)-1 {
		return m, fmt.Errorf("%q must be HOST_DIR:GUEST_PATH or HOST_DIR:GUEST_PATH:ro (e.g. data:/data:ro)", spec)
	}
	m.host, m.guest = rest[:i], rest[i+1:]
	if strings.Contains(m.guest, "{{") {
		return m, fmt.Errorf("%q: the guest path %q cannot be a template; template the host folder instead (e.g. data/{{ ds }}:/data)", spec, m.guest)
	}
	if !strings.HasPrefix(m.guest, "/") {
		return m, fmt.Errorf("%q: guest path %q must be absolute (start with /)", spec, m.guest)
	}
	m.guest = pathpkg.Clean(m.guest)
	if m.guest == "/" || m.guest == "/xcom" || strings.HasPrefix(m.guest, "/xcom/") {
		return m, fmt.Errorf("%q: guest path %s is reserved (/ and /xcom belong to wasmflow)", spec, m.guest)
	}
	return m, nil
}
