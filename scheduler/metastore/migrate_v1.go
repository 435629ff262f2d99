package metastore

import (
	"time"

	"gorm.io/gorm"
)

// Migration 1: the core tables. FROZEN since its release: never edit a snapshot or migrateV1;
// change the schema with a new migration instead.
//
// Snapshot types are named v1*; nothing but this migration (and tests that build a v1
// database) may use them.

type v1Dag struct {
	DagID          string     `gorm:"column:dag_id;primaryKey;not null"`
	Description    string     `gorm:"column:description;not null;default:('')"`
	Fileloc        string     `gorm:"column:fileloc;not null;default:('');index:idx_dag_fileloc"`
	SourceHash     string     `gorm:"column:source_hash;not null;default:('')"`
	IsPaused       bool       `gorm:"column:is_paused;not null;default:true"`
	IsActive       bool       `gorm:"column:is_active;not null;default:true;index:idx_dag_is_active"`
	Schedule       string     `gorm:"column:schedule;not null;default:('')"`
	Timezone       string     `gorm:"column:timezone;not null;default:('UTC')"`
	Tags           string     `gorm:"column:tags;not null;default:('[]')"`
	Owners         string     `gorm:"column:owners;not null;default:('')"`
	Catchup        bool       `gorm:"column:catchup;not null;default:false"`
	MaxActiveRuns  int        `gorm:"column:max_active_runs;not null;default:16"`
	MaxActiveTasks int        `gorm:"column:max_active_tasks;not null;default:16"`
	LastParsedTime *time.Time `gorm:"column:last_parsed_time"`
}

func (v1Dag) TableName() string { return "dag" }

type v1DagCode struct {
	DagID       string    `gorm:"column:dag_id;primaryKey;not null"`
	Fileloc     string    `gorm:"column:fileloc;not null;default:('')"`
	SourceHash  string    `gorm:"column:source_hash;not null;default:('')"`
	Source      string    `gorm:"column:source;not null;default:('')"`
	LastUpdated time.Time `gorm:"column:last_updated;not null"`
	Dag         *v1Dag    `gorm:"belongsTo;foreignKey:DagID;references:DagID;constraint:OnDelete:CASCADE"`
}

func (v1DagCode) TableName() string { return "dag_code" }

type v1ImportError struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	Filename  string    `gorm:"column:filename;not null;uniqueIndex:idx_import_error_filename"`
	Timestamp time.Time `gorm:"column:timestamp;not null"`
	Message   string    `gorm:"column:message;not null;default:('')"`
}

func (v1ImportError) TableName() string { return "import_error" }

type v1DagRun struct {
	ID                int64      `gorm:"column:id;primaryKey"`
	DagID             string     `gorm:"column:dag_id;not null;uniqueIndex:idx_dag_run_dag_id_run_id,priority:1;index:idx_dag_run_dag_id_logical_date,priority:1"`
	RunID             string     `gorm:"column:run_id;not null;uniqueIndex:idx_dag_run_dag_id_run_id,priority:2"`
	RunType           string     `gorm:"column:run_type;not null;default:('manual')"`
	State             string     `gorm:"column:state;not null;default:('queued');index:idx_dag_run_state"`
	LogicalDate       time.Time  `gorm:"column:logical_date;not null;index:idx_dag_run_dag_id_logical_date,priority:2"`
	DataIntervalStart time.Time  `gorm:"column:data_interval_start;not null"`
	DataIntervalEnd   time.Time  `gorm:"column:data_interval_end;not null"`
	QueuedAt          *time.Time `gorm:"column:queued_at"`
	StartDate         *time.Time `gorm:"column:start_date"`
	EndDate           *time.Time `gorm:"column:end_date"`
	Conf              string     `gorm:"column:conf;not null;default:('{}')"`
	ExternalTrigger   bool       `gorm:"column:external_trigger;not null;default:false"`
	CreatedAt         time.Time  `gorm:"column:created_at;not null"`
	UpdatedAt         time.Time  `gorm:"column:updated_at;not null"`
	Dag               *v1Dag     `gorm:"belongsTo;foreignKey:DagID;references:DagID;constraint:OnDelete:CASCADE"`
}

func (v1DagRun) TableName() string { return "dag_run" }

