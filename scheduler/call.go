package scheduler

import "time"

// TryCalls are the granted-I/O calls of one try, to record with it.
type TryCalls struct {
	Key       TIKey
	TryNumber int
	Calls     []Call
}

// Call is one granted-I/O call a try's module made, made or refused (runtime.Call, SPEC.md §8):
// the audit trail of what the try touched. It holds no secret, body, bound value or query
// string, so it may be stored and shown with the try.
type Call struct {
	Kind     string        `json:"kind"`   // http, sql, secret
	Target   string        `json:"target"` // the conn_id, or the host
	Op       string        `json:"op,omitempty"`
	Status   int           `json:"status,omitempty"`
	Rows     int64         `json:"rows,omitempty"`
	BytesOut int64         `json:"bytes_out,omitempty"`
	BytesIn  int64         `json:"bytes_in,omitempty"`
	Duration time.Duration `json:"duration_ns"`
	Refused  bool          `json:"refused,omitempty"`
	Error    string        `json:"error,omitempty"`
}
