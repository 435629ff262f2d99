package metastore

import (
	"time"
)

// The current models: what queries read and write. They describe the schema as the latest
// migration leaves it and are never handed to a Migrator: the migrations keep their own frozen
// snapshots (migrate_v1.go, migrate_v2.go), so editing a model here never changes what an old
// migration does. A new column means a new migration plus a field here; TestModelsMatchSchema
// fails when the two drift apart.
//
// No model carries a `default:` tag: GORM leaves zero values with a default out of an INSERT,
// so a false is_paused would silently become the column default.
//
// Every time is stored in UTC: the driver writes times as text, and text sorts as time only
// when every value has the same offset.

type dagModel struct {
	DagID                       string     `gorm:"column:dag_id;primaryKey"`
	Description                 string     `gorm:"column:description"`
	Fileloc                     string     `gorm:"column:fileloc"`
	SourceHash                  string     `gorm:"column:source_hash"`
	IsPaused                    bool       `gorm:"column:is_paused"`
	IsActive                    bool       `gorm:"column:is_active"`
	Schedule                    string     `gorm:"column:schedule"`
	Timezone                    string     `gorm:"column:timezone"`
	Tags                        string     `gorm:"column:tags"` // JSON array of strings
	Owners                      string     `gorm:"column:owners"`
	Catchup                     bool       `gorm:"column:catchup"`
	MaxActiveRuns               int        `gorm:"column:max_active_runs"`
	MaxActiveTasks              int        `gorm:"column:max_active_tasks"`
	LastParsedTime              *time.Time `gorm:"column:last_parsed_time"`
	NextDagrun                  *time.Time `gorm:"column:next_dagrun"`
	NextDagrunDataIntervalStart *time.Time `gorm:"column:next_dagrun_data_interval_start"`
	NextDagrunDataIntervalEnd   *time.Time `gorm:"column:next_dagrun_data_interval_end"`
	NextDagrunCreateAfter       *time.Time `gorm:"column:next_dagrun_create_after"`
}

func (dagModel) TableName() string { return "dag" }

type dagCodeModel struct {
	DagID       string    `gorm:"column:dag_id;primaryKey"`
	Fileloc     string    `gorm:"column:fileloc"`
	SourceHash  string    `gorm:"column:source_hash"`
	Source      string    `gorm:"column:source"`
	LastUpdated time.Time `gorm:"column:last_updated"`
}

func (dagCodeModel) TableName() string { return "dag_code" }

type importErrorModel struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	Filename  string    `gorm:"column:filename"`
	Timestamp time.Time `gorm:"column:timestamp"`
	Message   string    `gorm:"column:message"`
}

func (importErrorModel) TableName() string { return "import_error" }

type dagRunModel struct {
	ID                int64      `gorm:"column:id;primaryKey"`
	DagID             string     `gorm:"column:dag_id"`
	RunID             string     `gorm:"column:run_id"`
	RunType           string     `gorm:"column:run_type"`
	State             string     `gorm:"column:state"`
	LogicalDate       time.Time  `gorm:"column:logical_date"`
	DataIntervalStart time.Time  `gorm:"column:data_interval_start"`
	DataIntervalEnd   time.Time  `gorm:"column:data_interval_end"`
	QueuedAt          *time.Time `gorm:"column:queued_at"`
	StartDate         *time.Time `gorm:"column:start_date"`
	EndDate           *time.Time `gorm:"column:end_date"`
	Conf              string     `gorm:"column:conf"` // JSON object
	ExternalTrigger   bool       `gorm:"column:external_trigger"`
	CreatedAt         time.Time  `gorm:"column:created_at"`
	UpdatedAt         time.Time  `gorm:"column:updated_at"`
	OwnerJobID        *int64     `gorm:"column:owner_job_id"` // the scheduler_job driving it (v7)
}

func (dagRunModel) TableName() string { return "dag_run" }

