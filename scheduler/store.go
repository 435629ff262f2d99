package scheduler

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// ErrNotFound is returned by Store lookups of a row that does not exist. Callers wrap it with
// what they looked for; the CLI and the API turn it into "not found" / 404.
var ErrNotFound = errors.New("not found")

// ErrExists is returned by Store creations of a row whose key is taken.
var ErrExists = errors.New("already exists")

// ErrNotReady is CreateDatasetRun's answer when a dataset the DAG waits for has no queued
// event any more.
var ErrNotReady = errors.New("not every dataset has a new event")

// Dag is a DAG as the metastore records it: what the last parse of its file said, plus the
// state that belongs to the metastore alone (paused, active, next run).
type Dag struct {
	DagID          string
	Description    string
	Fileloc        string // absolute path of the DAG file
	SourceHash     string // sha256 of the file's bytes, hex
	IsPaused       bool
	IsActive       bool // false once its file is gone or no longer defines it; history is kept
	Schedule       string
	Timezone       string
	Tags           []string
	Owners         string
	Catchup        bool
	MaxActiveRuns  int
	MaxActiveTasks int
	LastParsedTime time.Time
	// ScheduleDatasets are the URIs a dataset schedule waits for, Outlets the URIs each task
	// updates (by task_id); SyncDag records them as the dataset references of the DAG.
	ScheduleDatasets []string
	Outlets          map[string][]string
	// Next run info, maintained by the scheduler's timetable (nil = none planned).
	NextDagrun            *time.Time
	NextDataIntervalStart *time.Time
	NextDataIntervalEnd   *time.Time
	NextDagrunCreateAfter *time.Time
}

// DagFilter narrows ListDags. Zero values mean "any".
type DagFilter struct {
	DagIDPattern string // substring match on dag_id
	Tags         []string
	Paused       *bool
	OnlyActive   bool
	Limit        int
	Offset       int
	// OrderBy is a column of the metastore's ListDags' DagOrderColumns ("" = dag_id); Desc
	// reverses it.
	OrderBy string
	Desc    bool
}

// ImportError is a DAG file that failed to parse or validate. Message holds every problem,
// one per line, each as "file:line:col: what is wrong (how to fix)".
type ImportError struct {
	ID        int64
	Filename  string
	Timestamp time.Time
	Message   string
}

// DagRun is one run of a DAG over a data interval.
type DagRun struct {
	ID                int64
	DagID             string
	RunID             string
	RunType           string // scheduled | manual | backfill
	State             tasks.DagRunState
	LogicalDate       time.Time
	DataIntervalStart time.Time
	DataIntervalEnd   time.Time
	QueuedAt          *time.Time
	StartDate         *time.Time
	EndDate           *time.Time
	Conf              map[string]any
	// ConfJSON is the conf as stored, not decoded, where a reader only hands it on (a page of
	// runs read WithConf); Conf is nil then. Decoded into maps, a conf costs many times its
	// bytes.
	ConfJSON        []byte
	ExternalTrigger bool
	// OwnerJobID is the scheduler job that drives the run (see JobStore); 0: none yet. A run
	// is created owned by the scheduler that creates it.
	OwnerJobID int64
}

// TaskInstance is one task in one DagRun.
type TaskInstance struct {
	ID             int64
	DagID          string
	RunID          string
	TaskID         string
	MapIndex       int // a mapped task's instance: 0..n-1; -1 for every other (Airflow's)
	State          tasks.TaskInstanceState
	TryNumber      int // tries started so far (Airflow 2.10 semantics: 1 while the first try runs)
	MaxTries       int // retries + 1 at creation, grown by clear
	StartDate      *time.Time
	EndDate        *time.Time
	Duration       float64 // seconds
	Hostname       string  // node that ran the current/last try
	ExitCode       *int
	Reason         string // why it ended as it did: timeout, oom, exit_code 1, lost, ...
	Pool           string
	PoolSlots      int
	Queue          string
	PriorityWeight int
	ModuleSHA256   string
	QueuedAt       *time.Time
	NextRetryAt    *time.Time // up_for_retry / up_for_reschedule: when it becomes runnable
	FirstPokeAt    *time.Time // sensors: their timeout counts from here, across retries
}

