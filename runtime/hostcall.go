package runtime

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Results of the granted-I/O host functions (http_request, sql_query, sql_exec, secret_get).
// Whatever the result, the host has a JSON response ready for response_read: the call's answer
// for HostCallOK, {"error": "..."} otherwise.
const (
	HostCallOK = 0
	// HostCallBadRequest: the request JSON is invalid or incomplete.
	HostCallBadRequest = -1
	// HostCallDenied: the task's grants do not allow the call; the error names the grant to add.
	HostCallDenied = -2
	// HostCallLimit: a limit of the try was reached (request or response size, calls per try,
	// the per-call timeout, rows per query).
	HostCallLimit = -3
	// HostCallFailed: the call was made and failed (network, TLS, SQL error).
	HostCallFailed = -4
)

// Results of response_read, besides the number of bytes copied.
const (
	ResponseNone     = -1 // no response is waiting
	ResponseTooSmall = -2 // the buffer is smaller than the response; nothing copied, it waits
)

const (
	hostFuncHTTPRequest  = "http_request"
	hostFuncSQLQuery     = "sql_query"
	hostFuncSQLExec      = "sql_exec"
	hostFuncSecretGet    = "secret_get"
	hostFuncResponseRead = "response_read"
)

// exportHostCalls adds the granted-I/O functions to the host module.
func exportHostCalls(b wazero.HostModuleBuilder) wazero.HostModuleBuilder {
	i32 := api.ValueTypeI32
	for _, f := range []struct {
		name, kind string
		h          callHandler
	}{
		{hostFuncHTTPRequest, CallHTTP, httpCall},
		{hostFuncSQLQuery, CallSQL, sqlQuery},
		{hostFuncSQLExec, CallSQL, sqlExec},
		{hostFuncSecretGet, CallSecret, secretGet},
	} {
		b = b.NewFunctionBuilder().WithGoModuleFunction(hostCall(f.name, f.kind, f.h), []api.ValueType{i32, i32, i32}, []api.ValueType{i32}).
			WithParameterNames("req_ptr", "req_len", "resp_len_ptr").Export(f.name)
	}
	return b.NewFunctionBuilder().WithGoModuleFunction(api.GoModuleFunc(responseRead), []api.ValueType{i32, i32}, []api.ValueType{i32}).
		WithParameterNames("buf_ptr", "buf_cap").Export(hostFuncResponseRead)
}

// callError is a host call that did not get its answer: the code the module sees and whether
// the host refused it before trying.
type callError struct {
	code    int32
	refused bool
	msg     string
}

func (e *callError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &callError{HostCallBadRequest, true, fmt.Sprintf(format, args...)}
}

func overLimit(refused bool, format string, args ...any) error {
	return &callError{HostCallLimit, refused, fmt.Sprintf(format, args...)}
}

func callFailed(format string, args ...any) error {
	return &callError{HostCallFailed, false, fmt.Sprintf(format, args...)}
}

// asCallError gives any error of a call its code: deniedError (also wrapped, e.g. by the HTTP
// client around a redirect or a dial) is a refusal, an unknown error a failure.
func asCallError(err error) *callError {
	var ce *callError
	if errors.As(err, &ce) {
		return ce
	}
	var de *deniedError
	if errors.As(err, &de) {
		return &callError{HostCallDenied, true, de.msg}
	}
	return &callError{HostCallFailed, false, err.Error()}
}

// callState is one try's granted I/O: its grants and limits, what it has called, the response
// waiting for response_read, and the HTTP client and database pools, which live as long as the
// try and are closed after it.
type callState struct {
	grants Grants
	allow  []allowRule
	limits CallLimits
	net    Network
	log    *tryLog

	// The module is single-threaded and calls one host function at a time; the lock covers the
	// record being read after a try that timed out while a call still ran.
	mu      sync.Mutex
	n       int // calls made or refused
	calls   []Call
	pending []byte

	client *http.Client
	dbs    map[string]*sql.DB
}

func newCallState(g Grants, limits CallLimits, network Network, log *tryLog) *callState {
	return &callState{grants: g, allow: parseAllowHosts(g.AllowHosts), limits: limits, net: network, log: log}
}

// callHandler does one kind of call: it decodes req, makes the call and fills the record's
// details (Target, Op, Status, Rows, bytes). Its result is encoded as the response JSON.
type callHandler func(ctx context.Context, cs *callState, req []byte, rec *Call) (any, error)

