package api

import "github.com/wasmflow/wasmflow/app"

// The answer types of the routes, with Airflow's names, that have no type of their own
// elsewhere: the route table declares them, so openapi.json can describe them; a handler that
// builds its answer as a map is checked in tests against the declared type (wrap).

type healthInfo struct {
	Metadatabase healthStatus `json:"metadatabase"`
	Scheduler    healthStatus `json:"scheduler"`
}

type healthStatus struct {
	Status string `json:"status"`
}

type versionInfo struct {
	Version    string `json:"version"`
	GitVersion string `json:"git_version"`
}

type dagCollection struct {
	Dags         []dagJSON `json:"dags"`
	TotalEntries int       `json:"total_entries"`
}

type uiDagCollection struct {
	Dags         []uiDag `json:"dags"`
	TotalEntries int     `json:"total_entries"`
	ImportErrors int     `json:"import_errors"` // how many DAG files failed to load
}

type taskCollection struct {
	Tasks        []taskInfo `json:"tasks"`
	TotalEntries int        `json:"total_entries"`
}

type importErrorCollection struct {
	ImportErrors []app.ImportErrorInfo `json:"import_errors"`
	TotalEntries int                   `json:"total_entries"`
}

type runCollection struct {
	DagRuns      []app.RunInfo `json:"dag_runs"`
	TotalEntries int           `json:"total_entries"`
}

type tiCollection struct {
	TaskInstances []app.TaskInstanceInfo `json:"task_instances"`
	TotalEntries  int                    `json:"total_entries"`
}

// tiReferenceCollection is Airflow's TaskInstanceReferenceCollection: what a clear or a
// state change touched (or, in a dry run, would).
type tiReferenceCollection struct {
	TaskInstances []tiReference `json:"task_instances"`
}

type xcomCollection struct {
	XComEntries  []xcomEntry `json:"xcom_entries"`
	TotalEntries int         `json:"total_entries"`
}

type poolCollection struct {
	Pools        []poolInfo `json:"pools"`
	TotalEntries int        `json:"total_entries"`
}

type connectionCollection struct {
	Connections  []app.ConnectionInfo `json:"connections"`
	TotalEntries int                  `json:"total_entries"`
}

type variableCollection struct {
	Variables    []variableInfo `json:"variables"`
	TotalEntries int            `json:"total_entries"`
}

type userCollection struct {
	Users        []app.UserInfo `json:"users"`
	TotalEntries int            `json:"total_entries"`
}

type eventLogCollection struct {
	EventLogs    []eventLog `json:"event_logs"`
	TotalEntries int        `json:"total_entries"`
}

type membersInfo struct {
	Members []anyObject   `json:"members"` // the cluster's Member, which this layer may not name
	Waiting []waitingInfo `json:"waiting"`
}

type moduleList struct {
	Modules []app.ModuleInfo `json:"modules"`
}

type operatorCollection struct {
	Operators    []operatorInfo `json:"operators"`
	TotalEntries int            `json:"total_entries"`
}

// anyObject declares a JSON object of any fields: the desktop window's small answers.
type anyObject = map[string]any
