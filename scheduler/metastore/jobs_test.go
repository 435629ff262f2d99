package metastore

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// TestClaimRun: a run is taken over only from no owner, its own claimer, or a job not heard
// from since the deadline (or ended); of many claims at once on other connections (other
// processes, for SQLite), exactly one wins.
func TestClaimRun(t *testing.T) {
	url := testURL(t)
	s := openStore(t, url)
	ctx := t.Context()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, err := s.StartJob(ctx, "host-a", t0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := s.StartJob(ctx, "host-b", t0)
	seedRun(t, s, "etl", "r1", 1)
	claim := func(job int64, deadBefore time.Time) bool {
		t.Helper()
		ok, err := s.ClaimRun(ctx, job, "etl", "r1", deadBefore)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !claim(a, t0.Add(-time.Minute)) {
		t.Fatal("a run without an owner was not claimed")
	}
	if !claim(a, t0.Add(-time.Minute)) {
		t.Error("the owner's own claim was refused")
	}
	if claim(b, t0.Add(-time.Minute)) {
		t.Fatal("a run of a live job was taken over")
	}
	if err := s.Heartbeat(ctx, a, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if claim(b, t0.Add(30*time.Second)) {
		t.Fatal("a run was taken over from a job that heartbeat after the deadline")
	}
	if !claim(b, t0.Add(2*time.Minute)) {
		t.Fatal("a run of a job not heard from since the deadline was not taken over")
	}
	if run, _ := s.GetDagRun(ctx, "etl", "r1"); run.OwnerJobID != b {
		t.Errorf("owner = %d, want %d", run.OwnerJobID, b)
	}

	// EndJob releases b's runs at once; several claimers race for r1.
	if err := s.EndJob(ctx, b, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if run, _ := s.GetDagRun(ctx, "etl", "r1"); run.OwnerJobID != 0 {
		t.Errorf("owner after EndJob = %d, want none", run.OwnerJobID)
	}
	if err := s.Heartbeat(ctx, b, t0.Add(time.Hour)); err == nil {
		t.Error("an ended job heartbeat")
	}
	var wins sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := 0; i < 4; i++ {
		other := openStore(t, url)
		job, _ := other.StartJob(ctx, "racer", t0)
		wins.Add(1)
		go func() {
			defer wins.Done()
			ok, err := other.ClaimRun(ctx, job, "etl", "r1", t0.Add(-time.Minute))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		}()
	}
	wins.Wait()
	if won != 1 {
		t.Errorf("%d claims of one run won, want 1", won)
	}
	jobs, err := s.ListJobs(ctx)
	if err != nil || len(jobs) != 6 || jobs[len(jobs)-1].Hostname != "host-a" || jobs[len(jobs)-2].State != scheduler.JobEnded {
		t.Errorf("jobs = %+v, %v", jobs, err)
	}
}

// TestSaveRefusesAnotherOwnersRuns: changes that name a job write nothing when a run they
// touch is owned by another job, and say which runs.
func TestSaveRefusesAnotherOwnersRuns(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	now := time.Now()
	a, _ := s.StartJob(ctx, "a", now)
	b, _ := s.StartJob(ctx, "b", now)
	mine := seedRun(t, s, "etl", "mine", 1)
	theirs := seedRun(t, s, "etl", "theirs", 1)
	for run, job := range map[string]int64{"mine": a, "theirs": b} {
		if ok, err := s.ClaimRun(ctx, job, "etl", run, now.Add(-time.Minute)); !ok || err != nil {
			t.Fatalf("claim %s: %v %v", run, ok, err)
		}
	}
	tiMine, _ := s.ListTaskInstances(ctx, "etl", "mine")
	tiTheirs, _ := s.ListTaskInstances(ctx, "etl", "theirs")
	tiMine[0].State, tiTheirs[0].State = tasks.StateRunning, tasks.StateRunning
	mine.State, theirs.State = tasks.RunRunning, tasks.RunRunning
	err := s.Save(ctx, scheduler.Changes{Owner: a, Runs: []scheduler.DagRun{mine}, TaskInstances: []scheduler.TaskInstance{tiMine[0], tiTheirs[0]}})
	var refused *scheduler.NotOwnerError
	if !errors.As(err, &refused) || len(refused.Runs) != 1 || refused.Runs[0].RunID != "theirs" {
		t.Fatalf("Save = %v, want a NotOwnerError for run theirs", err)
	}
	if got, _ := s.ListTaskInstances(ctx, "etl", "mine"); got[0].State != tasks.StateNone {
		t.Errorf("a refused Save wrote %s", got[0].State)
	}
	if err := s.Save(ctx, scheduler.Changes{Owner: a, Runs: []scheduler.DagRun{mine}, TaskInstances: []scheduler.TaskInstance{tiMine[0]}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetDagRun(ctx, "etl", "mine"); got.State != tasks.RunRunning {
		t.Errorf("run mine = %s after its owner's Save", got.State)
	}
	// A run created owned is its creator's; a second run for the same run_id is ErrExists.
	created, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: "etl", RunID: "new", OwnerJobID: b, LogicalDate: now}, nil)
	if err != nil || created.OwnerJobID != b {
		t.Fatalf("created %+v, %v", created, err)
	}
	if _, err := s.CreateDagRun(ctx, scheduler.DagRun{DagID: "etl", RunID: "new", OwnerJobID: a, LogicalDate: now}, nil); !errors.Is(err, scheduler.ErrExists) {
		t.Errorf("second create = %v, want ErrExists", err)
	}
}
