package sdk

import (
	"encoding/json"
	"errors"
	"fmt"
)

// Results of the granted-I/O host functions (runtime.HostCallOK and the rest).
const (
	callOK         = 0
	callBadRequest = -1
	callDenied     = -2
	callLimit      = -3
	callFailed     = -4
)

// Errors a host call can be (errors.Is(err, sdk.ErrDenied)); the *CallError's message says
// more, e.g. which grant to add.
var (
	// ErrDenied: the task's grants (connections, allow_hosts, secrets) do not allow the call.
	ErrDenied = errors.New("not granted")
	// ErrLimit: a limit of the try was reached (request or response size, the per-call
	// timeout, calls per try, rows per query).
	ErrLimit = errors.New("limit reached")
)

// CallError is a host call that did not get its answer.
type CallError struct {
	// Func is the host function: http_request, sql_query, sql_exec or secret_get.
	Func string
	// Code is the host's result: -1 bad request, -2 denied, -3 limit, -4 failed.
	Code int32
	// Message is the host's explanation.
	Message string
}

func (e *CallError) Error() string { return "sdk: " + e.Message }

// Is makes errors.Is(err, ErrDenied) and errors.Is(err, ErrLimit) work.
func (e *CallError) Is(target error) bool {
	return target == ErrDenied && e.Code == callDenied || target == ErrLimit && e.Code == callLimit
}

// call encodes req, calls the host function and decodes its answer into resp.
func call(name string, req, resp any) error {
	b, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("sdk: %s: encode the request: %w", name, err)
	}
	return callRaw(name, b, func(out []byte) error { return json.Unmarshal(out, resp) })
}

// callRaw calls the host function with an encoded request and decodes a successful answer.
func callRaw(name string, req []byte, decode func([]byte) error) error {
	resp, err := callRawBytes(name, req)
	if err != nil {
		return err
	}
	if err := decode(resp); err != nil {
		return fmt.Errorf("sdk: %s: decode the response: %w", name, err)
	}
	return nil
}

// callRawBytes calls the host function with an encoded request and returns a successful
// answer as it came.
func callRawBytes(name string, req []byte) ([]byte, error) {
	code, out := hostCall(name, req)
	switch code {
	case notWasmflow:
		return nil, ErrNotWasmflow
	case callOK:
		return out, nil
	}
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(out, &e) != nil || e.Error == "" {
		e.Error = fmt.Sprintf("%s: result %d", name, code)
	}
	return nil, &CallError{Func: name, Code: code, Message: e.Error}
}
