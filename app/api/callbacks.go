package api

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/wasmflow/wasmflow/scheduler"
)

// callbackJSON is one callback request of a run: which event raised it, whether it ran, and
// where its log is.
type callbackJSON struct {
	CallbackID int64      `json:"callback_id"`
	DagID      string     `json:"dag_id"`
	DagRunID   string     `json:"dag_run_id"`
	TaskID     *string    `json:"task_id"` // null for the run's own events
	MapIndex   int        `json:"map_index"`
	Event      string     `json:"event"`
	TryNumber  int        `json:"try_number"`
	State      string     `json:"state"`
	Reason     string     `json:"reason"`
	CreatedAt  time.Time  `json:"created_at"`
	DoneAt     *time.Time `json:"done_at"`
	Error      string     `json:"error"`
	Hostname   string     `json:"hostname"`
	LogURL     string     `json:"log_url"`
}

func callbackOf(c scheduler.CallbackRequest) callbackJSON {
	out := callbackJSON{CallbackID: c.ID, DagID: c.DagID, DagRunID: c.RunID, MapIndex: c.MapIndex, Event: c.Event, TryNumber: c.TryNumber,
		State: c.State, Reason: c.Reason, CreatedAt: c.CreatedAt, DoneAt: c.DoneAt, Error: c.Error, Hostname: c.Hostname,
		LogURL: "/api/v1/dags/" + url.PathEscape(c.DagID) + "/dagRuns/" + url.PathEscape(c.RunID) + "/callbacks/" + strconv.FormatInt(c.ID, 10) + "/log"}
	if c.TaskID != "" {
		id := c.TaskID
		out.TaskID = &id
	}
	return out
}

// callbacks lists a run's callback requests, oldest first: a wasmflow addition (Airflow keeps
// no record of its callbacks but their log lines).
func (s *Server) callbacks(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	reqs, err := s.app.Store.ListCallbacks(r.Context(), run.DagID, run.RunID)
	if err != nil {
		return nil, err
	}
	if task := r.URL.Query().Get("task_id"); task != "" {
		kept := reqs[:0]
		for _, c := range reqs {
			if c.TaskID == task {
				kept = append(kept, c)
			}
		}
		reqs = kept
	}
	out := make([]callbackJSON, len(reqs))
	for i, c := range reqs {
		out[i] = callbackOf(c)
	}
	return callbackCollection{Callbacks: out, TotalEntries: len(out)}, nil
}

// callbackLog answers the log of one callback's run, masked as try logs are.
func (s *Server) callbackLog(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	run, err := s.run(r)
	if err != nil {
		return nil, err
	}
	id, err := strconv.ParseInt(r.PathValue("callback_id"), 10, 64)
	if err != nil {
		return nil, badRequest("callback_id must be a number, not %q", r.PathValue("callback_id"))
	}
	reqs, err := s.app.Store.ListCallbacks(r.Context(), run.DagID, run.RunID)
	if err != nil {
		return nil, err
	}
	for _, c := range reqs {
		if c.ID != id {
			continue
		}
		f, err := os.Open(scheduler.CallbackLogPath(s.app.Config.LogsFolder(), c))
		if err != nil {
			if c.DoneAt == nil {
				return nil, notFound("callback %d of run %s has not run yet", id, run.RunID)
			}
			return nil, notFound("no log for callback %d of run %s: %v", id, run.RunID, err)
		}
		defer f.Close()
		secrets, err := s.app.LogSecrets(r.Context())
		if err != nil {
			return nil, err
		}
		text, _, err := newMaskedLog(f, secrets).read(0, 16<<20, c.DoneAt != nil)
		if err != nil {
			return nil, err
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, text)
		return nil, nil
	}
	return nil, notFound("run %s of %s has no callback %d", run.RunID, run.DagID, id)
}

// slaMissJSON is one SLA miss: Airflow's SlaMiss, with the run it is of. task_id is null for a
// run that missed its DAG's deadline.
type slaMissJSON struct {
	DagID       string    `json:"dag_id"`
	DagRunID    string    `json:"dag_run_id"`
	TaskID      *string   `json:"task_id"`
	LogicalDate time.Time `json:"execution_date"`
	SLA         float64   `json:"sla"` // seconds from the run's start
	Timestamp   time.Time `json:"timestamp"`
	Description string    `json:"description"`
}

// slaMisses lists SLA misses newest first, of one DAG with ?dag_id: a wasmflow addition, as
// Airflow 2.5's API has no such route.
func (s *Server) slaMisses(_ http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	p, err := pageOf(r)
	if err != nil {
		return nil, err
	}
	ms, total, err := s.app.Store.ListSLAMisses(r.Context(), r.URL.Query().Get("dag_id"), p.limit, p.offset)
	if err != nil {
		return nil, err
	}
	out := make([]slaMissJSON, len(ms))
	for i, m := range ms {
		out[i] = slaMissJSON{DagID: m.DagID, DagRunID: m.RunID, LogicalDate: m.LogicalDate, SLA: m.SLA.Seconds(), Timestamp: m.Timestamp, Description: m.Description}
		if m.TaskID != "" {
			id := m.TaskID
			out[i].TaskID = &id
		}
	}
	return slaMissCollection{SLAMisses: out, TotalEntries: int(total)}, nil
}
