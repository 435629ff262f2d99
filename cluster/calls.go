package cluster

import (
	wfruntime "github.com/wasmflow/wasmflow/runtime"
	"github.com/wasmflow/wasmflow/scheduler"
	"github.com/wasmflow/wasmflow/tasks"
)

// grantsOf is what a try's module may reach: the connections and secrets its grants name, of
// those the scheduler resolved (a grant without its connection grants nothing), and its
// allow_hosts.
func grantsOf(w scheduler.Workload) wfruntime.Grants {
	pick := func(ids []string) map[string]tasks.Connection {
		if len(ids) == 0 {
			return nil
		}
		out := make(map[string]tasks.Connection, len(ids))
		for _, id := range ids {
			if c, ok := w.Connections[id]; ok {
				out[id] = c
			}
		}
		return out
	}
	return wfruntime.Grants{Connections: pick(w.Grants.Connections), AllowHosts: w.Grants.AllowHosts, Secrets: pick(w.Grants.Secrets)}
}

// Calls is the scheduler's copy of a try's record of granted-I/O calls, which travels with the
// result from a worker.
func Calls(calls []wfruntime.Call) []scheduler.Call {
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
