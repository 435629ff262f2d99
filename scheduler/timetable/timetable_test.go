package timetable

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/tasks"
)

func zone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Skipf("time zone %s not available: %v", name, err)
	}
	return loc
}

// at reads "2006-01-02 15:04" (or with seconds) as a wall time in loc.
func at(t testing.TB, s string, loc *time.Location) time.Time {
	t.Helper()
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02"} {
		if v, err := time.ParseInLocation(layout, s, loc); err == nil {
			return v
		}
	}
	t.Fatalf("bad time %q", s)
	return time.Time{}
}

// dag builds a DAG with a schedule, start_date and optional end_date ("" = none) in loc.
func dag(t testing.TB, schedule, start, end string, loc *time.Location) *tasks.DAG {
	t.Helper()
	s, err := tasks.ParseSchedule(schedule)
	if err != nil {
		t.Fatal(err)
	}
	d := &tasks.DAG{DagID: "d", Schedule: s, Timezone: loc}
	if start != "" {
		v := at(t, start, loc)
		d.StartDate = &v
	}
	if end != "" {
		v := at(t, end, loc)
		d.EndDate = &v
	}
	return d
}

// due runs the scheduler loop: ask Next and create the run while it is due at now. It returns
// the runs created and the next, not yet due, interval (zero when there is none).
func due(tt Timetable, last *DataInterval, now time.Time, catchup bool) (runs []DataInterval, pending DataInterval) {
	for i := 0; i < 100_000; i++ {
		next, ok := tt.Next(last, now, catchup)
		if !ok {
			return runs, DataInterval{}
		}
		if next.End.After(now) {
			return runs, next
		}
		runs = append(runs, next)
		last = &runs[len(runs)-1]
	}
	panic("no end to the runs")
}

// show writes intervals as "start..end" in their own zone, for readable failures.
func show(ivs []DataInterval) string {
	var b strings.Builder
	for _, iv := range ivs {
		fmt.Fprintf(&b, "\n  %s .. %s", iv.Start.Format("2006-01-02 15:04 MST"), iv.End.Format("2006-01-02 15:04 MST"))
	}
	return b.String()
}

// wantStarts checks the intervals start at the given wall times in loc, in order.
func wantStarts(t *testing.T, got []DataInterval, loc *time.Location, starts ...string) {
	t.Helper()
	if len(got) != len(starts) {
		t.Fatalf("got %d intervals, want %d:%s", len(got), len(starts), show(got))
	}
	for i, s := range starts {
		if w := at(t, s, loc); !got[i].Start.Equal(w) {
			t.Fatalf("interval %d starts %v, want %v:%s", i, got[i].Start, w, show(got))
		}
	}
}

// checkContiguous checks every interval is non-empty, ends where the next starts, and no start
// repeats.
func checkContiguous(t *testing.T, ivs []DataInterval) {
	t.Helper()
	for i, iv := range ivs {
		if !iv.End.After(iv.Start) {
			t.Errorf("interval %d is empty or reversed:%s", i, show(ivs[i:i+1]))
		}
		if i > 0 && !ivs[i-1].End.Equal(iv.Start) {
			t.Errorf("gap or overlap before interval %d:%s", i, show(ivs[i-1:i+1]))
		}
	}
}

func TestCatchupCreatesEveryMissedInterval(t *testing.T) {
	utc := time.UTC
	tt := For(dag(t, "@daily", "2024-01-01", "", utc))
	runs, pending := due(tt, nil, at(t, "2024-01-05 12:00", utc), true)
	wantStarts(t, runs, utc, "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04")
	checkContiguous(t, runs)
	if !pending.Start.Equal(at(t, "2024-01-05", utc)) || !pending.End.Equal(at(t, "2024-01-06", utc)) {
		t.Errorf("next pending interval = %v, want 2024-01-05..06", pending)
	}
	// Paused after the 2nd, unpaused on the 10th: every missed day, in order.
	last := DataInterval{at(t, "2024-01-02", utc), at(t, "2024-01-03", utc)}
	runs, _ = due(tt, &last, at(t, "2024-01-10 03:00", utc), true)
	wantStarts(t, runs, utc, "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-06", "2024-01-07", "2024-01-08", "2024-01-09")
}