type v1TaskInstance struct {
	ID             int64      `gorm:"column:id;primaryKey"`
	DagID          string     `gorm:"column:dag_id;not null;uniqueIndex:idx_task_instance_dag_id_run_id_task_id,priority:1"`
	RunID          string     `gorm:"column:run_id;not null;uniqueIndex:idx_task_instance_dag_id_run_id_task_id,priority:2"`
	TaskID         string     `gorm:"column:task_id;not null;uniqueIndex:idx_task_instance_dag_id_run_id_task_id,priority:3"`
	State          string     `gorm:"column:state;not null;default:('none');index:idx_task_instance_state"`
	TryNumber      int        `gorm:"column:try_number;not null;default:0"`
	MaxTries       int        `gorm:"column:max_tries;not null;default:1"`
	StartDate      *time.Time `gorm:"column:start_date"`
	EndDate        *time.Time `gorm:"column:end_date"`
	Duration       float64    `gorm:"column:duration;not null;default:0"`
	Hostname       string     `gorm:"column:hostname;not null;default:('')"`
	ExitCode       *int       `gorm:"column:exit_code"`
	Reason         string     `gorm:"column:reason;not null;default:('')"`
	Pool           string     `gorm:"column:pool;not null;default:('default_pool')"`
	PoolSlots      int        `gorm:"column:pool_slots;not null;default:1"`
	Queue          string     `gorm:"column:queue;not null;default:('default')"`
	PriorityWeight int        `gorm:"column:priority_weight;not null;default:1"`
	ModuleSHA256   string     `gorm:"column:module_sha256;not null;default:('')"`
	QueuedAt       *time.Time `gorm:"column:queued_at"`
	UpdatedAt      time.Time  `gorm:"column:updated_at;not null"`
	DagRun         *v1DagRun  `gorm:"belongsTo;foreignKey:DagID,RunID;references:DagID,RunID;constraint:OnDelete:CASCADE"`
}

func (v1TaskInstance) TableName() string { return "task_instance" }

type v1XCom struct {
	DagID        string          `gorm:"column:dag_id;primaryKey;not null"`
	RunID        string          `gorm:"column:run_id;primaryKey;not null"`
	TaskID       string          `gorm:"column:task_id;primaryKey;not null"`
	Key          string          `gorm:"column:key;primaryKey;not null"`
	Value        []byte          `gorm:"column:value"`
	Timestamp    time.Time       `gorm:"column:timestamp;not null"`
	TaskInstance *v1TaskInstance `gorm:"belongsTo;foreignKey:DagID,RunID,TaskID;references:DagID,RunID,TaskID;constraint:OnDelete:CASCADE"`
}

func (v1XCom) TableName() string { return "xcom" }

type v1Variable struct {
	Key         string `gorm:"column:key;primaryKey;not null"`
	Val         string `gorm:"column:val;not null;default:('')"`
	Description string `gorm:"column:description;not null;default:('')"`
}

func (v1Variable) TableName() string { return "variable" }

type v1Pool struct {
	Pool        string `gorm:"column:pool;primaryKey;not null"`
	Slots       int    `gorm:"column:slots;not null;default:0"`
	Description string `gorm:"column:description;not null;default:('')"`
}

func (v1Pool) TableName() string { return "slot_pool" }

type v1User struct {
	ID           int64      `gorm:"column:id;primaryKey"`
	Username     string     `gorm:"column:username;not null;uniqueIndex:idx_ab_user_username"`
	Email        string     `gorm:"column:email;not null;default:('')"`
	FirstName    string     `gorm:"column:first_name;not null;default:('')"`
	LastName     string     `gorm:"column:last_name;not null;default:('')"`
	Role         string     `gorm:"column:role;not null"`
	PasswordHash string     `gorm:"column:password_hash;not null;default:('')"`
	Active       bool       `gorm:"column:active;not null;default:true"`
	CreatedAt    time.Time  `gorm:"column:created_at;not null"`
	LastLogin    *time.Time `gorm:"column:last_login"`
}

func (v1User) TableName() string { return "ab_user" }

type v1Log struct {
	ID     int64     `gorm:"column:id;primaryKey"`
	Dttm   time.Time `gorm:"column:dttm;not null;index:idx_log_dttm"`
	Event  string    `gorm:"column:event;not null"`
	Owner  string    `gorm:"column:owner;not null;default:('')"`
	DagID  string    `gorm:"column:dag_id;not null;default:('');index:idx_log_dag_id"`
	RunID  string    `gorm:"column:run_id;not null;default:('')"`
	TaskID string    `gorm:"column:task_id;not null;default:('')"`
	Extra  string    `gorm:"column:extra;not null;default:('')"`
}

func (v1Log) TableName() string { return "log" }

func migrateV1(tx *gorm.DB) error {
	// Parents before children: SQLite checks a foreign key's parent when rows arrive, but the
	// order keeps the schema readable in sqlite_master.
	if err := tx.Migrator().CreateTable(
		&v1Dag{}, &v1DagCode{}, &v1ImportError{}, &v1DagRun{}, &v1TaskInstance{}, &v1XCom{},
		&v1Variable{}, &v1Pool{}, &v1User{}, &v1Log{},
	); err != nil {
		return err
	}
	return tx.Exec("INSERT INTO slot_pool (pool, slots, description) VALUES (?, ?, ?)",
		"default_pool", 128, "Default pool").Error
}
