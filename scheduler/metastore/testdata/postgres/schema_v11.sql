-- table ab_user
CREATE TABLE ab_user (
	id bigint NOT NULL DEFAULT nextval('ab_user_id_seq'::regclass),
	username text NOT NULL,
	email text NOT NULL DEFAULT ''::text,
	first_name text NOT NULL DEFAULT ''::text,
	last_name text NOT NULL DEFAULT ''::text,
	role text NOT NULL,
	password_hash text NOT NULL DEFAULT ''::text,
	active boolean NOT NULL DEFAULT true,
	created_at timestamp with time zone NOT NULL,
	last_login timestamp with time zone,
	CONSTRAINT ab_user_pkey PRIMARY KEY (id)
);

-- index ab_user_pkey
CREATE UNIQUE INDEX ab_user_pkey ON public.ab_user USING btree (id);

-- index idx_ab_user_username
CREATE UNIQUE INDEX idx_ab_user_username ON public.ab_user USING btree (username);

-- table callback_request
CREATE TABLE callback_request (
	id bigint NOT NULL DEFAULT nextval('callback_request_id_seq'::regclass),
	dag_id text NOT NULL,
	run_id text NOT NULL,
	task_id text NOT NULL DEFAULT ''::text,
	map_index bigint NOT NULL DEFAULT '-1'::integer,
	event text NOT NULL,
	try_number bigint NOT NULL DEFAULT 0,
	state text NOT NULL DEFAULT ''::text,
	reason text NOT NULL DEFAULT ''::text,
	created_at timestamp with time zone NOT NULL,
	done_at timestamp with time zone,
	error text NOT NULL DEFAULT ''::text,
	hostname text NOT NULL DEFAULT ''::text,
	job_id bigint,
	CONSTRAINT callback_request_pkey PRIMARY KEY (id),
	CONSTRAINT fk_callback_request_dag_run FOREIGN KEY (dag_id, run_id) REFERENCES dag_run(dag_id, run_id) ON DELETE CASCADE
);

-- index callback_request_pkey
CREATE UNIQUE INDEX callback_request_pkey ON public.callback_request USING btree (id);

-- index idx_callback_request_done_at
CREATE INDEX idx_callback_request_done_at ON public.callback_request USING btree (done_at);

-- index idx_callback_request_event
CREATE UNIQUE INDEX idx_callback_request_event ON public.callback_request USING btree (dag_id, run_id, task_id, map_index, event, try_number);

-- table connection
CREATE TABLE connection (
	conn_id text NOT NULL,
	conn_type text NOT NULL,
	description text NOT NULL DEFAULT ''::text,
	host text NOT NULL DEFAULT ''::text,
	schema text NOT NULL DEFAULT ''::text,
	login text NOT NULL DEFAULT ''::text,
	password text NOT NULL DEFAULT ''::text,
	port bigint NOT NULL DEFAULT 0,
	extra text NOT NULL DEFAULT ''::text,
	CONSTRAINT connection_pkey PRIMARY KEY (conn_id)
);

-- index connection_pkey
CREATE UNIQUE INDEX connection_pkey ON public.connection USING btree (conn_id);

-- table dag
CREATE TABLE dag (
	dag_id text NOT NULL,
	description text NOT NULL DEFAULT ''::text,
	fileloc text NOT NULL DEFAULT ''::text,
	source_hash text NOT NULL DEFAULT ''::text,
	is_paused boolean NOT NULL DEFAULT true,
	is_active boolean NOT NULL DEFAULT true,
	schedule text NOT NULL DEFAULT ''::text,
	timezone text NOT NULL DEFAULT 'UTC'::text,
	tags text NOT NULL DEFAULT '[]'::text,
	owners text NOT NULL DEFAULT ''::text,
	catchup boolean NOT NULL DEFAULT false,
	max_active_runs bigint NOT NULL DEFAULT 16,
	max_active_tasks bigint NOT NULL DEFAULT 16,
	last_parsed_time timestamp with time zone,
	next_dagrun timestamp with time zone,
	next_dagrun_data_interval_start timestamp with time zone,
	next_dagrun_data_interval_end timestamp with time zone,
	next_dagrun_create_after timestamp with time zone,
	CONSTRAINT dag_pkey PRIMARY KEY (dag_id)
);

-- index dag_pkey
CREATE UNIQUE INDEX dag_pkey ON public.dag USING btree (dag_id);

-- index idx_dag_fileloc
CREATE INDEX idx_dag_fileloc ON public.dag USING btree (fileloc);

