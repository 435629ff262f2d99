package metastore

import (
	"time"

	"gorm.io/gorm"
)

// Migration 2: what the scheduler and the runtime need beyond the core tables: the record of
// every finished try, sensor reschedules, content-addressed module blobs, the next planned run
// of a DAG, and the retry/poke timers of a task instance. FROZEN since its release.

// v2TaskInstanceKey is the part of task_instance that v2's foreign keys reference.
type v2TaskInstanceKey struct {
	ID     int64  `gorm:"column:id;primaryKey"`
	DagID  string `gorm:"column:dag_id"`
	RunID  string `gorm:"column:run_id"`
	TaskID string `gorm:"column:task_id"`
}

func (v2TaskInstanceKey) TableName() string { return "task_instance" }

type v2TaskInstanceHistory struct {
	ID           int64              `gorm:"column:id;primaryKey"`
	DagID        string             `gorm:"column:dag_id;not null;uniqueIndex:idx_task_instance_history_try,priority:1"`
	RunID        string             `gorm:"column:run_id;not null;uniqueIndex:idx_task_instance_history_try,priority:2"`
	TaskID       string             `gorm:"column:task_id;not null;uniqueIndex:idx_task_instance_history_try,priority:3"`
	TryNumber    int                `gorm:"column:try_number;not null;uniqueIndex:idx_task_instance_history_try,priority:4"`
	State        string             `gorm:"column:state;not null"`
	StartDate    *time.Time         `gorm:"column:start_date"`
	EndDate      *time.Time         `gorm:"column:end_date"`
	Duration     float64            `gorm:"column:duration;not null;default:0"`
	Hostname     string             `gorm:"column:hostname;not null;default:('')"`
	ExitCode     *int               `gorm:"column:exit_code"`
	Reason       string             `gorm:"column:reason;not null;default:('')"`
	ModuleSHA256 string             `gorm:"column:module_sha256;not null;default:('')"`
	TaskInstance *v2TaskInstanceKey `gorm:"belongsTo;foreignKey:DagID,RunID,TaskID;references:DagID,RunID,TaskID;constraint:OnDelete:CASCADE"`
}

func (v2TaskInstanceHistory) TableName() string { return "task_instance_history" }

type v2TaskReschedule struct {
	ID             int64              `gorm:"column:id;primaryKey"`
	DagID          string             `gorm:"column:dag_id;not null;index:idx_task_reschedule_try,priority:1"`
	RunID          string             `gorm:"column:run_id;not null;index:idx_task_reschedule_try,priority:2"`
	TaskID         string             `gorm:"column:task_id;not null;index:idx_task_reschedule_try,priority:3"`
	TryNumber      int                `gorm:"column:try_number;not null;index:idx_task_reschedule_try,priority:4"`
	StartDate      time.Time          `gorm:"column:start_date;not null"`
	EndDate        time.Time          `gorm:"column:end_date;not null"`
	RescheduleDate time.Time          `gorm:"column:reschedule_date;not null"`
	TaskInstance   *v2TaskInstanceKey `gorm:"belongsTo;foreignKey:DagID,RunID,TaskID;references:DagID,RunID,TaskID;constraint:OnDelete:CASCADE"`
}

func (v2TaskReschedule) TableName() string { return "task_reschedule" }

type v2ModuleBlob struct {
	SHA256    string    `gorm:"column:sha256;primaryKey;not null"`
	Size      int64     `gorm:"column:size;not null"`
	Data      []byte    `gorm:"column:data;not null"`
	CreatedAt time.Time `gorm:"column:created_at;not null"`
}

func (v2ModuleBlob) TableName() string { return "module_blob" }

// v2DagNextRun holds the columns v2 adds to dag.
type v2DagNextRun struct {
	DagID                       string     `gorm:"column:dag_id;primaryKey"`
	NextDagrun                  *time.Time `gorm:"column:next_dagrun"`
	NextDagrunDataIntervalStart *time.Time `gorm:"column:next_dagrun_data_interval_start"`
	NextDagrunDataIntervalEnd   *time.Time `gorm:"column:next_dagrun_data_interval_end"`
	NextDagrunCreateAfter       *time.Time `gorm:"column:next_dagrun_create_after;index:idx_dag_next_dagrun_create_after"`
}

func (v2DagNextRun) TableName() string { return "dag" }

// v2TaskInstanceTimers holds the columns v2 adds to task_instance.
type v2TaskInstanceTimers struct {
	ID          int64      `gorm:"column:id;primaryKey"`
	NextRetryAt *time.Time `gorm:"column:next_retry_at"`
	FirstPokeAt *time.Time `gorm:"column:first_poke_at"`
}

func (v2TaskInstanceTimers) TableName() string { return "task_instance" }

func migrateV2(tx *gorm.DB) error {
	m := tx.Migrator()
	if err := m.CreateTable(&v2TaskInstanceHistory{}, &v2TaskReschedule{}, &v2ModuleBlob{}); err != nil {
		return err
	}
	for _, c := range []struct {
		model any
		field string
	}{
		{&v2DagNextRun{}, "NextDagrun"},
		{&v2DagNextRun{}, "NextDagrunDataIntervalStart"},
		{&v2DagNextRun{}, "NextDagrunDataIntervalEnd"},
		{&v2DagNextRun{}, "NextDagrunCreateAfter"},
		{&v2TaskInstanceTimers{}, "NextRetryAt"},
		{&v2TaskInstanceTimers{}, "FirstPokeAt"},
	} {
		if err := m.AddColumn(c.model, c.field); err != nil {
			return err
		}
	}
	return m.CreateIndex(&v2DagNextRun{}, "idx_dag_next_dagrun_create_after")
}
