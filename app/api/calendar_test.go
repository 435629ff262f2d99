package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

type calendarJSON struct {
	Year int `json:"year"`
	Days []struct {
		Date    string         `json:"date"`
		States  map[string]int `json:"states"`
		Planned int            `json:"planned"`
	} `json:"days"`
}

// TestCalendar: a year of runs counted by day and state, only that year's, and the schedule's
// runs to come as planned ones.
func TestCalendar(t *testing.T) {
	e := newEnv(t, nil)
	at := func(m time.Month, d, h int) time.Time { return time.Date(2024, m, d, h, 0, 0, 0, time.UTC) }
	seedRun(t, e.app.Store, "", "pipe", "a", at(3, 5, 1), tasks.StateSuccess, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "b", at(3, 5, 9), tasks.StateFailed, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "c", at(3, 5, 23), tasks.StateSuccess, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "d", at(12, 31, 23), tasks.StateSuccess, 1, "extract")
	seedRun(t, e.app.Store, "", "pipe", "other-year", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), tasks.StateSuccess, 1, "extract")

	c := get[calendarJSON](e, "/api/v1/dags/pipe/calendar?year=2024")
	if c.Year != 2024 || len(c.Days) != 2 {
		t.Fatalf("pipe's 2024: %+v, want 2 days", c)
	}
	if d := c.Days[0]; d.Date != "2024-03-05" || d.States["success"] != 2 || d.States["failed"] != 1 || d.Planned != 0 {
		t.Errorf("2024-03-05: %+v, want 2 success and 1 failed", d)
	}
	if d := c.Days[1]; d.Date != "2024-12-31" || d.States["success"] != 1 {
		t.Errorf("the year's last day: %+v", d)
	}

	// quiet runs @daily from now on: the rest of this year is planned, a day at a time.
	now := time.Now().UTC()
	q := get[calendarJSON](e, "/api/v1/dags/quiet/calendar")
	if q.Year != now.Year() {
		t.Errorf("the default year is %d, want this one", q.Year)
	}
	left := time.Date(now.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC).Sub(now).Hours() / 24
	if n := len(q.Days); n < int(left)-1 || n > int(left)+2 {
		t.Errorf("quiet has %d planned days this year, want about %.0f", n, left)
	}
	for _, d := range q.Days {
		if d.Planned != 1 || len(d.States) != 0 {
			t.Errorf("quiet's %s: %+v, want one planned run and no runs", d.Date, d)
		}
	}

	e.problem(http.StatusBadRequest, "GET", "/api/v1/dags/pipe/calendar?year=soon", "", e.as("viewer"), "year must be a year")
	e.want(http.StatusNotFound, "GET", "/api/v1/dags/nope/calendar", "", e.as("viewer"))
}
