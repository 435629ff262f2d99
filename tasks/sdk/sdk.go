package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// ReturnValue is the key of a task's result XCom.
const ReturnValue = "return_value"

// Exit codes with a meaning to wasmflow.
const (
	ExitSkipped      = 99
	ExitSensorNotMet = 100
)

// ErrNotWasmflow is returned by the XCom functions outside a wasmflow (wasip1) build.
var ErrNotWasmflow = errors.New("sdk: not running under wasmflow (build with GOOS=wasip1 GOARCH=wasm)")

// Results of the host's xcom_push (see wasmflow's runtime.HostModuleName for the ABI).
const (
	pushOK     = 0
	pushBadKey = -1
	pushTooBig = -2
	pushFailed = -3
	pullAbsent = -1
)

// XComPush stores the XCom key of this task's try, like writing the file /xcom/<key>. The key
// must be a file name (no '/'); the value must fit the XCom size limit (48 KiB by default).
func XComPush(key string, value []byte) error {
	switch rc := xcomPush(key, value); rc {
	case pushOK:
		return nil
	case pushBadKey:
		return fmt.Errorf("sdk: xcom push %q: the key is not a file name", key)
	case pushTooBig:
		return fmt.Errorf("sdk: xcom push %q: %d bytes is over the XCom size limit", key, len(value))
	case pushFailed:
		return fmt.Errorf("sdk: xcom push %q: the host could not store it", key)
	case notWasmflow:
		return ErrNotWasmflow
	default:
		return fmt.Errorf("sdk: xcom push %q: unexpected result %d", key, rc)
	}
}

// XComPull reads the XCom key of task taskID in this DagRun ("" is this task); false when
// there is none.
func XComPull(taskID, key string) ([]byte, bool) {
	buf := make([]byte, 4<<10)
	for {
		n := xcomPull(taskID, key, buf)
		switch {
		case n >= 0:
			return buf[:n], true
		case n == pullAbsent || n == notWasmflow:
			return nil, false
		default: // the value is -(n+1) bytes
			buf = make([]byte, -(n + 1))
		}
	}
}

// Log writes msg to the try's log (through the host, so it is not mixed into stdout, whose
// last line is the return_value fallback).
func Log(msg string) { hostLog(msg) }

// Logf is Log with formatting.
func Logf(format string, args ...any) { Log(fmt.Sprintf(format, args...)) }

// DagID is the DAG's id (WASMFLOW_DAG_ID).
func DagID() string { return os.Getenv("WASMFLOW_DAG_ID") }

// TaskID is this task's id (WASMFLOW_TASK_ID; also os.Args[0]).
func TaskID() string { return os.Getenv("WASMFLOW_TASK_ID") }

// RunID is the DagRun's id (WASMFLOW_RUN_ID).
func RunID() string { return os.Getenv("WASMFLOW_RUN_ID") }

// TryNumber is this try's number, 1 for the first (WASMFLOW_TRY_NUMBER); 0 if unset.
func TryNumber() int {
	n, _ := strconv.Atoi(os.Getenv("WASMFLOW_TRY_NUMBER"))
	return n
}

// LogicalDate is the DagRun's logical date (WASMFLOW_LOGICAL_DATE, RFC 3339); zero if unset.
func LogicalDate() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, os.Getenv("WASMFLOW_LOGICAL_DATE"))
	return t
}

// DS is the logical date as YYYY-MM-DD (WASMFLOW_DS).
func DS() string { return os.Getenv("WASMFLOW_DS") }

// Conf is the DagRun's conf (WASMFLOW_CONF, JSON); empty when unset. Use ConfErr to tell an
// invalid conf from an empty one.
func Conf() map[string]any {
	c, _ := ConfErr()
	return c
}

// ConfErr is Conf with the decoding error, if WASMFLOW_CONF is not a JSON object.
func ConfErr() (map[string]any, error) {
	c := map[string]any{}
	s := os.Getenv("WASMFLOW_CONF")
	if s == "" {
		return c, nil
	}
	if err := json.Unmarshal([]byte(s), &c); err != nil {
		return map[string]any{}, fmt.Errorf("sdk: WASMFLOW_CONF: %w", err)
	}
	return c, nil
}

// Skip ends the task as skipped.
func Skip() { os.Exit(ExitSkipped) }

// NotYet ends a sensor task as "condition not met yet"; wasmflow pokes it again later.
func NotYet() { os.Exit(ExitSensorNotMet) }
