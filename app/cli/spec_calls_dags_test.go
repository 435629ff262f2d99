package cli

import "net/http"

// dagSpecCalls are the client test's calls of the spec's DAG, DAG run, task instance, XCom
// and log operations, on the fixture's runs: spec_pipe's spec_r1 (extract, then transform,
// which pushes an XCom) and spec_fan's spec_m1 (per_file mapped over two files), both ended
// in success; spec_quiet is paused and has no run until these calls make one.
func dagSpecCalls(fx specFixture) []specCall {
	const ok = http.StatusOK
	const run = "/dags/spec_pipe/dagRuns/spec_r1"
	const mapped = "/dags/spec_fan/dagRuns/spec_m1/taskInstances/per_file"
	return []specCall{
		{op: "get_dags", method: "GET", path: "/dags?limit=10&order_by=dag_id", status: ok, as: "viewer"},
		{op: "get_dags", method: "GET", path: "/dags", status: http.StatusUnauthorized, as: "nobody"},
		{op: "get_dag", method: "GET", path: "/dags/spec_pipe", status: ok, as: "viewer"},
		{op: "get_dag", method: "GET", path: "/dags/no_such_dag", status: http.StatusNotFound, as: "viewer"},
		{op: "get_dag_details", method: "GET", path: "/dags/spec_pipe/details", status: ok, as: "viewer"},
		{op: "get_tasks", method: "GET", path: "/dags/spec_pipe/tasks?order_by=task_id", status: ok, as: "viewer"},
		{op: "patch_dag", method: "PATCH", path: "/dags/spec_quiet?update_mask=is_paused", body: `{"is_paused":true}`, status: ok, as: "user"},
		{op: "patch_dag", method: "PATCH", path: "/dags/spec_quiet", body: `{"is_paused":false}`, status: http.StatusForbidden, as: "viewer"},

		{op: "get_dag_runs", method: "GET", path: "/dags/spec_pipe/dagRuns?limit=5&order_by=-execution_date", status: ok, as: "viewer"},
		{op: "get_dag_run", method: "GET", path: run, status: ok, as: "viewer"},
		{op: "post_dag_run", method: "POST", path: "/dags/spec_quiet/dagRuns", body: `{"dag_run_id":"spec_manual","logical_date":"2024-03-01T00:00:00Z","conf":{}}`, status: ok, as: "user"},
		{op: "post_dag_run", method: "POST", path: "/dags/spec_quiet/dagRuns", body: `{"dag_run_id":"spec_manual"}`, status: http.StatusConflict, as: "user"},
		{op: "update_dag_run_state", method: "PATCH", path: "/dags/spec_quiet/dagRuns/spec_manual", body: `{"state":"failed"}`, status: ok, as: "user"},
		{op: "post_clear_task_instances", method: "POST", path: "/dags/spec_pipe/clearTaskInstances", body: `{"dag_run_id":"spec_r1","dry_run":true,"only_failed":false}`, status: ok, as: "user"},

		{op: "get_task_instances", method: "GET", path: run + "/taskInstances?limit=10", status: ok, as: "viewer"},
		{op: "get_task_instance", method: "GET", path: run + "/taskInstances/extract", status: ok, as: "viewer"},
		{op: "get_task_instance", method: "GET", path: run + "/taskInstances/nothing", status: http.StatusNotFound, as: "viewer"},
		{op: "patch_task_instance", method: "PATCH", path: "/dags/spec_quiet/dagRuns/spec_manual/taskInstances/only", body: `{"new_state":"success"}`, status: ok, as: "user"},
		{op: "get_mapped_task_instances", method: "GET", path: mapped + "/listMapped?limit=10", status: ok, as: "viewer"},
		{op: "get_mapped_task_instance", method: "GET", path: mapped + "/1", status: ok, as: "viewer"},
		{op: "patch_mapped_task_instance", method: "PATCH", path: mapped + "/1", body: `{"new_state":"failed","dry_run":false}`, status: ok, as: "user"},
		{op: "get_xcom_entries", method: "GET", path: run + "/taskInstances/transform/xcomEntries?limit=10", status: ok, as: "viewer"},
		{op: "get_log", method: "GET", path: run + "/taskInstances/extract/logs/1?full_content=true", status: ok, as: "viewer"},

		{op: "get_task", method: "GET", path: "/dags/spec_pipe/tasks/transform", status: ok, as: "viewer"},
		{op: "get_task", method: "GET", path: "/dags/spec_pipe/tasks/nothing", status: http.StatusNotFound, as: "viewer"},
		{op: "get_dag_source", method: "GET", path: "/dagSources/" + fx.fileToken, status: ok, as: "viewer"},
		{op: "get_dag_source", method: "GET", path: "/dagSources/not-a-token", status: http.StatusNotFound, as: "viewer"},
		{op: "get_dag_warnings", method: "GET", path: "/dagWarnings?limit=10", status: ok, as: "viewer"},
		{op: "patch_dags", method: "PATCH", path: "/dags?dag_id_pattern=spec_quiet&update_mask=is_paused", body: `{"is_paused":true}`, status: ok, as: "user"},
		{op: "get_dag_runs_batch", method: "POST", path: "/dags/~/dagRuns/list", body: `{"dag_ids":["spec_pipe","spec_fan"],"page_limit":10}`, status: ok, as: "viewer"},
		{op: "get_task_instances_batch", method: "POST", path: "/dags/~/dagRuns/~/taskInstances/list", body: `{"dag_ids":["spec_pipe"],"state":["success"]}`, status: ok, as: "viewer"},
		{op: "get_xcom_entry", method: "GET", path: run + "/taskInstances/transform/xcomEntries/return_value", status: ok, as: "viewer"},
		{op: "get_xcom_entry", method: "GET", path: run + "/taskInstances/transform/xcomEntries/nothing", status: http.StatusNotFound, as: "viewer"},
		{op: "get_extra_links", method: "GET", path: run + "/taskInstances/transform/links", status: ok, as: "viewer"},
		{op: "set_dag_run_note", method: "PATCH", path: run + "/setNote", body: `{"note":"checked by the client test"}`, status: ok, as: "user"},
		{op: "set_task_instance_note", method: "PATCH", path: run + "/taskInstances/extract/setNote", body: `{"note":"fine"}`, status: ok, as: "user"},
		{op: "set_mapped_task_instance_note", method: "PATCH", path: mapped + "/0/setNote", body: `{"note":"the first file"}`, status: ok, as: "user"},
		{op: "clear_dag_run", method: "POST", path: run + "/clear", body: `{"dry_run":true}`, status: ok, as: "user"},
		{op: "post_set_task_instances_state", method: "POST", path: "/dags/spec_pipe/updateTaskInstancesState",
			body: `{"dag_run_id":"spec_r1","task_id":"transform","new_state":"success","dry_run":true}`, status: ok, as: "user"},
		{op: "delete_dag_run", method: "DELETE", path: "/dags/spec_pipe/dagRuns/no_such_run", status: http.StatusNotFound, as: "op"},
		{op: "delete_dag", method: "DELETE", path: "/dags/no_such_dag", status: http.StatusNotFound, as: "op"},
		// A DAG the running scheduler drives cannot be deleted under it (409, as the spec has it).
		{op: "delete_dag", method: "DELETE", path: "/dags/spec_quiet", status: http.StatusConflict, as: "op"},

		// spec_pipe's transform has the outlet s3://spec/orders: spec_r1 recorded its event.
		{op: "get_datasets", method: "GET", path: "/datasets?limit=10", status: ok, as: "viewer"},
		{op: "get_dataset", method: "GET", path: "/datasets/s3%3A%2F%2Fspec%2Forders", status: ok, as: "viewer"},
		{op: "get_dataset", method: "GET", path: "/datasets/s3%3A%2F%2Fno%2Fsuch", status: http.StatusNotFound, as: "viewer"},
		{op: "get_dataset_events", method: "GET", path: "/datasets/events?limit=10", status: ok, as: "viewer"},
		{op: "get_upstream_dataset_events", method: "GET", path: run + "/upstreamDatasetEvents", status: ok, as: "viewer"},
	}
}

// notYet are the spec's operations this server does not serve yet, each with who builds it.
// The client test shows them as skipped, and fails once one of them is served (move it into
// a calls table then) or one is called.
var notYet = map[string]string{}
