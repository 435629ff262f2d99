package tasks

import (
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
)

// dagKey is one key a DAG file may set at its top level: what it means, and how it is read.
// The table's order is the order the keys are read in: a key may use one read before it
// (start_date the timezone, timetable the schedule).
type dagKey struct {
	name string
	doc  string
	// set reads the key when the file gives it, unless its value is null and nulls is false
	// (null then leaves the default).
	set   func(p *dagParser, d *DAG, f field)
	nulls bool
	// read, instead of set, reads the key whether the file gives it or not, from all its keys
	// (a required key, a default that depends on others, a check across keys). A key with
	// neither is read by an earlier key's read, which its doc names.
	read func(p *dagParser, d *DAG, fs dagFields)
}

// dagFields are the DAG file's top-level keys: by key (the known ones), and all of them in
// the file's order.
type dagFields struct {
	byKey map[string]field
	list  []field
}

var dagKeyTable = []dagKey{
	{name: "dag_id", doc: "the DAG's id (required): letters, digits, _, . and -", read: func(p *dagParser, d *DAG, fs dagFields) {
		if f, ok := fs.byKey["dag_id"]; ok {
			if s, ok := p.w.str(f); ok {
				p.checkID(f.value, "dag_id", s)
				d.DagID, d.DagIDPos = s, valuePos(f.value)
			}
		} else {
			p.ps.add(Pos{Line: 1, Column: 1}, "dag_id is required (e.g. dag_id: my_pipeline)")
		}
	}},
	{name: "description", doc: "a line about the DAG, shown in the DAG list", nulls: true, set: func(p *dagParser, d *DAG, f field) {
		d.Description, _ = p.w.str(f)
	}},
	{name: "owner", doc: "who owns the DAG (its tasks' owner unless they set one)", nulls: true, set: func(p *dagParser, d *DAG, f field) {
		d.Owner, _ = p.w.str(f)
	}},
	{name: "doc_md", doc: "the DAG's documentation, Markdown", set: func(p *dagParser, d *DAG, f field) {
		d.DocMD, _ = p.w.str(f)
	}},
	{name: "timezone", doc: "the IANA time zone of the schedule and of dates without an offset (default UTC)", set: func(p *dagParser, d *DAG, f field) {
		if s, ok := p.w.str(f); ok {
			loc, err := time.LoadLocation(s)
			if err != nil || s == "" || s == "Local" {
				p.ps.add(valuePos(f.value), "timezone %q is not an IANA time zone name (e.g. UTC, Europe/Berlin, Asia/Seoul)", s)
			} else {
				d.Timezone = loc
			}
		}
	}},
	{name: "schedule", doc: "a cron expression, a preset (@daily, @once, @continuous), a duration, or datasets; none when absent or null", read: func(p *dagParser, d *DAG, fs dagFields) {
		if f, ok := fs.byKey["schedule"]; ok && isMappingNode(p.w.resolve(f.value)) {
			d.Schedule = p.datasetSchedule(f)
		} else if ok && !isNull(p.w.resolve(f.value)) {
			if s, ok := p.w.str(f); ok {
				sched, err := ParseSchedule(s)
				if err != nil {
					p.ps.add(valuePos(f.value), "%v", err)
				}
				d.Schedule = sched
			}
		} else {
			d.Schedule = Schedule{Kind: ScheduleNone}
		}
	}},
	{name: "start_date", doc: "where the first data interval starts (required with a timed schedule); a date, a local date-time or RFC 3339", read: func(p *dagParser, d *DAG, fs dagFields) {
		byKey := fs.byKey
		d.StartDate = p.date(byKey, "start_date")
		d.EndDate = p.date(byKey, "end_date")
		if f, given := byKey["start_date"]; d.Schedule.Timed() && d.StartDate == nil && (!given || isNull(p.w.resolve(f.value))) {
			p.ps.add(byKey["schedule"].pos, "a scheduled DAG needs start_date: the first data interval starts there (e.g. start_date: 2024-01-01)")
		}
		if d.StartDate != nil && d.EndDate != nil && d.StartDate.After(*d.EndDate) {
			p.ps.add(byKey["end_date"].pos, "end_date %s is before start_date %s", d.EndDate.Format(time.RFC3339), d.StartDate.Format(time.RFC3339))
		}
	}},
	{name: "end_date", doc: "no data interval starts after it; read with start_date"},
	{name: "catchup", doc: "create the runs of the intervals missed since start_date (default false)", nulls: true, set: func(p *dagParser, d *DAG, f field) {
		d.Catchup, _ = p.w.boolean(f)
	}},
	{name: "timetable", doc: "data_interval (the default) or trigger (Airflow's CronTriggerTimetable)", read: func(p *dagParser, d *DAG, fs dagFields) {
		p.timetable(d, fs.byKey)
	}},
	{name: "interval", doc: "the data interval of a trigger timetable's run; read with timetable"},
	{name: "is_paused_upon_creation", doc: "whether the DAG starts paused (default: core.dags_are_paused_at_creation)", set: func(p *dagParser, d *DAG, f field) {
		if b, ok := p.w.boolean(f); ok {
			d.IsPausedUponCreation = &b
		}
	}},
	{name: "max_active_runs", doc: "runs of the DAG active at once (1 with @continuous)", read: func(p *dagParser, d *DAG, fs dagFields) {
		if f, ok := fs.byKey["max_active_runs"]; ok {
			d.MaxActiveRuns = p.atLeast(f, 1)
		}
		p.continuous(d, fs.byKey)
	}},
	{name: "max_active_tasks", doc: "task instances of the DAG running at once, over all its runs", nulls: true, set: func(p *dagParser, d *DAG, f field) {
		d.MaxActiveTasks = p.atLeast(f, 1)
	}},
	{name: "dagrun_timeout", doc: "how long a run may take before it fails", nulls: true, set: func(p *dagParser, d *DAG, f field) {
		d.DagrunTimeout = p.duration(f)
	}},
	{name: "tags", doc: "labels to filter the DAG list by", nulls: true, set: func(p *dagParser, d *DAG, f field) {
		var pos []Pos
		d.Tags, pos, _ = p.w.strings(f)
		p.checkTags(d.Tags, pos)
	}},
	{name: "params", doc: "the run's params, with defaults and JSON Schema types; a trigger's conf overrides them", set: func(p *dagParser, d *DAG, f field) {
		p.params(d, f)
	}},
	{name: "on_success_callback", doc: "a task run when a run succeeds", read: func(p *dagParser, d *DAG, fs dagFields) {
		p.dagCallbacks(d, fs.byKey)
	}},
	{name: "on_failure_callback", doc: "a task run when a run fails; read with on_success_callback"},
	{name: "sla_miss_callback", doc: "a task run when an SLA or the deadline is missed; read with on_success_callback"},
	{name: "deadline", doc: "how long after its logical date a run should have ended; read with on_success_callback"},
	{name: "default_args", doc: "task settings every task gets unless it sets its own", read: func(p *dagParser, d *DAG, fs dagFields) {
		p.defaults = map[string]field{}
		if f, ok := fs.byKey["default_args"]; ok && !isNull(p.w.resolve(f.value)) {
			if dfs, ok := p.w.mapping(f.value, "default_args"); ok {
				for _, df := range dfs {
					switch {
					case df.key == "id" || df.key == "upstream" || df.key == "operator" || df.key == "group" || df.key == "expand":
						p.ps.add(df.pos, "default_args: %q cannot have a default; set it on each task", df.key)
					case !taskKeys[df.key]:
						p.ps.add(df.pos, "default_args: unknown task key %q%s", df.key, suggest(df.key, taskKeys))
					default:
						p.defaults[df.key] = df
					}
				}
			}
		}
		if f, ok := fs.byKey["default_args"]; ok && len(p.defaults) > 0 {
			p.checkDefaults(f, fs.list)
		}
	}},
	{name: "groups", doc: "task groups: ids that prefix their tasks', with defaults of their own", nulls: true, set: func(p *dagParser, d *DAG, f field) {
		p.groups(f)
	}},
	{name: "tasks", doc: "the tasks (required): each with an id and a module, operator, sensor or branch", read: func(p *dagParser, d *DAG, fs dagFields) {
		if f, ok := fs.byKey["tasks"]; ok {
			p.tasks(f)
			p.ps.skip = nil
		} else {
			p.ps.add(Pos{Line: 1, Column: 1}, "tasks is required: a list of tasks, each with an id and a module, sensor or branch")
		}
	}},
}

