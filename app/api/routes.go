package api

import (
	"net/http"

	"github.com/wasmflow/wasmflow/app"
)

const (
	tagAuth    = "Auth"
	tagDAG     = "DAG"
	tagRun     = "DAGRun"
	tagTI      = "TaskInstance"
	tagAdmin   = "Admin"
	tagMonitor = "Monitoring"
	tagAuthor  = "Authoring"
	tagDataset = "Dataset"
)

// register lists every endpoint: the mux serves them and the OpenAPI describes them.
func (s *Server) register() {
	const ti = "/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances/{task_id}"
	s.add(http.MethodGet, "/api/v1/health", Public, tagMonitor, "Health of the metastore and the scheduler", s.health)
	s.add(http.MethodGet, "/api/v1/version", Public, tagMonitor, "Version", s.version)
	s.add(http.MethodGet, "/api/v1/openapi.json", Public, tagMonitor, "This API's OpenAPI description", s.openapi)
	s.add(http.MethodPost, "/api/v1/auth/login", Public, tagAuth, "Log in", s.loginHandler)
	s.allowBody(maxLoginBody) // a stranger's body: no more than the longest name and password
	s.add(http.MethodPost, "/api/v1/auth/logout", Public, tagAuth, "Log out", s.logout)
	s.add(http.MethodGet, "/api/v1/auth/me", Viewer, tagAuth, "Who is logged in", s.me)

	s.add(http.MethodGet, "/api/v1/dags", Viewer, tagDAG, "List DAGs", s.listDags)
	s.add(http.MethodGet, "/api/v1/ui/dags", Viewer, tagDAG, "List DAGs with their latest runs", s.uiDags)
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}", Viewer, tagDAG, "Get a DAG", s.getDag)
	s.add(http.MethodPatch, "/api/v1/dags/{dag_id}", User, tagDAG, "Pause or unpause a DAG", s.patchDag)
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/details", Viewer, tagDAG, "Get a DAG's details, its params with their schemas", s.getDagDetails)
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/tasks", Viewer, tagDAG, "List a DAG's tasks", s.listTasks)
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/source", Viewer, tagDAG, "Get a DAG's file", s.source)
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/grid", Viewer, tagDAG, "Runs × tasks of a DAG, for the grid view", s.grid)
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/calendar", Viewer, tagDAG, "A year of a DAG's runs by day and state, and the planned ones, for the calendar view", s.calendar)
	s.add(http.MethodGet, "/api/v1/importErrors", Viewer, tagDAG, "List DAG files that failed to load", s.importErrors)
	s.add(http.MethodGet, "/api/v1/importErrors/{import_error_id}", Viewer, tagDAG, "Get a DAG file's import error", s.getImportError)

	s.add(http.MethodPost, "/api/v1/dagFiles/validate", Op, tagAuthor, "Validate a DAG file without saving it", s.validateDagFile)
	s.add(http.MethodGet, "/api/v1/dagFiles/{path...}", Op, tagAuthor, "Get a DAG file to edit it", s.getDagFile)
	s.add(http.MethodPut, "/api/v1/dagFiles/{path...}", Op, tagAuthor, "Create or change a DAG file", s.putDagFile)
	s.add(http.MethodGet, "/api/v1/modules", Op, tagAuthor, "Task modules in the DAGs folder, for a DAG file to refer to", s.listModules)
	s.add(http.MethodPost, "/api/v1/modules", Op, tagAuthor, "Import a task module (.wasm) into the DAGs folder", s.uploadModule)
	s.add(http.MethodPost, "/api/v1/modules/examples/{name}", Op, tagAuthor, "Copy an example DAG's module into the DAGs folder", s.importExampleModule)
	s.allowBody(app.MaxModuleBytes)
	s.add(http.MethodGet, "/api/v1/operators", Op, tagAuthor, "The built-in operators (operator: NAME) and their fields", s.listOperators)

	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/dagRuns", Viewer, tagRun, "List a DAG's runs", s.listRuns)
	s.add(http.MethodPost, "/api/v1/dags/{dag_id}/dagRuns", User, tagRun, "Trigger a run", s.trigger)
	s.allowBody(s.app.MaxConfSize() + triggerBodySlack) // the conf's cap, not the 8 MiB of other bodies
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}", Viewer, tagRun, "Get a run", s.getRun)
	s.add(http.MethodPatch, "/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}", User, tagRun, "Mark a run success or failed", s.patchRun)
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/callbacks", Viewer, tagRun, "List a run's callbacks: what raised each, whether it ran", s.callbacks)
	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/callbacks/{callback_id}/log", Viewer, tagRun, "Get a callback's log", s.callbackLog)
	s.add(http.MethodGet, "/api/v1/slaMisses", Viewer, tagRun, "List SLA misses: tasks past their sla, runs past their deadline", s.slaMisses)
	s.add(http.MethodPost, "/api/v1/dags/{dag_id}/clearTaskInstances", User, tagRun, "Clear task instances so they run again", s.clearTIs)

	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/upstreamDatasetEvents", Viewer, tagDataset, "List the dataset events that triggered a run", s.upstreamDatasetEvents)
	s.add(http.MethodGet, "/api/v1/datasets", Viewer, tagDataset, "List datasets with the tasks that update them and the DAGs they trigger", s.listDatasets)
	s.add(http.MethodGet, "/api/v1/datasets/events", Viewer, tagDataset, "List dataset events", s.listDatasetEvents)
	s.add(http.MethodGet, "/api/v1/datasets/{uri...}", Viewer, tagDataset, "Get a dataset by its URI (URL-encoded)", s.getDataset)

	s.add(http.MethodGet, "/api/v1/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances", Viewer, tagTI, "List a run's task instances", s.listTIs)
	s.add(http.MethodGet, ti, Viewer, tagTI, "Get a task instance, rendered, and why it waits", s.getTI)
	s.add(http.MethodPatch, ti, User, tagTI, "Mark a task instance success or failed", s.patchTI)
	s.add(http.MethodGet, ti+"/tries", Viewer, tagTI, "List a task instance's ended tries", s.tries)
	s.add(http.MethodGet, ti+"/logs/{try_number}", Viewer, tagTI, "Get a try's log", s.logs)
	s.add(http.MethodGet, ti+"/logs/{try_number}/stream", Viewer, tagTI, "Follow a try's log (server-sent events)", s.logStream)
	s.add(http.MethodGet, ti+"/xcomEntries", Viewer, tagTI, "List a task instance's XComs", s.xcoms)
	s.add(http.MethodGet, ti+"/listMapped", Viewer, tagTI, "List a mapped task's instances", s.listMapped)
	s.add(http.MethodGet, ti+"/{map_index}", Viewer, tagTI, "Get a mapped task instance, rendered, and why it waits", s.getTI)
	s.add(http.MethodPatch, ti+"/{map_index}", User, tagTI, "Mark a mapped task instance success or failed", s.patchTI)

	s.add(http.MethodGet, "/api/v1/pools", Viewer, tagAdmin, "List pools", s.listPools)
	s.add(http.MethodPost, "/api/v1/pools", Op, tagAdmin, "Create a pool", s.postPool)
	s.add(http.MethodGet, "/api/v1/pools/{name}", Viewer, tagAdmin, "Get a pool", s.getPool)
	s.add(http.MethodPatch, "/api/v1/pools/{name}", Op, tagAdmin, "Change a pool", s.patchPool)
	s.add(http.MethodDelete, "/api/v1/pools/{name}", Op, tagAdmin, "Delete a pool", s.deletePool)
	s.add(http.MethodGet, "/api/v1/connections", Viewer, tagAdmin, "List connections (no passwords; secrets in extra masked)", s.listConnections)
	s.add(http.MethodPost, "/api/v1/connections", Op, tagAdmin, "Create a connection", s.postConnection)
	s.add(http.MethodPost, "/api/v1/connections/test", Op, tagAdmin, "Test a connection", s.testConnection)
	s.add(http.MethodGet, "/api/v1/connections/{connection_id}", Viewer, tagAdmin, "Get a connection (no password; secrets in extra masked)", s.getConnection)
	s.add(http.MethodPatch, "/api/v1/connections/{connection_id}", Op, tagAdmin, "Change a connection", s.patchConnection)
	s.add(http.MethodDelete, "/api/v1/connections/{connection_id}", Op, tagAdmin, "Delete a connection", s.deleteConnection)
	s.add(http.MethodGet, "/api/v1/variables", Op, tagAdmin, "List variables", s.listVariables)
	s.add(http.MethodPost, "/api/v1/variables", Op, tagAdmin, "Create a variable", s.postVariable)
	s.add(http.MethodGet, "/api/v1/variables/{key}", Op, tagAdmin, "Get a variable", s.getVariable)
	s.add(http.MethodPatch, "/api/v1/variables/{key}", Op, tagAdmin, "Change a variable", s.patchVariable)
	s.add(http.MethodDelete, "/api/v1/variables/{key}", Op, tagAdmin, "Delete a variable", s.deleteVariable)
	s.add(http.MethodGet, "/api/v1/users", Admin, tagAdmin, "List users", s.listUsers)
	s.add(http.MethodPost, "/api/v1/users", Admin, tagAdmin, "Create a user", s.postUser)
	s.add(http.MethodGet, "/api/v1/users/{username}", Admin, tagAdmin, "Get a user", s.getUser)
	s.add(http.MethodPatch, "/api/v1/users/{username}", Admin, tagAdmin, "Change a user's email, names, role or password", s.patchUser)
	s.add(http.MethodDelete, "/api/v1/users/{username}", Admin, tagAdmin, "Delete a user", s.deleteUser)
	s.add(http.MethodGet, "/api/v1/roles", Admin, tagAdmin, "List the roles, each with its permissions", s.listRoles)
	s.add(http.MethodPost, "/api/v1/roles", Admin, tagAdmin, "Create a role (refused: the roles are fixed)", s.postRole)
	s.add(http.MethodGet, "/api/v1/roles/{role_name}", Admin, tagAdmin, "Get a role and its permissions", s.getRole)
	s.add(http.MethodPatch, "/api/v1/roles/{role_name}", Admin, tagAdmin, "Change a role (refused: the roles are fixed)", s.patchRole)
	s.add(http.MethodDelete, "/api/v1/roles/{role_name}", Admin, tagAdmin, "Delete a role (refused: the roles are fixed)", s.deleteRole)
	s.add(http.MethodGet, "/api/v1/permissions", Admin, tagAdmin, "List the permissions' actions", s.listPermissions)
	s.add(http.MethodGet, "/api/v1/eventLogs", Admin, tagAdmin, "The audit log: who did what", s.eventLogs)
	s.add(http.MethodGet, "/api/v1/eventLogs/{event_log_id}", Admin, tagAdmin, "Get one event of the audit log", s.getEventLog)
	s.add(http.MethodGet, "/api/v1/config", Op, tagAdmin, "The settings, secrets masked (with api.expose_config)", s.getConfig)
	s.add(http.MethodGet, "/api/v1/plugins", Viewer, tagMonitor, "List plugins (none: wasmflow has no plugins)", s.listPlugins)
	s.add(http.MethodGet, "/api/v1/providers", Op, tagMonitor, "List providers (none: the operators are built in)", s.listProviders)
	s.add(http.MethodGet, "/api/v1/cluster/members", Viewer, tagMonitor, "Cluster members and tries waiting for one", s.members)
	s.add(http.MethodGet, "/api/v1/events", Viewer, tagMonitor, "Live changes (server-sent events)", s.events)
}
