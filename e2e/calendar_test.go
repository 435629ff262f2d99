//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestCalendar: the calendar tab colours a year's days by their runs (live), says a day's
// counts on hover, opens the grid at a day on a click, and shows a schedule's planned runs.
func TestCalendar(t *testing.T) {
	s := startServer(t, map[string]string{"e2e_daily.yaml": dailyDAG})
	b := startBrowser(t)
	b.prefix = "calendar-"
	dumpOnFailure(t, b, s)
	b.login(s)

	var run struct {
		DagRunID string `json:"dag_run_id"`
	}
	s.apiDo(t, "POST", "/api/v1/dags/e2e_fail/dagRuns", map[string]any{"logical_date": "2025-03-05T10:00:00Z"}, &run)
	b.do("open the calendar", chromedp.Navigate(s.url+"/#/dags/e2e_fail/calendar?year=2025"))
	b.view("dag-calendar")
	day := func(date string) string {
		return fmt.Sprintf(`document.querySelector('[data-testid="calendar-day"][data-date=%q]')`, date)
	}
	b.waitFor("2025-03-05 turns failed", day("2025-03-05")+`?.dataset.state === "failed"`)
	if n := eval[int](b, `document.querySelectorAll('[data-testid="calendar-day"]').length`); n != 365 {
		t.Errorf("the calendar of 2025 has %d days", n)
	}
	if st := eval[string](b, day("2025-03-06")+`.dataset.state`); st != "none" {
		t.Errorf("2025-03-06 had no run, is %q", st)
	}
	if tip := eval[string](b, day("2025-03-05")+`.querySelector('title').textContent`); !strings.Contains(tip, "1 run: 1 failed") {
		t.Errorf("2025-03-05's tooltip is %q, want its count", tip)
	}
	b.screenshot("year")

	b.click(`[data-testid="calendar-day"][data-date="2025-03-05"]`)
	b.view("dag-grid")
	b.waitFor("the grid up to that day, with its run", fmt.Sprintf(`document.querySelector('[data-testid="grid-before"]')?.dataset.before === "2025-03-05T23:59:59Z" && !!document.querySelector('[data-testid="grid-run"][data-run-id=%q]')`, run.DagRunID))

	// A schedule's runs to come are planned days.
	b.do("open e2e_daily's 2099", chromedp.Navigate(s.url+"/#/dags/e2e_daily/calendar?year=2099"))
	b.view("dag-calendar")
	b.waitFor("2099 is planned from its first day", day("2099-01-01")+`?.dataset.state === "planned" && `+day("2099-12-31")+`?.dataset.state === "planned"`)
	if tip := eval[string](b, day("2099-01-01")+`.querySelector('title').textContent`); !strings.Contains(tip, "1 planned") {
		t.Errorf("2099-01-01's tooltip is %q", tip)
	}
	b.screenshot("planned")
}
