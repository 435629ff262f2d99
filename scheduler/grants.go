package scheduler

import (
	"context"
	"encoding/json"
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

// resolveGrants gives a rendered try the connections its grants name. Their passwords and
// extras join the try's secrets, so whoever shows its log or render masks them.
func (s *Scheduler) resolveGrants(ctx context.Context, w *Workload) error {
	if len(w.Grants.Connections) == 0 && len(w.Grants.Secrets) == 0 {
		return nil
	}
	conns, err := ResolveGrants(context.WithoutCancel(ctx), s.cfg.Store, w.Grants)
	if err != nil {
		return err
	}
	for _, c := range conns {
		w.Secrets.Add(c.Password)
		for _, v := range extraSecrets(c.Extra) {
			w.Secrets.Add(v)
		}
	}
	w.Connections = conns
	return nil
}

// extraSecrets are the values of a connection's extra that hold secrets: those of sensitive
// keys ("token", "api_key", ...) and every header the host adds from extra["headers"].
func extraSecrets(extra string) []string {
	var m map[string]any
	if json.Unmarshal([]byte(extra), &m) != nil {
		return nil
	}
	var out []string
	for k, v := range m {
		switch x := v.(type) {
		case string:
			if tasks.SensitiveName(k) {
				out = append(out, x)
			}
		case map[string]any:
			if k == "headers" {
				for _, hv := range x {
					if s, ok := hv.(string); ok {
						out = append(out, s)
					}
				}
			}
		}
	}
	return out
}
