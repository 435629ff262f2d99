package api

import (
	"net/http"

	"github.com/wasmflow/wasmflow/app"
)

// runNoted is a run with its note: the answer of setNote (GET dagRuns does not read notes).
type runNoted struct {
	app.RunInfo
	Note *string `json:"note"`
}

type tiNoted struct {
	app.TaskInstanceInfo
	Note *string `json:"note"`
}

func noteOf(r *http.Request) (string, error) {
	var body struct {
		Note *string `json:"note"`
	}
	if err := decode(r, &body); err != nil {
		return "", err
	}
	if body.Note == nil {
		return "", badRequest(`send {"note": "..."}: the note to set`)
	}
	return *body.Note, nil
}

// setRunNote is Airflow's PATCH dagRuns/{dag_run_id}/setNote.
func (s *Server) setRunNote(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	note, err := noteOf(r)
	if err != nil {
		return nil, err
	}
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	if err := s.app.SetRunNote(r.Context(), p.actor(), run.DagID, run.RunID, note); err != nil {
		return nil, err
	}
	stored, err := s.app.Store.RunNote(r.Context(), run.DagID, run.RunID)
	if err != nil {
		return nil, err
	}
	return runNoted{RunInfo: app.RunInfoOf(run), Note: stored}, nil
}

// setTINote is Airflow's PATCH taskInstances/{task_id}/setNote and .../{map_index}/setNote.
func (s *Server) setTINote(_ http.ResponseWriter, r *http.Request, p principal) (any, error) {
	note, err := noteOf(r)
	if err != nil {
		return nil, err
	}
	_, ti, err := s.taskInstance(r)
	if err != nil {
		return nil, err
	}
	if err := s.app.SetTINote(r.Context(), p.actor(), ti.Key(), note); err != nil {
		return nil, err
	}
	stored, err := s.app.Store.TINote(r.Context(), ti.Key())
	if err != nil {
		return nil, err
	}
	return tiNoted{TaskInstanceInfo: app.TaskInstanceInfoOf(ti), Note: stored}, nil
}