// dagKeys are every key a DAG file may use at its top level; anything else is a typo to report.
var dagKeys = keySet(keyNames(dagKeyTable, func(k dagKey) string { return k.name })...)

func keyNames[K any](table []K, name func(K) string) []string {
	out := make([]string, len(table))
	for i, k := range table {
		out[i] = name(k)
	}
	return out
}

func (p *dagParser) parse(body ast.Node) {
	fields, ok := p.w.mapping(body, "the DAG file")
	if !ok {
		return
	}
	byKey := map[string]field{}
	for _, f := range fields {
		if !dagKeys[f.key] {
			hint := suggest(f.key, dagKeys)
			if taskKeys[f.key] {
				hint = " (task settings go on each task, or under default_args for all of them)"
			}
			p.ps.add(f.pos, "unknown key %q%s", f.key, hint)
			continue
		}
		byKey[f.key] = f
	}
	d := p.dag
	d.MaxActiveRuns, d.MaxActiveTasks, d.Timezone = DefaultMaxActiveRuns, DefaultMaxActiveTasks, time.UTC
	fs := dagFields{byKey: byKey, list: fields}
	for _, k := range dagKeyTable {
		switch {
		case k.read != nil:
			k.read(p, d, fs)
		case k.set != nil:
			if f, ok := byKey[k.name]; ok && (k.nulls || !isNull(p.w.resolve(f.value))) {
				k.set(p, d, f)
			}
		}
	}
}

