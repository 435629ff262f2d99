package metastore

import (
	"time"

	"gorm.io/gorm"
)

// Migration 3: commands for a running scheduler. The CLI files a clear or a mark here instead
// of rewriting task instances under the scheduler's feet; the scheduler applies it on its loop,
// the only writer of a running run, and records the outcome. FROZEN since its release.

type v3SchedulerCommand struct {
	ID        int64      `gorm:"column:id;primaryKey"`
	Kind      string     `gorm:"column:kind;not null"`
	DagID     string     `gorm:"column:dag_id;not null"`
	RunID     string     `gorm:"column:run_id;not null"`
	Payload   string     `gorm:"column:payload;not null;default:('{}')"`
	Owner     string     `gorm:"column:owner;not null;default:('')"`
	CreatedAt time.Time  `gorm:"column:created_at;not null"`
	DoneAt    *time.Time `gorm:"column:done_at;index"`
	Result    string     `gorm:"column:result;not null;default:('')"`
}

func (v3SchedulerCommand) TableName() string { return "scheduler_command" }

func migrateV3(tx *gorm.DB) error {
	return tx.Migrator().CreateTable(&v3SchedulerCommand{})
}
