package api

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/wasmflow/wasmflow/scheduler/metastore"
)

// calendarDay is one day of a DAG's calendar: its runs by state, and the scheduled runs still
// to come that day (Airflow's "planned").
type calendarDay struct {
	Date    string         `json:"date"` // YYYY-MM-DD, in UTC, of the runs' logical dates
	States  map[string]int `json:"states"`
	Planned int            `json:"planned"`
}

// maxPlanned bounds the future runs the calendar computes: a year of hourly runs.
const maxPlanned = 24 * 366

// calendar is a year of a DAG's runs counted by day and state, for the calendar view: the runs
// of the year (without their conf), and the year's scheduled runs to come.
func (s *Server) calendar(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	ctx, dagID := r.Context(), r.PathValue("dag_id")
	year := time.Now().UTC().Year()
	if v := r.URL.Query().Get("year"); v != "" {
		y, err := strconv.Atoi(v)
		if err != nil || y < 1970 || y > 9999 {
			return nil, badRequest("year must be a year like 2024, not %q", v)
		}
		year = y
	}
	if _, err := s.app.GetDag(ctx, dagID); err != nil {
		return nil, err
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(1, 0, 0).Add(-time.Nanosecond)
	runs, _, err := s.app.Store.PageDagRuns(ctx, metastore.RunQuery{DagID: dagID, From: from, To: to, Oldest: true})
	if err != nil {
		return nil, err
	}
	days := map[string]*calendarDay{}
	day := func(t time.Time) *calendarDay {
		k := t.UTC().Format(time.DateOnly)
		if days[k] == nil {
			days[k] = &calendarDay{Date: k, States: map[string]int{}}
		}
		return days[k]
	}
	for _, run := range runs {
		day(run.LogicalDate).States[string(run.State)]++
	}
	// The planned runs are the schedule's next ones that fall in the year; an unscheduled DAG
	// has none. A DAG whose schedule cannot be read still shows its runs.
	if next, err := s.app.NextExecutions(ctx, dagID, maxPlanned); err == nil {
		for _, at := range next {
			if at.After(to) {
				break
			}
			if !at.Before(from) {
				day(at).Planned++
			}
		}
	}
	out := make([]calendarDay, 0, len(days))
	for _, d := range days {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date < out[j].Date })
	return calendarInfo{DagID: dagID, Year: year, Days: out}, nil
}