// TaskTry is the record of one finished try (Airflow's task_instance_history).
type TaskTry struct {
	ID           int64
	DagID        string
	RunID        string
	TaskID       string
	MapIndex     int
	TryNumber    int
	State        tasks.TaskInstanceState
	StartDate    *time.Time
	EndDate      *time.Time
	Duration     float64
	Hostname     string
	ExitCode     *int
	Reason       string
	ModuleSHA256 string
	// Calls are the try's granted-I/O calls, in order (read by ListTaskTries; written from
	// Changes.Calls).
	Calls []Call
}

// XCom is one value a task instance pushed.
type XCom struct {
	DagID     string
	RunID     string
	TaskID    string
	MapIndex  int // the mapped task instance that pushed it; -1 for an unmapped one
	Key       string
	Value     []byte
	Timestamp time.Time
}

// Variable is a key/value pair tasks read with var(name).
type Variable struct {
	Key         string
	Value       string
	Description string
}

// Pool limits how many task slots run at once across DAGs.
type Pool struct {
	Name        string
	Slots       int
	Description string
}

// DefaultPool is the pool every task uses unless it names another; it always exists.
const DefaultPool = "default_pool"

// Roles, lowest to highest: each can do everything the ones before it can.
const (
	RoleViewer = "Viewer"
	RoleUser   = "User"
	RoleOp     = "Op"
	RoleAdmin  = "Admin"
)

// User is a person or script that signs in. PasswordHash is bcrypt; the plain password is
// never stored, logged or returned.
type User struct {
	ID           int64
	Username     string
	Email        string
	FirstName    string
	LastName     string
	Role         string
	PasswordHash string
	Active       bool
	CreatedAt    time.Time
	LastLogin    *time.Time
}

// AuditEvent is one row of the audit log: who did what to which DAG, run or task.
type AuditEvent struct {
	ID     int64
	When   time.Time
	Event  string // e.g. "dag.pause", "variable.set", "user.create"
	Owner  string // the user, or "cli" / "scheduler"
	DagID  string
	RunID  string
	TaskID string
	Extra  string
}

// DagStore is what the DAG folder sync and the DAG views need of the metastore.
type DagStore interface {
	// SyncDag records a parsed DAG and its source. A new DAG starts paused when pausedOnCreate;
	// an existing DAG keeps its paused flag and becomes active again.
	SyncDag(ctx context.Context, dag Dag, source []byte, pausedOnCreate bool) error
	// DeactivateDags marks every active DAG whose fileloc is under folder and that is not in
	// keep as inactive; it returns the dag_ids it deactivated. History is never deleted.
	DeactivateDags(ctx context.Context, folder string, keep []string) ([]string, error)
	GetDag(ctx context.Context, dagID string) (Dag, error)
	ListDags(ctx context.Context, f DagFilter) ([]Dag, error)
	SetPaused(ctx context.Context, dagID string, paused bool) error
	DagSource(ctx context.Context, dagID string) ([]byte, error)

	// SetImportError records (or replaces) the import error of a file; ClearImportError
	// removes it once the file parses again or is deleted.
	SetImportError(ctx context.Context, filename, message string) error
	ClearImportError(ctx context.Context, filename string) error
	ListImportErrors(ctx context.Context) ([]ImportError, error)
}

// AdminStore holds variables, connections, pools, users and the audit log.
type AdminStore interface {
	SetVariable(ctx context.Context, v Variable) error
	GetVariable(ctx context.Context, key string) (Variable, error)
	ListVariables(ctx context.Context) ([]Variable, error)
	DeleteVariable(ctx context.Context, key string) error

	// SetConnection creates or replaces a connection; its password and extra are stored
	// encrypted. GetConnection and ListConnections return them decrypted: callers mask them.
	SetConnection(ctx context.Context, c tasks.Connection) error
	AddConnection(ctx context.Context, c tasks.Connection) error // a conn_id taken is ErrExists
	GetConnection(ctx context.Context, connID string) (tasks.Connection, error)
	ListConnections(ctx context.Context) ([]tasks.Connection, error) // by conn_id
	DeleteConnection(ctx context.Context, connID string) error

	SetPool(ctx context.Context, p Pool) error
	GetPool(ctx context.Context, name string) (Pool, error)
	ListPools(ctx context.Context) ([]Pool, error)
	DeletePool(ctx context.Context, name string) error // default_pool cannot be deleted

	CreateUser(ctx context.Context, u User) (User, error) // duplicate username is an error
	GetUser(ctx context.Context, username string) (User, error)
	ListUsers(ctx context.Context) ([]User, error)
	DeleteUser(ctx context.Context, username string) error

	AddAuditEvent(ctx context.Context, e AuditEvent) error
	ListAuditEvents(ctx context.Context, limit int) ([]AuditEvent, error)
}

