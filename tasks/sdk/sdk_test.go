package sdk

import (
	"errors"
	"testing"
	"time"
)

// The wasip1 side of the SDK is tested through real modules in runtime's tests (testdata/probe
// calls XComPush, XComPull and Log under the runner); here, the environment helpers and the
// host-side stubs.
func TestEnv(t *testing.T) {
	t.Setenv("WASMFLOW_DAG_ID", "etl")
	t.Setenv("WASMFLOW_TASK_ID", "extract")
	t.Setenv("WASMFLOW_RUN_ID", "manual__1")
	t.Setenv("WASMFLOW_TRY_NUMBER", "3")
	t.Setenv("WASMFLOW_LOGICAL_DATE", "2022-10-22T01:02:03+09:00")
	t.Setenv("WASMFLOW_DS", "2022-10-22")
	t.Setenv("WASMFLOW_CONF", `{"threshold": 10, "name": "x"}`)
	if DagID() != "etl" || TaskID() != "extract" || RunID() != "manual__1" || TryNumber() != 3 || DS() != "2022-10-22" {
		t.Errorf("got %q %q %q %d %q", DagID(), TaskID(), RunID(), TryNumber(), DS())
	}
	if want := time.Date(2022, 10, 21, 16, 2, 3, 0, time.UTC); !LogicalDate().Equal(want) {
		t.Errorf("LogicalDate = %s", LogicalDate())
	}
	if c := Conf(); c["threshold"] != 10.0 || c["name"] != "x" {
		t.Errorf("Conf = %v", c)
	}
}

func TestConf(t *testing.T) {
	for _, tc := range []struct {
		env     string
		n       int
		invalid bool
	}{{"", 0, false}, {"{}", 0, false}, {`{"a":1}`, 1, false}, {"[1]", 0, true}, {"{", 0, true}} {
		t.Setenv("WASMFLOW_CONF", tc.env)
		c, err := ConfErr()
		if len(c) != tc.n || (err != nil) != tc.invalid || Conf() == nil {
			t.Errorf("%q: %v, %v", tc.env, c, err)
		}
	}
}

func TestOutsideWasmflow(t *testing.T) {
	if err := XComPush("k", []byte("v")); !errors.Is(err, ErrNotWasmflow) {
		t.Errorf("XComPush: %v", err)
	}
	if v, ok := XComPull("t", "k"); ok || v != nil {
		t.Errorf("XComPull: %q %v", v, ok)
	}
	t.Setenv("WASMFLOW_TRY_NUMBER", "")
	if TryNumber() != 0 || !LogicalDate().IsZero() {
		t.Error("unset values are not zero")
	}
}
