package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/wasmflow/wasmflow/cluster"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// Rendered is what a task instance's module gets, rendered for its run: what the task
// instance page shows as "rendered".
type Rendered struct {
	Module string            `json:"module"`
	Args   []string          `json:"args"`
	Env    map[string]string `json:"env"`
	Stdin  string            `json:"stdin,omitempty"`
	Mounts []string          `json:"mounts,omitempty"` // host:guest[:ro], the host side rendered
	Error  string            `json:"error,omitempty"`  // a template that does not render yet (an XCom not pushed, say)

	// secrets are the Variable values the render used: Masked hides them.
	secrets *tasks.Secrets
}

// Masked returns the render with every value that came from a Variable replaced by "***", as
// it is shown to roles that may not read Variables (below Op).
func (r Rendered) Masked() Rendered {
	if r.secrets.Len() == 0 {
		return r
	}
	mask := r.secrets.Mask
	out := Rendered{Module: r.Module, Args: make([]string, len(r.Args)), Env: make(map[string]string, len(r.Env)),
		Stdin: mask(r.Stdin), Error: mask(r.Error)}
	for i, a := range r.Args {
		out.Args[i] = mask(a)
	}
	for k, v := range r.Env {
		out.Env[k] = mask(v)
	}
	for _, m := range r.Mounts {
		out.Mounts = append(out.Mounts, mask(m))
	}
	return out
}

// Render renders the task's args and env for a run, with the XComs and variables as they are
// now (the try itself rendered them when it started).
func (a *App) Render(ctx context.Context, run scheduler.DagRun, taskID string) (Rendered, error) {
	d, err := a.ParsedDag(ctx, run.DagID)
	if err != nil {
		return Rendered{}, err
	}
	t := d.Task(taskID)
	if t == nil {
		return Rendered{}, fmt.Errorf("DAG %s has no task %q: %w", run.DagID, taskID, scheduler.ErrNotFound)
	}
	if t.Module == "" {
		return Rendered{Args: []string{}, Env: map[string]string{}}, nil
	}
	tis, err := a.Store.ListTaskInstances(ctx, run.DagID, run.RunID)
	if err != nil {
		return Rendered{}, err
	}
	try := 1
	for _, ti := range tis {
		if ti.TaskID == taskID && ti.TryNumber > 0 {
			try = ti.TryNumber
		}
	}
	tc := scheduler.RunContext(ctx, a.Store, d, run, tis)
	tc.TryNumber, tc.Now = try, time.Now
	w, err := scheduler.RenderWorkload(d, t, tc)
	if err != nil {
		return Rendered{Module: t.Module, Args: []string{}, Env: map[string]string{}, Error: err.Error(), secrets: w.Secrets}, nil
	}
	out := Rendered{Module: t.Module, Args: append([]string{}, w.Args...), Env: w.Env, Stdin: w.Stdin, secrets: w.Secrets}
	for _, m := range w.Mounts {
		spec := m.Host + ":" + m.Guest
		if m.ReadOnly {
			spec += ":ro"
		}
		out.Mounts = append(out.Mounts, spec)
	}
	return out, nil
}

// WhyNotRunning says, per task instance of a run that waits, why it does not run yet: what
// the scheduler of this process knows (slots, pools, dependencies; nothing without one), and
// whether the DAG is paused.
func (a *App) WhyNotRunning(ctx context.Context, dagID, runID string) (map[string]string, error) {
	why := map[string]string{}
	if s := a.sched.Load(); s != nil {
		got, err := s.WhyNotRunning(ctx, dagID, runID)
		if err != nil && !errors.Is(err, scheduler.ErrNotFound) { // not found: a finished run, nothing waits
			return nil, err
		}
		for k, v := range got {
			why[k] = v
		}
	}
	// The scheduler does not look at a paused DAG's runs at all, so it has no reason for them;
	// the most common "why does nothing happen" is exactly that, so say it.
	if err := a.pausedReasons(ctx, dagID, runID, why); err != nil {
		return nil, err
	}
	return why, nil
}

// pausedReasons adds, for a run that waits because its DAG is paused (or gone), that reason
// to every unfinished task instance that has none. Backfills and `dags test` runs are run
// even when the DAG is paused, as in Airflow.
func (a *App) pausedReasons(ctx context.Context, dagID, runID string, why map[string]string) error {
	d, err := a.Store.GetDag(ctx, dagID)
	if err != nil || (!d.IsPaused && d.IsActive) {
		return nil
	}
	run, err := a.Store.GetDagRun(ctx, dagID, runID)
	if err != nil || run.State.Finished() || run.RunType == "backfill" || run.RunType == "test" {
		return nil
	}
	reason := fmt.Sprintf("the DAG %s is paused: its runs wait until it is unpaused", dagID)
	if !d.IsActive {
		reason = fmt.Sprintf("the DAG %s is no longer in the DAGs folder (or its file does not parse): its runs cannot go on", dagID)
	}
	tis, err := a.Store.ListTaskInstances(ctx, dagID, runID)
	if err != nil {
		return err
	}
	for _, ti := range tis {
		if !ti.State.Finished() && why[ti.TaskID] == "" {
			why[ti.TaskID] = reason
		}
	}
	return nil
}

// Cluster is the cluster executor this process dispatches through, nil when it runs tries
// only itself (standalone).
func (a *App) Cluster() *cluster.RemoteExecutor { return a.executor.Load() }

// Scheduling reports whether this process runs the scheduler.
func (a *App) Scheduling() bool { return a.sched.Load() != nil }
