-- table ab_user
CREATE TABLE `ab_user` (`id` integer PRIMARY KEY AUTOINCREMENT,`username` text NOT NULL,`email` text NOT NULL DEFAULT (''),`first_name` text NOT NULL DEFAULT (''),`last_name` text NOT NULL DEFAULT (''),`role` text NOT NULL,`password_hash` text NOT NULL DEFAULT (''),`active` numeric NOT NULL DEFAULT true,`created_at` datetime NOT NULL,`last_login` datetime);

-- index idx_ab_user_username
CREATE UNIQUE INDEX `idx_ab_user_username` ON `ab_user`(`username`);

-- table callback_request
CREATE TABLE `callback_request` (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL DEFAULT (''),`map_index` integer NOT NULL DEFAULT -1,`event` text NOT NULL,`try_number` integer NOT NULL DEFAULT 0,`state` text NOT NULL DEFAULT (''),`reason` text NOT NULL DEFAULT (''),`created_at` datetime NOT NULL,`done_at` datetime,`error` text NOT NULL DEFAULT (''),`hostname` text NOT NULL DEFAULT (''),`job_id` integer,CONSTRAINT `fk_callback_request_dag_run` FOREIGN KEY (`dag_id`,`run_id`) REFERENCES `dag_run`(`dag_id`,`run_id`) ON DELETE CASCADE);

-- index idx_callback_request_done_at
CREATE INDEX `idx_callback_request_done_at` ON `callback_request`(`done_at`);

-- index idx_callback_request_event
CREATE UNIQUE INDEX `idx_callback_request_event` ON `callback_request`(`dag_id`,`run_id`,`task_id`,`map_index`,`event`,`try_number`);

-- table connection
CREATE TABLE `connection` (`conn_id` text,`conn_type` text NOT NULL,`description` text NOT NULL DEFAULT (''),`host` text NOT NULL DEFAULT (''),`schema` text NOT NULL DEFAULT (''),`login` text NOT NULL DEFAULT (''),`password` text NOT NULL DEFAULT (''),`port` integer NOT NULL DEFAULT 0,`extra` text NOT NULL DEFAULT (''),PRIMARY KEY (`conn_id`));

-- table dag
CREATE TABLE `dag` (`dag_id` text NOT NULL,`description` text NOT NULL DEFAULT (''),`fileloc` text NOT NULL DEFAULT (''),`source_hash` text NOT NULL DEFAULT (''),`is_paused` numeric NOT NULL DEFAULT true,`is_active` numeric NOT NULL DEFAULT true,`schedule` text NOT NULL DEFAULT (''),`timezone` text NOT NULL DEFAULT ('UTC'),`tags` text NOT NULL DEFAULT ('[]'),`owners` text NOT NULL DEFAULT (''),`catchup` numeric NOT NULL DEFAULT false,`max_active_runs` integer NOT NULL DEFAULT 16,`max_active_tasks` integer NOT NULL DEFAULT 16,`last_parsed_time` datetime, `next_dagrun` datetime, `next_dagrun_data_interval_start` datetime, `next_dagrun_data_interval_end` datetime, `next_dagrun_create_after` datetime,PRIMARY KEY (`dag_id`));

-- index idx_dag_fileloc
CREATE INDEX `idx_dag_fileloc` ON `dag`(`fileloc`);

-- index idx_dag_is_active
CREATE INDEX `idx_dag_is_active` ON `dag`(`is_active`);

-- index idx_dag_next_dagrun_create_after
CREATE INDEX `idx_dag_next_dagrun_create_after` ON `dag`(`next_dagrun_create_after`);

-- table dag_code
CREATE TABLE `dag_code` (`dag_id` text NOT NULL,`fileloc` text NOT NULL DEFAULT (''),`source_hash` text NOT NULL DEFAULT (''),`source` text NOT NULL DEFAULT (''),`last_updated` datetime NOT NULL,PRIMARY KEY (`dag_id`),CONSTRAINT `fk_dag_code_dag` FOREIGN KEY (`dag_id`) REFERENCES `dag`(`dag_id`) ON DELETE CASCADE);

-- table dag_run
CREATE TABLE `dag_run` (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`run_type` text NOT NULL DEFAULT ('manual'),`state` text NOT NULL DEFAULT ('queued'),`logical_date` datetime NOT NULL,`data_interval_start` datetime NOT NULL,`data_interval_end` datetime NOT NULL,`queued_at` datetime,`start_date` datetime,`end_date` datetime,`conf` text NOT NULL DEFAULT ('{}'),`external_trigger` numeric NOT NULL DEFAULT false,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL, `owner_job_id` integer, `note` text,CONSTRAINT `fk_dag_run_dag` FOREIGN KEY (`dag_id`) REFERENCES `dag`(`dag_id`) ON DELETE CASCADE);

