package tasks

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	pathpkg "path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // timezones resolve on machines without /usr/share/zoneinfo
	"unicode/utf8"

	yaml "github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/wasmflow/wasmflow/tasks/operators"
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// reservedEnvPrefix is set by wasmflow on every try; tasks may not override it.
const reservedEnvPrefix = "WASMFLOW_"

var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// dagKeys and taskKeys are every key a DAG file may use; anything else is a typo to report.
var dagKeys = keySet("dag_id", "description", "doc_md", "schedule", "start_date", "end_date",
	"timezone", "catchup", "timetable", "interval", "max_active_runs", "max_active_tasks", "dagrun_timeout",
	"is_paused_upon_creation", "tags", "owner", "params", "default_args", "groups", "tasks",
	"on_success_callback", "on_failure_callback", "sla_miss_callback", "deadline")

var taskKeys = keySet("id", "module", "args", "env", "stdin", "mounts", "memory_limit", "mount_quota",
	"execution_timeout", "retries", "retry_delay", "retry_exponential_backoff", "max_retry_delay",
	"trigger_rule", "pool", "pool_slots", "priority_weight", "weight_rule", "queue", "upstream",
	"sensor", "poke_interval", "timeout", "mode", "soft_fail", "exponential_backoff", "branch",
	"run_if", "owner", "doc_md", "connections", "allow_hosts", "secrets", "operator", "group",
	"expand", "max_active_tis_per_dag", "outlets", "sla", "on_success_callback", "on_failure_callback", "on_retry_callback",
	"depends_on_past", "wait_for_downstream", "latest_only")

// sensorKeys only make sense on a sensor; set on another task they are a mistake.
var sensorKeys = keySet("poke_interval", "timeout", "mode", "soft_fail", "exponential_backoff")

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// ParseOptions are the host's settings a DAG file is checked against.
type ParseOptions struct {
	// MountRoots are the folders mounts may lead into, and those they may not (see
	// MountRoots). No Allowed folder means the DAG file's own folder only.
	MountRoots MountRoots
	// ConnectionExists, if set, makes a grant of a conn_id for which it answers false an
	// import error at its line (the host's defined connections); nil checks only the form.
	ConnectionExists func(connID string) bool
}

// ParseFile reads and validates one DAG file, with the default options.
func ParseFile(path string) (*DAG, error) {
	return ParseFileWith(path, ParseOptions{})
}

// ParseFileWith reads and validates one DAG file.
func ParseFileWith(path string, opts ParseOptions) (*DAG, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read DAG file: %w", err)
	}
	defer f.Close()
	tooLarge := func(size int64) error {
		ps := &problems{file: absPath(path)}
		ps.checkSize(size)
		return ps.overBudget()
	}
	if st, err := f.Stat(); err == nil && st.Size() > MaxFileBytes {
		return nil, tooLarge(st.Size())
	}
	// One byte past the cap tells a file that grew since, or is no regular file, from one
	// that fits, without reading it whole.
	data, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read DAG file: %w", err)
	}
	if len(data) > MaxFileBytes {
		return nil, tooLarge(int64(len(data)))
	}
	return ParseWith(path, data, opts)
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// Parse is ParseWith with the default options.
func Parse(path string, data []byte) (*DAG, error) {
	return ParseWith(path, data, ParseOptions{})
}

