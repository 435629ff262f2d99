package metastore

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Migration 9: datasets (data-aware scheduling), Airflow's tables under Airflow's names.
// dataset is one row per URI; dataset_event one per update (a producing task's success);
// dag_schedule_dataset_reference and task_outlet_dataset_reference say which DAGs a dataset
// triggers and which tasks update it, rewritten at each parse of a DAG file;
// dataset_dag_run_queue holds, per consuming DAG and dataset, the latest event (id and time) not
// yet consumed by a dataset-triggered run (so a restart loses no pending trigger); and
// dagrun_dataset_event links a dataset-triggered run to the events that made it. PostgreSQL's
// tables come from the GORM migrator, SQLite's from the same schema as frozen SQL (v9SQLite).
// FROZEN since its release.

type v9Dataset struct {
	ID        int64     `gorm:"column:id;primaryKey"`
	URI       string    `gorm:"column:uri;not null;uniqueIndex:idx_dataset_uri"`
	Extra     string    `gorm:"column:extra;not null;default:('{}')"`
	CreatedAt time.Time `gorm:"column:created_at;not null"`
	UpdatedAt time.Time `gorm:"column:updated_at;not null"`
}

func (v9Dataset) TableName() string { return "dataset" }

// v9DagKey and v9DagRunKey are the parts of dag and dag_run that v9's foreign keys reference.
type v9DagKey struct {
	DagID string `gorm:"column:dag_id;primaryKey"`
}

func (v9DagKey) TableName() string { return "dag" }

type v9DagRunKey struct {
	ID int64 `gorm:"column:id;primaryKey"`
}

func (v9DagRunKey) TableName() string { return "dag_run" }

type v9DatasetEvent struct {
	ID             int64      `gorm:"column:id;primaryKey"`
	DatasetID      int64      `gorm:"column:dataset_id;not null;index:idx_dataset_event_dataset,priority:1"`
	Extra          string     `gorm:"column:extra;not null;default:('{}')"`
	SourceDagID    string     `gorm:"column:source_dag_id;not null;default:('')"`
	SourceRunID    string     `gorm:"column:source_run_id;not null;default:('')"`
	SourceTaskID   string     `gorm:"column:source_task_id;not null;default:('')"`
	SourceMapIndex int        `gorm:"column:source_map_index;not null;default:-1"`
	Timestamp      time.Time  `gorm:"column:timestamp;not null;index:idx_dataset_event_dataset,priority:2"`
	Dataset        *v9Dataset `gorm:"belongsTo;foreignKey:DatasetID;references:ID;constraint:OnDelete:CASCADE"`
}

func (v9DatasetEvent) TableName() string { return "dataset_event" }

type v9DagScheduleDatasetReference struct {
	DatasetID int64      `gorm:"column:dataset_id;primaryKey;autoIncrement:false"`
	DagID     string     `gorm:"column:dag_id;primaryKey;index:idx_dag_schedule_dataset_reference_dag"`
	CreatedAt time.Time  `gorm:"column:created_at;not null"`
	UpdatedAt time.Time  `gorm:"column:updated_at;not null"`
	Dataset   *v9Dataset `gorm:"belongsTo;foreignKey:DatasetID;references:ID;constraint:OnDelete:CASCADE"`
	Dag       *v9DagKey  `gorm:"belongsTo;foreignKey:DagID;references:DagID;constraint:OnDelete:CASCADE"`
}

func (v9DagScheduleDatasetReference) TableName() string { return "dag_schedule_dataset_reference" }

type v9TaskOutletDatasetReference struct {
	DatasetID int64      `gorm:"column:dataset_id;primaryKey;autoIncrement:false"`
	DagID     string     `gorm:"column:dag_id;primaryKey;index:idx_task_outlet_dataset_reference_dag"`
	TaskID    string     `gorm:"column:task_id;primaryKey"`
	CreatedAt time.Time  `gorm:"column:created_at;not null"`
	UpdatedAt time.Time  `gorm:"column:updated_at;not null"`
	Dataset   *v9Dataset `gorm:"belongsTo;foreignKey:DatasetID;references:ID;constraint:OnDelete:CASCADE"`
	Dag       *v9DagKey  `gorm:"belongsTo;foreignKey:DagID;references:DagID;constraint:OnDelete:CASCADE"`
}

func (v9TaskOutletDatasetReference) TableName() string { return "task_outlet_dataset_reference" }

type v9DatasetDagRunQueue struct {
	DatasetID   int64      `gorm:"column:dataset_id;primaryKey;autoIncrement:false"`
	TargetDagID string     `gorm:"column:target_dag_id;primaryKey;index:idx_dataset_dag_run_queue_target"`
	EventID     int64      `gorm:"column:event_id;not null"`
	CreatedAt   time.Time  `gorm:"column:created_at;not null"`
	Dataset     *v9Dataset `gorm:"belongsTo;foreignKey:DatasetID;references:ID;constraint:OnDelete:CASCADE"`
	Dag         *v9DagKey  `gorm:"belongsTo;foreignKey:TargetDagID;references:DagID;constraint:OnDelete:CASCADE"`
}

