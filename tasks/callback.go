package tasks

import (
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks/operators"
)

// Callback events: the keys a task or a DAG names a callback with, which are also the names
// a callback request is recorded under.
const (
	OnSuccessCallback = "on_success_callback"
	OnFailureCallback = "on_failure_callback"
	OnRetryCallback   = "on_retry_callback"
	SLAMissCallback   = "sla_miss_callback"
)

// RunCallbackOwner stands, in a callback's TaskID, for the DAG run: the callbacks of the
// DAG's own events (its runs' outcome, an SLA miss) belong to no task. '@' is not allowed in
// task ids, so it names no task.
const RunCallbackOwner = "@run"

// CallbackSeparator joins a callback's owner (a task id, or RunCallbackOwner) and its event
// in the callback's TaskID: "extract:on_failure_callback". ':' is not allowed in task ids, so
// a callback's id never names a task of the DAG.
const CallbackSeparator = ":"

// callbackKeys are the keys a callback spec may use besides its operator's fields: what a
// task has to say what it runs and under which grants. Scheduling keys (retries, pools,
// upstream, ...) do not apply: a callback runs once, when its event happens.
var callbackKeys = keySet("module", "operator", "args", "env", "stdin", "mounts", "memory_limit", "mount_quota",
	"execution_timeout", "connections", "allow_hosts", "secrets", "queue")

// taskCallbackKeys are the callbacks a task (or default_args) may set, dagCallbackKeys the
// DAG's.
var (
	taskCallbackKeys = []string{OnSuccessCallback, OnFailureCallback, OnRetryCallback}
	dagCallbackKeys  = []string{OnSuccessCallback, OnFailureCallback, SLAMissCallback}
)

// IsCallbackID reports whether a task id is a callback's (owner:event), not a task's.
func IsCallbackID(taskID string) bool { return strings.Contains(taskID, CallbackSeparator) }

// CallbackID is the TaskID of owner's callback for event.
func CallbackID(owner, event string) string { return owner + CallbackSeparator + event }

// Callback returns the task's callback for event, or nil.
func (t *Task) Callback(event string) *Task {
	switch event {
	case OnSuccessCallback:
		return t.OnSuccessCallback
	case OnFailureCallback:
		return t.OnFailureCallback
	case OnRetryCallback:
		return t.OnRetryCallback
	}
	return nil
}

// Callback returns the DAG's callback for event, or nil.
func (d *DAG) Callback(event string) *Task {
	switch event {
	case OnSuccessCallback:
		return d.OnSuccessCallback
	case OnFailureCallback:
		return d.OnFailureCallback
	case SLAMissCallback:
		return d.SLAMissCallback
	}
	return nil
}

// CallbackTask finds the callback a callback id names (owner:event): a task's, or the DAG's
// for RunCallbackOwner. Nil when the DAG (as parsed now) has none.
func (d *DAG) CallbackTask(callbackID string) *Task {
	owner, event, ok := strings.Cut(callbackID, CallbackSeparator)
	if !ok {
		return nil
	}
	if owner == RunCallbackOwner || event == SLAMissCallback { // an SLA miss of a task calls the DAG's
		return d.Callback(event)
	}
	if t := d.Task(owner); t != nil {
		return t.Callback(event)
	}
	return nil
}

// taskCallbacks reads a task's callbacks (its own, or default_args') and its sla.
func (p *dagParser) taskCallbacks(t *Task, tf taskFields, label string) {
	for _, key := range taskCallbackKeys {
		f, ok := tf.get(key)
		if !ok {
			continue
		}
		f.key = key
		cb := p.callback(f, t.TaskID, label)
		switch key {
		case OnSuccessCallback:
			t.OnSuccessCallback = cb
		case OnFailureCallback:
			t.OnFailureCallback = cb
		case OnRetryCallback:
			t.OnRetryCallback = cb
		}
	}
	if f, ok := tf.get("sla"); ok && !isNull(p.w.resolve(f.value)) {
		t.SLA = p.positiveDuration(f, label+"sla")
	}
}

