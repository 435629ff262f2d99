package metastore

import "gorm.io/gorm"

// Migration 9: notes on runs and task instances (Airflow's setNote), one nullable column on
// each row, so a note goes with its run. The run and task-instance models do not name the
// column: the scheduler's saves never touch it, only SetRunNote and SetTINote write it.
// Plain types and the GORM migrator only, the same on SQLite and PostgreSQL. FROZEN since its
// release.

type v9DagRunNote struct {
	Note *string `gorm:"column:note"`
}

func (v9DagRunNote) TableName() string { return "dag_run" }

type v9TaskInstanceNote struct {
	Note *string `gorm:"column:note"`
}

func (v9TaskInstanceNote) TableName() string { return "task_instance" }

func migrateV9(tx *gorm.DB) error {
	if err := tx.Migrator().AddColumn(&v9DagRunNote{}, "Note"); err != nil {
		return err
	}
	return tx.Migrator().AddColumn(&v9TaskInstanceNote{}, "Note")
}