// checkTags refuses tags longer than MaxTagLength, as Airflow does (TAG_MAX_LEN): its
// metadata database and UI hold no longer ones, so a file that Airflow would refuse is refused
// here too.
func (p *dagParser) checkTags(tags []string, pos []Pos) {
	for i, tag := range tags {
		if n := utf8.RuneCountInString(tag); n > MaxTagLength {
			p.ps.add(pos[i], "tag %q is %d characters long; at most %d are allowed (as in Airflow): shorten it, or split it into several tags",
				truncate(tag, 40), n, MaxTagLength)
		}
	}
}

// checkDefaults reports problems in default_args' values once, as if they were a task's; then,
// while tasks are parsed, problems placed inside default_args are not repeated per task.
func (p *dagParser) checkDefaults(f field, top []field) {
	p.checkDefaultValues(p.defaults, "default_args: ")
	first, last := f.pos.Line, int(^uint(0)>>1)
	for _, t := range top {
		if t.pos.Line > first && t.pos.Line <= last {
			last = t.pos.Line - 1
		}
	}
	p.skipRange(Pos{Line: first}, Pos{Line: last, Column: int(^uint(0) >> 1)})
}

// checkDefaultValues reports problems in default_args' values (the DAG's or a group's), as if
// they were a task's.
func (p *dagParser) checkDefaultValues(defaults map[string]field, label string) {
	tf := taskFields{own: defaults, label: label}
	p.settings(&Task{Env: map[string]*Template{}}, tf, label)
	p.sensor(tf, label)
	if mf, ok := tf.own["module"]; ok {
		if s, ok := p.w.str(mf); ok {
			p.modulePath(mf, s, label)
		}
	}
	p.taskCallbacks(&Task{TaskID: "default_args"}, tf, label)
}

// date reads start_date/end_date: a date (midnight in the DAG's timezone), a local date-time
// ("2024-01-01T06:00:00" or "2024-01-01 06:00", in the DAG's timezone), or RFC 3339.
func (p *dagParser) date(byKey map[string]field, key string) *time.Time {
	f, ok := byKey[key]
	if !ok || isNull(p.w.resolve(f.value)) {
		return nil
	}
	s, ok := p.w.scalar(f.value)
	if !ok {
		p.ps.add(valuePos(f.value), "%s must be a date like 2024-01-01 or 2024-01-01T06:00:00Z", key)
		return nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t
	}
	for _, layout := range []string{"2006-01-02", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, p.dag.Timezone); err == nil {
			return &t
		}
	}
	p.ps.add(valuePos(f.value), "%s %q is not a date: write 2024-01-01, 2024-01-01T06:00:00 or 2024-01-01T06:00:00+09:00", key, s)
	return nil
}

// timetable reads `timetable` (data_interval, the default, or trigger: Airflow's
// CronTriggerTimetable) and the trigger timetable's `interval`.
func (p *dagParser) timetable(d *DAG, byKey map[string]field) {
	if f, ok := byKey["timetable"]; ok && !isNull(p.w.resolve(f.value)) {
		if s, ok := p.w.str(f); ok {
			switch s {
			case "data_interval":
			case "trigger":
				d.Timetable = TimetableTrigger
				if d.Schedule.Kind != ScheduleCron && d.Schedule.Kind != "" {
					p.ps.add(valuePos(f.value), "timetable: trigger fires at each tick of a cron schedule or preset (e.g. schedule: \"@daily\"), not with schedule %s", scheduleName(d.Schedule))
				}
			default:
				p.ps.add(valuePos(f.value), "timetable %q is not data_interval (a run per interval, once it has passed: the default) or trigger (a run at each cron tick, Airflow's CronTriggerTimetable)", s)
			}
		}
	}
	if f, ok := byKey["interval"]; ok && !isNull(p.w.resolve(f.value)) {
		d.TriggerInterval = p.duration(f)
		if d.Timetable != TimetableTrigger {
			p.ps.add(f.pos, "interval is the data interval of a timetable: trigger run ([tick - interval, tick]): add timetable: trigger, or remove interval (the default timetable's interval runs from one tick to the next)")
		}
	}
}

// continuous refuses "@continuous" with more than one active run, as Airflow does: runs follow
// one another, so a second at once would overlap the one whose end it should wait for.
func (p *dagParser) continuous(d *DAG, byKey map[string]field) {
	if d.Schedule.Kind != ScheduleContinuous || d.MaxActiveRuns <= 1 {
		return
	}
	if f, ok := byKey["max_active_runs"]; ok {
		p.ps.add(valuePos(f.value), "max_active_runs is %d, but schedule \"@continuous\" runs one run at a time: set max_active_runs: 1", d.MaxActiveRuns)
		return
	}
	p.ps.add(valuePos(byKey["schedule"].value), "schedule \"@continuous\" runs one run at a time, and max_active_runs defaults to %d: add max_active_runs: 1", DefaultMaxActiveRuns)
}

// scheduleName is a schedule as the author wrote it, null for none.
func scheduleName(s Schedule) string {
	if s.Kind == ScheduleNone {
		return "null"
	}
	return strconv.Quote(s.Raw)
}
