package api

import (
	"net/http"
	"strconv"
)

// The single items of Airflow's admin lists, and the lists wasmflow has nothing for.

// idParam reads a numeric path id such as event_log_id.
func idParam(r *http.Request, name string) (int64, error) {
	v := r.PathValue(name)
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("%s must be a whole number, not %q", name, v)
	}
	return id, nil
}

func (s *Server) getEventLog(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	id, err := idParam(r, "event_log_id")
	if err != nil {
		return nil, err
	}
	e, err := s.app.Store.GetAuditEvent(r.Context(), id)
	if err != nil {
		return nil, err
	}
	return eventLog{EventLogID: e.ID, When: e.When, Event: e.Event, Owner: e.Owner, DagID: e.DagID, RunID: e.RunID, TaskID: e.TaskID, Extra: e.Extra}, nil
}

func (s *Server) getImportError(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	id, err := idParam(r, "import_error_id")
	if err != nil {
		return nil, err
	}
	errs, err := s.app.ImportErrors(r.Context()) // a few files at most: no index needed
	if err != nil {
		return nil, err
	}
	for _, ie := range errs {
		if ie.ImportErrorID == id {
			return ie, nil
		}
	}
	return nil, notFound("import error %d not found: GET /api/v1/importErrors lists them (a file that loads again loses its error)", id)
}

// listPlugins and listProviders answer Airflow's shapes, empty: wasmflow has no plugins,
// and its operators are built in (GET /api/v1/operators lists them), not providers.
func (s *Server) listPlugins(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	if _, err := pageOf(r); err != nil {
		return nil, err
	}
	return pluginCollection{Plugins: []pluginInfo{}}, nil
}

func (s *Server) listProviders(http.ResponseWriter, *http.Request, principal) (any, error) {
	return providerCollection{Providers: []providerInfo{}}, nil
}
