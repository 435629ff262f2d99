package metastore

import (
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// Migration 8: dynamic task mapping. A mapped task has one task instance per element of its
// expand list, told apart by map_index (0..n-1); every other task instance keeps -1, as in
// Airflow. The task instance's key, and so every foreign key to it (XComs, tries,
// reschedules, calls) and the XCom primary key, gain map_index. SQLite cannot change a foreign
// key in place, so there the five tables are rebuilt (with foreign keys off, the documented
// way: a DROP would otherwise cascade); PostgreSQL alters them. Frozen SQL, FROZEN since its
// release.

// v8SQLiteTables are the five tables as v8 leaves them, with the columns copied from v7 (all
// of them but map_index) and their indexes.
var v8SQLiteTables = []struct {
	name, create, cols string
	indexes            []string
}{
	{"task_instance",
		"CREATE TABLE `task_instance__v8` (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`state` text NOT NULL DEFAULT ('none'),`try_number` integer NOT NULL DEFAULT 0,`max_tries` integer NOT NULL DEFAULT 1,`start_date` datetime,`end_date` datetime,`duration` real NOT NULL DEFAULT 0,`hostname` text NOT NULL DEFAULT (''),`exit_code` integer,`reason` text NOT NULL DEFAULT (''),`pool` text NOT NULL DEFAULT ('default_pool'),`pool_slots` integer NOT NULL DEFAULT 1,`queue` text NOT NULL DEFAULT ('default'),`priority_weight` integer NOT NULL DEFAULT 1,`module_sha256` text NOT NULL DEFAULT (''),`queued_at` datetime,`updated_at` datetime NOT NULL,`next_retry_at` datetime,`first_poke_at` datetime,CONSTRAINT `fk_task_instance_dag_run` FOREIGN KEY (`dag_id`,`run_id`) REFERENCES `dag_run`(`dag_id`,`run_id`) ON DELETE CASCADE)",
		"id, dag_id, run_id, task_id, state, try_number, max_tries, start_date, end_date, duration, hostname, exit_code, reason, pool, pool_slots, queue, priority_weight, module_sha256, queued_at, updated_at, next_retry_at, first_poke_at",
		[]string{
			"CREATE UNIQUE INDEX `idx_task_instance_key` ON `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`)",
			"CREATE INDEX `idx_task_instance_state` ON `task_instance`(`state`)",
		}},
	{"task_instance_history",
		"CREATE TABLE `task_instance_history__v8` (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`try_number` integer NOT NULL,`state` text NOT NULL,`start_date` datetime,`end_date` datetime,`duration` real NOT NULL DEFAULT 0,`hostname` text NOT NULL DEFAULT (''),`exit_code` integer,`reason` text NOT NULL DEFAULT (''),`module_sha256` text NOT NULL DEFAULT (''),CONSTRAINT `fk_task_instance_history_task_instance` FOREIGN KEY (`dag_id`,`run_id`,`task_id`,`map_index`) REFERENCES `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`) ON DELETE CASCADE)",
		"id, dag_id, run_id, task_id, try_number, state, start_date, end_date, duration, hostname, exit_code, reason, module_sha256",
		[]string{"CREATE UNIQUE INDEX `idx_task_instance_history_try` ON `task_instance_history`(`dag_id`,`run_id`,`task_id`,`map_index`,`try_number`)"}},
	{"task_reschedule",
		"CREATE TABLE `task_reschedule__v8` (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`try_number` integer NOT NULL,`start_date` datetime NOT NULL,`end_date` datetime NOT NULL,`reschedule_date` datetime NOT NULL,CONSTRAINT `fk_task_reschedule_task_instance` FOREIGN KEY (`dag_id`,`run_id`,`task_id`,`map_index`) REFERENCES `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`) ON DELETE CASCADE)",
		"id, dag_id, run_id, task_id, try_number, start_date, end_date, reschedule_date",
		[]string{"CREATE INDEX `idx_task_reschedule_try` ON `task_reschedule`(`dag_id`,`run_id`,`task_id`,`map_index`,`try_number`)"}},
	{"task_call",
		"CREATE TABLE `task_call__v8` (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`try_number` integer NOT NULL,`seq` integer NOT NULL,`kind` text NOT NULL,`target` text NOT NULL DEFAULT (''),`op` text NOT NULL DEFAULT (''),`status` integer NOT NULL DEFAULT 0,`rows` integer NOT NULL DEFAULT 0,`bytes_out` integer NOT NULL DEFAULT 0,`bytes_in` integer NOT NULL DEFAULT 0,`duration_ms` real NOT NULL DEFAULT 0,`refused` numeric NOT NULL DEFAULT false,`error` text NOT NULL DEFAULT (''),CONSTRAINT `fk_task_call_task_instance` FOREIGN KEY (`dag_id`,`run_id`,`task_id`,`map_index`) REFERENCES `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`) ON DELETE CASCADE)",
		"id, dag_id, run_id, task_id, try_number, seq, kind, target, op, status, rows, bytes_out, bytes_in, duration_ms, refused, error",
		[]string{"CREATE INDEX `idx_task_call_try` ON `task_call`(`dag_id`,`run_id`,`task_id`,`map_index`,`try_number`)"}},
	{"xcom",
		"CREATE TABLE `xcom__v8` (`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`key` text NOT NULL,`value` blob,`timestamp` datetime NOT NULL,PRIMARY KEY (`dag_id`,`run_id`,`task_id`,`map_index`,`key`),CONSTRAINT `fk_xcom_task_instance` FOREIGN KEY (`dag_id`,`run_id`,`task_id`,`map_index`) REFERENCES `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`) ON DELETE CASCADE)",
		"dag_id, run_id, task_id, key, value, timestamp",
		nil},
}

// v8Postgres alters the same tables in place: foreign keys and the XCom key are dropped,
// map_index added, and the keys made again with it.
var v8Postgres = []string{
	"ALTER TABLE task_instance_history DROP CONSTRAINT fk_task_instance_history_task_instance",
	"ALTER TABLE task_reschedule DROP CONSTRAINT fk_task_reschedule_task_instance",
	"ALTER TABLE task_call DROP CONSTRAINT fk_task_call_task_instance",
	"ALTER TABLE xcom DROP CONSTRAINT fk_xcom_task_instance",
	"ALTER TABLE xcom DROP CONSTRAINT xcom_pkey",
	"ALTER TABLE task_instance ADD COLUMN map_index bigint NOT NULL DEFAULT -1",
	"ALTER TABLE task_instance_history ADD COLUMN map_index bigint NOT NULL DEFAULT -1",
	"ALTER TABLE task_reschedule ADD COLUMN map_index bigint NOT NULL DEFAULT -1",
	"ALTER TABLE task_call ADD COLUMN map_index bigint NOT NULL DEFAULT -1",
	"ALTER TABLE xcom ADD COLUMN map_index bigint NOT NULL DEFAULT -1",
	"DROP INDEX idx_task_instance_dag_id_run_id_task_id",
	"CREATE UNIQUE INDEX idx_task_instance_key ON task_instance (dag_id, run_id, task_id, map_index)",
	"DROP INDEX idx_task_instance_history_try",
	"CREATE UNIQUE INDEX idx_task_instance_history_try ON task_instance_history (dag_id, run_id, task_id, map_index, try_number)",
	"DROP INDEX idx_task_reschedule_try",
	"CREATE INDEX idx_task_reschedule_try ON task_reschedule (dag_id, run_id, task_id, map_index, try_number)",
	"DROP INDEX idx_task_call_try",
	"CREATE INDEX idx_task_call_try ON task_call (dag_id, run_id, task_id, map_index, try_number)",
	"ALTER TABLE xcom ADD CONSTRAINT xcom_pkey PRIMARY KEY (dag_id, run_id, task_id, map_index, key)",
	"ALTER TABLE task_instance_history ADD CONSTRAINT fk_task_instance_history_task_instance FOREIGN KEY (dag_id, run_id, task_id, map_index) REFERENCES task_instance (dag_id, run_id, task_id, map_index) ON DELETE CASCADE",
	"ALTER TABLE task_reschedule ADD CONSTRAINT fk_task_reschedule_task_instance FOREIGN KEY (dag_id, run_id, task_id, map_index) REFERENCES task_instance (dag_id, run_id, task_id, map_index) ON DELETE CASCADE",
	"ALTER TABLE task_call ADD CONSTRAINT fk_task_call_task_instance FOREIGN KEY (dag_id, run_id, task_id, map_index) REFERENCES task_instance (dag_id, run_id, task_id, map_index) ON DELETE CASCADE",
	"ALTER TABLE xcom ADD CONSTRAINT fk_xcom_task_instance FOREIGN KEY (dag_id, run_id, task_id, map_index) REFERENCES task_instance (dag_id, run_id, task_id, map_index) ON DELETE CASCADE",
}

func migrateV8(tx *gorm.DB) error {
	if tx.Dialector.Name() == "postgres" {
		for _, q := range v8Postgres {
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}
	// The parent first: each child's rebuilt foreign key then names a key that exists.
	for _, t := range v8SQLiteTables {
		stmts := []string{
			t.create,
			fmt.Sprintf("INSERT INTO `%s__v8` (%s, map_index) SELECT %s, -1 FROM `%s`", t.name, t.cols, t.cols, t.name),
			fmt.Sprintf("DROP TABLE `%s`", t.name),
			fmt.Sprintf("ALTER TABLE `%s__v8` RENAME TO `%s`", t.name, t.name),
		}
		for _, q := range append(stmts, t.indexes...) {
			if err := tx.Exec(q).Error; err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
	}
	var broken []struct{ Table, Parent string }
	if err := tx.Raw("PRAGMA foreign_key_check").Scan(&broken).Error; err != nil {
		return err
	}
	if len(broken) > 0 {
		var names []string
		for _, b := range broken {
			names = append(names, b.Table+" -> "+b.Parent)
		}
		return fmt.Errorf("rows without their task instance after the rebuild: %s", strings.Join(names, ", "))
	}
	return nil
}
