package metastore

import "gorm.io/gorm"

// Migration 6: the record of every granted-I/O call of a try (SPEC.md §8): what a task touched,
// made or refused. No secret, body, bound value or query string is in it. FROZEN since its
// release.

// v6TaskInstanceKey is the part of task_instance that v6's foreign key references.
type v6TaskInstanceKey struct {
	ID     int64  `gorm:"column:id;primaryKey"`
	DagID  string `gorm:"column:dag_id"`
	RunID  string `gorm:"column:run_id"`
	TaskID string `gorm:"column:task_id"`
}

func (v6TaskInstanceKey) TableName() string { return "task_instance" }

type v6TaskCall struct {
	ID           int64              `gorm:"column:id;primaryKey"`
	DagID        string             `gorm:"column:dag_id;not null;index:idx_task_call_try,priority:1"`
	RunID        string             `gorm:"column:run_id;not null;index:idx_task_call_try,priority:2"`
	TaskID       string             `gorm:"column:task_id;not null;index:idx_task_call_try,priority:3"`
	TryNumber    int                `gorm:"column:try_number;not null;index:idx_task_call_try,priority:4"`
	Seq          int                `gorm:"column:seq;not null"`
	Kind         string             `gorm:"column:kind;not null"`
	Target       string             `gorm:"column:target;not null;default:('')"`
	Op           string             `gorm:"column:op;not null;default:('')"`
	Status       int                `gorm:"column:status;not null;default:0"`
	Rows         int64              `gorm:"column:rows;not null;default:0"`
	BytesOut     int64              `gorm:"column:bytes_out;not null;default:0"`
	BytesIn      int64              `gorm:"column:bytes_in;not null;default:0"`
	DurationMs   float64            `gorm:"column:duration_ms;not null;default:0"`
	Refused      bool               `gorm:"column:refused;not null;default:false"`
	Error        string             `gorm:"column:error;not null;default:('')"`
	TaskInstance *v6TaskInstanceKey `gorm:"belongsTo;foreignKey:DagID,RunID,TaskID;references:DagID,RunID,TaskID;constraint:OnDelete:CASCADE"`
}

func (v6TaskCall) TableName() string { return "task_call" }

func migrateV6(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v6TaskCall{})
}
