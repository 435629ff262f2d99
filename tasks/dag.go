package tasks

import (
	"path/filepath"
	"time"
)

// Defaults of a DAG and its tasks where the file says nothing (Airflow's, unless noted).
const (
	DefaultMaxActiveRuns  = 16
	DefaultMaxActiveTasks = 16
	DefaultRetryDelay     = 5 * time.Minute
	DefaultMaxRetryDelay  = 24 * time.Hour
	DefaultPokeInterval   = 60 * time.Second
	DefaultSensorTimeout  = 7 * 24 * time.Hour
	DefaultPool           = "default_pool"
	DefaultQueue          = "default"
	DefaultMemoryLimit    = 256 << 20 // wasmflow's own default: enough for Go-built modules
	MaxIDLength           = 250
	MaxTagLength          = 100 // characters, as Airflow's TAG_MAX_LEN
)

// DAG is a validated DAG file: what SPEC.md §2 lets an author write, with defaults applied and
// every path resolved against the file's folder.
type DAG struct {
	DagID                string
	DagIDPos             Pos // where dag_id is written, for errors about it (duplicates)
	Description          string
	DocMD                string
	Fileloc              string // absolute path of the file
	Source               []byte // the file's bytes, as read
	SourceHash           string // sha256 of Source, hex
	Schedule             Schedule
	Timetable            TimetableKind // how a cron schedule makes runs; "" = data intervals
	TriggerInterval      time.Duration // timetable: trigger's interval (the run covers [tick - interval, tick])
	StartDate            *time.Time    // in Timezone
	EndDate              *time.Time
	Timezone             *time.Location
	Catchup              bool
	MaxActiveRuns        int
	MaxActiveTasks       int
	DagrunTimeout        time.Duration // 0 = none
	IsPausedUponCreation *bool         // nil: core.dags_are_paused_at_creation decides
	Tags                 []string
	Owner                string
	Params               map[string]any   // each param's default (one without a default is absent)
	ParamSpecs           map[string]Param // every param, with its schema if it has one
	// Deadline is how long after its start a run may take before it counts as an SLA miss
	// (0: none). The run goes on; the miss is recorded and sla_miss_callback called.
	Deadline time.Duration
	// The DAG's callbacks (nil: none): on its runs' outcome, and on an SLA miss (a task's
	// sla or the run's deadline passed). Each is a module task named by CallbackID.
	OnSuccessCallback *Task
	OnFailureCallback *Task
	SLAMissCallback   *Task

	Tasks []*Task // in file order
	byID  map[string]*Task

	Groups    []*TaskGroup // in file order; a task's GroupPath names them by GroupID
	groupByID map[string]*TaskGroup

	mountRoots MountRoots // what the file was checked against; never empty once parsed
}

// Task returns the task with the given id, or nil.
func (d *DAG) Task(id string) *Task { return d.byID[id] }

// MountRoots are the folders the DAG's mounts may lead into, as it was parsed with: a try
// checks its rendered host folders against the same ones.
func (d *DAG) MountRoots() MountRoots {
	if d.mountRoots.Empty() && d.Fileloc != "" {
		return MountRoots{Allowed: []string{filepath.Dir(d.Fileloc)}, Private: d.mountRoots.Private}
	}
	return d.mountRoots
}

// TimetableKind is a DAG's `timetable`: how its cron schedule turns into runs.
type TimetableKind string

const (
	// TimetableDataInterval (the default, also written data_interval) is Airflow's
	// CronDataIntervalTimetable: a run covers the interval between two ticks and starts once it
	// has passed; its logical date is the interval's start.
	TimetableDataInterval TimetableKind = ""
	// TimetableTrigger is Airflow's CronTriggerTimetable: a run at each tick, its logical date
	// the tick, its data interval [tick - interval, tick].
	TimetableTrigger TimetableKind = "trigger"
)

// TaskKind is what a task does when it runs.
type TaskKind string

const (
	KindModule TaskKind = "module" // runs a wasm module
	KindSensor TaskKind = "sensor" // waits for a condition (an expression, or a module's exit 100)
	KindBranch TaskKind = "branch" // chooses which direct downstream tasks run
)