type taskInstanceModel struct {
	ID             int64      `gorm:"column:id;primaryKey"`
	DagID          string     `gorm:"column:dag_id"`
	RunID          string     `gorm:"column:run_id"`
	TaskID         string     `gorm:"column:task_id"`
	MapIndex       int        `gorm:"column:map_index"` // -1 unless mapped (v8)
	State          string     `gorm:"column:state"`
	TryNumber      int        `gorm:"column:try_number"`
	MaxTries       int        `gorm:"column:max_tries"`
	StartDate      *time.Time `gorm:"column:start_date"`
	EndDate        *time.Time `gorm:"column:end_date"`
	Duration       float64    `gorm:"column:duration"`
	Hostname       string     `gorm:"column:hostname"`
	ExitCode       *int       `gorm:"column:exit_code"`
	Reason         string     `gorm:"column:reason"`
	Pool           string     `gorm:"column:pool"`
	PoolSlots      int        `gorm:"column:pool_slots"`
	Queue          string     `gorm:"column:queue"`
	PriorityWeight int        `gorm:"column:priority_weight"`
	ModuleSHA256   string     `gorm:"column:module_sha256"`
	QueuedAt       *time.Time `gorm:"column:queued_at"`
	NextRetryAt    *time.Time `gorm:"column:next_retry_at"`
	FirstPokeAt    *time.Time `gorm:"column:first_poke_at"`
	UpdatedAt      time.Time  `gorm:"column:updated_at"`
}

func (taskInstanceModel) TableName() string { return "task_instance" }

type taskTryModel struct {
	ID           int64      `gorm:"column:id;primaryKey"`
	DagID        string     `gorm:"column:dag_id"`
	RunID        string     `gorm:"column:run_id"`
	TaskID       string     `gorm:"column:task_id"`
	MapIndex     int        `gorm:"column:map_index"`
	TryNumber    int        `gorm:"column:try_number"`
	State        string     `gorm:"column:state"`
	StartDate    *time.Time `gorm:"column:start_date"`
	EndDate      *time.Time `gorm:"column:end_date"`
	Duration     float64    `gorm:"column:duration"`
	Hostname     string     `gorm:"column:hostname"`
	ExitCode     *int       `gorm:"column:exit_code"`
	Reason       string     `gorm:"column:reason"`
	ModuleSHA256 string     `gorm:"column:module_sha256"`
}

func (taskTryModel) TableName() string { return "task_instance_history" }

type taskCallModel struct {
	ID         int64   `gorm:"column:id;primaryKey"`
	DagID      string  `gorm:"column:dag_id"`
	RunID      string  `gorm:"column:run_id"`
	TaskID     string  `gorm:"column:task_id"`
	MapIndex   int     `gorm:"column:map_index"`
	TryNumber  int     `gorm:"column:try_number"`
	Seq        int     `gorm:"column:seq"`
	Kind       string  `gorm:"column:kind"`
	Target     string  `gorm:"column:target"`
	Op         string  `gorm:"column:op"`
	Status     int     `gorm:"column:status"`
	Rows       int64   `gorm:"column:rows"`
	BytesOut   int64   `gorm:"column:bytes_out"`
	BytesIn    int64   `gorm:"column:bytes_in"`
	DurationMs float64 `gorm:"column:duration_ms"`
	Refused    bool    `gorm:"column:refused"`
	Error      string  `gorm:"column:error"`
}

func (taskCallModel) TableName() string { return "task_call" }

type taskRescheduleModel struct {
	ID             int64     `gorm:"column:id;primaryKey"`
	DagID          string    `gorm:"column:dag_id"`
	RunID          string    `gorm:"column:run_id"`
	TaskID         string    `gorm:"column:task_id"`
	MapIndex       int       `gorm:"column:map_index"`
	TryNumber      int       `gorm:"column:try_number"`
	StartDate      time.Time `gorm:"column:start_date"`
	EndDate        time.Time `gorm:"column:end_date"`
	RescheduleDate time.Time `gorm:"column:reschedule_date"`
}

