package tasks

import (
	"fmt"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/tasks/cron"
)

// ScheduleKind says how a DAG is scheduled.
type ScheduleKind string

const (
	ScheduleNone  ScheduleKind = "none"  // manual runs only
	ScheduleOnce  ScheduleKind = "once"  // one run, at start_date
	ScheduleCron  ScheduleKind = "cron"  // a preset or a 5-field cron, in the DAG's timezone
	ScheduleEvery ScheduleKind = "every" // a fixed interval from start_date ("@every 30m")
	// ScheduleDatasets runs the DAG once every dataset in Datasets has been updated since its
	// last dataset-triggered run (`schedule: {datasets: [...]}`).
	ScheduleDatasets ScheduleKind = "datasets"
	// ScheduleContinuous is Airflow's "@continuous": a new run as soon as the previous one
	// ends, one at a time.
	ScheduleContinuous ScheduleKind = "continuous"
)

// Schedule is a DAG's parsed `schedule`.
type Schedule struct {
	Raw   string // as written; "" for none
	Kind  ScheduleKind
	Cron  *cron.Expr    // ScheduleCron
	Every time.Duration // ScheduleEvery
	// Datasets are the URIs a ScheduleDatasets waits for, as listed.
	Datasets []string
}

// Timed reports whether the schedule makes runs from a timetable (cron, interval or once):
// not none, and not datasets.
func (s Schedule) Timed() bool {
	return s.Kind != ScheduleNone && s.Kind != ScheduleDatasets && s.Kind != ""
}

// ParseSchedule reads a `schedule` value: "" (none), "@once", "@continuous", a preset (@hourly @daily @weekly
// @monthly @quarterly @yearly), a 5-field cron expression, or "@every DURATION".
func ParseSchedule(s string) (Schedule, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "" || s == "null" || s == "@none":
		return Schedule{Kind: ScheduleNone}, nil
	case s == "@once":
		return Schedule{Raw: s, Kind: ScheduleOnce}, nil
	case s == "@continuous":
		return Schedule{Raw: s, Kind: ScheduleContinuous}, nil
	case strings.HasPrefix(s, "@every"):
		d, err := ParseDuration(strings.TrimSpace(strings.TrimPrefix(s, "@every")))
		if err != nil {
			return Schedule{}, fmt.Errorf("schedule %q: %v", s, err)
		}
		if d < time.Second {
			return Schedule{}, fmt.Errorf("schedule %q: the interval must be at least 1s", s)
		}
		return Schedule{Raw: s, Kind: ScheduleEvery, Every: d}, nil
	}
	e, err := cron.Parse(s)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule: %v (use null, @once, @continuous, @hourly, @daily, @weekly, @monthly, @quarterly, @yearly, \"@every 30m\" or a 5-field cron like \"0 6 * * 1-5\")", err)
	}
	return Schedule{Raw: s, Kind: ScheduleCron, Cron: e}, nil
}
