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
	Modules  []app.ModuleInfo `json:"modules"`
	Examples []string         `json:"examples"` // the example modules POST /modules/examples/{name} copies
}

type operatorCollection struct {
	Operators    []operatorInfo `json:"operators"`
	TotalEntries int            `json:"total_entries"`
}

// anyObject declares a JSON object of any fields: the desktop window's small answers.
type anyObject = map[string]any

type roleCollection struct {
	Roles        []roleInfo `json:"roles"`
	TotalEntries int        `json:"total_entries"`
}

// actionCollection is Airflow's ActionCollection: the verbs of the roles' permissions.
type actionCollection struct {
	Actions      []actionName `json:"actions"`
	TotalEntries int          `json:"total_entries"`
}

// configInfo is Airflow's Config: the settings by section.
type configInfo struct {
	Sections []configSection `json:"sections"`
}

// pluginInfo is Airflow's PluginCollectionItem; wasmflow has no plugins, so the list is
// always empty, but a client reading Airflow's shape finds it.
type pluginInfo struct {
	Name                     string      `json:"name"`
	Hooks                    []*string   `json:"hooks"`
	Executors                []*string   `json:"executors"`
	Macros                   []anyObject `json:"macros"`
	FlaskBlueprints          []anyObject `json:"flask_blueprints"`
	AppbuilderViews          []anyObject `json:"appbuilder_views"`
	AppbuilderMenuItems      []anyObject `json:"appbuilder_menu_items"`
	GlobalOperatorExtraLinks []anyObject `json:"global_operator_extra_links"`
	OperatorExtraLinks       []anyObject `json:"operator_extra_links"`
	Source                   *string     `json:"source"`
}

type pluginCollection struct {
	Plugins      []pluginInfo `json:"plugins"`
	TotalEntries int          `json:"total_entries"`
}

// providerInfo is Airflow's Provider; the operators are built in, so none is listed.
type providerInfo struct {
	PackageName string `json:"package_name"`
	Description string `json:"description"`
	Version     string `json:"version"`
}

type providerCollection struct {
	Providers    []providerInfo `json:"providers"`
	TotalEntries int            `json:"total_entries"`
}

type datasetCollection struct {
	Datasets     []datasetJSON `json:"datasets"`
	TotalEntries int           `json:"total_entries"`
}

type datasetEventCollection struct {
	DatasetEvents []datasetEventJSON `json:"dataset_events"`
	TotalEntries  int                `json:"total_entries"`
}

type callbackCollection struct {
	Callbacks    []callbackJSON `json:"callbacks"`
	TotalEntries int            `json:"total_entries"`
}

type slaMissCollection struct {
	SLAMisses    []slaMissJSON `json:"sla_misses"`
	TotalEntries int           `json:"total_entries"`
}

// calendarInfo is a year of a DAG's runs by day, for the calendar view.
type calendarInfo struct {
	DagID string        `json:"dag_id"`
	Year  int           `json:"year"`
	Days  []calendarDay `json:"days"`
}
