package cluster

import (
	wfruntime "github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
)

// callsOf is the scheduler's copy of a try's record of granted-I/O calls, which travels with
// the result from a worker.
func callsOf(calls []wfruntime.Call) []scheduler.Call {
	if len(calls) == 0 {
		return nil
	}
	out := make([]scheduler.Call, len(calls))
	for i, c := range calls {
		out[i] = scheduler.Call{Kind: c.Kind, Target: c.Target, Op: c.Op, Status: c.Status, Rows: c.Rows,
			BytesOut: c.BytesOut, BytesIn: c.BytesIn, Duration: c.Duration, Refused: c.Refused, Error: c.Error}
	}
	return out
}