// TIKey names one task instance: MapIndex is -1 unless the task is mapped (NewTIKey).
type TIKey struct {
	DagID    string
	RunID    string
	TaskID   string
	MapIndex int
}

// NewTIKey names the task instance of an unmapped task.
func NewTIKey(dagID, runID, taskID string) TIKey { return TIKey{dagID, runID, taskID, -1} }

// String is dag/run/task, and [map_index] for a mapped task instance.
func (k TIKey) String() string {
	s := k.DagID + "/" + k.RunID + "/" + k.TaskID
	if k.MapIndex >= 0 {
		s += "[" + strconv.Itoa(k.MapIndex) + "]"
	}
	return s
}

// Key returns the task instance's key.
func (ti TaskInstance) Key() TIKey { return TIKey{ti.DagID, ti.RunID, ti.TaskID, ti.MapIndex} }

// Changes is everything one scheduling step decided, written in one transaction so a crash
// leaves either all of it or none.
type Changes struct {
	Runs          []DagRun       // state and dates of existing runs, by ID
	TaskInstances []TaskInstance // every field of existing task instances, by ID (by key when 0)
	// Expanded are the task instances a mapped task expanded into (map_index 1..n-1; its
	// first instance becomes map_index 0 in TaskInstances), inserted before the updates.
	Expanded   []TaskInstance
	Tries      []TaskTry // finished tries to record
	ClearXComs []TIKey   // XComs to drop before a task instance's next try
	XComs      []XCom    // XComs to write (replacing the same key)
	Audit      []AuditEvent
	Calls      []TryCalls // the granted-I/O calls of tries that ended (or poked)
	// DatasetEvents are the dataset updates of the tries that ended success in this step
	// (one per outlet), queued for the DAGs scheduled on them.
	DatasetEvents []DatasetEvent
	// Callbacks are the callback requests the step's state changes raised (see
	// CallbackRequest), SLAMisses the SLAs it found passed; each is written once per event.
	Callbacks []CallbackRequest
	SLAMisses []SLAMiss
	// Owner, if not 0, is the scheduler job writing: Save then writes nothing unless that job
	// still owns every run the changes touch, else it fails with a *NotOwnerError (a
	// scheduler taken for dead while it lived must not overwrite what another now drives).
	Owner int64
}

// Empty reports whether there is nothing to write.
func (c *Changes) Empty() bool {
	return len(c.Runs)+len(c.TaskInstances)+len(c.Expanded)+len(c.Tries)+len(c.ClearXComs)+len(c.XComs)+len(c.Audit)+len(c.Calls)+len(c.DatasetEvents)+len(c.Callbacks)+len(c.SLAMisses) == 0
}

// RunStore is what the scheduling loop needs of the metastore.
type RunStore interface {
	DagStore
	// CreateDagRun inserts a run with its task instances; a run_id already used is an error.
	CreateDagRun(ctx context.Context, run DagRun, tis []TaskInstance) (DagRun, error)
	GetDagRun(ctx context.Context, dagID, runID string) (DagRun, error)
	ListDagRuns(ctx context.Context, dagID string, state tasks.DagRunState, limit int) ([]DagRun, error)
	// PreviousDagRun is the DAG's run with the latest logical date before logicalDate, of any
	// type (but test) and state, without its conf (ErrNotFound: none), for depends_on_past.
	PreviousDagRun(ctx context.Context, dagID string, logicalDate time.Time) (DagRun, error)
	ListTaskInstances(ctx context.Context, dagID, runID string) ([]TaskInstance, error)
	// Save writes one scheduling step's changes in one transaction.
	Save(ctx context.Context, c Changes) error
	// SetNextDagrun records a DAG's next scheduled run (the next_dagrun* fields).
	SetNextDagrun(ctx context.Context, d Dag) error
	GetXCom(ctx context.Context, dagID, runID, taskID, key string) (XCom, error)
	ListXComs(ctx context.Context, dagID, runID, taskID string) ([]XCom, error)
	GetVariable(ctx context.Context, key string) (Variable, error)
	// GetConnection resolves a try's granted connections (see ResolveConnection).
	GetConnection(ctx context.Context, connID string) (tasks.Connection, error)
	ListPools(ctx context.Context) ([]Pool, error)
	AddAuditEvent(ctx context.Context, e AuditEvent) error
	CommandStore
}