-- index idx_dag_is_active
CREATE INDEX idx_dag_is_active ON public.dag USING btree (is_active);

-- index idx_dag_next_dagrun_create_after
CREATE INDEX idx_dag_next_dagrun_create_after ON public.dag USING btree (next_dagrun_create_after);

-- table dag_code
CREATE TABLE dag_code (
	dag_id text NOT NULL,
	fileloc text NOT NULL DEFAULT ''::text,
	source_hash text NOT NULL DEFAULT ''::text,
	source text NOT NULL DEFAULT ''::text,
	last_updated timestamp with time zone NOT NULL,
	CONSTRAINT dag_code_pkey PRIMARY KEY (dag_id),
	CONSTRAINT fk_dag_code_dag FOREIGN KEY (dag_id) REFERENCES dag(dag_id) ON DELETE CASCADE
);

-- index dag_code_pkey
CREATE UNIQUE INDEX dag_code_pkey ON public.dag_code USING btree (dag_id);

-- table dag_run
CREATE TABLE dag_run (
	id bigint NOT NULL DEFAULT nextval('dag_run_id_seq'::regclass),
	dag_id text NOT NULL,
	run_id text NOT NULL,
	run_type text NOT NULL DEFAULT 'manual'::text,
	state text NOT NULL DEFAULT 'queued'::text,
	logical_date timestamp with time zone NOT NULL,
	data_interval_start timestamp with time zone NOT NULL,
	data_interval_end timestamp with time zone NOT NULL,
	queued_at timestamp with time zone,
	start_date timestamp with time zone,
	end_date timestamp with time zone,
	conf text NOT NULL DEFAULT '{}'::text,
	external_trigger boolean NOT NULL DEFAULT false,
	created_at timestamp with time zone NOT NULL,
	updated_at timestamp with time zone NOT NULL,
	owner_job_id bigint,
	note text,
	CONSTRAINT dag_run_pkey PRIMARY KEY (id),
	CONSTRAINT fk_dag_run_dag FOREIGN KEY (dag_id) REFERENCES dag(dag_id) ON DELETE CASCADE
);

-- index dag_run_pkey
CREATE UNIQUE INDEX dag_run_pkey ON public.dag_run USING btree (id);

-- index idx_dag_run_dag_id_logical_date
CREATE INDEX idx_dag_run_dag_id_logical_date ON public.dag_run USING btree (dag_id, logical_date);

-- index idx_dag_run_dag_id_run_id
CREATE UNIQUE INDEX idx_dag_run_dag_id_run_id ON public.dag_run USING btree (dag_id, run_id);

-- index idx_dag_run_owner_job_id
CREATE INDEX idx_dag_run_owner_job_id ON public.dag_run USING btree (owner_job_id);

-- index idx_dag_run_state
CREATE INDEX idx_dag_run_state ON public.dag_run USING btree (state);

-- table dag_schedule_dataset_reference
CREATE TABLE dag_schedule_dataset_reference (
	dataset_id bigint NOT NULL,
	dag_id text NOT NULL,
	created_at timestamp with time zone NOT NULL,
	updated_at timestamp with time zone NOT NULL,
	CONSTRAINT dag_schedule_dataset_reference_pkey PRIMARY KEY (dataset_id, dag_id),
	CONSTRAINT fk_dag_schedule_dataset_reference_dag FOREIGN KEY (dag_id) REFERENCES dag(dag_id) ON DELETE CASCADE,
	CONSTRAINT fk_dag_schedule_dataset_reference_dataset FOREIGN KEY (dataset_id) REFERENCES dataset(id) ON DELETE CASCADE
);

-- index dag_schedule_dataset_reference_pkey
CREATE UNIQUE INDEX dag_schedule_dataset_reference_pkey ON public.dag_schedule_dataset_reference USING btree (dataset_id, dag_id);

-- index idx_dag_schedule_dataset_reference_dag
CREATE INDEX idx_dag_schedule_dataset_reference_dag ON public.dag_schedule_dataset_reference USING btree (dag_id);

-- table dagrun_dataset_event
CREATE TABLE dagrun_dataset_event (
	dag_run_id bigint NOT NULL,
	event_id bigint NOT NULL,
	CONSTRAINT dagrun_dataset_event_pkey PRIMARY KEY (dag_run_id, event_id),
	CONSTRAINT fk_dagrun_dataset_event_dag_run FOREIGN KEY (dag_run_id) REFERENCES dag_run(id) ON DELETE CASCADE,
	CONSTRAINT fk_dagrun_dataset_event_event FOREIGN KEY (event_id) REFERENCES dataset_event(id) ON DELETE CASCADE
);

