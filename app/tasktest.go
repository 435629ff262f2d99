package app

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
	"github.com/wasmflow/wasmflow/tasks/operators"
)

// TaskTest is one in-process run of one task, as `airflow tasks test`: nothing is recorded
// in the metastore.
type TaskTest struct {
	DagID, TaskID string
	LogicalDate   time.Time         // zero: now
	Conf          map[string]any    // overrides the DAG's params
	XComs         map[string]string // upstream XComs the task's templates and xcom_pull see, by "task" or "task.key"
	// NoRecorded keeps the XComs a recorded run of the logical date has out of the test: only
	// XComs are seen.
	NoRecorded bool
}

// TaskTestResult is how the test ended.
type TaskTestResult struct {
	State    tasks.TaskInstanceState `json:"state"`
	Reason   string                  `json:"reason,omitempty"`
	ExitCode *int                    `json:"exit_code,omitempty"`
	Duration time.Duration           `json:"duration"`
	XComs    map[string]string       `json:"xcoms,omitempty"`
	Follow   []string                `json:"follow,omitempty"` // a branch's chosen tasks
	Module   string                  `json:"module_sha256,omitempty"`
	Calls    []scheduler.Call        `json:"calls,omitempty"` // granted I/O, made or refused
	// XComsFrom is the recorded run whose upstream XComs the test read (under the given ones).
	XComsFrom string `json:"xcoms_from_run,omitempty"`
}

// Runner returns the process's task runtime, created on first use with its compilation cache
// in the home's cache folder.
func (a *App) Runner(ctx context.Context) (*runtime.Runner, error) {
	if a.runner != nil {
		return a.runner, nil
	}
	host, _ := os.Hostname()
	// The tries' scratch space (/xcom) lives in the home, not the machine's /tmp: it is swept
	// at the next start after a crash, and a task's XComs are not left where other users look.
	scratch := filepath.Join(a.Config.CacheFolder(), "tmp")
	if err := os.MkdirAll(scratch, 0o700); err != nil {
		return nil, fmt.Errorf("start the task runtime: %w", err)
	}
	r, err := runtime.New(ctx, runtime.Config{CacheDir: filepath.Join(a.Config.CacheFolder(), "modules"), Hostname: host,
		MaxTaskMemory: a.Config.Core.MaxTaskMemory, MountQuota: a.Config.Core.MountQuota, TempDir: scratch,
		Pooled: operators.PooledDigests()}) // warm instances of `operator: script`'s module
	if err != nil {
		return nil, fmt.Errorf("start the task runtime: %w", err)
	}
	a.runner = r
	a.serveExamplesAPI(ctx)
	return r, nil
}

