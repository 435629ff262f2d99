package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sseEvent is one server-sent event.
type sseEvent struct {
	name string
	data string
}

// sseStream reads a text/event-stream response as it comes.
type sseStream struct {
	t      testing.TB
	events chan sseEvent
	closed chan struct{} // closed when the server ended the stream
	cancel func()
}

// stream opens an event stream; it is closed when the test ends.
func (e *env) stream(path string, a auth) *sseStream {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", e.ts.URL+path, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if a != nil {
		a(req)
	}
	res, err := e.ts.Client().Do(req)
	if err != nil {
		cancel()
		e.t.Fatalf("GET %s: %v", path, err)
	}
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" {
		cancel()
		res.Body.Close()
		e.t.Fatalf("GET %s: %d %s, want 200 text/event-stream", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		e.t.Errorf("GET %s: Cache-Control %q, want no-cache", path, cc)
	}
	s := &sseStream{t: e.t, events: make(chan sseEvent, 4096), closed: make(chan struct{}), cancel: cancel}
	go func() {
		defer close(s.closed)
		defer res.Body.Close()
		r := bufio.NewReader(res.Body)
		var ev sseEvent
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.name != "" || ev.data != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	e.t.Cleanup(cancel)
	return s
}

// next returns the next event, failing the test if none comes within timeout.
func (s *sseStream) next(timeout time.Duration) sseEvent {
	s.t.Helper()
	select {
	case ev := <-s.events:
		return ev
	case <-time.After(timeout):
		s.t.Fatalf("no event within %s", timeout)
	}
	return sseEvent{}
}

// until reads events until keep returns false for one, and returns every event read.
func (s *sseStream) until(timeout time.Duration, what string, more func(sseEvent) bool) []sseEvent {
	s.t.Helper()
	deadline := time.After(timeout)
	var got []sseEvent
	for {
		select {
		case ev := <-s.events:
			got = append(got, ev)
			if !more(ev) {
				return got
			}
		case <-s.closed:
			// Events already read off the wire are still in the channel.
			select {
			case ev := <-s.events:
				got = append(got, ev)
				if !more(ev) {
					return got
				}
				continue
			default:
			}
			s.t.Fatalf("the stream ended before %s; events: %v", what, got)
		case <-deadline:
			s.t.Fatalf("timed out after %s before %s; events: %v", timeout, what, got)
		}
	}
}

func decodeData[T any](t *testing.T, ev sseEvent) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(ev.data), &v); err != nil {
		t.Fatalf("event %s: data is not the JSON expected: %v: %s", ev.name, err, ev.data)
	}
	return v
}

