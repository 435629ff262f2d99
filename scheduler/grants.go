package scheduler

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasmflow/wasmflow/tasks"
)

// ConnectionGetter is what resolving grants needs of the metastore (RunStore has it).
type ConnectionGetter interface {
	GetConnection(ctx context.Context, connID string) (tasks.Connection, error)
}

// MissingConnectionError fails a try whose task grants a connection that no longer exists:
// the DAG parsed while it did, and it was deleted since.
type MissingConnectionError struct{ ConnID string }

func (e *MissingConnectionError) Error() string {
	return fmt.Sprintf("connection %q does not exist (deleted since the DAG was parsed?): add it again with "+
		"`wasmflow connections add %s --conn-type TYPE ...` or in the UI (Admin > Connections), "+
		"or remove it from the task's grants", e.ConnID, e.ConnID)
}

// ResolveGrants reads, at the start of a try, every connection its grants name (connections
// and secrets), by conn_id. A connection that is gone is a *MissingConnectionError naming it;
// the try must fail with that reason rather than run without it.
func ResolveGrants(ctx context.Context, store ConnectionGetter, g tasks.Grants) (map[string]tasks.Connection, error) {
	out := map[string]tasks.Connection{}
	for _, id := range append(append([]string{}, g.Connections...), g.Secrets...) {
		if _, done := out[id]; done {
			continue
		}
		c, err := store.GetConnection(ctx, id)
		if errors.Is(err, ErrNotFound) {
			return nil, &MissingConnectionError{ConnID: id}
		}
		if err != nil {
			return nil, fmt.Errorf("resolve the task's grants: %w", err)
		}
		out[id] = c
	}
	return out, nil
}