-- index idx_dag_run_dag_id_logical_date
CREATE INDEX `idx_dag_run_dag_id_logical_date` ON `dag_run`(`dag_id`,`logical_date`);

-- index idx_dag_run_dag_id_run_id
CREATE UNIQUE INDEX `idx_dag_run_dag_id_run_id` ON `dag_run`(`dag_id`,`run_id`);

-- index idx_dag_run_owner_job_id
CREATE INDEX `idx_dag_run_owner_job_id` ON `dag_run`(`owner_job_id`);

-- index idx_dag_run_state
CREATE INDEX `idx_dag_run_state` ON `dag_run`(`state`);

-- table dag_schedule_dataset_reference
CREATE TABLE `dag_schedule_dataset_reference` (`dataset_id` integer NOT NULL,`dag_id` text NOT NULL,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL,PRIMARY KEY (`dataset_id`,`dag_id`),CONSTRAINT `fk_dag_schedule_dataset_reference_dataset` FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_dag_schedule_dataset_reference_dag` FOREIGN KEY (`dag_id`) REFERENCES `dag`(`dag_id`) ON DELETE CASCADE);

-- index idx_dag_schedule_dataset_reference_dag
CREATE INDEX `idx_dag_schedule_dataset_reference_dag` ON `dag_schedule_dataset_reference`(`dag_id`);

-- table dagrun_dataset_event
CREATE TABLE `dagrun_dataset_event` (`dag_run_id` integer NOT NULL,`event_id` integer NOT NULL,PRIMARY KEY (`dag_run_id`,`event_id`),CONSTRAINT `fk_dagrun_dataset_event_dag_run` FOREIGN KEY (`dag_run_id`) REFERENCES `dag_run`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_dagrun_dataset_event_event` FOREIGN KEY (`event_id`) REFERENCES `dataset_event`(`id`) ON DELETE CASCADE);

-- index idx_dagrun_dataset_event_event
CREATE INDEX `idx_dagrun_dataset_event_event` ON `dagrun_dataset_event`(`event_id`);

-- table dataset
CREATE TABLE `dataset` (`id` integer PRIMARY KEY AUTOINCREMENT,`uri` text NOT NULL,`extra` text NOT NULL DEFAULT ('{}'),`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL);

-- index idx_dataset_uri
CREATE UNIQUE INDEX `idx_dataset_uri` ON `dataset`(`uri`);

-- table dataset_dag_run_queue
CREATE TABLE `dataset_dag_run_queue` (`dataset_id` integer NOT NULL,`target_dag_id` text NOT NULL,`event_id` integer NOT NULL,`created_at` datetime NOT NULL,PRIMARY KEY (`dataset_id`,`target_dag_id`),CONSTRAINT `fk_dataset_dag_run_queue_dataset` FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_dataset_dag_run_queue_dag` FOREIGN KEY (`target_dag_id`) REFERENCES `dag`(`dag_id`) ON DELETE CASCADE);

-- index idx_dataset_dag_run_queue_target
CREATE INDEX `idx_dataset_dag_run_queue_target` ON `dataset_dag_run_queue`(`target_dag_id`);

-- table dataset_event
CREATE TABLE `dataset_event` (`id` integer PRIMARY KEY AUTOINCREMENT,`dataset_id` integer NOT NULL,`extra` text NOT NULL DEFAULT ('{}'),`source_dag_id` text NOT NULL DEFAULT (''),`source_run_id` text NOT NULL DEFAULT (''),`source_task_id` text NOT NULL DEFAULT (''),`source_map_index` integer NOT NULL DEFAULT -1,`timestamp` datetime NOT NULL,CONSTRAINT `fk_dataset_event_dataset` FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON DELETE CASCADE);

-- index idx_dataset_event_dataset
CREATE INDEX `idx_dataset_event_dataset` ON `dataset_event`(`dataset_id`,`timestamp`);

-- table import_error
CREATE TABLE `import_error` (`id` integer PRIMARY KEY AUTOINCREMENT,`filename` text NOT NULL,`timestamp` datetime NOT NULL,`message` text NOT NULL DEFAULT (''));

-- index idx_import_error_filename
CREATE UNIQUE INDEX `idx_import_error_filename` ON `import_error`(`filename`);

