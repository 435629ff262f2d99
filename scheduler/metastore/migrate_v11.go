package metastore

import "gorm.io/gorm"

// Migration 11: notes on runs and task instances (Airflow's setNote), one nullable column on
// each row, so a note goes with its run. The run and task-instance models do not name the
// column: the scheduler's saves never touch it, only SetRunNote and SetTINote write it.
// Plain types and the GORM migrator only, the same on SQLite and PostgreSQL. FROZEN since its
// release.

type v11DagRunNote struct {
	Note *string `gorm:"column:note"`
}

func (v11DagRunNote) TableName() string { return "dag_run" }

type v11TaskInstanceNote struct {
	Note *string `gorm:"column:note"`
}

func (v11TaskInstanceNote) TableName() string { return "task_instance" }

func migrateV11(tx *gorm.DB) error {
	if err := tx.Migrator().AddColumn(&v11DagRunNote{}, "Note"); err != nil {
		return err
	}
	return tx.Migrator().AddColumn(&v11TaskInstanceNote{}, "Note")
}