// ParseWith validates the DAG file at path whose bytes are data. Relative paths in it resolve
// against path's folder. On failure the error is a *ValidationError listing every problem.
func ParseWith(path string, data []byte, opts ParseOptions) (*DAG, error) {
	path = absPath(path)
	ps := &problems{file: path}
	sum := sha256.Sum256(data)
	dag := &DAG{Fileloc: path, Source: data, SourceHash: hex.EncodeToString(sum[:]), byID: map[string]*Task{}}
	dag.mountRoots = opts.MountRoots
	if dag.mountRoots.Empty() {
		dag.mountRoots.Allowed = []string{filepath.Dir(path)}
	}

	text := bytes.TrimPrefix(data, bom)
	file, err := parseWithinBudget(ps, text)
	if err != nil {
		return nil, err
	}
	if len(file.Docs) != 1 || file.Docs[0].Body == nil {
		if len(file.Docs) > 1 {
			ps.add(Pos{Line: 1}, "a DAG file holds one DAG: found %d YAML documents (split them into files)", len(file.Docs))
		} else {
			ps.add(Pos{Line: 1}, "the file is empty: a DAG file needs at least dag_id and tasks")
		}
		return nil, ps.err()
	}
	w := &walker{ps: ps, aliases: file.aliases, lines: strings.Split(string(text), "\n")}
	p := &dagParser{w: w, ps: ps, dag: dag, dir: filepath.Dir(path)}
	p.opts = opts
	p.parse(file.Docs[0].Body)
	if err := ps.err(); err != nil {
		return nil, err
	}
	return dag, nil
}

// bom is the byte-order mark Windows editors start files with; it is not part of the YAML.
var bom = []byte("\xef\xbb\xbf")

// budgetedFile is a parsed DAG file within the parser budgets, its aliases tied to their anchors.
type budgetedFile struct {
	*ast.File
	aliases map[*ast.AliasNode]ast.Node
}

// parseWithinBudget parses text, measured against the parser budgets (limits.go) before
// goccy's parser reads it (size, nesting) and before anything decodes it (aliases). A file
// over a budget answers a *ValidationError with OverBudget set; a syntax error, a problem at
// its line.
func parseWithinBudget(ps *problems, text []byte) (*budgetedFile, error) {
	if !ps.checkSize(int64(len(text))) {
		return nil, ps.overBudget()
	}
	tokens := lexer.Tokenize(string(text))
	// Measured past an invalid token too: the editor's sketch decodes the lines above a syntax
	// error, so a file must not pass as merely broken what would be refused as too deep.
	if !ps.checkDepth(tokens) {
		return nil, ps.overBudget()
	}
	file, err := parser.Parse(tokens, 0)
	if err != nil {
		ps.list = append(ps.list, syntaxProblem(ps.file, err))
		return nil, ps.err()
	}
	aliases := newAliasBudget(ps)
	for _, doc := range file.Docs {
		aliases.size(doc)
	}
	if aliases.over {
		return nil, ps.overBudget()
	}
	return &budgetedFile{File: file, aliases: aliases.targets}, nil
}

// CheckBudget measures a DAG file's bytes against the parser budgets (size, nesting, aliases)
// without building a DAG. Code that decodes DAG YAML some other way than ParseWith (the
// editor's sketch of a file that does not validate) calls it first, so no path hands goccy's
// decoder what the parser would refuse. It answers a *ValidationError with OverBudget set, or
// nil: a syntax error is ParseWith's to report.
func CheckBudget(data []byte) error {
	ps := &problems{}
	_, err := parseWithinBudget(ps, bytes.TrimPrefix(data, bom))
	if ve, ok := err.(*ValidationError); ok && ve.OverBudget {
		return err
	}
	return nil
}

// syntaxProblem turns a YAML syntax error into a Problem at its line.
func syntaxProblem(path string, err error) Problem {
	var se *yaml.SyntaxError
	if errors.As(err, &se) && se.Token != nil && se.Token.Position != nil {
		return Problem{File: path, Line: se.Token.Position.Line, Column: se.Token.Position.Column,
			Message: "YAML syntax: " + se.Message}
	}
	return Problem{File: path, Line: 1, Message: "YAML syntax: " + err.Error()}
}