// TestTask runs one task of a DAG in this process and writes its log to log.
func (a *App) TestTask(ctx context.Context, tt TaskTest, log io.Writer) (TaskTestResult, error) {
	d, err := a.ParsedDag(ctx, tt.DagID)
	if err != nil {
		return TaskTestResult{}, err
	}
	if _, err := d.ResolveParams(tt.Conf); err != nil {
		return TaskTestResult{}, err
	}
	t := d.Task(tt.TaskID)
	if t == nil {
		return TaskTestResult{}, fmt.Errorf("DAG %s has no task %q: `wasmflow tasks list %s` lists them", tt.DagID, tt.TaskID, tt.DagID)
	}
	ld := tt.LogicalDate
	if ld.IsZero() {
		ld = time.Now().UTC().Truncate(time.Second)
	}
	recorded := a.recordedRun(ctx, tt, ld, log)
	var tis []scheduler.TaskInstance // the recorded run's: what task_state answers
	if recorded != "" {
		if tis, err = a.Store.ListTaskInstances(ctx, tt.DagID, recorded); err != nil {
			return TaskTestResult{}, err
		}
	}
	// The expression functions are the scheduler's, reading the recorded run (none: nothing);
	// the run itself is the test's.
	tc := scheduler.RunContext(ctx, a.Store, d, scheduler.DagRun{DagID: tt.DagID, RunID: recorded}, tis)
	tc.RunID, tc.TryNumber, tc.LogicalDate, tc.Conf = "test__"+ld.Format(time.RFC3339), 1, ld, tt.Conf
	tc.DataIntervalStart, tc.DataIntervalEnd = ld, ld
	lookup := tc.XCom
	tc.XCom = func(taskID string, key ...string) any { // --xcom first
		if v, ok := tt.XComs[xcomFlagKey(taskID, key...)]; ok {
			return v
		}
		return lookup(taskID, key...)
	}
	env, _, err := tc.Env(d, t)
	if err != nil {
		return TaskTestResult{}, err
	}
	if t.RunIf != nil {
		ok, err := t.RunIf.EvalBool(env)
		if err != nil {
			return TaskTestResult{State: tasks.StateFailed, Reason: err.Error()}, nil
		}
		if !ok {
			fmt.Fprintf(log, "[wasmflow] run_if %q is false: the task is skipped\n", t.RunIf.Source)
			return TaskTestResult{State: tasks.StateSkipped, Reason: "run_if is false"}, nil
		}
	}
	switch {
	case t.Module == "" && t.IsSensor():
		ok, err := t.Sensor.Condition.EvalBool(env)
		switch {
		case err != nil:
			return TaskTestResult{State: tasks.StateFailed, Reason: err.Error()}, nil
		case ok:
			fmt.Fprintf(log, "[wasmflow] sensor %q is true\n", t.Sensor.Condition.Source)
			return TaskTestResult{State: tasks.StateSuccess}, nil
		}
		fmt.Fprintf(log, "[wasmflow] sensor %q is false: the scheduler would poke again in %s\n", t.Sensor.Condition.Source, t.Sensor.PokeInterval)
		return TaskTestResult{State: tasks.StateUpForReschedule, Reason: "sensor condition not met"}, nil
	case t.Module == "" && t.IsBranch():
		v, err := t.Branch.Eval(env)
		if err != nil {
			return TaskTestResult{State: tasks.StateFailed, Reason: err.Error()}, nil
		}
		return branchResult(t, v, log), nil
	}

	w, err := scheduler.RenderWorkload(d, t, tc)
	if err != nil {
		return TaskTestResult{State: tasks.StateFailed, Reason: err.Error()}, nil
	}
	if w.Timeout == 0 { // as the scheduler runs it
		w.Timeout = a.Config.Core.DefaultTaskExecutionTimeout
	}
	if !w.Grants.Empty() {
		if w.Connections, err = scheduler.ResolveGrants(ctx, a.Store, w.Grants); err != nil {
			return TaskTestResult{State: tasks.StateFailed, Reason: err.Error()}, nil
		}
	}
	r, err := a.Runner(ctx)
	if err != nil {
		return TaskTestResult{}, err
	}
	res, err := cluster.RunWorkload(ctx, r, w, log, func(taskID, key string) ([]byte, bool) {
		if v, ok := tt.XComs[xcomFlagKey(taskID, key)]; ok {
			return []byte(v), true
		}
		if recorded != "" { // as the scheduler answers a module's xcom_pull
			if x, err := a.Store.GetXCom(ctx, tt.DagID, recorded, taskID, key); err == nil {
				return x.Value, true
			}
		}
		return nil, false
	})
	if err != nil {
		return TaskTestResult{}, err
	}
	out := TaskTestResult{Reason: res.Reason, Duration: res.Duration, Module: res.ModuleSHA256, XComs: map[string]string{}, Calls: cluster.Calls(res.Calls), XComsFrom: recorded}
	if res.ExitCode >= 0 {
		code := res.ExitCode
		out.ExitCode = &code
	}
	for k, v := range res.XComs {
		out.XComs[k] = string(v)
	}
	switch res.State {
	case runtime.StateSuccess:
		out.State = tasks.StateSuccess
		if t.IsBranch() {
			b := branchResult(t, scheduler.ParseBranchValue(out.XComs["return_value"]), log)
			out.State, out.Follow, out.Reason = b.State, b.Follow, b.Reason
		}
	case runtime.StateSkipped:
		out.State = tasks.StateSkipped
	case runtime.StateSensorNotMet:
		out.State, out.Reason = tasks.StateUpForReschedule, "sensor not met (exit 100)"
		if !t.IsSensor() {
			out.State, out.Reason = tasks.StateFailed, "exit_code 100 (only sensors may exit 100: add `sensor: true`)"
		}
	default:
		out.State = tasks.StateFailed
	}
	return out, nil
}

// xcomFlagKey is how --xcom names an XCom: "task" for its return_value, else "task.key".
func xcomFlagKey(taskID string, key ...string) string {
	if len(key) > 0 && key[0] != "return_value" {
		return taskID + "." + key[0]
	}
	return taskID
}

// recordedRun is the run of the DAG recorded at the test's logical date, as Airflow's `tasks
// test` uses: the upstream XComs it holds are what the test reads where --xcom gives none. ""
// when there is none (or the test asked for none); the log says which run it is.
func (a *App) recordedRun(ctx context.Context, tt TaskTest, ld time.Time, log io.Writer) string {
	if tt.NoRecorded {
		return ""
	}
	run, err := a.runAt(ctx, tt.DagID, ld)
	if err != nil {
		return ""
	}
	fmt.Fprintf(log, "[wasmflow] upstream XComs from the recorded run %s (logical date %s); --xcom overrides them\n",
		run.RunID, ld.UTC().Format(time.RFC3339))
	return run.RunID
}

// branchResult checks what a branch chose against its direct downstream tasks.
func branchResult(t *tasks.Task, v any, log io.Writer) TaskTestResult {
	ids, err := scheduler.BranchIDs(v)
	if err != nil {
		return TaskTestResult{State: tasks.StateFailed, Reason: err.Error()}
	}
	for _, id := range ids {
		if !slices.Contains(t.Downstream, id) {
			return TaskTestResult{State: tasks.StateFailed, Reason: fmt.Sprintf("branch chose %q, which is not a direct downstream task of %s (%s)", id, t.TaskID, strings.Join(t.Downstream, ", "))}
		}
	}
	var skipped []string
	for _, d := range t.Downstream {
		if !slices.Contains(ids, d) {
			skipped = append(skipped, d)
		}
	}
	sort.Strings(skipped)
	fmt.Fprintf(log, "[wasmflow] branch follows %v and skips %v\n", ids, skipped)
	return TaskTestResult{State: tasks.StateSuccess, Follow: ids}
}
