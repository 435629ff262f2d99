package api_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkTriggerToSuccess is `make bench`'s latency figure: on a warm server (scheduler
// running, module compiled), the time from sending POST /api/v1/dags/{dag_id}/dagRuns of a
// one-task DAG with a no-op module to the event stream's dag_run "success" of that run, p50
// over the rounds; the target is 10 ms. Measured in the same run: the POST's own answer (the
// run recorded) and the try itself (its task instance's duration), so what the scheduler adds
// between "run created" and "run success" is the difference.
func BenchmarkTriggerToSuccess(b *testing.B) {
	e := newEnv(b, map[string]string{"noop.yaml": "dag_id: noop\nschedule: null\nis_paused_upon_creation: false\n" +
		"tasks:\n  - {id: noop, module: modules/noop.wasm}\n"})
	mod, err := os.ReadFile(filepath.Join("..", "..", "runtime", "testdata", "noop_c", "noop.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	writeFile(b, filepath.Join(e.home, "dags", "modules", "noop.wasm"), string(mod))
	e.startScheduler()
	events := e.stream("/api/v1/events?dag_id=noop", e.as("viewer"))
	if hello := events.next(5 * time.Second); hello.name != "hello" {
		b.Fatalf("first event %+v, want hello", hello)
	}
	made := 0
	// round triggers one run and answers how long until its success was streamed, how long
	// the POST took to answer, and how long the try ran.
	round := func() (total, answer, try time.Duration) {
		made++
		runID := fmt.Sprintf("bench_%d", made)
		req, err := http.NewRequest("POST", e.ts.URL+"/api/v1/dags/noop/dagRuns", strings.NewReader(`{"dag_run_id":"`+runID+`"}`))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		e.as("user")(req)
		start := time.Now()
		res, err := e.ts.Client().Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, err = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		answer = time.Since(start)
		if err != nil || res.StatusCode != http.StatusOK {
			b.Fatalf("trigger %s: %d, %v", runID, res.StatusCode, err)
		}
		events.until(30*time.Second, runID+" succeeds", func(ev sseEvent) bool {
			switch ev.name {
			case "task_instance":
				var ti taskInstance
				if json.Unmarshal([]byte(ev.data), &ti) == nil && ti.DagRunID == runID && ti.Duration != nil {
					try = time.Duration(*ti.Duration * float64(time.Second))
				}
			case "dag_run":
				var run dagRun
				if err := json.Unmarshal([]byte(ev.data), &run); err != nil {
					b.Fatalf("dag_run event: %v: %s", err, ev.data)
				}
				if run.DagRunID != runID || run.State == "running" || run.State == "queued" {
					return true
				}
				if run.State != "success" {
					b.Fatalf("run %s ended %s", runID, run.State)
				}
				total = time.Since(start)
				return false
			}
			return true
		})
		return total, answer, try
	}
	round() // the first run compiles the module and warms the server's connections
	b.Run("1task_noop", func(b *testing.B) {
		const rounds = 20 // per op: make bench runs a few ops, and one round is noisy
		var totals []time.Duration
		var answers, tries time.Duration
		for i := 0; i < b.N*rounds; i++ {
			total, answer, try := round()
			totals = append(totals, total)
			answers += answer
			tries += try
		}
		slices.Sort(totals)
		p50 := totals[len(totals)/2]
		b.ReportMetric(ms(p50, 1), "ms_p50")
		b.ReportMetric(ms(totals[len(totals)*9/10], 1), "ms_p90")
		b.ReportMetric(ms(answers, len(totals)), "ms_post_answer")
		b.ReportMetric(ms(tries, len(totals)), "ms_try")
		b.ReportMetric(0, "ns/op") // the figures above are the result
		if ms(p50, 1) > 10 {
			b.Logf("target missed: trigger to success takes %.1f ms (p50), the target is 10 ms", ms(p50, 1))
		}
	})
}