func TestCatchupOffRunsOnlyTheLatest(t *testing.T) {
	utc := time.UTC
	tt := For(dag(t, "@daily", "2024-01-01", "", utc))
	runs, pending := due(tt, nil, at(t, "2024-01-05 12:00", utc), false)
	wantStarts(t, runs, utc, "2024-01-04")
	if !pending.Start.Equal(at(t, "2024-01-05", utc)) {
		t.Errorf("pending = %v, want the 5th", pending)
	}
	// now right on a boundary: the interval ending now is complete.
	runs, _ = due(tt, nil, at(t, "2024-01-05 00:00", utc), false)
	wantStarts(t, runs, utc, "2024-01-04")
	// Caught up: the next interval follows the last one.
	last := DataInterval{at(t, "2024-01-04", utc), at(t, "2024-01-05", utc)}
	runs, _ = due(tt, &last, at(t, "2024-01-06 00:30", utc), false)
	wantStarts(t, runs, utc, "2024-01-05")
	// A pause of eight weeks: exactly one run, the latest complete interval, not a flood.
	runs, pending = due(tt, &last, at(t, "2024-03-01 10:00", utc), false)
	wantStarts(t, runs, utc, "2024-02-29")
	if !pending.Start.Equal(at(t, "2024-03-01", utc)) {
		t.Errorf("pending after the pause = %v, want 2024-03-01", pending)
	}
	// start_date in the future wins over skipping.
	future := For(dag(t, "@daily", "2030-01-01 06:00", "", utc))
	next, ok := future.Next(nil, at(t, "2024-01-05 12:00", utc), false)
	if !ok || !next.Start.Equal(at(t, "2030-01-02", utc)) {
		t.Errorf("future start: %v %v, want 2030-01-02 (start_date aligned to the next fire)", next, ok)
	}
}

func TestStartDateAlignsToNextFire(t *testing.T) {
	utc := time.UTC
	cases := []struct{ schedule, start, first string }{
		{"@daily", "2024-01-01 06:00", "2024-01-02 00:00"},
		{"@daily", "2024-01-01 00:00", "2024-01-01 00:00"},
		{"0 */6 * * *", "2024-01-01 07:00", "2024-01-01 12:00"},
		{"30 6 * * 1-5", "2024-01-06 00:00", "2024-01-08 06:30"}, // Saturday -> Monday
		{"@monthly", "2024-01-15", "2024-02-01"},
	}
	for _, tc := range cases {
		tt := For(dag(t, tc.schedule, tc.start, "", utc))
		next, ok := tt.Next(nil, at(t, "2025-01-01", utc), true)
		if !ok || !next.Start.Equal(at(t, tc.first, utc)) {
			t.Errorf("%s from %s: first %v, want %s", tc.schedule, tc.start, next.Start, tc.first)
		}
	}
}

