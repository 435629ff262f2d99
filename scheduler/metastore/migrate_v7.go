package metastore

import (
	"time"

	"gorm.io/gorm"
)

// Migration 7: several active schedulers on one database (Airflow 2's HA scheduler, with
// leases instead of row locks). scheduler_job is Airflow's job table: one row per scheduler
// process, with the heartbeat that tells the others it lives. dag_run.owner_job_id is the
// lease: the job that drives the run; a run whose owner stopped heartbeating is taken over by
// a conditional UPDATE. Plain types and the GORM migrator only, so it is the same on SQLite
// and PostgreSQL. FROZEN since its release.

type v7SchedulerJob struct {
	ID              int64      `gorm:"column:id;primaryKey"`
	Hostname        string     `gorm:"column:hostname;not null;default:('')"`
	State           string     `gorm:"column:state;not null;default:('running')"`
	StartDate       time.Time  `gorm:"column:start_date;not null"`
	LatestHeartbeat time.Time  `gorm:"column:latest_heartbeat;not null;index:idx_scheduler_job_heartbeat"`
	EndDate         *time.Time `gorm:"column:end_date"`
}

func (v7SchedulerJob) TableName() string { return "scheduler_job" }

// v7DagRunOwner is the column v7 adds to dag_run.
type v7DagRunOwner struct {
	OwnerJobID *int64 `gorm:"column:owner_job_id;index:idx_dag_run_owner_job_id"`
}

func (v7DagRunOwner) TableName() string { return "dag_run" }

func migrateV7(tx *gorm.DB) error {
	if err := tx.Migrator().CreateTable(&v7SchedulerJob{}); err != nil {
		return err
	}
	if err := tx.Migrator().AddColumn(&v7DagRunOwner{}, "OwnerJobID"); err != nil {
		return err
	}
	return tx.Migrator().CreateIndex(&v7DagRunOwner{}, "idx_dag_run_owner_job_id")
}
