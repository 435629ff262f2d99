package app

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// Schedule is a DAG's schedule as its file wrote it ("" for none). The CLI writes it as that
// string; the API as Airflow's ScheduleInterval (Airflow), which UnmarshalJSON reads back.
type Schedule string

// Airflow is the schedule as Airflow's API writes it, so Airflow's clients read it: nil (null)
// for none, {"__type": "CronExpression", "value": "@daily"} for presets, crons and @once, a
// TimeDelta for "@every 30m".
func (s Schedule) Airflow() any {
	parsed, err := tasks.ParseSchedule(string(s))
	switch {
	case err != nil: // recorded by an older parser: still shown, as written
		return cronExpression{Type: "CronExpression", Value: string(s)}
	case string(s) == tasks.DatasetScheduleName: // Airflow's schedule_interval of a dataset-scheduled DAG
		return cronExpression{Type: "CronExpression", Value: tasks.DatasetScheduleName}
	case parsed.Kind == tasks.ScheduleNone:
		return nil
	case parsed.Kind == tasks.ScheduleEvery:
		return NewTimeDelta(parsed.Every)
	}
	return cronExpression{Type: "CronExpression", Value: parsed.Raw}
}

// UnmarshalJSON reads Airflow's object (the API's answer, for the CLI's --server) or a string.
func (s *Schedule) UnmarshalJSON(b []byte) error {
	var v struct {
		Type  string `json:"__type"`
		Value string `json:"value"`
		TimeDelta
	}
	switch {
	case string(b) == "null":
		*s = ""
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, (*string)(s))
	case json.Unmarshal(b, &v) != nil:
		return fmt.Errorf("schedule_interval %s is neither null, a string nor a CronExpression or TimeDelta object", b)
	case v.Type == "CronExpression":
		*s = Schedule(v.Value)
	case v.Type == "TimeDelta":
		v.TimeDelta.Type = v.Type
		*s = Schedule("@every " + v.TimeDelta.Duration().String())
	default:
		return fmt.Errorf("schedule_interval of __type %q: wasmflow reads CronExpression and TimeDelta", v.Type)
	}
	return nil
}

type cronExpression struct {
	Type  string `json:"__type"`
	Value string `json:"value"`
}

// TimeDelta is Python's timedelta as Airflow's API writes it: whole days, the seconds of the
// last day (under 86400) and the microseconds of the last second (under 1e6).
type TimeDelta struct {
	Type         string `json:"__type"`
	Days         int64  `json:"days"`
	Seconds      int64  `json:"seconds"`
	Microseconds int64  `json:"microseconds"`
}

// NewTimeDelta is d as a TimeDelta; below a microsecond is dropped, as Python has no less.
func NewTimeDelta(d time.Duration) TimeDelta {
	us := d.Microseconds()
	days, rest := us/(86400*1e6), us%(86400*1e6)
	if rest < 0 { // Python's timedelta keeps seconds and microseconds positive
		days, rest = days-1, rest+86400*1e6
	}
	return TimeDelta{Type: "TimeDelta", Days: days, Seconds: rest / 1e6, Microseconds: rest % 1e6}
}

// Duration is the TimeDelta as a time.Duration.
func (t TimeDelta) Duration() time.Duration {
	return time.Duration(t.Days)*24*time.Hour + time.Duration(t.Seconds)*time.Second + time.Duration(t.Microseconds)*time.Microsecond
}