func TestBackfillTenDays(t *testing.T) {
	utc := time.UTC
	from, to := at(t, "2024-01-01", utc), at(t, "2024-01-10 23:59", utc)
	t.Run("daily", func(t *testing.T) {
		ivs := For(dag(t, "@daily", "2023-06-01", "", utc)).Intervals(from, to)
		wantStarts(t, ivs, utc, "2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05",
			"2024-01-06", "2024-01-07", "2024-01-08", "2024-01-09", "2024-01-10")
		checkContiguous(t, ivs)
	})
	t.Run("hourly", func(t *testing.T) {
		ivs := For(dag(t, "@hourly", "2023-06-01", "", utc)).Intervals(from, to)
		if len(ivs) != 240 {
			t.Fatalf("%d intervals, want 240", len(ivs))
		}
		checkContiguous(t, ivs)
		if !ivs[239].Start.Equal(at(t, "2024-01-10 23:00", utc)) {
			t.Errorf("last starts %v", ivs[239].Start)
		}
	})
	t.Run("cron weekdays", func(t *testing.T) {
		ivs := For(dag(t, "30 6 * * 1-5", "2023-06-01", "", utc)).Intervals(from, to)
		wantStarts(t, ivs, utc, "2024-01-01 06:30", "2024-01-02 06:30", "2024-01-03 06:30", "2024-01-04 06:30",
			"2024-01-05 06:30", "2024-01-08 06:30", "2024-01-09 06:30", "2024-01-10 06:30")
		checkContiguous(t, ivs)
		if !ivs[4].End.Equal(at(t, "2024-01-08 06:30", utc)) {
			t.Errorf("Friday's interval ends %v, want Monday 06:30", ivs[4].End)
		}
	})
	t.Run("every 6h on the start_date grid", func(t *testing.T) {
		tt := For(dag(t, "@every 6h", "2023-12-31 03:00", "", utc))
		ivs := tt.Intervals(from, to)
		if len(ivs) != 40 {
			t.Fatalf("%d intervals, want 40:%s", len(ivs), show(ivs))
		}
		checkContiguous(t, ivs)
		if !ivs[0].Start.Equal(at(t, "2024-01-01 03:00", utc)) || !ivs[39].Start.Equal(at(t, "2024-01-10 21:00", utc)) {
			t.Errorf("first %v, last %v", ivs[0].Start, ivs[39].Start)
		}
		// from off the grid starts at the next grid point; to on the grid is included.
		ivs = tt.Intervals(at(t, "2024-01-02 05:00", utc), at(t, "2024-01-02 15:00", utc))
		wantStarts(t, ivs, utc, "2024-01-02 09:00", "2024-01-02 15:00")
	})
	t.Run("clamped to start_date and end_date", func(t *testing.T) {
		ivs := For(dag(t, "@daily", "2024-01-04 12:00", "2024-01-07", utc)).Intervals(from, to)
		wantStarts(t, ivs, utc, "2024-01-05", "2024-01-06", "2024-01-07")
		ivs = For(dag(t, "@every 1d", "2024-01-04 12:00", "2024-01-07", utc)).Intervals(from, to)
		wantStarts(t, ivs, utc, "2024-01-04 12:00", "2024-01-05 12:00", "2024-01-06 12:00")
	})
}

func TestMonthEnds(t *testing.T) {
	utc := time.UTC
	ivs := For(dag(t, "@monthly", "2024-01-01", "", utc)).Intervals(at(t, "2024-01-01", utc), at(t, "2024-12-31", utc))
	if len(ivs) != 12 {
		t.Fatalf("%d monthly intervals in 2024, want 12", len(ivs))
	}
	checkContiguous(t, ivs)
	if feb := ivs[1]; !feb.Start.Equal(at(t, "2024-02-01", utc)) || feb.End.Sub(feb.Start) != 29*24*time.Hour {
		t.Errorf("February 2024 = %s, want 29 days", show(ivs[1:2]))
	}
	// The 31st only exists in seven months: each interval runs to the next month that has it.
	ivs = For(dag(t, "0 0 31 * *", "2024-01-01", "", utc)).Intervals(at(t, "2024-01-01", utc), at(t, "2024-12-31", utc))
	wantStarts(t, ivs, utc, "2024-01-31", "2024-03-31", "2024-05-31", "2024-07-31", "2024-08-31", "2024-10-31", "2024-12-31")
	checkContiguous(t, ivs)
	if !ivs[6].End.Equal(at(t, "2025-01-31", utc)) {
		t.Errorf("last ends %v, want 2025-01-31", ivs[6].End)
	}
	// Leap days.
	ivs = For(dag(t, "0 12 29 2 *", "2023-01-01", "", utc)).Intervals(at(t, "2023-01-01", utc), at(t, "2029-01-01", utc))
	wantStarts(t, ivs, utc, "2024-02-29 12:00", "2028-02-29 12:00")
	// Catching up over a year end and a leap February, one month at a time.
	runs, _ := due(For(dag(t, "@monthly", "2023-11-01", "", utc)), nil, at(t, "2024-03-15", utc), true)
	wantStarts(t, runs, utc, "2023-11-01", "2023-12-01", "2024-01-01", "2024-02-01")
}

