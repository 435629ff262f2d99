package app

import (
	"context"

	"github.com/wasmflow/wasmflow/scheduler"
)

// SetRunNote sets a run's note, as Airflow's setNote ("" keeps an empty note).
func (a *App) SetRunNote(ctx context.Context, who Actor, dagID, runID, note string) error {
	if err := a.Store.SetRunNote(ctx, dagID, runID, &note); err != nil {
		return err
	}
	a.audit(ctx, who, "dag_run.set_note", scheduler.AuditEvent{DagID: dagID, RunID: runID})
	return nil
}

// SetTINote sets a task instance's note.
func (a *App) SetTINote(ctx context.Context, who Actor, key scheduler.TIKey, note string) error {
	if err := a.Store.SetTINote(ctx, key, &note); err != nil {
		return err
	}
	a.audit(ctx, who, "task.set_note", scheduler.AuditEvent{DagID: key.DagID, RunID: key.RunID, TaskID: key.TaskID})
	return nil
}