// Mount grants a task a host folder at a guest path.
type Mount struct {
	Host     *Template // relative paths are relative to the DAG file's folder once rendered
	Guest    string
	ReadOnly bool
}

// Sensor holds a sensor task's settings. Condition is nil for a module sensor (exit 0 = met,
// exit 100 = not yet).
type Sensor struct {
	Condition          *Expr
	PokeInterval       time.Duration
	Timeout            time.Duration // total, from the first poke, across retries
	Mode               string        // poke | reschedule
	SoftFail           bool
	ExponentialBackoff bool
}

// Task is one node of a DAG.
type Task struct {
	TaskID string // its full id: the group's id and a dot first when the group prefixes it
	Label  string // the id as written in the file (TaskID without its group prefix)
	// GroupPath is the GroupID of each group the task is in, the outermost first; nil
	// outside any group.
	GroupPath []string
	Pos       Pos // where the task starts in the file
	Kind      TaskKind
	Owner     string
	DocMD     string

	// Module is the absolute path of the .wasm file; "" for an expression sensor or branch;
	// OperatorModulePrefix + name for an operator task, whose module ships inside wasmflow.
	Module      string
	Operator    *OperatorCall // an `operator:` task's fields; nil for other tasks
	Args        []*Template
	Env         map[string]*Template
	Stdin       *Template
	Mounts      []Mount
	MemoryLimit int64         // bytes
	MountQuota  int64         // bytes one try may write into its writable mounts; 0 = core.mount_quota
	ExecTimeout time.Duration // execution_timeout; 0 = none
	Grants      Grants        // connections, allow_hosts, secrets

	Retries                 int
	RetryDelay              time.Duration
	RetryExponentialBackoff bool
	MaxRetryDelay           time.Duration

	TriggerRule    TriggerRule
	Pool           string
	PoolSlots      int
	PriorityWeight int
	WeightRule     string // downstream | upstream | absolute
	Queue          string
	// MaxActiveTIsPerDag caps this task's instances running at once across the DAG's runs
	// (Airflow's max_active_tis_per_dag, most useful on a mapped task); 0: no cap.
	MaxActiveTIsPerDag int
	// Outlets are the dataset URIs a success of this task updates (Airflow's outlets): each
	// success records a dataset event, which may trigger the DAGs scheduled on it.
	Outlets []string
	// DependsOnPast holds a task instance back until the same task (the same map_index) of
	// the DAG's previous run by logical date ended success or skipped; WaitForDownstream
	// (which sets DependsOnPast) also waits for that instance's direct downstream to have.
	DependsOnPast     bool
	WaitForDownstream bool
	// LatestOnly skips the task in a scheduled or backfill run that is not of the latest
	// interval (what Airflow's LatestOnlyOperator does to the tasks after it); manual runs run it.
	LatestOnly bool
	// Expand makes the task mapped: one task instance per element, map_index 0..n-1.
	Expand *Expand

	Upstream   []string
	Downstream []string // filled by the parser from every task's Upstream

	Sensor *Sensor // KindSensor, and module tasks with `sensor: true`
	Branch *Expr   // KindBranch with an expression; nil for a module branch (`branch: true`)
	RunIf  *Expr

	// SLA is how long after the run's start the task should have succeeded (0: none); a miss
	// is recorded and the DAG's sla_miss_callback called, the task goes on.
	SLA time.Duration
	// The task's callbacks (nil: none), each a module task named by CallbackID: run after a
	// try ends in success, in failed (no tries left) or in up_for_retry.
	OnSuccessCallback *Task
	OnFailureCallback *Task
	OnRetryCallback   *Task
}

// TaskGroup is the GroupID of the innermost group the task is in, "" outside any group.
func (t *Task) TaskGroup() string {
	if len(t.GroupPath) == 0 {
		return ""
	}
	return t.GroupPath[len(t.GroupPath)-1]
}

// IsSensor reports whether the task waits for a condition.
func (t *Task) IsSensor() bool { return t.Sensor != nil }

// IsBranch reports whether the task chooses its downstream.
func (t *Task) IsBranch() bool { return t.Kind == KindBranch }