func TestEventsStreamARunToSuccess(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	pipeOnly := e.stream("/api/v1/events?dag_id=pipe", e.as("viewer"))
	s := e.login("viewer", passwordOf("viewer"))
	everything := e.stream("/api/v1/events", s.with(""))
	for _, st := range []*sseStream{pipeOnly, everything} {
		hello := st.next(5 * time.Second)
		if hello.name != "hello" || decodeData[map[string]bool](t, hello)["scheduling"] != true {
			t.Fatalf("first event %+v, want hello with scheduling true", hello)
		}
	}
	e.trigger("flaky", "f1", "")
	e.trigger("pipe", "r1", "")

	// The pipe stream: task instances and the run, until the run succeeds.
	states := map[string][]string{} // task id → states in the order streamed
	var runStates []string
	events := pipeOnly.until(30*time.Second, "r1 succeeds", func(ev sseEvent) bool {
		switch ev.name {
		case "task_instance":
			ti := decodeData[taskInstance](t, ev)
			if ti.DagID != "pipe" || ti.DagRunID != "r1" {
				t.Errorf("the pipe stream sent a task instance of %s/%s", ti.DagID, ti.DagRunID)
			}
			if s := stateOf(ti); len(states[ti.TaskID]) == 0 || states[ti.TaskID][len(states[ti.TaskID])-1] != s {
				states[ti.TaskID] = append(states[ti.TaskID], s)
			}
		case "dag_run":
			run := decodeData[dagRun](t, ev)
			if run.DagID != "pipe" || run.DagRunID != "r1" {
				t.Errorf("the pipe stream sent run %s/%s", run.DagID, run.DagRunID)
			}
			runStates = append(runStates, run.State)
			return run.State != "success" && run.State != "failed"
		case "ping", "dag":
		default:
			t.Errorf("unexpected event %+v", ev)
		}
		return true
	})
	if len(runStates) == 0 || runStates[len(runStates)-1] != "success" {
		t.Errorf("run states streamed: %v", runStates)
	}
	for _, id := range []string{"extract", "transform", "load"} {
		got := states[id]
		if len(got) < 2 || got[len(got)-1] != "success" || !contains(got, "running") {
			t.Errorf("%s's states streamed: %v, want it seen running and then success", id, got)
		}
	}
	// The run was announced before its task instances, each task was seen succeeding
	// before its downstream started running, and the run's end came last.
	order := map[string]int{}
	for i, ev := range events {
		if _, ok := order[ev.name]; !ok {
			order[ev.name] = i
		}
		if ev.name == "task_instance" {
			ti := decodeData[taskInstance](t, ev)
			key := ti.TaskID + ":" + stateOf(ti)
			if _, ok := order[key]; !ok {
				order[key] = i
			}
		}
	}
	if order["dag_run"] > order["task_instance"] || order["extract:success"] > order["transform:running"] ||
		order["transform:success"] > order["load:running"] {
		t.Errorf("events out of order: %v", order)
	}
	// The whole stream has flaky's events too, and the pipe stream none of them.
	everything.until(30*time.Second, "flaky's run ends", func(ev sseEvent) bool {
		if ev.name == "dag_run" {
			run := decodeData[dagRun](t, ev)
			return run.DagID != "flaky" || (run.State != "success" && run.State != "failed")
		}
		return true
	})

	// Pausing sends a dag event with the new flag to both.
	e.want(http.StatusOK, "PATCH", "/api/v1/dags/pipe", `{"is_paused":true}`, e.as("user"))
	for name, st := range map[string]*sseStream{"pipe": pipeOnly, "all": everything} {
		st.until(10*time.Second, name+": the pause event", func(ev sseEvent) bool {
			if ev.name != "dag" {
				return true
			}
			d := decodeData[map[string]any](t, ev)
			if d["dag_id"] == "pipe" && d["is_paused"] == true {
				return false
			}
			return true
		})
	}
	// A new DAG file is synced at once (file watching) and announced.
	writeFile(t, filepath.Join(e.home, "dags", "late.yaml"), "dag_id: late\ntasks:\n  - {id: a, module: modules/echo.wasm}\n")
	everything.until(20*time.Second, "a dag event after the DAGs folder changed", func(ev sseEvent) bool { return ev.name != "dag" })
	waitUntil(t, 10*time.Second, "late is listed", func() bool {
		return e.call("GET", "/api/v1/dags/late", "", e.as("viewer")).status == http.StatusOK
	})
	// A client that goes away ends its stream: nothing keeps running for it (the test's
	// cleanup closes the httptest server, which waits for every handler).
	pipeOnly.cancel()
	select {
	case <-pipeOnly.closed:
	case <-time.After(5 * time.Second):
		t.Error("the stream did not end when its client went away")
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

type logEvent struct {
	Offset int64  `json:"offset"`
	Data   string `json:"data"`
}

// readLog reads a log stream to its end event: the text, checking each offset follows on,
// and the end's state.
func readLog(t *testing.T, st *sseStream, from int64) (string, string) {
	t.Helper()
	var text strings.Builder
	var end string
	offset := from
	st.until(30*time.Second, "the end event", func(ev sseEvent) bool {
		switch ev.name {
		case "log":
			l := decodeData[logEvent](t, ev)
			if l.Offset != offset {
				t.Errorf("log event at offset %d, want %d (the end of the one before)", l.Offset, offset)
			}
			offset += int64(len(l.Data))
			text.WriteString(l.Data)
		case "end":
			end = decodeData[struct {
				State string `json:"state"`
			}](t, ev).State
			return false
		default:
			t.Errorf("unexpected event in a log stream: %+v", ev)
		}
		return true
	})
	select {
	case <-st.closed:
	case <-time.After(5 * time.Second):
		t.Error("the log stream stayed open after its end event")
	}
	return text.String(), end
}

func TestLogStream(t *testing.T) {
	e := newEnv(t, nil)
	e.startScheduler()
	e.trigger("naps", "n1", "")
	const path = "/api/v1/dags/naps/dagRuns/n1/taskInstances/nap/logs/1"
	// Follow the try while it runs: its log file exists from the start.
	waitUntil(t, 20*time.Second, "nap runs", func() bool {
		ti := e.tis("naps", "n1")["nap"]
		return stateOf(ti) == "running" && e.call("GET", path, "", e.as("viewer")).status == http.StatusOK
	})
	text, end := readLog(t, e.stream(path+"/stream", e.as("viewer")), 0)
	if !strings.Contains(text, "slept 1.500s") || end != "success" {
		t.Errorf("followed log %q, end %q; want the whole log and success", text, end)
	}
	if ti := e.tis("naps", "n1")["nap"]; stateOf(ti) != "success" {
		t.Errorf("the stream ended before the try: %+v", ti)
	}
	whole := string(e.want(http.StatusOK, "GET", path, "", e.as("viewer")).body)
	if text != whole {
		t.Errorf("the stream sent %q, the log is %q", text, whole)
	}
	// An ended try: the log from the offset, then end at once.
	at := strings.Index(whole, "slept")
	tail, end := readLog(t, e.stream(path+"/stream?offset="+itoa(at), e.as("viewer")), int64(at))
	if tail != whole[at:] || end != "success" {
		t.Errorf("from offset %d: %q %q", at, tail, end)
	}
	// The end event of an earlier try says how that try ended, not the task instance now.
	e.trigger("flaky", "f1", "")
	e.waitRun("flaky", "f1")
	text, end = readLog(t, e.stream("/api/v1/dags/flaky/dagRuns/f1/taskInstances/flaky/logs/1/stream", e.as("viewer")), 0)
	if !strings.Contains(text, "failing on purpose") || end != "failed" {
		t.Errorf("stream of flaky's first try: %q, end %q; want its log and failed", text, end)
	}
	text, end = readLog(t, e.stream("/api/v1/dags/flaky/dagRuns/f1/taskInstances/flaky/logs/2/stream", e.as("viewer")), 0)
	if !strings.Contains(text, "try 2: success") || end != "success" {
		t.Errorf("stream of flaky's second try: %q, end %q", text, end)
	}
	// Errors are answered before the stream starts.
	e.problem(http.StatusNotFound, "GET", path[:strings.LastIndex(path, "/nap/")]+"/nope/logs/1/stream", "", e.as("viewer"), `no task "nope"`)
	e.problem(http.StatusNotFound, "GET", "/api/v1/dags/naps/dagRuns/n1/taskInstances/nap/logs/3/stream", "", e.as("viewer"), "no try 3")
	e.problem(http.StatusBadRequest, "GET", "/api/v1/dags/naps/dagRuns/n1/taskInstances/nap/logs/x/stream", "", e.as("viewer"), "try_number must be a number")
	e.problem(http.StatusBadRequest, "GET", path+"/stream?offset=-1", "", e.as("viewer"), "offset must be")
}
