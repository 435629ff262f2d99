package scheduler_test

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"
)

// triggerDag is a DAG file daily at midnight UTC from 2026-01-01, with extra DAG keys.
func triggerDag(id, keys string) string {
	return fmt.Sprintf("dag_id: %s\nschedule: \"0 0 * * *\"\nstart_date: 2026-01-01\nis_paused_upon_creation: false\n%stasks:\n  - {id: t, module: modules/echo.wasm}\n", id, keys)
}

// runsOf lists a DAG's runs as "logical date [interval start, interval end]", oldest first.
func runsOf(t *testing.T, rg *rig, dagID string) []string {
	t.Helper()
	runs, err := rg.store.ListDagRuns(context.Background(), dagID, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range runs {
		if r.RunType != "scheduled" {
			continue
		}
		out = append(out, fmt.Sprintf("%s [%s, %s]", r.LogicalDate.UTC().Format("01-02T15"),
			r.DataIntervalStart.UTC().Format("01-02T15"), r.DataIntervalEnd.UTC().Format("01-02T15")))
	}
	sort.Strings(out)
	return out
}

func wantRuns(t *testing.T, rg *rig, dagID string, want ...string) {
	t.Helper()
	if got := runsOf(t, rg, dagID); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s: runs\n got: %v\nwant: %v", dagID, got, want)
	}
}

// TestTriggerTimetable runs DAGs with timetable: trigger (Airflow's CronTriggerTimetable)
// through the scheduler on a stopped clock, picked up at 06:00 on 2026-01-05: a run at each
// midnight tick, its logical date the tick, with catchup on and off, with and without an
// interval, beside the default timetable, and again after a three-day pause.
func TestTriggerTimetable(t *testing.T) {
	clock := &testClock{now: time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)}
	rg := newRig(t, map[string]string{
		"tick_catchup":  triggerDag("tick_catchup", "timetable: trigger\ncatchup: true\n"),
		"tick_latest":   triggerDag("tick_latest", "timetable: trigger\n"),
		"tick_interval": triggerDag("tick_interval", "timetable: trigger\ninterval: 6h\n"),
		"data_interval": triggerDag("data_interval", ""),
	}, func(rg *rig) { rg.now = clock.Now })
	cs := countDagReads(rg.store)
	rg.restartWith(20*time.Millisecond, cs)
	rg.untilIdle()

	wantRuns(t, rg, "tick_catchup", "01-01T00 [01-01T00, 01-01T00]", "01-02T00 [01-02T00, 01-02T00]",
		"01-03T00 [01-03T00, 01-03T00]", "01-04T00 [01-04T00, 01-04T00]", "01-05T00 [01-05T00, 01-05T00]")
	wantRuns(t, rg, "tick_latest", "01-05T00 [01-05T00, 01-05T00]")
	wantRuns(t, rg, "tick_interval", "01-05T00 [01-04T18, 01-05T00]")
	// The default: the run for the day that has passed, dated at its start.
	wantRuns(t, rg, "data_interval", "01-04T00 [01-04T00, 01-05T00]")

	// next_dagrun is the next tick; its data interval ends there.
	d, err := rg.store.GetDag(context.Background(), "tick_interval")
	if err != nil {
		t.Fatal(err)
	}
	next := time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC)
	if d.NextDagrun == nil || !d.NextDagrun.Equal(next) || d.NextDataIntervalStart == nil || !d.NextDataIntervalStart.Equal(next.Add(-6*time.Hour)) ||
		d.NextDagrunCreateAfter == nil || !d.NextDagrunCreateAfter.Equal(next) {
		t.Errorf("next_dagrun %v, data interval start %v, create after %v; want %v, %v, %v",
			d.NextDagrun, d.NextDataIntervalStart, d.NextDagrunCreateAfter, next, next.Add(-6*time.Hour), next)
	}

	// Paused from the 5th to the 8th at 06:00: with catchup every missed tick runs on unpause,
	// without it only the latest tick (the 6th and 7th are skipped).
	for _, id := range []string{"tick_catchup", "tick_latest"} {
		if err := rg.store.SetPaused(context.Background(), id, true); err != nil {
			t.Fatal(err)
		}
	}
	rg.untilCount(&cs.listDags, cs.listDags.Load()+2, "polls") // the scheduler has seen the pause
	clock.Add(72 * time.Hour)
	rg.sched.Wake()
	rg.untilIdle()
	wantRuns(t, rg, "tick_latest", "01-05T00 [01-05T00, 01-05T00]")
	for _, id := range []string{"tick_catchup", "tick_latest"} {
		if err := rg.store.SetPaused(context.Background(), id, false); err != nil {
			t.Fatal(err)
		}
	}
	rg.untilCount(&cs.listDags, cs.listDags.Load()+2, "polls") // and the unpause
	rg.sched.Wake()
	rg.untilIdle()
	wantRuns(t, rg, "tick_latest", "01-05T00 [01-05T00, 01-05T00]", "01-08T00 [01-08T00, 01-08T00]")
	wantRuns(t, rg, "tick_catchup", "01-01T00 [01-01T00, 01-01T00]", "01-02T00 [01-02T00, 01-02T00]",
		"01-03T00 [01-03T00, 01-03T00]", "01-04T00 [01-04T00, 01-04T00]", "01-05T00 [01-05T00, 01-05T00]",
		"01-06T00 [01-06T00, 01-06T00]", "01-07T00 [01-07T00, 01-07T00]", "01-08T00 [01-08T00, 01-08T00]")
	// Never paused but its clock jumped three days: without catchup, the latest tick only.
	wantRuns(t, rg, "tick_interval", "01-05T00 [01-04T18, 01-05T00]", "01-08T00 [01-07T18, 01-08T00]")

	// A backfill makes a run per tick, dated at the tick, and none for a tick that has one.
	created, err := rg.sched.Backfill(context.Background(), "tick_interval", time.Date(2026, 1, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC), "test")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range created {
		got = append(got, fmt.Sprintf("%s [%s, %s]", r.LogicalDate.UTC().Format("01-02T15"), r.DataIntervalStart.UTC().Format("01-02T15"), r.DataIntervalEnd.UTC().Format("01-02T15")))
	}
	if want := "[01-04T00 [01-03T18, 01-04T00] 01-06T00 [01-05T18, 01-06T00]]"; fmt.Sprint(got) != want {
		t.Errorf("backfill created %v, want %s", got, want)
	}
	rg.untilIdle()
}