-- index dagrun_dataset_event_pkey
CREATE UNIQUE INDEX dagrun_dataset_event_pkey ON public.dagrun_dataset_event USING btree (dag_run_id, event_id);

-- index idx_dagrun_dataset_event_event
CREATE INDEX idx_dagrun_dataset_event_event ON public.dagrun_dataset_event USING btree (event_id);

-- table dataset
CREATE TABLE dataset (
	id bigint NOT NULL DEFAULT nextval('dataset_id_seq'::regclass),
	uri text NOT NULL,
	extra text NOT NULL DEFAULT '{}'::text,
	created_at timestamp with time zone NOT NULL,
	updated_at timestamp with time zone NOT NULL,
	CONSTRAINT dataset_pkey PRIMARY KEY (id)
);

-- index dataset_pkey
CREATE UNIQUE INDEX dataset_pkey ON public.dataset USING btree (id);

-- index idx_dataset_uri
CREATE UNIQUE INDEX idx_dataset_uri ON public.dataset USING btree (uri);

-- table dataset_dag_run_queue
CREATE TABLE dataset_dag_run_queue (
	dataset_id bigint NOT NULL,
	target_dag_id text NOT NULL,
	event_id bigint NOT NULL,
	created_at timestamp with time zone NOT NULL,
	CONSTRAINT dataset_dag_run_queue_pkey PRIMARY KEY (dataset_id, target_dag_id),
	CONSTRAINT fk_dataset_dag_run_queue_dag FOREIGN KEY (target_dag_id) REFERENCES dag(dag_id) ON DELETE CASCADE,
	CONSTRAINT fk_dataset_dag_run_queue_dataset FOREIGN KEY (dataset_id) REFERENCES dataset(id) ON DELETE CASCADE
);

-- index dataset_dag_run_queue_pkey
CREATE UNIQUE INDEX dataset_dag_run_queue_pkey ON public.dataset_dag_run_queue USING btree (dataset_id, target_dag_id);

-- index idx_dataset_dag_run_queue_target
CREATE INDEX idx_dataset_dag_run_queue_target ON public.dataset_dag_run_queue USING btree (target_dag_id);

-- table dataset_event
CREATE TABLE dataset_event (
	id bigint NOT NULL DEFAULT nextval('dataset_event_id_seq'::regclass),
	dataset_id bigint NOT NULL,
	extra text NOT NULL DEFAULT '{}'::text,
	source_dag_id text NOT NULL DEFAULT ''::text,
	source_run_id text NOT NULL DEFAULT ''::text,
	source_task_id text NOT NULL DEFAULT ''::text,
	source_map_index bigint NOT NULL DEFAULT '-1'::integer,
	timestamp timestamp with time zone NOT NULL,
	CONSTRAINT dataset_event_pkey PRIMARY KEY (id),
	CONSTRAINT fk_dataset_event_dataset FOREIGN KEY (dataset_id) REFERENCES dataset(id) ON DELETE CASCADE
);

-- index dataset_event_pkey
CREATE UNIQUE INDEX dataset_event_pkey ON public.dataset_event USING btree (id);

-- index idx_dataset_event_dataset
CREATE INDEX idx_dataset_event_dataset ON public.dataset_event USING btree (dataset_id, "timestamp");

-- table import_error
CREATE TABLE import_error (
	id bigint NOT NULL DEFAULT nextval('import_error_id_seq'::regclass),
	filename text NOT NULL,
	timestamp timestamp with time zone NOT NULL,
	message text NOT NULL DEFAULT ''::text,
	CONSTRAINT import_error_pkey PRIMARY KEY (id)
);

-- index idx_import_error_filename
CREATE UNIQUE INDEX idx_import_error_filename ON public.import_error USING btree (filename);

-- index import_error_pkey
CREATE UNIQUE INDEX import_error_pkey ON public.import_error USING btree (id);

-- table log
CREATE TABLE log (
	id bigint NOT NULL DEFAULT nextval('log_id_seq'::regclass),
	dttm timestamp with time zone NOT NULL,
	event text NOT NULL,
	owner text NOT NULL DEFAULT ''::text,
	dag_id text NOT NULL DEFAULT ''::text,
	run_id text NOT NULL DEFAULT ''::text,
	task_id text NOT NULL DEFAULT ''::text,
	extra text NOT NULL DEFAULT ''::text,
	CONSTRAINT log_pkey PRIMARY KEY (id)
);