func TestSeoulTimezone(t *testing.T) {
	seoul := zone(t, "Asia/Seoul")
	tt := For(dag(t, "@daily", "2024-01-01", "", seoul))
	runs, _ := due(tt, nil, at(t, "2024-01-04 08:00", seoul), true)
	wantStarts(t, runs, seoul, "2024-01-01", "2024-01-02", "2024-01-03")
	for _, r := range runs {
		if r.Start.UTC().Hour() != 15 || r.End.Sub(r.Start) != 24*time.Hour || r.Start.Location() != seoul {
			t.Errorf("interval %s: want Seoul midnight (15:00 UTC the day before), 24h long, in Asia/Seoul", show([]DataInterval{r}))
		}
	}
	// Catchup off asks "latest complete" on Seoul's clock: at 08:00 KST on the 4th (23:00 UTC on
	// the 3rd) that is the 3rd in Seoul, not the 2nd as UTC midnight would say.
	runs, _ = due(tt, nil, at(t, "2024-01-04 08:00", seoul), false)
	wantStarts(t, runs, seoul, "2024-01-03")
	// A cron at 09:00 Seoul fires at midnight UTC.
	ivs := For(dag(t, "0 9 * * *", "2024-01-01", "", seoul)).Intervals(at(t, "2024-01-01", seoul), at(t, "2024-01-03", seoul))
	if len(ivs) != 2 || !ivs[0].Start.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("09:00 KST intervals:%s", show(ivs))
	}
}

