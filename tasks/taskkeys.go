package tasks

import (
	"strings"
)

// taskKey is one key a task (or default_args, or a group's defaults) may set: what it means,
// and how settings reads it. The table's order is the order the settings are read in.
type taskKey struct {
	name string
	doc  string
	// set reads the key when the task or its defaults give it, unless its value is null and
	// nulls is false (null then leaves the default).
	set   func(p *dagParser, t *Task, f field, label string)
	nulls bool
	// read, instead of set, reads the key together with others that have neither (whose doc
	// says so). A key with neither and no such note is read by task: its id, kind, upstream,
	// group, operator, expand, callbacks, owner and doc.
	read func(p *dagParser, t *Task, tf taskFields, label string)
}

var taskKeyTable = []taskKey{
	{name: "args", doc: "the module's arguments, templates", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		if items, ok := p.w.list(f); ok {
			for _, a := range items {
				s, ok := p.w.scalar(a.node)
				if !ok && p.w.broken(a.node) {
					continue
				}
				if !ok {
					p.ps.add(a.pos, "%sargs: each argument must be a string, got %s", label, describe(p.w.resolve(a.node)))
					continue
				}
				if tpl := compileTemplate(p.ps, a.pos, label+"args", s); tpl != nil {
					t.Args = append(t.Args, tpl)
				}
			}
		}
	}},
	{name: "env", doc: "the module's environment variables, templates (not WASMFLOW_*, which wasmflow sets)", set: func(p *dagParser, t *Task, f field, label string) {
		if fs, ok := p.w.mapping(f.value, label+"env"); ok {
			for _, ef := range fs {
				switch {
				case !envNamePattern.MatchString(ef.key):
					p.ps.add(ef.pos, "%senv: %q is not a valid variable name (letters, digits and _, not starting with a digit)", label, ef.key)
				case strings.HasPrefix(ef.key, reservedEnvPrefix):
					p.ps.add(ef.pos, "%senv: %q is reserved: wasmflow sets WASMFLOW_* variables itself", label, ef.key)
				default:
					s, ok := p.w.scalar(ef.value)
					if !ok {
						p.ps.add(posOf(ef.value), "%senv %s must be a string, got %s", label, ef.key, describe(p.w.resolve(ef.value)))
						continue
					}
					if tpl := compileTemplate(p.ps, valuePos(p.w.resolve(ef.value)), label+"env "+ef.key, s); tpl != nil {
						t.Env[ef.key] = tpl
					}
				}
			}
		}
	}},
	{name: "stdin", doc: "the module's standard input, a template", set: func(p *dagParser, t *Task, f field, label string) {
		if s, ok := p.w.str(f); ok {
			t.Stdin = compileTemplate(p.ps, p.w.textPos(p.w.resolve(f.value)), label+"stdin", s)
		}
	}},
	{name: "mounts", doc: "host folders the module sees: host:guest[:ro], the host side a template", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		p.mounts(t, f, label)
	}},
	{name: "memory_limit", doc: "the most memory a try may use (64KiB to 4GiB)", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		if s, ok := p.w.scalar(f.value); ok {
			n, err := ParseSize(s)
			switch {
			case err != nil:
				p.ps.add(valuePos(f.value), "%smemory_limit: %v", label, err)
			case n < 64<<10 || n > MaxMemoryLimit:
				p.ps.add(valuePos(f.value), "%smemory_limit %s is out of range: between 64KiB and 4GiB (a wasm32 module's address space)", label, s)
			default:
				t.MemoryLimit = n
			}
		}
	}},
	{name: "mount_quota", doc: "the most a try may write into its writable mounts", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		p.mountQuota(t, f, label)
	}},
	{name: "execution_timeout", doc: "how long a try may run before it is killed and fails", set: func(p *dagParser, t *Task, f field, label string) {
		t.ExecTimeout = p.duration(f)
	}},
	{name: "retries", doc: "tries after the first before the task fails", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		n, ok := p.w.integer(f)
		if ok && n < 0 {
			p.ps.add(posOf(f.value), "%sretries must be 0 or more, got %d", label, n)
		}
		t.Retries = n
	}},
	{name: "retry_delay", doc: "the wait before a retry", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		t.RetryDelay = p.duration(f)
	}},
	{name: "max_retry_delay", doc: "the longest wait before a retry with retry_exponential_backoff", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		t.MaxRetryDelay = p.duration(f)
	}},
	{name: "retry_exponential_backoff", doc: "double the retry delay at each retry", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		t.RetryExponentialBackoff, _ = p.w.boolean(f)
	}},
	{name: "trigger_rule", doc: "when the task runs, given its upstream tasks' states (default all_success)", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		if s, ok := p.w.str(f); ok {
			t.TriggerRule = TriggerRule(s)
			if !t.TriggerRule.Valid() {
				p.ps.add(valuePos(f.value), "%strigger_rule %q is not one of %s%s", label, s, joinRules(), suggest(s, ruleNames()))
			}
		}
	}},
	{name: "outlets", doc: "the datasets a successful try updates", set: func(p *dagParser, t *Task, f field, label string) {
		t.Outlets = p.datasetList(f, "")
	}},
	{name: "pool", doc: "the pool whose slots the task's tries take (default default_pool)", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		if s, ok := p.w.str(f); ok {
			if s == "" {
				p.ps.add(posOf(f.value), "%spool is empty; leave it out to use default_pool", label)
			}
			t.Pool = s
		}
	}},
	{name: "pool_slots", doc: "the pool slots a try takes", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		t.PoolSlots = p.atLeast(f, 1)
	}},
	{name: "max_active_tis_per_dag", doc: "instances of the task running at once, over all runs", set: func(p *dagParser, t *Task, f field, label string) {
		t.MaxActiveTIsPerDag = p.atLeast(f, 1)
	}},
	{name: "priority_weight", doc: "the task's own weight in the queue's order", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		t.PriorityWeight, _ = p.w.integer(f)
	}},
	{name: "weight_rule", doc: "how the priority adds up: downstream (default), upstream or absolute", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		if s, ok := p.w.str(f); ok {
			if s != "downstream" && s != "upstream" && s != "absolute" {
				p.ps.add(valuePos(f.value), "%sweight_rule %q is not one of downstream, upstream, absolute", label, s)
			}
			t.WeightRule = s
		}
	}},
	{name: "queue", doc: "the workers' queue the task runs on", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		if s, ok := p.w.str(f); ok {
			if s == "" {
				p.ps.add(posOf(f.value), "%squeue is empty; leave it out to use %q", label, DefaultQueue)
			}
			t.Queue = s
		}
	}},
	{name: "connections", doc: "the connections the module may use, by conn_id", read: func(p *dagParser, t *Task, tf taskFields, label string) {
		p.grants(t, tf, label)
	}},
	{name: "allow_hosts", doc: "the hosts the module may reach over HTTP; read with connections"},
	{name: "secrets", doc: "the connections whose secrets the module may read; read with connections"},
	{name: "depends_on_past", doc: "run only once the task succeeded (or was skipped) in the previous run", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		t.DependsOnPast, _ = p.w.boolean(f)
	}},
	// As in Airflow, wait_for_downstream makes the task depend on its past too.
	{name: "wait_for_downstream", doc: "also wait for the previous run's direct downstream tasks of this one", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		t.WaitForDownstream, _ = p.w.boolean(f)
		t.DependsOnPast = t.DependsOnPast || t.WaitForDownstream
	}},
	{name: "latest_only", doc: "skip the task in every run but the latest scheduled one", nulls: true, set: func(p *dagParser, t *Task, f field, label string) {
		t.LatestOnly, _ = p.w.boolean(f)
	}},
	{name: "run_if", doc: "an expression: the task is skipped when it is false", set: func(p *dagParser, t *Task, f field, label string) {
		if s, ok := p.w.str(f); ok {
			t.RunIf = compileExpr(p.ps, p.w.textPos(p.w.resolve(f.value)), label+"run_if", s, exprBool)
		}
	}},

	{name: "id", doc: "the task's id (required), unique in the DAG"},
	{name: "module", doc: "the .wasm file to run, relative to the DAG file"},
	{name: "operator", doc: "a built-in operator to run instead of a module, with its fields beside it"},
	{name: "sensor", doc: "true for a module sensor (exit 100: not yet), or a condition to poke"},
	{name: "branch", doc: "true for a module branch, or an expression naming the tasks to follow"},
	{name: "upstream", doc: "the tasks that come before this one"},
	{name: "group", doc: "the task group the task is in"},
	{name: "expand", doc: "a list to map the task over: an instance per item"},
	{name: "on_success_callback", doc: "a task run when an instance succeeds"},
	{name: "on_failure_callback", doc: "a task run when an instance fails"},
	{name: "on_retry_callback", doc: "a task run when an instance is up for retry"},
	{name: "sla", doc: "how long after the run's logical date the task should have succeeded"},
	{name: "owner", doc: "who owns the task (default: the DAG's owner)"},
	{name: "doc_md", doc: "the task's documentation, Markdown"},
	{name: "poke_interval", doc: "a sensor's wait between pokes; read with sensor (sensorKeyTable)"},
	{name: "timeout", doc: "how long a sensor pokes before it fails; read with sensor (sensorKeyTable)"},
	{name: "mode", doc: "poke (hold a slot between pokes) or reschedule; read with sensor (sensorKeyTable)"},
	{name: "soft_fail", doc: "a sensor that times out is skipped, not failed; read with sensor (sensorKeyTable)"},
	{name: "exponential_backoff", doc: "a sensor's poke interval grows; read with sensor (sensorKeyTable)"},
}