type dagParser struct {
	w    *walker
	ps   *problems
	dag  *DAG
	dir  string
	opts ParseOptions

	defaults     map[string]field      // default_args, by task key
	taskPos      map[string]Pos        // first definition of each task id
	groupByLabel map[string]*TaskGroup // groups by the id written in the groups list
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

	if f, ok := byKey["dag_id"]; ok {
		if s, ok := p.w.str(f); ok {
			p.checkID(f.value, "dag_id", s)
			d.DagID, d.DagIDPos = s, valuePos(f.value)
		}
	} else {
		p.ps.add(Pos{Line: 1, Column: 1}, "dag_id is required (e.g. dag_id: my_pipeline)")
	}
	if f, ok := byKey["description"]; ok {
		d.Description, _ = p.w.str(f)
	}
	if f, ok := byKey["owner"]; ok {
		d.Owner, _ = p.w.str(f)
	}
	if f, ok := byKey["doc_md"]; ok && !isNull(p.w.resolve(f.value)) {
		d.DocMD, _ = p.w.str(f)
	}
	if f, ok := byKey["timezone"]; ok && !isNull(p.w.resolve(f.value)) {
		if s, ok := p.w.str(f); ok {
			loc, err := time.LoadLocation(s)
			if err != nil || s == "" || s == "Local" {
				p.ps.add(valuePos(f.value), "timezone %q is not an IANA time zone name (e.g. UTC, Europe/Berlin, Asia/Seoul)", s)
			} else {
				d.Timezone = loc
			}
		}
	}
	if f, ok := byKey["schedule"]; ok && isMappingNode(p.w.resolve(f.value)) {
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
	d.StartDate = p.date(byKey, "start_date")
	d.EndDate = p.date(byKey, "end_date")
	if f, given := byKey["start_date"]; d.Schedule.Timed() && d.StartDate == nil && (!given || isNull(p.w.resolve(f.value))) {
		p.ps.add(byKey["schedule"].pos, "a scheduled DAG needs start_date: the first data interval starts there (e.g. start_date: 2024-01-01)")
	}
	if d.StartDate != nil && d.EndDate != nil && d.StartDate.After(*d.EndDate) {
		p.ps.add(byKey["end_date"].pos, "end_date %s is before start_date %s", d.EndDate.Format(time.RFC3339), d.StartDate.Format(time.RFC3339))
	}
	if f, ok := byKey["catchup"]; ok {
		d.Catchup, _ = p.w.boolean(f)
	}
	p.timetable(d, byKey)
	if f, ok := byKey["is_paused_upon_creation"]; ok && !isNull(p.w.resolve(f.value)) {
		if b, ok := p.w.boolean(f); ok {
			d.IsPausedUponCreation = &b
		}
	}
	if f, ok := byKey["max_active_runs"]; ok {
		d.MaxActiveRuns = p.atLeast(f, 1)
	}
	p.continuous(d, byKey)
	if f, ok := byKey["max_active_tasks"]; ok {
		d.MaxActiveTasks = p.atLeast(f, 1)
	}
	if f, ok := byKey["dagrun_timeout"]; ok {
		d.DagrunTimeout = p.duration(f)
	}
	if f, ok := byKey["tags"]; ok {
		var pos []Pos
		d.Tags, pos, _ = p.w.strings(f)
		p.checkTags(d.Tags, pos)
	}
	if f, ok := byKey["params"]; ok && !isNull(p.w.resolve(f.value)) {
		p.params(d, f)
	}
	p.dagCallbacks(d, byKey)
	p.defaults = map[string]field{}
	if f, ok := byKey["default_args"]; ok && !isNull(p.w.resolve(f.value)) {
		if fs, ok := p.w.mapping(f.value, "default_args"); ok {
			for _, df := range fs {
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
	if f, ok := byKey["default_args"]; ok && len(p.defaults) > 0 {
		p.checkDefaults(f, fields)
	}
	if f, ok := byKey["groups"]; ok {
		p.groups(f)
	}
	if f, ok := byKey["tasks"]; ok {
		p.tasks(f)
		p.ps.skip = nil
	} else {
		p.ps.add(Pos{Line: 1, Column: 1}, "tasks is required: a list of tasks, each with an id and a module, sensor or branch")
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

// truncate shortens s to its first n characters and an ellipsis, for quoting a long value.
func truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i] + "…"
		}
		n--
	}
	return s
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

// skipRange drops, from now on until the tasks are parsed, problems placed from one place to
// another (inclusive): default_args already reported there, not to be repeated once per task
// that inherits them.
func (p *dagParser) skipRange(from, to Pos) {
	prev := p.ps.skip
	p.ps.skip = func(pos Pos) bool {
		return (!pos.before(from) && !to.before(pos)) || (prev != nil && prev(pos))
	}
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

func (p *dagParser) atLeast(f field, min int) int {
	n, ok := p.w.integer(f)
	if ok && n < min {
		p.ps.add(posOf(f.value), "%s must be at least %d, got %d", f.key, min, n)
	}
	return n
}

func (p *dagParser) duration(f field) time.Duration {
	s, ok := p.w.scalar(f.value)
	if !ok {
		p.ps.add(posOf(f.value), "%s must be a duration like 30s, 5m, 2h or 1d", f.key)
		return 0
	}
	d, err := ParseDuration(s)
	if err != nil {
		p.ps.add(valuePos(f.value), "%s: %v", f.key, err)
	}
	return d
}

func (p *dagParser) checkID(n ast.Node, what, id string) {
	switch {
	case id == "":
		p.ps.add(posOf(n), "%s is empty", what)
	case len(id) > MaxIDLength:
		p.ps.add(valuePos(n), "%s is %d characters long; at most %d are allowed", what, len(id), MaxIDLength)
	case !idPattern.MatchString(id):
		p.ps.add(valuePos(n), "%s %q may only contain letters, digits, '_', '.' and '-'", what, id)
	}
}

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

// link checks upstream references, fills Downstream, rejects cycles and checks branches.
func (p *dagParser) link(upstreamPos map[*Task][]Pos) {
	d := p.dag
	// via records, for the cycle message, which group an expanded upstream link came through.
	via := map[[2]string]string{}
	for _, t := range d.Tasks {
		var kept []string
		seen, written := map[string]bool{}, map[string]bool{}
		for i, u := range t.Upstream {
			at := upstreamPos[t][i]
			if written[u] {
				p.ps.add(at, "task %q lists upstream %q twice", t.TaskID, u)
				continue
			}
			written[u] = true
			if ids, isGroup := p.groupUpstream(t, u, at); isGroup && d.byID[u] == nil {
				for _, id := range ids {
					if !seen[id] {
						seen[id] = true
						kept = append(kept, id)
						via[[2]string{id, t.TaskID}] = u
					}
				}
				continue
			}
			switch {
			case u == t.TaskID:
				p.ps.add(at, "task %q lists itself as upstream; a task cannot depend on itself", u)
			case d.byID[u] == nil:
				hint := p.fullIDHint(t, u)
				if hint == "" {
					hint = suggest(u, upstreamNames(d))
				}
				what := "a task"
				if len(d.Groups) > 0 {
					what = "a task or group"
				}
				p.ps.add(at, "task %q: upstream %q is not %s of this DAG%s", t.TaskID, u, what, hint)
			case seen[u]:
				delete(via, [2]string{u, t.TaskID}) // written itself too: not only through a group
			default:
				seen[u] = true
				kept = append(kept, u)
			}
		}
		t.Upstream = kept
	}
	for _, t := range d.Tasks {
		for _, u := range t.Upstream {
			d.byID[u].Downstream = append(d.byID[u].Downstream, t.TaskID)
		}
	}
	if _, stuck := topoOrder(d.Tasks, d.byID); len(stuck) > 0 {
		cycle := startAtFirst(findCycle(stuck, d.byID), d)
		at := d.byID[cycle[0]].Pos
		p.ps.add(at, "cycle: %s%s; remove one of these upstream links", abbreviate(cycle), throughGroups(cycle, via))
	}
	for _, t := range d.Tasks {
		if t.Branch == nil {
			continue
		}
		ids, literal := literalBranchIDs(t.Branch)
		if !literal {
			continue
		}
		for _, id := range ids {
			if !contains(t.Downstream, id) {
				p.ps.add(t.Branch.Pos, "branch of task %q names %q, which is not one of its direct downstream tasks (%s)", t.TaskID, id, listOrNone(t.Downstream))
			}
		}
	}
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

// settings reads everything about a task but its id, kind and upstream.
func (p *dagParser) settings(t *Task, tf taskFields, label string) {
	if f, ok := tf.get("args"); ok {
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
	}
	if f, ok := tf.get("env"); ok && !isNull(p.w.resolve(f.value)) {
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
	}
	if f, ok := tf.get("stdin"); ok && !isNull(p.w.resolve(f.value)) {
		if s, ok := p.w.str(f); ok {
			t.Stdin = compileTemplate(p.ps, p.w.textPos(p.w.resolve(f.value)), label+"stdin", s)
		}
	}
	if f, ok := tf.get("mounts"); ok {
		p.mounts(t, f, label)
	}
	if f, ok := tf.get("memory_limit"); ok {
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
	}
	if f, ok := tf.get("mount_quota"); ok {
		p.mountQuota(t, f, label)
	}
	if f, ok := tf.get("execution_timeout"); ok && !isNull(p.w.resolve(f.value)) {
		t.ExecTimeout = p.duration(f)
	}
	if f, ok := tf.get("retries"); ok {
		n, ok := p.w.integer(f)
		if ok && n < 0 {
			p.ps.add(posOf(f.value), "%sretries must be 0 or more, got %d", label, n)
		}
		t.Retries = n
	}
	if f, ok := tf.get("retry_delay"); ok {
		t.RetryDelay = p.duration(f)
	}
	if f, ok := tf.get("max_retry_delay"); ok {
		t.MaxRetryDelay = p.duration(f)
	}
	if f, ok := tf.get("retry_exponential_backoff"); ok {
		t.RetryExponentialBackoff, _ = p.w.boolean(f)
	}
	if f, ok := tf.get("trigger_rule"); ok {
		if s, ok := p.w.str(f); ok {
			t.TriggerRule = TriggerRule(s)
			if !t.TriggerRule.Valid() {
				p.ps.add(valuePos(f.value), "%strigger_rule %q is not one of %s%s", label, s, joinRules(), suggest(s, ruleNames()))
			}
		}
	}
	if f, ok := tf.get("outlets"); ok && !isNull(p.w.resolve(f.value)) {
		t.Outlets = p.datasetList(f, "")
	}
	if f, ok := tf.get("pool"); ok {
		if s, ok := p.w.str(f); ok {
			if s == "" {
				p.ps.add(posOf(f.value), "%spool is empty; leave it out to use default_pool", label)
			}
			t.Pool = s
		}
	}
	if f, ok := tf.get("pool_slots"); ok {
		t.PoolSlots = p.atLeast(f, 1)
	}
	if f, ok := tf.get("max_active_tis_per_dag"); ok && !isNull(p.w.resolve(f.value)) {
		t.MaxActiveTIsPerDag = p.atLeast(f, 1)
	}
	if f, ok := tf.get("priority_weight"); ok {
		t.PriorityWeight, _ = p.w.integer(f)
	}
	if f, ok := tf.get("weight_rule"); ok {
		if s, ok := p.w.str(f); ok {
			if s != "downstream" && s != "upstream" && s != "absolute" {
				p.ps.add(valuePos(f.value), "%sweight_rule %q is not one of downstream, upstream, absolute", label, s)
			}
			t.WeightRule = s
		}
	}
	if f, ok := tf.get("queue"); ok {
		if s, ok := p.w.str(f); ok {
			if s == "" {
				p.ps.add(posOf(f.value), "%squeue is empty; leave it out to use %q", label, DefaultQueue)
			}
			t.Queue = s
		}
	}
	p.grants(t, tf, label)
	p.pastAndLatest(t, tf)
	if f, ok := tf.get("run_if"); ok && !isNull(p.w.resolve(f.value)) {
		if s, ok := p.w.str(f); ok {
			t.RunIf = compileExpr(p.ps, p.w.textPos(p.w.resolve(f.value)), label+"run_if", s, exprBool)
		}
	}
}

// pastAndLatest reads depends_on_past, wait_for_downstream and latest_only. As in Airflow,
// wait_for_downstream makes the task depend on its past too.
func (p *dagParser) pastAndLatest(t *Task, tf taskFields) {
	if f, ok := tf.get("depends_on_past"); ok {
		t.DependsOnPast, _ = p.w.boolean(f)
	}
	if f, ok := tf.get("wait_for_downstream"); ok {
		t.WaitForDownstream, _ = p.w.boolean(f)
		t.DependsOnPast = t.DependsOnPast || t.WaitForDownstream
	}
	if f, ok := tf.get("latest_only"); ok {
		t.LatestOnly, _ = p.w.boolean(f)
	}
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

func (p *dagParser) sensor(tf taskFields, label string) *Sensor {
	s := &Sensor{PokeInterval: DefaultPokeInterval, Timeout: DefaultSensorTimeout, Mode: "poke"}
	if f, ok := tf.get("poke_interval"); ok {
		s.PokeInterval = p.duration(f)
		if s.PokeInterval <= 0 {
			p.ps.add(valuePos(f.value), "%spoke_interval must be more than 0", label)
		}
	}
	if f, ok := tf.get("timeout"); ok {
		s.Timeout = p.duration(f)
	}
	if f, ok := tf.get("mode"); ok {
		if m, ok := p.w.str(f); ok {
			if m != "poke" && m != "reschedule" {
				p.ps.add(valuePos(f.value), "%smode %q is not poke or reschedule", label, m)
			}
			s.Mode = m
		}
	}
	if f, ok := tf.get("soft_fail"); ok {
		s.SoftFail, _ = p.w.boolean(f)
	}
	if f, ok := tf.get("exponential_backoff"); ok {
		s.ExponentialBackoff, _ = p.w.boolean(f)
	}
	return s
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

// startAtFirst rotates a cycle (first id repeated last) to start at the task that comes first
// in the file, so the same cycle is always reported the same way.
func startAtFirst(cycle []string, d *DAG) []string {
	ids := cycle[:len(cycle)-1]
	first := 0
	for i, id := range ids {
		if d.byID[id].Pos.Line < d.byID[ids[first]].Pos.Line {
			first = i
		}
	}
	out := append(append([]string{}, ids[first:]...), ids[:first]...)
	return append(out, out[0])
}

// abbreviate joins a cycle's ids, keeping the ends of a very long one readable.
func abbreviate(ids []string) string {
	if len(ids) <= 12 {
		return strings.Join(ids, " -> ")
	}
	head, tail := ids[:5], ids[len(ids)-5:]
	return fmt.Sprintf("%s -> ... (%d more) ... -> %s", strings.Join(head, " -> "), len(ids)-10, strings.Join(tail, " -> "))
}

func taskIDs(d *DAG) map[string]bool {
	m := make(map[string]bool, len(d.Tasks))
	for _, t := range d.Tasks {
		m[t.TaskID] = true
	}
	return m
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "it has none"
	}
	return strings.Join(ids, ", ")
}

func joinRules() string {
	names := make([]string, len(TriggerRules))
	for i, r := range TriggerRules {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// ruleNames is the set of trigger rules, for suggest.
func ruleNames() map[string]bool {
	names := make(map[string]bool, len(TriggerRules))
	for _, r := range TriggerRules {
		names[string(r)] = true
	}
	return names
}