func TestNewYorkDST(t *testing.T) {
	ny := zone(t, "America/New_York")
	// 2024-03-10: 02:00 EST jumps to 03:00 EDT. 2024-11-03: 02:00 EDT falls back to 01:00 EST.
	t.Run("daily across spring-forward", func(t *testing.T) {
		ivs := For(dag(t, "@daily", "2024-01-01", "", ny)).Intervals(at(t, "2024-03-09", ny), at(t, "2024-03-11", ny))
		wantStarts(t, ivs, ny, "2024-03-09", "2024-03-10", "2024-03-11")
		checkContiguous(t, ivs)
		if got := ivs[1].End.Sub(ivs[1].Start); got != 23*time.Hour {
			t.Errorf("2024-03-10 lasts %v, want 23h", got)
		}
	})
	t.Run("daily across fall-back", func(t *testing.T) {
		ivs := For(dag(t, "@daily", "2024-01-01", "", ny)).Intervals(at(t, "2024-11-02", ny), at(t, "2024-11-04", ny))
		checkContiguous(t, ivs)
		if got := ivs[1].End.Sub(ivs[1].Start); got != 25*time.Hour {
			t.Errorf("2024-11-03 lasts %v, want 25h", got)
		}
	})
	t.Run("02:30 on the spring-forward day runs once at 03:00", func(t *testing.T) {
		ivs := For(dag(t, "30 2 * * *", "2024-01-01", "", ny)).Intervals(at(t, "2024-03-09", ny), at(t, "2024-03-11 12:00", ny))
		wantStarts(t, ivs, ny, "2024-03-09 02:30", "2024-03-10 03:00", "2024-03-11 02:30")
		checkContiguous(t, ivs)
	})
	t.Run("01:30 on the fall-back day runs once, at the second 01:30", func(t *testing.T) {
		ivs := For(dag(t, "30 1 * * *", "2024-01-01", "", ny)).Intervals(at(t, "2024-11-02", ny), at(t, "2024-11-04 12:00", ny))
		if len(ivs) != 3 {
			t.Fatalf("want 3 runs, one a day:%s", show(ivs))
		}
		checkContiguous(t, ivs)
		if _, off := ivs[1].Start.Zone(); off != -5*3600 {
			t.Errorf("the fall-back day's run is at %v, want the second 01:30 (EST), as Airflow", ivs[1].Start)
		}
		if got := ivs[0].End.Sub(ivs[0].Start); got != 25*time.Hour {
			t.Errorf("the interval ending on the fall-back day lasts %v, want 25h", got)
		}
	})
	t.Run("hourly runs every real hour", func(t *testing.T) {
		tt := For(dag(t, "@hourly", "2024-01-01", "", ny))
		spring := tt.Intervals(at(t, "2024-03-10", ny), at(t, "2024-03-10 23:59", ny))
		fall := tt.Intervals(at(t, "2024-11-03", ny), at(t, "2024-11-03 23:59", ny))
		if len(spring) != 23 || len(fall) != 25 {
			t.Errorf("%d runs on the spring-forward day (want 23), %d on the fall-back day (want 25)", len(spring), len(fall))
		}
		for _, ivs := range [][]DataInterval{spring, fall} {
			checkContiguous(t, ivs)
			for _, iv := range ivs {
				if iv.End.Sub(iv.Start) != time.Hour {
					t.Errorf("interval %s is not one hour", show([]DataInterval{iv}))
				}
			}
		}
	})
	t.Run("catchup through both changes matches the backfill", func(t *testing.T) {
		for _, schedule := range []string{"@daily", "30 2 * * *", "30 1 * * *", "0 * * * *", "*/20 1-3 * * *", "0 0 * * 0"} {
			tt := For(dag(t, schedule, "2024-03-01", "", ny))
			runs, _ := due(tt, nil, at(t, "2024-11-20", ny), true)
			checkContiguous(t, runs)
			seen := map[int64]bool{}
			for _, r := range runs {
				if seen[r.Start.Unix()] {
					t.Errorf("%s: %v runs twice", schedule, r.Start)
				}
				seen[r.Start.Unix()] = true
			}
			back := tt.Intervals(at(t, "2024-03-01", ny), runs[len(runs)-1].Start)
			if show(back) != show(runs) {
				t.Errorf("%s: catchup and backfill disagree", schedule)
			}
		}
	})
	t.Run("every 24h keeps real durations", func(t *testing.T) {
		ivs := For(dag(t, "@every 24h", "2024-03-09", "", ny)).Intervals(at(t, "2024-03-09", ny), at(t, "2024-03-12", ny))
		wantStarts(t, ivs, ny, "2024-03-09 00:00", "2024-03-10 00:00", "2024-03-11 01:00")
		for _, iv := range ivs {
			if iv.End.Sub(iv.Start) != 24*time.Hour {
				t.Errorf("%s is not 24h", show([]DataInterval{iv}))
			}
		}
	})
}

// TestZurichFallBack: Europe/Zurich falls back from 03:00 CEST to 02:00 CET on 2024-10-27. A
// fixed hour runs once, at the second 02:30; an hour of * runs both passes (every real hour).
func TestZurichFallBack(t *testing.T) {
	zh := zone(t, "Europe/Zurich")
	fixed := For(dag(t, "30 2 * * *", "2024-01-01", "", zh)).Intervals(at(t, "2024-10-26", zh), at(t, "2024-10-28 12:00", zh))
	if len(fixed) != 3 {
		t.Fatalf("want 3 runs, one a day:%s", show(fixed))
	}
	checkContiguous(t, fixed)
	if _, off := fixed[1].Start.Zone(); off != 3600 {
		t.Errorf("the fall-back day's run is at %v, want the second 02:30 (CET)", fixed[1].Start)
	}
	every := For(dag(t, "15 * * * *", "2024-01-01", "", zh)).Intervals(at(t, "2024-10-27", zh), at(t, "2024-10-27 23:59", zh))
	if len(every) != 25 {
		t.Errorf("%d runs at :15 on the fall-back day, want 25 (02:15 twice):%s", len(every), show(every))
	}
	checkContiguous(t, every)
}