// taskKeys are every key a task may use; anything else (but an operator's field) is a typo to report.
var taskKeys = keySet(keyNames(taskKeyTable, func(k taskKey) string { return k.name })...)

// settings reads everything about a task but its id, kind and upstream: the keys of
// taskKeyTable that have a set or a read, in its order.
func (p *dagParser) settings(t *Task, tf taskFields, label string) {
	for _, k := range taskKeyTable {
		switch {
		case k.read != nil:
			k.read(p, t, tf, label)
		case k.set != nil:
			if f, ok := tf.get(k.name); ok && (k.nulls || !isNull(p.w.resolve(f.value))) {
				k.set(p, t, f, label)
			}
		}
	}
}

// sensorKey is one key only a sensor may set, and how it is read into its Sensor.
type sensorKey struct {
	name string
	set  func(p *dagParser, s *Sensor, f field, label string)
}

// sensorKeyTable reads the sensor keys, in this order; their docs are in taskKeyTable.
var sensorKeyTable = []sensorKey{
	{"poke_interval", func(p *dagParser, s *Sensor, f field, label string) {
		s.PokeInterval = p.duration(f)
		if s.PokeInterval <= 0 {
			p.ps.add(valuePos(f.value), "%spoke_interval must be more than 0", label)
		}
	}},
	{"timeout", func(p *dagParser, s *Sensor, f field, label string) {
		s.Timeout = p.duration(f)
	}},
	{"mode", func(p *dagParser, s *Sensor, f field, label string) {
		if m, ok := p.w.str(f); ok {
			if m != "poke" && m != "reschedule" {
				p.ps.add(valuePos(f.value), "%smode %q is not poke or reschedule", label, m)
			}
			s.Mode = m
		}
	}},
	{"soft_fail", func(p *dagParser, s *Sensor, f field, label string) {
		s.SoftFail, _ = p.w.boolean(f)
	}},
	{"exponential_backoff", func(p *dagParser, s *Sensor, f field, label string) {
		s.ExponentialBackoff, _ = p.w.boolean(f)
	}},
}

// sensorKeys only make sense on a sensor; set on another task they are a mistake.
var sensorKeys = keySet(keyNames(sensorKeyTable, func(k sensorKey) string { return k.name })...)

func (p *dagParser) sensor(tf taskFields, label string) *Sensor {
	s := &Sensor{PokeInterval: DefaultPokeInterval, Timeout: DefaultSensorTimeout, Mode: "poke"}
	for _, k := range sensorKeyTable {
		if f, ok := tf.get(k.name); ok {
			k.set(p, s, f, label)
		}
	}
	return s
}
