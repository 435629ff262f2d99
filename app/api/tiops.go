package api

import (
	"fmt"
	"net/http"

	"github.com/wasmflow/wasmflow/scheduler"
)

// getXCom is Airflow's GET xcomEntries/{xcom_key}: one XCom of the task instance (map_index
// in the query names a mapped task's instance).
func (s *Server) getXCom(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	run, ti, err := s.taskInstance(r)
	if err != nil {
		return nil, err
	}
	key := r.PathValue("xcom_key")
	xs, err := s.app.Store.ListXComs(r.Context(), run.DagID, run.RunID, ti.TaskID)
	if err != nil {
		return nil, err
	}
	for _, x := range xs {
		if x.MapIndex == ti.MapIndex && x.Key == key {
			return xcomEntryOf(x), nil
		}
	}
	return nil, fmt.Errorf("task instance %s of run %s of %s pushed no XCom %q (its xcomEntries lists them): %w", ti.TaskID, run.RunID, run.DagID, key, scheduler.ErrNotFound)
}

// extraLink is Airflow's ExtraLink: a link an operator adds to its task instances' page.
type extraLink struct {
	Name string `json:"name"`
	Href string `json:"href"`
}

type extraLinkCollection struct {
	ExtraLinks []extraLink `json:"extra_links"`
}

// links is Airflow's GET taskInstances/{task_id}/links: no operator here adds links, so the
// list of a task instance that exists is empty.
func (s *Server) links(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	if _, _, err := s.taskInstance(r); err != nil {
		return nil, err
	}
	return extraLinkCollection{ExtraLinks: []extraLink{}}, nil
}
