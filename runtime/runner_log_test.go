package runtime

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLog(t *testing.T) {
	t.Run("truncated", func(t *testing.T) {
		r := newRunner(t, Config{MaxLogBytes: 4096})
		res, log := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"spam", "1000"}})
		if res.State != StateSuccess {
			t.Fatalf("result = %+v", res)
		}
		if !strings.Contains(log, "[wasmflow] log truncated: it reached the limit of 4096 bytes; further output is dropped\n") ||
			!strings.Contains(log, "bytes of output were dropped after the log limit") {
			t.Errorf("no truncation marker:\n%s", log)
		}
		if len(log) > 4096+300 {
			t.Errorf("log is %d bytes, over its cap", len(log))
		}
		// The return_value fallback still sees the real last line.
		if got := string(res.XComs[ReturnValueKey]); !strings.HasPrefix(got, "line 000999 ") {
			t.Errorf("return_value = %q", got)
		}
	})
	t.Run("live", func(t *testing.T) {
		r := testRunner(t)
		lw := &timedWriter{}
		start := time.Now()
		res, err := r.Run(context.Background(), Try{Module: goModule(t, "probe"), TaskID: "t", Args: []string{"sleep", "500ms"}, Log: lw})
		end := time.Since(start)
		if err != nil || res.State != StateSuccess {
			t.Fatalf("%v %+v", err, res)
		}
		if len(lw.lines) != 2 || lw.lines[0] != "sleeping 500ms\n" || end-lw.at[0] < 400*time.Millisecond {
			t.Errorf("the first line came %s after the start, the try took %s: %q", lw.at[0], end, lw.lines)
		}
	})
	t.Run("long line without newline", func(t *testing.T) {
		r := testRunner(t)
		res, log := run(t, r, Try{Module: goModule(t, "probe"), Args: []string{"noeol", strings.Repeat("n", maxLineBytes+10)}})
		lines := strings.Split(strings.TrimSuffix(log, "\n"), "\n")
		if len(lines) < 2 || len(lines[0]) != maxLineBytes || lines[1] != "nnnnnnnnnn" {
			t.Errorf("%d lines: %.100q", len(lines), lines)
		}
		// As one line of stdout, it is also a return_value over the XCom limit.
		if res.State != StateFailed || !strings.HasPrefix(res.Reason, `xcom: "return_value" is 65546 bytes`) {
			t.Errorf("result = %+v", res)
		}
	})
}

// syncBuffer is a log that tests can read while the try runs, calling onLine for each line.
type syncBuffer struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	onLine func(string)
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.onLine != nil {
		b.onLine(string(p))
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// timedWriter records each write and when it came.
type timedWriter struct {
	start time.Time
	lines []string
	at    []time.Duration
}

func (w *timedWriter) Write(p []byte) (int, error) {
	if w.start.IsZero() {
		w.start = time.Now()
	}
	w.lines = append(w.lines, string(p))
	w.at = append(w.at, time.Since(w.start))
	return len(p), nil
}
