package app

import (
	"context"
	"fmt"

	"github.com/wasmflow/wasmflow/scheduler"
)

// DeleteRun deletes one run with its task instances, tries and XComs, as Airflow's DELETE
// dagRuns/{dag_run_id}; its logs stay. A running scheduler holds runs in memory and would
// write it back, so, as for DeleteDag, none may drive the home.
func (a *App) DeleteRun(ctx context.Context, who Actor, dagID, runID string) error {
	if _, err := a.Store.GetDagRun(ctx, dagID, runID); err != nil {
		if _, derr := a.GetDag(ctx, dagID); derr != nil {
			return derr
		}
		return fmt.Errorf("DAG %s has no run %q: %w", dagID, runID, scheduler.ErrNotFound)
	}
	release, err := a.lockScheduling(false)
	if err != nil {
		return fmt.Errorf("delete run %s of %s: %w", runID, dagID, err)
	}
	defer release()
	if err := a.Store.DeleteDagRun(ctx, dagID, runID); err != nil {
		return err
	}
	a.audit(ctx, who, "dag_run.delete", scheduler.AuditEvent{DagID: dagID, RunID: runID})
	return nil
}