func (v9DatasetDagRunQueue) TableName() string { return "dataset_dag_run_queue" }

type v9DagRunDatasetEvent struct {
	DagRunID int64           `gorm:"column:dag_run_id;primaryKey;autoIncrement:false"`
	EventID  int64           `gorm:"column:event_id;primaryKey;autoIncrement:false;index:idx_dagrun_dataset_event_event"`
	DagRun   *v9DagRunKey    `gorm:"belongsTo;foreignKey:DagRunID;references:ID;constraint:OnDelete:CASCADE"`
	Event    *v9DatasetEvent `gorm:"belongsTo;foreignKey:EventID;references:ID;constraint:OnDelete:CASCADE"`
}

func (v9DagRunDatasetEvent) TableName() string { return "dagrun_dataset_event" }

// v9SQLite is the same schema as frozen SQL: GORM writes the foreign keys of a table with two
// in no fixed order, and SQLite keeps a table's SQL as written.
var v9SQLite = []string{
	"CREATE TABLE `dataset` (`id` integer PRIMARY KEY AUTOINCREMENT,`uri` text NOT NULL,`extra` text NOT NULL DEFAULT ('{}'),`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL)",
	"CREATE UNIQUE INDEX `idx_dataset_uri` ON `dataset`(`uri`)",
	"CREATE TABLE `dataset_event` (`id` integer PRIMARY KEY AUTOINCREMENT,`dataset_id` integer NOT NULL,`extra` text NOT NULL DEFAULT ('{}'),`source_dag_id` text NOT NULL DEFAULT (''),`source_run_id` text NOT NULL DEFAULT (''),`source_task_id` text NOT NULL DEFAULT (''),`source_map_index` integer NOT NULL DEFAULT -1,`timestamp` datetime NOT NULL,CONSTRAINT `fk_dataset_event_dataset` FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON DELETE CASCADE)",
	"CREATE INDEX `idx_dataset_event_dataset` ON `dataset_event`(`dataset_id`,`timestamp`)",
	"CREATE TABLE `dag_schedule_dataset_reference` (`dataset_id` integer NOT NULL,`dag_id` text NOT NULL,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL,PRIMARY KEY (`dataset_id`,`dag_id`),CONSTRAINT `fk_dag_schedule_dataset_reference_dataset` FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_dag_schedule_dataset_reference_dag` FOREIGN KEY (`dag_id`) REFERENCES `dag`(`dag_id`) ON DELETE CASCADE)",
	"CREATE INDEX `idx_dag_schedule_dataset_reference_dag` ON `dag_schedule_dataset_reference`(`dag_id`)",
	"CREATE TABLE `task_outlet_dataset_reference` (`dataset_id` integer NOT NULL,`dag_id` text NOT NULL,`task_id` text NOT NULL,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL,PRIMARY KEY (`dataset_id`,`dag_id`,`task_id`),CONSTRAINT `fk_task_outlet_dataset_reference_dataset` FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_task_outlet_dataset_reference_dag` FOREIGN KEY (`dag_id`) REFERENCES `dag`(`dag_id`) ON DELETE CASCADE)",
	"CREATE INDEX `idx_task_outlet_dataset_reference_dag` ON `task_outlet_dataset_reference`(`dag_id`)",
	"CREATE TABLE `dataset_dag_run_queue` (`dataset_id` integer NOT NULL,`target_dag_id` text NOT NULL,`event_id` integer NOT NULL,`created_at` datetime NOT NULL,PRIMARY KEY (`dataset_id`,`target_dag_id`),CONSTRAINT `fk_dataset_dag_run_queue_dataset` FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_dataset_dag_run_queue_dag` FOREIGN KEY (`target_dag_id`) REFERENCES `dag`(`dag_id`) ON DELETE CASCADE)",
	"CREATE INDEX `idx_dataset_dag_run_queue_target` ON `dataset_dag_run_queue`(`target_dag_id`)",
	"CREATE TABLE `dagrun_dataset_event` (`dag_run_id` integer NOT NULL,`event_id` integer NOT NULL,PRIMARY KEY (`dag_run_id`,`event_id`),CONSTRAINT `fk_dagrun_dataset_event_dag_run` FOREIGN KEY (`dag_run_id`) REFERENCES `dag_run`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_dagrun_dataset_event_event` FOREIGN KEY (`event_id`) REFERENCES `dataset_event`(`id`) ON DELETE CASCADE)",
	"CREATE INDEX `idx_dagrun_dataset_event_event` ON `dagrun_dataset_event`(`event_id`)",
}

func migrateV9(tx *gorm.DB) error {
	if tx.Dialector.Name() != "postgres" {
		for _, q := range v9SQLite {
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}
	for _, m := range []any{&v9Dataset{}, &v9DatasetEvent{}, &v9DagScheduleDatasetReference{},
		&v9TaskOutletDatasetReference{}, &v9DatasetDagRunQueue{}, &v9DagRunDatasetEvent{}} {
		if err := tx.Migrator().CreateTable(m); err != nil {
			return err
		}
	}
	return nil
}