-- index idx_log_dag_id
CREATE INDEX idx_log_dag_id ON public.log USING btree (dag_id);

-- index idx_log_dttm
CREATE INDEX idx_log_dttm ON public.log USING btree (dttm);

-- index log_pkey
CREATE UNIQUE INDEX log_pkey ON public.log USING btree (id);

-- table module_blob
CREATE TABLE module_blob (
	sha256 text NOT NULL,
	size bigint NOT NULL,
	data bytea NOT NULL,
	created_at timestamp with time zone NOT NULL,
	CONSTRAINT module_blob_pkey PRIMARY KEY (sha256)
);

-- index module_blob_pkey
CREATE UNIQUE INDEX module_blob_pkey ON public.module_blob USING btree (sha256);

-- table revoked_session
CREATE TABLE revoked_session (
	session_id text NOT NULL,
	username text NOT NULL,
	expires_at timestamp with time zone NOT NULL,
	CONSTRAINT revoked_session_pkey PRIMARY KEY (session_id)
);

-- index idx_revoked_session_expires_at
CREATE INDEX idx_revoked_session_expires_at ON public.revoked_session USING btree (expires_at);

-- index revoked_session_pkey
CREATE UNIQUE INDEX revoked_session_pkey ON public.revoked_session USING btree (session_id);

-- table scheduler_command
CREATE TABLE scheduler_command (
	id bigint NOT NULL DEFAULT nextval('scheduler_command_id_seq'::regclass),
	kind text NOT NULL,
	dag_id text NOT NULL,
	run_id text NOT NULL,
	payload text NOT NULL DEFAULT '{}'::text,
	owner text NOT NULL DEFAULT ''::text,
	created_at timestamp with time zone NOT NULL,
	done_at timestamp with time zone,
	result text NOT NULL DEFAULT ''::text,
	CONSTRAINT scheduler_command_pkey PRIMARY KEY (id)
);

-- index idx_scheduler_command_done_at
CREATE INDEX idx_scheduler_command_done_at ON public.scheduler_command USING btree (done_at);

-- index scheduler_command_pkey
CREATE UNIQUE INDEX scheduler_command_pkey ON public.scheduler_command USING btree (id);

-- table scheduler_job
CREATE TABLE scheduler_job (
	id bigint NOT NULL DEFAULT nextval('scheduler_job_id_seq'::regclass),
	hostname text NOT NULL DEFAULT ''::text,
	state text NOT NULL DEFAULT 'running'::text,
	start_date timestamp with time zone NOT NULL,
	latest_heartbeat timestamp with time zone NOT NULL,
	end_date timestamp with time zone,
	CONSTRAINT scheduler_job_pkey PRIMARY KEY (id)
);

-- index idx_scheduler_job_heartbeat
CREATE INDEX idx_scheduler_job_heartbeat ON public.scheduler_job USING btree (latest_heartbeat);

-- index scheduler_job_pkey
CREATE UNIQUE INDEX scheduler_job_pkey ON public.scheduler_job USING btree (id);

-- table schema_version
CREATE TABLE schema_version (
	version integer NOT NULL,
	name text NOT NULL,
	applied_at timestamp with time zone NOT NULL,
	CONSTRAINT schema_version_pkey PRIMARY KEY (version)
);

-- index schema_version_pkey
CREATE UNIQUE INDEX schema_version_pkey ON public.schema_version USING btree (version);

-- table sla_miss
CREATE TABLE sla_miss (
	id bigint NOT NULL DEFAULT nextval('sla_miss_id_seq'::regclass),
	dag_id text NOT NULL,
	run_id text NOT NULL,
	task_id text NOT NULL DEFAULT ''::text,
	logical_date timestamp with time zone NOT NULL,
	sla_seconds numeric NOT NULL DEFAULT 0,
	timestamp timestamp with time zone NOT NULL,
	description text NOT NULL DEFAULT ''::text,
	CONSTRAINT fk_sla_miss_dag_run FOREIGN KEY (dag_id, run_id) REFERENCES dag_run(dag_id, run_id) ON DELETE CASCADE,
	CONSTRAINT sla_miss_pkey PRIMARY KEY (id)
);

-- index idx_sla_miss_key
CREATE UNIQUE INDEX idx_sla_miss_key ON public.sla_miss USING btree (dag_id, run_id, task_id);

-- index idx_sla_miss_timestamp
CREATE INDEX idx_sla_miss_timestamp ON public.sla_miss USING btree ("timestamp");

