package api

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
)

// patchDags is Airflow's PATCH /dags: pause or unpause every DAG dag_id_pattern matches (and
// tags, only_active, as GET /dags filters), answering them as they are after. The pattern
// is required, as Airflow's is: "~" names every DAG, so a bulk change is always asked for.
func (s *Server) patchDags(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	var body struct {
		IsPaused *bool `json:"is_paused"`
	}
	if err := decode(r, &body); err != nil {
		return nil, err
	}
	if _, err := maskOf(r, []string{"is_paused"}, func(string) bool { return body.IsPaused != nil }); err != nil {
		return nil, err
	}
	if body.IsPaused == nil {
		return nil, badRequest(`send {"is_paused": true} or {"is_paused": false}: it is the only field PATCH /dags changes`)
	}
	if !r.URL.Query().Has("dag_id_pattern") {
		return nil, badRequest(`dag_id_pattern is required: the DAGs whose id contains it change ("~" for every DAG)`)
	}
	if r.URL.Query().Get("dag_id_pattern") == "~" {
		q := r.URL.Query()
		q.Del("dag_id_pattern")
		r.URL.RawQuery = q.Encode()
	}
	dags, _, err := s.dagList(r)
	if err != nil {
		return nil, err
	}
	out := dagCollection{Dags: make([]dagJSON, 0, len(dags))}
	for _, d := range dags {
		if err := s.app.SetPaused(r.Context(), p.actor(), d.DagID, *body.IsPaused); err != nil {
			return nil, err
		}
		d.IsPaused = *body.IsPaused
		out.Dags = append(out.Dags, s.newDagJSON(d))
	}
	out.TotalEntries = len(out.Dags)
	return out, nil
}

// deleteDag is Airflow's DELETE /dags/{dag_id}: the DAG's runs with their task instances,
// tries and XComs go; the file stays (so the DAG stays listed), the logs too.
func (s *Server) deleteDag(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	if _, err := s.app.DeleteDag(r.Context(), p.actor(), r.PathValue("dag_id")); err != nil {
		return nil, lockedConflict(err)
	}
	return noContent{}, nil
}

// lockedConflict makes "a scheduler drives these runs" a 409: the request was right, the
// moment is not.
func lockedConflict(err error) error {
	if le := (*app.LockedError)(nil); errors.As(err, &le) {
		return &httpError{http.StatusConflict, err.Error()}
	}
	return err
}

func (s *Server) getTask(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	d, err := s.app.ParsedDag(r.Context(), r.PathValue("dag_id"))
	if err != nil {
		return nil, err
	}
	t := d.Task(r.PathValue("task_id"))
	if t == nil {
		return nil, fmt.Errorf("DAG %s has no task %q (GET /api/v1/dags/%s/tasks lists them): %w", d.DagID, r.PathValue("task_id"), d.DagID, scheduler.ErrNotFound)
	}
	return newTaskInfo(t), nil
}

// dagWarning is Airflow's DagWarning; wasmflow records none (a DAG file that does not load
// is an import error), so the list is always empty.
type dagWarning struct {
	DagID       string    `json:"dag_id"`
	WarningType string    `json:"warning_type"`
	Message     string    `json:"message"`
	Timestamp   time.Time `json:"timestamp"`
}

type dagWarningCollection struct {
	DagWarnings  []dagWarning `json:"dag_warnings"`
	TotalEntries int          `json:"total_entries"`
}

func (s *Server) dagWarnings(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	if _, err := pageOf(r); err != nil {
		return nil, err
	}
	return dagWarningCollection{DagWarnings: []dagWarning{}}, nil
}