func TestEveryDelta(t *testing.T) {
	utc := time.UTC
	tt := For(dag(t, "@every 1h", "2024-01-01 00:10", "", utc))
	t.Run("catchup on: start_date + kD", func(t *testing.T) {
		runs, pending := due(tt, nil, at(t, "2024-01-01 05:30", utc), true)
		wantStarts(t, runs, utc, "2024-01-01 00:10", "2024-01-01 01:10", "2024-01-01 02:10", "2024-01-01 03:10", "2024-01-01 04:10")
		if !pending.Start.Equal(at(t, "2024-01-01 05:10", utc)) {
			t.Errorf("pending %v", pending)
		}
	})
	t.Run("catchup off: Airflow rounds now to the epoch grid", func(t *testing.T) {
		runs, pending := due(tt, nil, at(t, "2024-01-01 05:30", utc), false)
		wantStarts(t, runs, utc, "2024-01-01 04:00")
		if !pending.Start.Equal(at(t, "2024-01-01 05:00", utc)) {
			t.Errorf("pending %v, want 05:00", pending)
		}
		// In step, the last run's end wins over the rounded time.
		last := DataInterval{at(t, "2024-01-01 03:10", utc), at(t, "2024-01-01 04:10", utc)}
		if next, _ := tt.Next(&last, at(t, "2024-01-01 05:30", utc), false); !next.Start.Equal(last.End) {
			t.Errorf("next after %v = %v, want it to follow on", last, next)
		}
		// After a long pause: one run.
		runs, _ = due(tt, &last, at(t, "2024-01-03 12:34", utc), false)
		wantStarts(t, runs, utc, "2024-01-03 11:00")
		// A start_date in the future wins.
		later := For(dag(t, "@every 1h", "2024-01-02 00:10", "", utc))
		if next, _ := later.Next(nil, at(t, "2024-01-01 05:30", utc), false); !next.Start.Equal(at(t, "2024-01-02 00:10", utc)) {
			t.Errorf("future start_date: %v", next)
		}
	})
}

func TestEndDate(t *testing.T) {
	utc := time.UTC
	tt := For(dag(t, "@daily", "2024-01-01", "2024-01-03", utc))
	runs, pending := due(tt, nil, at(t, "2024-02-01", utc), true)
	// An interval starting at end_date still runs (TimeRestriction.latest bounds starts).
	wantStarts(t, runs, utc, "2024-01-01", "2024-01-02", "2024-01-03")
	if !pending.Start.IsZero() {
		t.Errorf("an interval after end_date: %v", pending)
	}
	if _, ok := tt.Next(nil, at(t, "2024-02-01", utc), false); ok {
		t.Error("catchup off after end_date still schedules a run")
	}
	if ivs := tt.Intervals(at(t, "2023-12-01", utc), at(t, "2024-02-01", utc)); len(ivs) != 3 {
		t.Errorf("backfill past end_date:%s", show(ivs))
	}
	every := For(dag(t, "@every 12h", "2024-01-01", "2024-01-02", utc))
	runs, _ = due(every, nil, at(t, "2024-02-01", utc), true)
	wantStarts(t, runs, utc, "2024-01-01 00:00", "2024-01-01 12:00", "2024-01-02 00:00")
}