-- index sla_miss_pkey
CREATE UNIQUE INDEX sla_miss_pkey ON public.sla_miss USING btree (id);

-- table slot_pool
CREATE TABLE slot_pool (
	pool text NOT NULL,
	slots bigint NOT NULL DEFAULT 0,
	description text NOT NULL DEFAULT ''::text,
	CONSTRAINT slot_pool_pkey PRIMARY KEY (pool)
);

-- index slot_pool_pkey
CREATE UNIQUE INDEX slot_pool_pkey ON public.slot_pool USING btree (pool);

-- table task_call
CREATE TABLE task_call (
	id bigint NOT NULL DEFAULT nextval('task_call_id_seq'::regclass),
	dag_id text NOT NULL,
	run_id text NOT NULL,
	task_id text NOT NULL,
	try_number bigint NOT NULL,
	seq bigint NOT NULL,
	kind text NOT NULL,
	target text NOT NULL DEFAULT ''::text,
	op text NOT NULL DEFAULT ''::text,
	status bigint NOT NULL DEFAULT 0,
	rows bigint NOT NULL DEFAULT 0,
	bytes_out bigint NOT NULL DEFAULT 0,
	bytes_in bigint NOT NULL DEFAULT 0,
	duration_ms numeric NOT NULL DEFAULT 0,
	refused boolean NOT NULL DEFAULT false,
	error text NOT NULL DEFAULT ''::text,
	map_index bigint NOT NULL DEFAULT '-1'::integer,
	CONSTRAINT fk_task_call_task_instance FOREIGN KEY (dag_id, run_id, task_id, map_index) REFERENCES task_instance(dag_id, run_id, task_id, map_index) ON DELETE CASCADE,
	CONSTRAINT task_call_pkey PRIMARY KEY (id)
);

-- index idx_task_call_try
CREATE INDEX idx_task_call_try ON public.task_call USING btree (dag_id, run_id, task_id, map_index, try_number);

-- index task_call_pkey
CREATE UNIQUE INDEX task_call_pkey ON public.task_call USING btree (id);

-- table task_instance
CREATE TABLE task_instance (
	id bigint NOT NULL DEFAULT nextval('task_instance_id_seq'::regclass),
	dag_id text NOT NULL,
	run_id text NOT NULL,
	task_id text NOT NULL,
	state text NOT NULL DEFAULT 'none'::text,
	try_number bigint NOT NULL DEFAULT 0,
	max_tries bigint NOT NULL DEFAULT 1,
	start_date timestamp with time zone,
	end_date timestamp with time zone,
	duration numeric NOT NULL DEFAULT 0,
	hostname text NOT NULL DEFAULT ''::text,
	exit_code bigint,
	reason text NOT NULL DEFAULT ''::text,
	pool text NOT NULL DEFAULT 'default_pool'::text,
	pool_slots bigint NOT NULL DEFAULT 1,
	queue text NOT NULL DEFAULT 'default'::text,
	priority_weight bigint NOT NULL DEFAULT 1,
	module_sha256 text NOT NULL DEFAULT ''::text,
	queued_at timestamp with time zone,
	updated_at timestamp with time zone NOT NULL,
	next_retry_at timestamp with time zone,
	first_poke_at timestamp with time zone,
	map_index bigint NOT NULL DEFAULT '-1'::integer,
	note text,
	CONSTRAINT fk_task_instance_dag_run FOREIGN KEY (dag_id, run_id) REFERENCES dag_run(dag_id, run_id) ON DELETE CASCADE,
	CONSTRAINT task_instance_pkey PRIMARY KEY (id)
);

-- index idx_task_instance_key
CREATE UNIQUE INDEX idx_task_instance_key ON public.task_instance USING btree (dag_id, run_id, task_id, map_index);

-- index idx_task_instance_state
CREATE INDEX idx_task_instance_state ON public.task_instance USING btree (state);

-- index task_instance_pkey
CREATE UNIQUE INDEX task_instance_pkey ON public.task_instance USING btree (id);