func (taskRescheduleModel) TableName() string { return "task_reschedule" }

type xcomModel struct {
	DagID     string    `gorm:"column:dag_id;primaryKey"`
	RunID     string    `gorm:"column:run_id;primaryKey"`
	TaskID    string    `gorm:"column:task_id;primaryKey"`
	MapIndex  int       `gorm:"column:map_index;primaryKey"`
	Key       string    `gorm:"column:key;primaryKey"`
	Value     []byte    `gorm:"column:value"`
	Timestamp time.Time `gorm:"column:timestamp"`
}

func (xcomModel) TableName() string { return "xcom" }

type variableModel struct {
	Key         string `gorm:"column:key;primaryKey"`
	Val         string `gorm:"column:val"`
	Description string `gorm:"column:description"`
}

func (variableModel) TableName() string { return "variable" }

// connectionModel is a connection as stored: Password and Extra are ciphertext (secrets.go).
type connectionModel struct {
	ConnID      string `gorm:"column:conn_id;primaryKey"`
	ConnType    string `gorm:"column:conn_type"`
	Description string `gorm:"column:description"`
	Host        string `gorm:"column:host"`
	Schema      string `gorm:"column:schema"`
	Login       string `gorm:"column:login"`
	Password    string `gorm:"column:password"`
	Port        int    `gorm:"column:port"`
	Extra       string `gorm:"column:extra"`
}

func (connectionModel) TableName() string { return "connection" }

type poolModel struct {
	Pool        string `gorm:"column:pool;primaryKey"`
	Slots       int    `gorm:"column:slots"`
	Description string `gorm:"column:description"`
}

func (poolModel) TableName() string { return "slot_pool" }

type userModel struct {
	ID           int64      `gorm:"column:id;primaryKey"`
	Username     string     `gorm:"column:username"`
	Email        string     `gorm:"column:email"`
	FirstName    string     `gorm:"column:first_name"`
	LastName     string     `gorm:"column:last_name"`
	Role         string     `gorm:"column:role"`
	PasswordHash string     `gorm:"column:password_hash"`
	Active       bool       `gorm:"column:active"`
	CreatedAt    time.Time  `gorm:"column:created_at"`
	LastLogin    *time.Time `gorm:"column:last_login"`
}

func (userModel) TableName() string { return "ab_user" }

type logModel struct {
	ID     int64     `gorm:"column:id;primaryKey"`
	Dttm   time.Time `gorm:"column:dttm"`
	Event  string    `gorm:"column:event"`
	Owner  string    `gorm:"column:owner"`
	DagID  string    `gorm:"column:dag_id"`
	RunID  string    `gorm:"column:run_id"`
	TaskID string    `gorm:"column:task_id"`
	Extra  string    `gorm:"column:extra"`
}

func (logModel) TableName() string { return "log" }

type moduleBlobModel struct {
	SHA256    string    `gorm:"column:sha256;primaryKey"`
	Size      int64     `gorm:"column:size"`
	Data      []byte    `gorm:"column:data"`
	CreatedAt time.Time `gorm:"column:created_at"`
}

func (moduleBlobModel) TableName() string { return "module_blob" }

// currentModels lists every model, for the test that checks them against the migrated schema.
var currentModels = []any{
	&dagModel{}, &dagCodeModel{}, &importErrorModel{}, &dagRunModel{}, &taskInstanceModel{},
	&taskTryModel{}, &taskRescheduleModel{}, &xcomModel{}, &variableModel{}, &poolModel{},
	&userModel{}, &logModel{}, &moduleBlobModel{}, &connectionModel{}, &schedulerJobModel{},
	&datasetModel{}, &datasetEventModel{}, &dagScheduleDatasetReferenceModel{},
	&taskOutletDatasetReferenceModel{}, &datasetDagRunQueueModel{}, &dagRunDatasetEventModel{},
}

// utc normalises a time for storage; see the note at the top of this file.
func utc(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC()
}

// utcPtr is utc for nullable times.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