-- table log
CREATE TABLE `log` (`id` integer PRIMARY KEY AUTOINCREMENT,`dttm` datetime NOT NULL,`event` text NOT NULL,`owner` text NOT NULL DEFAULT (''),`dag_id` text NOT NULL DEFAULT (''),`run_id` text NOT NULL DEFAULT (''),`task_id` text NOT NULL DEFAULT (''),`extra` text NOT NULL DEFAULT (''));

-- index idx_log_dag_id
CREATE INDEX `idx_log_dag_id` ON `log`(`dag_id`);

-- index idx_log_dttm
CREATE INDEX `idx_log_dttm` ON `log`(`dttm`);

-- table module_blob
CREATE TABLE `module_blob` (`sha256` text NOT NULL,`size` integer NOT NULL,`data` blob NOT NULL,`created_at` datetime NOT NULL,PRIMARY KEY (`sha256`));

-- table revoked_session
CREATE TABLE `revoked_session` (`session_id` text NOT NULL,`username` text NOT NULL,`expires_at` datetime NOT NULL,PRIMARY KEY (`session_id`));

-- index idx_revoked_session_expires_at
CREATE INDEX `idx_revoked_session_expires_at` ON `revoked_session`(`expires_at`);

-- table scheduler_command
CREATE TABLE `scheduler_command` (`id` integer PRIMARY KEY AUTOINCREMENT,`kind` text NOT NULL,`dag_id` text NOT NULL,`run_id` text NOT NULL,`payload` text NOT NULL DEFAULT ('{}'),`owner` text NOT NULL DEFAULT (''),`created_at` datetime NOT NULL,`done_at` datetime,`result` text NOT NULL DEFAULT (''));

-- index idx_scheduler_command_done_at
CREATE INDEX `idx_scheduler_command_done_at` ON `scheduler_command`(`done_at`);

-- table scheduler_job
CREATE TABLE `scheduler_job` (`id` integer PRIMARY KEY AUTOINCREMENT,`hostname` text NOT NULL DEFAULT (''),`state` text NOT NULL DEFAULT ('running'),`start_date` datetime NOT NULL,`latest_heartbeat` datetime NOT NULL,`end_date` datetime);

-- index idx_scheduler_job_heartbeat
CREATE INDEX `idx_scheduler_job_heartbeat` ON `scheduler_job`(`latest_heartbeat`);

-- table schema_version
CREATE TABLE schema_version (
	version    INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	applied_at DATETIME NOT NULL
);

-- table sla_miss
CREATE TABLE `sla_miss` (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL DEFAULT (''),`logical_date` datetime NOT NULL,`sla_seconds` real NOT NULL DEFAULT 0,`timestamp` datetime NOT NULL,`description` text NOT NULL DEFAULT (''),CONSTRAINT `fk_sla_miss_dag_run` FOREIGN KEY (`dag_id`,`run_id`) REFERENCES `dag_run`(`dag_id`,`run_id`) ON DELETE CASCADE);

-- index idx_sla_miss_key
CREATE UNIQUE INDEX `idx_sla_miss_key` ON `sla_miss`(`dag_id`,`run_id`,`task_id`);

-- index idx_sla_miss_timestamp
CREATE INDEX `idx_sla_miss_timestamp` ON `sla_miss`(`timestamp`);

-- table slot_pool
CREATE TABLE `slot_pool` (`pool` text NOT NULL,`slots` integer NOT NULL DEFAULT 0,`description` text NOT NULL DEFAULT (''),PRIMARY KEY (`pool`));

-- table task_call
CREATE TABLE "task_call" (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`try_number` integer NOT NULL,`seq` integer NOT NULL,`kind` text NOT NULL,`target` text NOT NULL DEFAULT (''),`op` text NOT NULL DEFAULT (''),`status` integer NOT NULL DEFAULT 0,`rows` integer NOT NULL DEFAULT 0,`bytes_out` integer NOT NULL DEFAULT 0,`bytes_in` integer NOT NULL DEFAULT 0,`duration_ms` real NOT NULL DEFAULT 0,`refused` numeric NOT NULL DEFAULT false,`error` text NOT NULL DEFAULT (''),CONSTRAINT `fk_task_call_task_instance` FOREIGN KEY (`dag_id`,`run_id`,`task_id`,`map_index`) REFERENCES `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`) ON DELETE CASCADE);

-- index idx_task_call_try
CREATE INDEX `idx_task_call_try` ON `task_call`(`dag_id`,`run_id`,`task_id`,`map_index`,`try_number`);