-- table task_instance_history
CREATE TABLE task_instance_history (
	id bigint NOT NULL DEFAULT nextval('task_instance_history_id_seq'::regclass),
	dag_id text NOT NULL,
	run_id text NOT NULL,
	task_id text NOT NULL,
	try_number bigint NOT NULL,
	state text NOT NULL,
	start_date timestamp with time zone,
	end_date timestamp with time zone,
	duration numeric NOT NULL DEFAULT 0,
	hostname text NOT NULL DEFAULT ''::text,
	exit_code bigint,
	reason text NOT NULL DEFAULT ''::text,
	module_sha256 text NOT NULL DEFAULT ''::text,
	map_index bigint NOT NULL DEFAULT '-1'::integer,
	CONSTRAINT fk_task_instance_history_task_instance FOREIGN KEY (dag_id, run_id, task_id, map_index) REFERENCES task_instance(dag_id, run_id, task_id, map_index) ON DELETE CASCADE,
	CONSTRAINT task_instance_history_pkey PRIMARY KEY (id)
);

-- index idx_task_instance_history_try
CREATE UNIQUE INDEX idx_task_instance_history_try ON public.task_instance_history USING btree (dag_id, run_id, task_id, map_index, try_number);

-- index task_instance_history_pkey
CREATE UNIQUE INDEX task_instance_history_pkey ON public.task_instance_history USING btree (id);

-- table task_outlet_dataset_reference
CREATE TABLE task_outlet_dataset_reference (
	dataset_id bigint NOT NULL,
	dag_id text NOT NULL,
	task_id text NOT NULL,
	created_at timestamp with time zone NOT NULL,
	updated_at timestamp with time zone NOT NULL,
	CONSTRAINT fk_task_outlet_dataset_reference_dag FOREIGN KEY (dag_id) REFERENCES dag(dag_id) ON DELETE CASCADE,
	CONSTRAINT fk_task_outlet_dataset_reference_dataset FOREIGN KEY (dataset_id) REFERENCES dataset(id) ON DELETE CASCADE,
	CONSTRAINT task_outlet_dataset_reference_pkey PRIMARY KEY (dataset_id, dag_id, task_id)
);

-- index idx_task_outlet_dataset_reference_dag
CREATE INDEX idx_task_outlet_dataset_reference_dag ON public.task_outlet_dataset_reference USING btree (dag_id);

-- index task_outlet_dataset_reference_pkey
CREATE UNIQUE INDEX task_outlet_dataset_reference_pkey ON public.task_outlet_dataset_reference USING btree (dataset_id, dag_id, task_id);

-- table task_reschedule
CREATE TABLE task_reschedule (
	id bigint NOT NULL DEFAULT nextval('task_reschedule_id_seq'::regclass),
	dag_id text NOT NULL,
	run_id text NOT NULL,
	task_id text NOT NULL,
	try_number bigint NOT NULL,
	start_date timestamp with time zone NOT NULL,
	end_date timestamp with time zone NOT NULL,
	reschedule_date timestamp with time zone NOT NULL,
	map_index bigint NOT NULL DEFAULT '-1'::integer,
	CONSTRAINT fk_task_reschedule_task_instance FOREIGN KEY (dag_id, run_id, task_id, map_index) REFERENCES task_instance(dag_id, run_id, task_id, map_index) ON DELETE CASCADE,
	CONSTRAINT task_reschedule_pkey PRIMARY KEY (id)
);

-- index idx_task_reschedule_try
CREATE INDEX idx_task_reschedule_try ON public.task_reschedule USING btree (dag_id, run_id, task_id, map_index, try_number);

-- index task_reschedule_pkey
CREATE UNIQUE INDEX task_reschedule_pkey ON public.task_reschedule USING btree (id);

-- table variable
CREATE TABLE variable (
	key text NOT NULL,
	val text NOT NULL DEFAULT ''::text,
	description text NOT NULL DEFAULT ''::text,
	CONSTRAINT variable_pkey PRIMARY KEY (key)
);

-- index variable_pkey
CREATE UNIQUE INDEX variable_pkey ON public.variable USING btree (key);

-- table xcom
CREATE TABLE xcom (
	dag_id text NOT NULL,
	run_id text NOT NULL,
	task_id text NOT NULL,
	key text NOT NULL,
	value bytea,
	timestamp timestamp with time zone NOT NULL,
	map_index bigint NOT NULL DEFAULT '-1'::integer,
	CONSTRAINT fk_xcom_task_instance FOREIGN KEY (dag_id, run_id, task_id, map_index) REFERENCES task_instance(dag_id, run_id, task_id, map_index) ON DELETE CASCADE,
	CONSTRAINT xcom_pkey PRIMARY KEY (dag_id, run_id, task_id, map_index, key)
);

-- index xcom_pkey
CREATE UNIQUE INDEX xcom_pkey ON public.xcom USING btree (dag_id, run_id, task_id, map_index, key);