// hostCall is a granted-I/O host function: (req_ptr, req_len, resp_len_ptr) -> i32.
func hostCall(name, kind string, h callHandler) api.GoModuleFunc {
	return func(ctx context.Context, mod api.Module, stack []uint64) {
		cs := tryStateFrom(ctx).calls
		req := read(name, mod, stack[0], stack[1])
		respLenPtr := uint32(stack[2])
		code, resp := cs.do(ctx, name, kind, req, h)
		if !mod.Memory().WriteUint32Le(respLenPtr, uint32(len(resp))) {
			panic(fmt.Errorf("%s.%s: out of bounds memory access (resp_len_ptr %d)", HostModuleName, name, respLenPtr))
		}
		stack[0] = api.EncodeI32(code)
	}
}

// do runs one call under the try's limits, records it and keeps its response for
// response_read.
func (cs *callState) do(ctx context.Context, name, kind string, req []byte, h callHandler) (int32, []byte) {
	start := time.Now()
	rec := Call{Kind: kind}
	cs.mu.Lock()
	cs.n++
	n := cs.n
	cs.pending = nil
	cs.mu.Unlock()

	var result any
	var err error
	switch {
	case n > cs.limits.MaxCalls:
		err = overLimit(true, "%s: the try made %d host calls, the limit per try", name, cs.limits.MaxCalls)
	case int64(len(req)) > 2*cs.limits.MaxRequestBytes+64<<10:
		// Bodies are base64 in the JSON: a request this long cannot fit the limit.
		err = overLimit(true, "%s: the request is %d bytes, over the limit of %d bytes", name, len(req), cs.limits.MaxRequestBytes)
	default:
		callCtx, cancel := context.WithTimeout(ctx, cs.limits.Timeout)
		result, err = h(callCtx, cs, req, &rec)
		cancel()
	}
	rec.Duration = time.Since(start)

	code := int32(HostCallOK)
	var resp []byte
	if err == nil {
		resp, err = json.Marshal(result)
		if err != nil {
			err = callFailed("%s: encode the response: %v", name, err)
		}
	}
	if err != nil {
		ce := asCallError(err)
		code, rec.Refused, rec.Error = ce.code, ce.refused, ce.msg
		resp, _ = json.Marshal(map[string]string{"error": ce.msg})
		if n <= cs.limits.MaxCalls+1 { // past the limit, one note is enough
			cs.log.note("%s refused or failed: %s", name, ce.msg)
		}
	}

	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.pending = resp
	// The record is bounded by the limit: the first call past it is recorded, the rest only
	// counted (see record).
	if n <= cs.limits.MaxCalls+1 {
		cs.calls = append(cs.calls, rec)
	}
	return code, resp
}

// responseRead is response_read(buf_ptr, buf_cap) -> i32.
func responseRead(ctx context.Context, mod api.Module, stack []uint64) {
	cs := tryStateFrom(ctx).calls
	buf := read(hostFuncResponseRead, mod, stack[0], stack[1])
	cs.mu.Lock()
	defer cs.mu.Unlock()
	switch {
	case cs.pending == nil:
		stack[0] = api.EncodeI32(ResponseNone)
	case len(cs.pending) > len(buf):
		stack[0] = api.EncodeI32(ResponseTooSmall)
	default:
		stack[0] = api.EncodeI32(int32(copy(buf, cs.pending)))
		cs.pending = nil
	}
}

// record is the try's record of calls, and notes in the log how many calls past the limit were
// not recorded.
func (cs *callState) record() []Call {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if extra := cs.n - cs.limits.MaxCalls - 1; extra > 0 {
		cs.log.note("%d more host calls past the limit of %d per try were refused and not recorded", extra, cs.limits.MaxCalls)
	}
	return cs.calls
}

// close releases the try's HTTP connections and database pools.
func (cs *callState) close() {
	if cs.client != nil {
		cs.client.CloseIdleConnections()
	}
	for _, db := range cs.dbs {
		db.Close()
	}
}

// stopped explains a call its context ended: the per-call timeout (a limit), the try's
// execution_timeout or the try's cancellation.
func (cs *callState) stopped(ctx context.Context, what string) error {
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTimeout):
		return callFailed("%s: the try's execution_timeout was reached during the call", what)
	case errors.Is(cause, context.DeadlineExceeded):
		return overLimit(false, "%s: no complete answer within the per-call timeout of %s", what, cs.limits.Timeout)
	default:
		return callFailed("%s: stopped: %v", what, cause)
	}
}

// decodeRequest decodes a call's JSON request, refusing unknown fields so a misspelt one is
// not silently ignored.
func decodeRequest(name string, req []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(req))
	d.DisallowUnknownFields()
	d.UseNumber() // bound parameters keep their integers exact
	if err := d.Decode(v); err != nil {
		return badRequest("%s: the request is not valid JSON of the documented shape (docs/hostcalls.md): %v", name, err)
	}
	return nil
}