-- table task_instance
CREATE TABLE "task_instance" (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`state` text NOT NULL DEFAULT ('none'),`try_number` integer NOT NULL DEFAULT 0,`max_tries` integer NOT NULL DEFAULT 1,`start_date` datetime,`end_date` datetime,`duration` real NOT NULL DEFAULT 0,`hostname` text NOT NULL DEFAULT (''),`exit_code` integer,`reason` text NOT NULL DEFAULT (''),`pool` text NOT NULL DEFAULT ('default_pool'),`pool_slots` integer NOT NULL DEFAULT 1,`queue` text NOT NULL DEFAULT ('default'),`priority_weight` integer NOT NULL DEFAULT 1,`module_sha256` text NOT NULL DEFAULT (''),`queued_at` datetime,`updated_at` datetime NOT NULL,`next_retry_at` datetime,`first_poke_at` datetime, `note` text,CONSTRAINT `fk_task_instance_dag_run` FOREIGN KEY (`dag_id`,`run_id`) REFERENCES `dag_run`(`dag_id`,`run_id`) ON DELETE CASCADE);

-- index idx_task_instance_key
CREATE UNIQUE INDEX `idx_task_instance_key` ON `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`);

-- index idx_task_instance_state
CREATE INDEX `idx_task_instance_state` ON `task_instance`(`state`);

-- table task_instance_history
CREATE TABLE "task_instance_history" (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`try_number` integer NOT NULL,`state` text NOT NULL,`start_date` datetime,`end_date` datetime,`duration` real NOT NULL DEFAULT 0,`hostname` text NOT NULL DEFAULT (''),`exit_code` integer,`reason` text NOT NULL DEFAULT (''),`module_sha256` text NOT NULL DEFAULT (''),CONSTRAINT `fk_task_instance_history_task_instance` FOREIGN KEY (`dag_id`,`run_id`,`task_id`,`map_index`) REFERENCES `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`) ON DELETE CASCADE);

-- index idx_task_instance_history_try
CREATE UNIQUE INDEX `idx_task_instance_history_try` ON `task_instance_history`(`dag_id`,`run_id`,`task_id`,`map_index`,`try_number`);

-- table task_outlet_dataset_reference
CREATE TABLE `task_outlet_dataset_reference` (`dataset_id` integer NOT NULL,`dag_id` text NOT NULL,`task_id` text NOT NULL,`created_at` datetime NOT NULL,`updated_at` datetime NOT NULL,PRIMARY KEY (`dataset_id`,`dag_id`,`task_id`),CONSTRAINT `fk_task_outlet_dataset_reference_dataset` FOREIGN KEY (`dataset_id`) REFERENCES `dataset`(`id`) ON DELETE CASCADE,CONSTRAINT `fk_task_outlet_dataset_reference_dag` FOREIGN KEY (`dag_id`) REFERENCES `dag`(`dag_id`) ON DELETE CASCADE);

-- index idx_task_outlet_dataset_reference_dag
CREATE INDEX `idx_task_outlet_dataset_reference_dag` ON `task_outlet_dataset_reference`(`dag_id`);

-- table task_reschedule
CREATE TABLE "task_reschedule" (`id` integer PRIMARY KEY AUTOINCREMENT,`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`try_number` integer NOT NULL,`start_date` datetime NOT NULL,`end_date` datetime NOT NULL,`reschedule_date` datetime NOT NULL,CONSTRAINT `fk_task_reschedule_task_instance` FOREIGN KEY (`dag_id`,`run_id`,`task_id`,`map_index`) REFERENCES `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`) ON DELETE CASCADE);

-- index idx_task_reschedule_try
CREATE INDEX `idx_task_reschedule_try` ON `task_reschedule`(`dag_id`,`run_id`,`task_id`,`map_index`,`try_number`);

-- table variable
CREATE TABLE `variable` (`key` text NOT NULL,`val` text NOT NULL DEFAULT (''),`description` text NOT NULL DEFAULT (''),PRIMARY KEY (`key`));

-- table xcom
CREATE TABLE "xcom" (`dag_id` text NOT NULL,`run_id` text NOT NULL,`task_id` text NOT NULL,`map_index` integer NOT NULL DEFAULT -1,`key` text NOT NULL,`value` blob,`timestamp` datetime NOT NULL,PRIMARY KEY (`dag_id`,`run_id`,`task_id`,`map_index`,`key`),CONSTRAINT `fk_xcom_task_instance` FOREIGN KEY (`dag_id`,`run_id`,`task_id`,`map_index`) REFERENCES `task_instance`(`dag_id`,`run_id`,`task_id`,`map_index`) ON DELETE CASCADE);

