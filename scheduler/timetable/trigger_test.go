package timetable

import (
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

// trigger is dag() with timetable: trigger and an interval (0 = none).
func trigger(t testing.TB, schedule, start, end string, loc *time.Location, interval time.Duration) Timetable {
	t.Helper()
	d := dag(t, schedule, start, end, loc)
	d.Timetable, d.TriggerInterval = tasks.TimetableTrigger, interval
	return For(d)
}

// ticks are the logical dates of runs.
func ticks(tt Timetable, runs []DataInterval) []time.Time {
	out := make([]time.Time, len(runs))
	for i, r := range runs {
		out[i] = tt.LogicalDate(r)
	}
	return out
}

func wantTicks(t *testing.T, tt Timetable, runs []DataInterval, loc *time.Location, want ...string) {
	t.Helper()
	got := ticks(tt, runs)
	if len(got) != len(want) {
		t.Fatalf("got %d runs, want %d:%s", len(got), len(want), show(runs))
	}
	for i, w := range want {
		if !got[i].Equal(at(t, w, loc)) {
			t.Fatalf("run %d has logical date %v, want %s:%s", i, got[i], w, show(runs))
		}
	}
}

// Airflow's own example: a DAG daily at midnight, picked up at 06:00 on 2024-01-05. The
// data-interval timetable runs 2024-01-04 (the day that has passed); the trigger timetable runs
// the tick of 2024-01-05 00:00, logical date the tick, with a zero-length interval.
func TestTriggerVersusDataInterval(t *testing.T) {
	utc := time.UTC
	now := at(t, "2024-01-05 06:00", utc)
	di := For(dag(t, "@daily", "2024-01-01", "", utc))
	runs, _ := due(di, nil, now, false)
	wantStarts(t, runs, utc, "2024-01-04")
	if ld := di.LogicalDate(runs[0]); !ld.Equal(at(t, "2024-01-04", utc)) {
		t.Errorf("data-interval logical date %v, want 2024-01-04", ld)
	}

	tr := trigger(t, "@daily", "2024-01-01", "", utc, 0)
	runs, pending := due(tr, nil, now, false)
	wantTicks(t, tr, runs, utc, "2024-01-05")
	if runs[0].Start != runs[0].End {
		t.Errorf("data interval %s, want zero-length at the tick", show(runs))
	}
	if !tr.LogicalDate(pending).Equal(at(t, "2024-01-06", utc)) {
		t.Errorf("next run %s, want the tick of 2024-01-06", show([]DataInterval{pending}))
	}
}

func TestTriggerCatchup(t *testing.T) {
	utc := time.UTC
	for _, interval := range []time.Duration{0, 4 * time.Hour} {
		tr := trigger(t, "0 6 * * *", "2024-01-01", "", utc, interval)
		runs, pending := due(tr, nil, at(t, "2024-01-04 07:00", utc), true)
		wantTicks(t, tr, runs, utc, "2024-01-01 06:00", "2024-01-02 06:00", "2024-01-03 06:00", "2024-01-04 06:00")
		for _, r := range runs {
			if got := r.End.Sub(r.Start); got != interval {
				t.Errorf("interval %v: data interval %s lasts %v", interval, show([]DataInterval{r}), got)
			}
		}
		if !tr.LogicalDate(pending).Equal(at(t, "2024-01-05 06:00", utc)) {
			t.Errorf("pending %s, want the tick of 2024-01-05 06:00", show([]DataInterval{pending}))
		}
		// Paused after the 2nd's run, unpaused on the 6th at noon: every missed tick, in order.
		last := runs[1]
		runs, _ = due(tr, &last, at(t, "2024-01-06 12:00", utc), true)
		wantTicks(t, tr, runs, utc, "2024-01-03 06:00", "2024-01-04 06:00", "2024-01-05 06:00", "2024-01-06 06:00")
	}
}

func TestTriggerCatchupOff(t *testing.T) {
	utc := time.UTC
	for _, interval := range []time.Duration{0, time.Hour} {
		tr := trigger(t, "0 6 * * *", "2024-01-01", "", utc, interval)
		// First pick-up: the latest tick at or before now only.
		runs, _ := due(tr, nil, at(t, "2024-01-04 07:00", utc), false)
		wantTicks(t, tr, runs, utc, "2024-01-04 06:00")
		if got := runs[0].End.Sub(runs[0].Start); got != interval {
			t.Errorf("data interval %s lasts %v, want %v", show(runs), got, interval)
		}
		// Right on the tick: it runs.
		runs, _ = due(tr, nil, at(t, "2024-01-04 06:00", utc), false)
		wantTicks(t, tr, runs, utc, "2024-01-04 06:00")
		// Caught up, the next tick follows the last run's.
		last := runs[0]
		runs, _ = due(tr, &last, at(t, "2024-01-05 06:30", utc), false)
		wantTicks(t, tr, runs, utc, "2024-01-05 06:00")
		// Unpausing after ten days skips the missed ticks: only the latest runs.
		runs, _ = due(tr, &last, at(t, "2024-01-14 09:00", utc), false)
		wantTicks(t, tr, runs, utc, "2024-01-14 06:00")
		// start_date in the future: its first tick.
		future := trigger(t, "0 6 * * *", "2030-01-01 07:00", "", utc, interval)
		next, ok := future.Next(nil, at(t, "2024-01-05 12:00", utc), false)
		if !ok || !future.LogicalDate(next).Equal(at(t, "2030-01-02 06:00", utc)) {
			t.Errorf("future start: %s %v, want the tick of 2030-01-02 06:00", show([]DataInterval{next}), ok)
		}
	}
}

func TestTriggerEndDateBackfillManual(t *testing.T) {
	utc := time.UTC
	tr := trigger(t, "0 0 L * *", "2024-01-01", "2024-04-30", utc, 24*time.Hour)
	runs, pending := due(tr, nil, at(t, "2024-12-01", utc), true)
	wantTicks(t, tr, runs, utc, "2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30")
	if pending != (DataInterval{}) {
		t.Errorf("a run past end_date: %s", show([]DataInterval{pending}))
	}
	if !runs[1].Start.Equal(at(t, "2024-02-28", utc)) {
		t.Errorf("data interval %s, want [tick - 24h, tick]", show(runs[1:2]))
	}
	back := tr.Intervals(at(t, "2024-02-01", utc), at(t, "2024-03-31", utc))
	wantTicks(t, tr, back, utc, "2024-02-29", "2024-03-31")
	m := tr.ManualInterval(at(t, "2024-02-10 10:00", utc))
	if !m.End.Equal(at(t, "2024-02-10 10:00", utc)) || m.End.Sub(m.Start) != 24*time.Hour {
		t.Errorf("manual interval %s, want [t - 24h, t]", show([]DataInterval{m}))
	}
}

// The trigger timetable in a zone across the fall-back: a run at the second 01:30.
func TestTriggerFallBack(t *testing.T) {
	ny := zone(t, "America/New_York")
	tr := trigger(t, "30 1 * * *", "2024-11-01", "", ny, 0)
	runs, _ := due(tr, nil, at(t, "2024-11-04 12:00", ny), true)
	if len(runs) != 4 {
		t.Fatalf("want 4 runs:%s", show(runs))
	}
	if _, off := runs[2].End.Zone(); off != -5*3600 || runs[2].End.Day() != 3 {
		t.Errorf("the fall-back day's run is at %v, want the second 01:30 (EST)", runs[2].End)
	}
}
