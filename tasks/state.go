package tasks

// TaskInstanceState is the state of one task in one DagRun. The strings are Airflow's, so they
// read the same in SQLite, JSON, logs and an Airflow user's head.
type TaskInstanceState string

const (
	StateNone            TaskInstanceState = "none" // created, dependencies not met yet
	StateScheduled       TaskInstanceState = "scheduled"
	StateQueued          TaskInstanceState = "queued"
	StateRunning         TaskInstanceState = "running"
	StateSuccess         TaskInstanceState = "success"
	StateFailed          TaskInstanceState = "failed"
	StateSkipped         TaskInstanceState = "skipped"
	StateUpstreamFailed  TaskInstanceState = "upstream_failed"
	StateUpForRetry      TaskInstanceState = "up_for_retry"
	StateUpForReschedule TaskInstanceState = "up_for_reschedule"
	StateDeferred        TaskInstanceState = "deferred"
	StateRemoved         TaskInstanceState = "removed"
	StateRestarting      TaskInstanceState = "restarting"
)

// TaskInstanceStates lists every state, in the order the UI shows them.
var TaskInstanceStates = []TaskInstanceState{
	StateNone, StateScheduled, StateQueued, StateRunning, StateSuccess, StateFailed,
	StateSkipped, StateUpstreamFailed, StateUpForRetry, StateUpForReschedule, StateDeferred,
	StateRemoved, StateRestarting,
}

// Finished reports whether the state is final for this try: Airflow's State.finished.
func (s TaskInstanceState) Finished() bool {
	switch s {
	case StateSuccess, StateFailed, StateSkipped, StateUpstreamFailed, StateRemoved:
		return true
	}
	return false
}

// Unfinished is Airflow's State.unfinished: everything that may still change by itself.
func (s TaskInstanceState) Unfinished() bool { return s.Valid() && !s.Finished() }

// Failed is Airflow's State.failed_states.
func (s TaskInstanceState) Failed() bool { return s == StateFailed || s == StateUpstreamFailed }

// Succeeded is Airflow's State.success_states.
func (s TaskInstanceState) Succeeded() bool { return s == StateSuccess || s == StateSkipped }

// Valid reports whether s is one of Airflow's TaskInstance states.
func (s TaskInstanceState) Valid() bool {
	for _, v := range TaskInstanceStates {
		if s == v {
			return true
		}
	}
	return false
}

// Color is the colour Airflow's UI gives the state.
func (s TaskInstanceState) Color() string {
	return map[TaskInstanceState]string{
		StateNone: "lightblue", StateScheduled: "tan", StateQueued: "gray", StateRunning: "lime",
		StateSuccess: "green", StateFailed: "red", StateUpForRetry: "gold",
		StateUpForReschedule: "turquoise", StateUpstreamFailed: "orange", StateSkipped: "hotpink",
		StateRemoved: "lightgrey", StateRestarting: "violet", StateDeferred: "mediumpurple",
	}[s]
}

// DagRunState is the state of one DagRun: Airflow's DagRunState strings.
type DagRunState string

const (
	RunQueued  DagRunState = "queued"
	RunRunning DagRunState = "running"
	RunSuccess DagRunState = "success"
	RunFailed  DagRunState = "failed"
)

// DagRunStates lists every DagRun state.
var DagRunStates = []DagRunState{RunQueued, RunRunning, RunSuccess, RunFailed}

// Finished reports whether the run is over.
func (s DagRunState) Finished() bool { return s == RunSuccess || s == RunFailed }

// Valid reports whether s is one of Airflow's DagRun states.
func (s DagRunState) Valid() bool {
	for _, v := range DagRunStates {
		if s == v {
			return true
		}
	}
	return false
}

// TriggerRule decides, from the states of a task's direct upstreams, when the task runs.
type TriggerRule string

// The eleven trigger rules of Airflow, with its semantics (AIRFLOW.md).
const (
	AllSuccess              TriggerRule = "all_success"
	AllFailed               TriggerRule = "all_failed"
	AllDone                 TriggerRule = "all_done"
	AllSkipped              TriggerRule = "all_skipped"
	OneSuccess              TriggerRule = "one_success"
	OneFailed               TriggerRule = "one_failed"
	OneDone                 TriggerRule = "one_done"
	NoneFailed              TriggerRule = "none_failed"
	NoneFailedMinOneSuccess TriggerRule = "none_failed_min_one_success"
	NoneSkipped             TriggerRule = "none_skipped"
	Always                  TriggerRule = "always"
)

// TriggerRules lists every trigger rule.
var TriggerRules = []TriggerRule{
	AllSuccess, AllFailed, AllDone, AllSkipped, OneSuccess, OneFailed, OneDone, NoneFailed,
	NoneFailedMinOneSuccess, NoneSkipped, Always,
}

// Valid reports whether r is one of Airflow's trigger rules.
func (r TriggerRule) Valid() bool {
	for _, v := range TriggerRules {
		if r == v {
			return true
		}
	}
	return false
}