// Command is a change the CLI asks a running scheduler to make (Kind "clear" or "mark"), so
// that the scheduler stays the only writer of the runs it drives.
type Command struct {
	ID         int64
	Kind       string
	DagID      string
	RunID      string
	TaskIDs    []string                // clear: the tasks; mark: the one task
	MapIndexes map[string][]int        // clear: only these instances of these mapped tasks; mark: the one instance
	OnlyFailed bool                    // clear
	State      tasks.TaskInstanceState // mark
	Owner      string
	DoneAt     *time.Time // set once applied
	Result     string     // the outcome: what was cleared, or why it failed
}

// CommandStore is the queue of commands for a running scheduler.
type CommandStore interface {
	AddCommand(ctx context.Context, c Command) (Command, error)
	PendingCommands(ctx context.Context) ([]Command, error)
	GetCommand(ctx context.Context, id int64) (Command, error)
	FinishCommand(ctx context.Context, id int64, result string) error
}

// SchedulerJob is one scheduler process as the metastore records it (Airflow's job table):
// while it runs it heartbeats, and the runs it owns are its alone.
type SchedulerJob struct {
	ID              int64
	Hostname        string // the host its in-process tries report (Config.Hostname)
	State           string // running, or ended once it stopped cleanly
	StartDate       time.Time
	LatestHeartbeat time.Time
	EndDate         *time.Time
}

// Alive reports whether the job still counts as running at now, given the orphan timeout.
func (j SchedulerJob) Alive(now time.Time, orphanTimeout time.Duration) bool {
	return j.State == JobRunning && !j.LatestHeartbeat.Before(now.Add(-orphanTimeout))
}

// Scheduler job states.
const (
	JobRunning = "running"
	JobEnded   = "ended"
)

// JobStore is what several active schedulers on one metastore need of it: each registers a
// job and heartbeats it, and a run is driven only by its owner job. A run whose owner stopped
// heartbeating for the orphan timeout (or ended) is taken over by a conditional write, so two
// schedulers never both take it.
type JobStore interface {
	// StartJob records a new running job heartbeating at now and returns its id.
	StartJob(ctx context.Context, hostname string, now time.Time) (int64, error)
	// Heartbeat records that the job lives at now.
	Heartbeat(ctx context.Context, id int64, now time.Time) error
	// ListJobs returns every job, newest first.
	ListJobs(ctx context.Context) ([]SchedulerJob, error)
	// ClaimRun makes job the owner of a run when it has none, is the job's already, or its
	// owner's heartbeat is older than deadBefore (or the owner ended); it reports whether the
	// job owns it now.
	ClaimRun(ctx context.Context, job int64, dagID, runID string, deadBefore time.Time) (bool, error)
	// EndJob marks a job ended and releases its runs, for the other schedulers to take at once.
	EndJob(ctx context.Context, id int64, now time.Time) error
}

// NotOwnerError is Save's refusal of changes to runs the writing job no longer owns.
type NotOwnerError struct {
	Job  int64
	Runs []TIKey // the runs, TaskID empty
}

func (e *NotOwnerError) Error() string {
	return fmt.Sprintf("scheduler job %d no longer owns %d run(s) (first %s/%s): another scheduler took them over after this one missed its heartbeats",
		e.Job, len(e.Runs), e.Runs[0].DagID, e.Runs[0].RunID)
}

// ErrOwnedElsewhere says a run is driven by another live scheduler: a change to it is filed as
// a Command, which that scheduler applies.
var ErrOwnedElsewhere = errors.New("the run is driven by another scheduler")
