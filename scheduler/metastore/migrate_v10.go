package metastore

import (
	"time"

	"gorm.io/gorm"
)

// Migration 10: callbacks and SLA misses. callback_request holds one row per event that has a
// callback (a try ending in success, failed or up_for_retry, a run ending, an SLA miss),
// written in the transaction of the state change that raised it; done_at is set once the
// callback ran, so a request still pending at start runs then. Its key (the event) is unique:
// an event raises one request; job_id is the scheduler job that runs it (with several active
// schedulers: the one that raised it, or one that claimed it after that one died). sla_miss is Airflow's table of the same name, keyed by run and
// task ("" for the run's deadline). Both go with their run (ON DELETE CASCADE). Plain types and
// the GORM migrator only, the same on SQLite and PostgreSQL. FROZEN since its release.

// v10DagRunKey is the part of dag_run that v10's foreign keys reference.
type v10DagRunKey struct {
	ID    int64  `gorm:"column:id;primaryKey"`
	DagID string `gorm:"column:dag_id"`
	RunID string `gorm:"column:run_id"`
}

func (v10DagRunKey) TableName() string { return "dag_run" }

type v10CallbackRequest struct {
	ID        int64         `gorm:"column:id;primaryKey"`
	DagID     string        `gorm:"column:dag_id;not null;uniqueIndex:idx_callback_request_event,priority:1"`
	RunID     string        `gorm:"column:run_id;not null;uniqueIndex:idx_callback_request_event,priority:2"`
	TaskID    string        `gorm:"column:task_id;not null;default:('');uniqueIndex:idx_callback_request_event,priority:3"`
	MapIndex  int           `gorm:"column:map_index;not null;default:-1;uniqueIndex:idx_callback_request_event,priority:4"`
	Event     string        `gorm:"column:event;not null;uniqueIndex:idx_callback_request_event,priority:5"`
	TryNumber int           `gorm:"column:try_number;not null;default:0;uniqueIndex:idx_callback_request_event,priority:6"`
	State     string        `gorm:"column:state;not null;default:('')"`
	Reason    string        `gorm:"column:reason;not null;default:('')"`
	CreatedAt time.Time     `gorm:"column:created_at;not null"`
	DoneAt    *time.Time    `gorm:"column:done_at;index:idx_callback_request_done_at"`
	Error     string        `gorm:"column:error;not null;default:('')"`
	Hostname  string        `gorm:"column:hostname;not null;default:('')"`
	JobID     *int64        `gorm:"column:job_id"`
	DagRun    *v10DagRunKey `gorm:"belongsTo;foreignKey:DagID,RunID;references:DagID,RunID;constraint:OnDelete:CASCADE"`
}

func (v10CallbackRequest) TableName() string { return "callback_request" }

type v10SLAMiss struct {
	ID          int64         `gorm:"column:id;primaryKey"`
	DagID       string        `gorm:"column:dag_id;not null;uniqueIndex:idx_sla_miss_key,priority:1"`
	RunID       string        `gorm:"column:run_id;not null;uniqueIndex:idx_sla_miss_key,priority:2"`
	TaskID      string        `gorm:"column:task_id;not null;default:('');uniqueIndex:idx_sla_miss_key,priority:3"`
	LogicalDate time.Time     `gorm:"column:logical_date;not null"`
	SLASeconds  float64       `gorm:"column:sla_seconds;not null;default:0"`
	Timestamp   time.Time     `gorm:"column:timestamp;not null;index:idx_sla_miss_timestamp"`
	Description string        `gorm:"column:description;not null;default:('')"`
	DagRun      *v10DagRunKey `gorm:"belongsTo;foreignKey:DagID,RunID;references:DagID,RunID;constraint:OnDelete:CASCADE"`
}

func (v10SLAMiss) TableName() string { return "sla_miss" }

func migrateV10(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v10CallbackRequest{}); err != nil {
		return err
	}
	return tx.Migrator().CreateTable(&v10SLAMiss{})
}

// callbackRequestModel and slaMissModel are the rows as this build reads and writes them.
type callbackRequestModel struct {
	ID        int64      `gorm:"column:id;primaryKey"`
	DagID     string     `gorm:"column:dag_id"`
	RunID     string     `gorm:"column:run_id"`
	TaskID    string     `gorm:"column:task_id"`
	MapIndex  int        `gorm:"column:map_index"`
	Event     string     `gorm:"column:event"`
	TryNumber int        `gorm:"column:try_number"`
	State     string     `gorm:"column:state"`
	Reason    string     `gorm:"column:reason"`
	CreatedAt time.Time  `gorm:"column:created_at"`
	DoneAt    *time.Time `gorm:"column:done_at"`
	Error     string     `gorm:"column:error"`
	Hostname  string     `gorm:"column:hostname"`
	JobID     *int64     `gorm:"column:job_id"`
}

func (callbackRequestModel) TableName() string { return "callback_request" }

type slaMissModel struct {
	ID          int64     `gorm:"column:id;primaryKey"`
	DagID       string    `gorm:"column:dag_id"`
	RunID       string    `gorm:"column:run_id"`
	TaskID      string    `gorm:"column:task_id"`
	LogicalDate time.Time `gorm:"column:logical_date"`
	SLASeconds  float64   `gorm:"column:sla_seconds"`
	Timestamp   time.Time `gorm:"column:timestamp"`
	Description string    `gorm:"column:description"`
}

func (slaMissModel) TableName() string { return "sla_miss" }