func TestOnce(t *testing.T) {
	utc := time.UTC
	tt := For(dag(t, "@once", "2024-01-01 10:00", "", utc))
	for _, catchup := range []bool{true, false} {
		iv, ok := tt.Next(nil, at(t, "2025-01-01", utc), catchup)
		start := at(t, "2024-01-01 10:00", utc)
		if !ok || !iv.Start.Equal(start) || !iv.End.Equal(start) {
			t.Errorf("catchup %v: %v %v, want the exact interval at start_date", catchup, iv, ok)
		}
		if _, ok := tt.Next(&iv, at(t, "2025-01-01", utc), catchup); ok {
			t.Error("@once ran twice")
		}
	}
	// Creatable once Start <= now: due() treats End <= now, the same for an exact interval.
	if runs, _ := due(tt, nil, at(t, "2024-01-01 09:59", utc), true); len(runs) != 0 {
		t.Error("@once ran before start_date")
	}
	if runs, _ := due(tt, nil, at(t, "2024-01-01 10:00", utc), true); len(runs) != 1 {
		t.Error("@once did not run at start_date")
	}
	if ivs := tt.Intervals(at(t, "2024-01-01", utc), at(t, "2024-01-02", utc)); len(ivs) != 1 {
		t.Errorf("backfill over start_date: %v", ivs)
	}
	if ivs := tt.Intervals(at(t, "2024-02-01", utc), at(t, "2024-03-01", utc)); len(ivs) != 0 {
		t.Errorf("backfill elsewhere: %v", ivs)
	}
	if _, ok := For(dag(t, "@once", "", "", utc)).Next(nil, at(t, "2025-01-01", utc), true); ok {
		t.Error("@once without start_date scheduled a run")
	}
}

func TestNoSchedule(t *testing.T) {
	utc := time.UTC
	tt := For(dag(t, "", "2024-01-01", "", utc))
	if _, ok := tt.Next(nil, at(t, "2025-01-01", utc), true); ok {
		t.Error("no schedule produced a run")
	}
	if ivs := tt.Intervals(at(t, "2024-01-01", utc), at(t, "2025-01-01", utc)); len(ivs) != 0 {
		t.Errorf("no schedule produced backfill intervals: %v", ivs)
	}
	if _, ok := For(&tasks.DAG{}).Next(nil, time.Now(), true); ok {
		t.Error("a zero DAG produced a run")
	}
}

func TestManualInterval(t *testing.T) {
	utc := time.UTC
	seoul := zone(t, "Asia/Seoul")
	cases := []struct {
		schedule   string
		loc        *time.Location
		at         string
		start, end string
	}{
		// The last complete interval before the trigger: 01:00 on the 25th -> 24th..25th.
		{"@daily", utc, "2024-01-25 01:00", "2024-01-24", "2024-01-25"},
		{"@daily", utc, "2024-01-25 00:00", "2024-01-24", "2024-01-25"},
		{"@hourly", utc, "2024-01-25 13:45:10", "2024-01-25 12:00", "2024-01-25 13:00"},
		{"30 6 * * 1-5", utc, "2024-01-08 05:00", "2024-01-04 06:30", "2024-01-05 06:30"}, // Monday before 06:30
		{"@daily", seoul, "2024-01-25 01:00", "2024-01-24", "2024-01-25"},
		{"@every 90m", utc, "2024-01-25 13:45", "2024-01-25 12:15", "2024-01-25 13:45"},
		{"@once", utc, "2024-01-25 13:45", "2024-01-25 13:45", "2024-01-25 13:45"},
		{"", utc, "2024-01-25 13:45", "2024-01-25 13:45", "2024-01-25 13:45"},
	}
	for _, tc := range cases {
		iv := For(dag(t, tc.schedule, "2024-01-01", "", tc.loc)).ManualInterval(at(t, tc.at, tc.loc))
		if !iv.Start.Equal(at(t, tc.start, tc.loc)) || !iv.End.Equal(at(t, tc.end, tc.loc)) {
			t.Errorf("%q manual at %s = %s, want %s .. %s", tc.schedule, tc.at, show([]DataInterval{iv}), tc.start, tc.end)
		}
	}
}

func TestForDefaultsToUTC(t *testing.T) {
	s, _ := tasks.ParseSchedule("@daily")
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	tt := For(&tasks.DAG{Schedule: s, StartDate: &start})
	iv, ok := tt.Next(nil, start.Add(48*time.Hour), true)
	if !ok || !iv.Start.Equal(start) || iv.Start.Location() != time.UTC {
		t.Errorf("got %v %v", iv, ok)
	}
}