// dagCallbacks reads the DAG's callbacks and its deadline.
func (p *dagParser) dagCallbacks(d *DAG, byKey map[string]field) {
	for _, key := range dagCallbackKeys {
		f, ok := byKey[key]
		if !ok {
			continue
		}
		cb := p.callback(f, RunCallbackOwner, "")
		switch key {
		case OnSuccessCallback:
			d.OnSuccessCallback = cb
		case OnFailureCallback:
			d.OnFailureCallback = cb
		case SLAMissCallback:
			d.SLAMissCallback = cb
		}
	}
	if f, ok := byKey["deadline"]; ok && !isNull(p.w.resolve(f.value)) {
		d.Deadline = p.positiveDuration(f, "deadline")
	}
}

// positiveDuration reads a duration that must be more than 0 (an sla, a deadline).
func (p *dagParser) positiveDuration(f field, what string) time.Duration {
	key := f.key
	f.key = what
	d := p.duration(f)
	if d <= 0 {
		if s, ok := p.w.scalar(f.value); ok {
			if _, err := ParseDuration(s); err == nil {
				p.ps.add(valuePos(f.value), "%s must be more than 0 (counted from the run's start), got %s; leave %s out for none", what, s, key)
			}
		}
	}
	return d
}

// callback reads one callback spec: a mapping that runs a module or a built-in operator, as a
// task does, with args, env, stdin, mounts, limits and grants. The result is a module task
// whose TaskID is owner:event, so it renders and runs like any try. Nil for a null or broken
// spec.
func (p *dagParser) callback(f field, owner, label string) *Task {
	if isNull(p.w.resolve(f.value)) {
		return nil
	}
	what := label + f.key
	fields, ok := p.w.mapping(f.value, what)
	if !ok {
		return nil
	}
	lbl := what + ": "
	op := p.operatorOf(fields)
	tf := taskFields{own: map[string]field{}, label: lbl}
	for _, cf := range fields {
		switch {
		case callbackKeys[cf.key] || op.has(cf.key):
			tf.own[cf.key] = cf
		case taskKeys[cf.key]:
			p.ps.add(cf.pos, "%s%q does not apply to a callback: it runs once when its event happens, outside retries, pools and dependencies (a callback takes %s)",
				lbl, cf.key, strings.Join(sortedKeys(callbackKeys), ", "))
		default:
			hint := suggest(cf.key, callbackKeys)
			if op.spec != nil {
				hint = op.unknownHint(cf.key)
			}
			p.ps.add(cf.pos, "%sunknown key %q%s", lbl, cf.key, hint)
		}
	}
	pos := valuePos(f.value)
	if len(fields) > 0 {
		pos = fields[0].pos
	}
	t := &Task{TaskID: CallbackID(owner, f.key), Label: f.key, Pos: pos, Kind: KindModule, TriggerRule: AllSuccess,
		Pool: DefaultPool, PoolSlots: 1, PriorityWeight: 1, WeightRule: "absolute", Queue: DefaultQueue,
		MemoryLimit: DefaultMemoryLimit, Env: map[string]*Template{}}
	moduleF, hasModule := tf.own["module"]
	switch {
	case op.spec != nil && op.spec.Sensor:
		p.ps.add(valuePos(op.field.value), "%soperator %s is a sensor: a callback runs once, it cannot wait; use %s", lbl, op.name,
			strings.TrimSuffix(op.name, "_sensor"))
		return nil
	case op.spec != nil && hasModule:
		p.ps.add(moduleF.pos, "%sa callback has one of module and operator, not both", lbl)
	case op.spec != nil:
	case hasModule:
		if s, ok := p.w.str(moduleF); ok {
			t.Module = p.modulePath(moduleF, s, lbl)
		}
	case op.field.key == "": // no operator key at all (an unknown one was reported at its value)
		p.ps.add(pos, "%shas nothing to run: set module (a .wasm file) or operator (a built-in one, e.g. http to call a webhook: %s)", lbl, operators.Names())
		return nil
	default:
		return nil
	}
	p.settings(t, tf, lbl)
	if op.spec != nil {
		p.operator(t, tf, op, lbl)
	}
	return t
}
