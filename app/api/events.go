package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wasmflow/wasmflow/app"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// pingEvery keeps idle streams open through proxies that close silent connections.
const pingEvery = 15 * time.Second

// sse starts a server-sent event stream on w.
func (s *Server) sse(w http.ResponseWriter) (func(event string, data any) error, error) {
	rc := http.NewResponseController(w)
	flush := func() error {
		// The desktop window's asset server (Wails) has no Flush: it writes each Write
		// through to the web view unbuffered, which is what a flush would achieve. Anywhere
		// else a writer that cannot flush would hold events back: an error.
		if err := rc.Flush(); err != nil && !(s.opts.Desktop != nil && errors.Is(err, http.ErrNotSupported)) {
			return err
		}
		return nil
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if err := flush(); err != nil {
		return nil, err
	}
	return func(event string, data any) error {
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
			return err
		}
		return flush()
	}, nil
}

// events streams the changes of task instances, runs and DAGs as they are written.
func (s *Server) events(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	ch, cancel := s.app.Events.Subscribe(r.URL.Query().Get("dag_id"))
	defer cancel()
	send, err := s.sse(w)
	if err != nil {
		return nil, err
	}
	if err := send("hello", map[string]bool{"scheduling": s.app.Scheduling()}); err != nil {
		return nil, nil
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		select {
		case <-r.Context().Done():
			return nil, nil
		case <-ping.C:
			if send("ping", struct{}{}) != nil {
				return nil, nil
			}
		case e, ok := <-ch:
			if !ok { // fell behind: the client reconnects and reloads what it shows
				return nil, nil
			}
			data := e.Data
			if data == nil {
				data = app.DagEvent{DagID: e.DagID}
			}
			if send(e.Kind, data) != nil {
				return nil, nil
			}
		}
	}
}

// logStream follows a try's log: what is there from offset, then what is written, until the
// try has ended and everything was sent.
func (s *Server) logStream(w http.ResponseWriter, r *http.Request, _ principal) (any, error) {
	f, ti, offset, err := s.logFile(r)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	key := ti.Key()
	try, _ := strconv.Atoi(r.PathValue("try_number")) // checked by logFile
	ch, cancel := s.app.Events.Subscribe(key.DagID)
	defer func() { cancel() }() // the subscription current when the stream ends
	secrets, err := s.app.LogSecrets(r.Context())
	if err != nil {
		return nil, err
	}
	send, err := s.sse(w)
	if err != nil {
		return nil, err
	}
	masked := newMaskedLog(f, secrets)
	flushLog := func(complete bool) error {
		for {
			data, next, err := masked.read(offset, 64<<10, complete)
			if err != nil || next == offset {
				return err
			}
			if err := send("log", map[string]any{"offset": offset, "data": data}); err != nil {
				return err
			}
			offset = next
		}
	}
	tick := time.NewTicker(250 * time.Millisecond) // logs are files written by the tries; no event says "a line was added"
	defer tick.Stop()
	for {
		if flushLog(false) != nil {
			return nil, nil
		}
		cur, err := s.app.TaskInstance(r.Context(), key)
		if err != nil || cur.TryNumber != try || !isActive(cur) {
			_ = flushLog(true)
			_ = send("end", map[string]any{"state": s.tryState(r, cur, try)})
			return nil, nil
		}
		select {
		case <-r.Context().Done():
			return nil, nil
		case <-tick.C:
		case _, ok := <-ch:
			if !ok {
				ch, cancel = s.app.Events.Subscribe(key.DagID)
			}
		}
	}
}

// tryState is how a try ended: its record once it has one, else the task instance's state
// (an earlier try's stream must not end with the state of the try that runs now).
func (s *Server) tryState(r *http.Request, cur scheduler.TaskInstance, try int) tasks.TaskInstanceState {
	tries, err := s.app.Store.ListTaskTries(r.Context(), cur.DagID, cur.RunID, cur.TaskID)
	if err == nil {
		for _, t := range tries {
			if t.TryNumber == try {
				return t.State
			}
		}
	}
	return cur.State
}

// isActive reports whether a task instance's try may still write to its log.
func isActive(ti scheduler.TaskInstance) bool {
	switch ti.State {
	case tasks.StateRunning, tasks.StateQueued, tasks.StateRestarting, tasks.StateUpForReschedule:
		return true
	}
	return false
}
